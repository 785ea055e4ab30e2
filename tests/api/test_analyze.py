"""POST /api/v1/recommendations/analyze: start, deduplicate, force, fail cleanly."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from api.app import create_app
from domain.lifecycle import LifecycleState
from store.repository import Store
from tests.api.conftest import (
    ADMIN,
    CLIENT,
    REVIEWER,
    client_for,
    make_settings,
    new_campaign,
    start_analysis,
)
from workflows.search_attributes import CAMPAIGN_ID

ANALYZE = "/api/v1/recommendations/analyze"


async def test_analyze_starts_a_workflow_named_after_the_recommendation(
    http, temporal_client, store
):
    campaign_id = new_campaign()
    response = await http.post(ANALYZE, json={"campaign_id": campaign_id}, headers=CLIENT)

    assert response.status_code == 202
    body = response.json()
    assert body["campaign_id"] == campaign_id
    assert body["status"] == "analyzing"
    assert body["deduplicated"] is False
    recommendation_id = body["recommendation_id"]
    prefix = f"rec-{campaign_id}-"
    assert recommendation_id.startswith(prefix)
    assert len(recommendation_id) == len(prefix) + 8
    assert response.headers["location"] == f"/api/v1/recommendations/{recommendation_id}"

    handle = temporal_client.get_workflow_handle(recommendation_id)
    description = await handle.describe()
    assert description.workflow_type == "RecommendationWorkflow"
    assert description.typed_search_attributes.get(CAMPAIGN_ID) == campaign_id
    state = await handle.query("state", result_type=LifecycleState)
    assert state.campaign_id == campaign_id

    record = await store.get_recommendation(recommendation_id)
    assert record is not None and record.requested_by == "dashboard"


async def test_an_analysis_whose_start_was_interrupted_is_started_on_the_next_request(
    http, temporal_client, store
):
    # The API died after writing the row and before starting the run.
    campaign_id = new_campaign()
    orphan = await store.create_recommendation(
        f"rec-{campaign_id}-0rphan00", campaign_id, requested_by="dashboard"
    )

    again = await http.post(ANALYZE, json={"campaign_id": campaign_id}, headers=CLIENT)

    assert again.status_code == 200
    assert again.json()["recommendation_id"] == orphan.recommendation_id
    state = await temporal_client.get_workflow_handle(orphan.recommendation_id).query(
        "state", result_type=LifecycleState
    )
    assert state.campaign_id == campaign_id


async def test_a_pending_recommendation_is_returned_instead_of_a_new_one(http):
    first = await start_analysis(http)

    again = await http.post(ANALYZE, json={"campaign_id": first["campaign_id"]}, headers=REVIEWER)

    assert again.status_code == 200
    assert again.json()["recommendation_id"] == first["recommendation_id"]
    assert again.json()["deduplicated"] is True


async def test_force_refresh_starts_a_new_analysis(http, temporal_client):
    first = await start_analysis(http)

    forced = await http.post(
        ANALYZE, json={"campaign_id": first["campaign_id"], "force_refresh": True}, headers=ADMIN
    )

    assert forced.status_code == 202
    new_id = forced.json()["recommendation_id"]
    assert new_id != first["recommendation_id"]
    assert forced.json()["deduplicated"] is False
    assert (await temporal_client.get_workflow_handle(new_id).describe()).run_id


async def test_zero_dedup_window_never_deduplicates(store, temporal_client):
    app = create_app(
        make_settings(dedup_window_hours=0), store=store, temporal_client=temporal_client
    )
    async with client_for(app) as http:
        first = await start_analysis(http)
        second = await start_analysis(http, first["campaign_id"])
    assert second["recommendation_id"] != first["recommendation_id"]


async def test_temporal_down_gives_503_and_a_failed_row(store: Store):
    unreachable = await Client.connect(
        "127.0.0.1:1", lazy=True, data_converter=pydantic_data_converter
    )
    app = create_app(make_settings(), store=store, temporal_client=unreachable)
    campaign_id = new_campaign()
    async with client_for(app) as http:
        response = await http.post(ANALYZE, json={"campaign_id": campaign_id}, headers=CLIENT)

    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "temporal_unavailable"
    assert "could not start the analysis workflow" in error["message"]
    records, total = await store.list_recommendations(campaign_id=campaign_id)
    assert total == 1
    assert records[0].status == "failed"
    assert "workflow start failed" in (records[0].error or records[0].state.error)


async def test_a_failed_start_does_not_block_the_next_analysis(store: Store, http):
    unreachable = await Client.connect(
        "127.0.0.1:1", lazy=True, data_converter=pydantic_data_converter
    )
    campaign_id = new_campaign()
    async with client_for(
        create_app(make_settings(), store=store, temporal_client=unreachable)
    ) as down:
        assert (
            await down.post(ANALYZE, json={"campaign_id": campaign_id}, headers=CLIENT)
        ).status_code == 503

    retry = await http.post(ANALYZE, json={"campaign_id": campaign_id}, headers=CLIENT)

    assert retry.status_code == 202
    assert retry.json()["deduplicated"] is False


async def test_a_failed_restart_leaves_another_requests_row_alone(store: Store):
    # A pending 'analyzing' row written by another request, whose run may be alive.
    campaign_id = new_campaign()
    pending = await store.create_recommendation(
        f"rec-{campaign_id}-a1b2c3d4", campaign_id, requested_by="dashboard"
    )
    unreachable = await Client.connect(
        "127.0.0.1:1", lazy=True, data_converter=pydantic_data_converter
    )
    app = create_app(make_settings(), store=store, temporal_client=unreachable)
    async with client_for(app) as http:
        response = await http.post(ANALYZE, json={"campaign_id": campaign_id}, headers=CLIENT)

    assert response.status_code == 503
    row = await store.get_recommendation(pending.recommendation_id)
    assert row is not None and row.status == "analyzing"
