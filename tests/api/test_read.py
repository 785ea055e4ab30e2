"""GET one recommendation, the list with filters and pages, and a campaign's history."""

from __future__ import annotations

import pytest

from domain.lifecycle import RecommendationStatus
from tests.api.conftest import (
    CLIENT,
    REVIEWER,
    new_campaign,
    poll,
    start_analysis,
    wait_for_status,
)
from tests.store.conftest import Factory

BASE = "/api/v1/recommendations"


async def test_get_answers_from_the_store_and_live_on_request(http, temporal_env):
    started = await start_analysis(http)
    recommendation_id = started["recommendation_id"]

    body = await wait_for_status(http, recommendation_id, "pending_review")
    live = await http.get(f"{BASE}/{recommendation_id}", params={"live": "true"}, headers=CLIENT)

    assert body["source"] == "store"
    assert live.json()["source"] == "workflow"
    assert live.json()["revision"] == body["revision"] == 1
    assert live.json()["recommendation"] == body["recommendation"]
    assert body["revision"] == 1
    assert body["campaign_id"] == started["campaign_id"]
    assert body["workflow_id"] == started["recommendation_id"]
    assert body["recommendation"]["recommended_action"] == "Bid Adjustment"
    assert body["decision"] is None


async def test_get_unknown_id_is_404_with_the_error_body(http):
    response = await http.get(f"{BASE}/rec-nope-00000000", headers=CLIENT)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "rec-nope-00000000" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "bad_id",
    ["r%C3%A9c-%F0%9F%98%80", "a" * 129, "rec%20with%20space", "rec%00nul", "%27%3B--"],
)
async def test_junk_ids_are_refused_before_reaching_temporal(http, bad_id):
    response = await http.get(f"{BASE}/{bad_id}", headers=CLIENT)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


async def test_list_filters_by_campaign_and_status_and_pages(http):
    campaign_id = new_campaign()
    ids = set()
    for _ in range(3):
        response = await http.post(
            f"{BASE}/analyze",
            json={"campaign_id": campaign_id, "force_refresh": True},
            headers=CLIENT,
        )
        ids.add(response.json()["recommendation_id"])

    first = await http.get(BASE, params={"campaign_id": campaign_id, "limit": 2}, headers=CLIENT)
    second = await http.get(
        BASE, params={"campaign_id": campaign_id, "limit": 2, "offset": 2}, headers=CLIENT
    )

    assert first.status_code == second.status_code == 200
    assert first.json()["total"] == 3
    assert (first.json()["limit"], first.json()["offset"]) == (2, 0)
    paged = [item["recommendation_id"] for item in first.json()["items"] + second.json()["items"]]
    assert len(paged) == 3 and set(paged) == ids

    for recommendation_id in ids:
        await wait_for_status(http, recommendation_id, "pending_review")
    pending = await http.get(
        BASE, params={"campaign_id": campaign_id, "status": "pending_review"}, headers=CLIENT
    )
    assert pending.json()["total"] == 3
    approved = await http.get(
        BASE, params={"campaign_id": campaign_id, "status": "approved"}, headers=CLIENT
    )
    assert approved.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 201},
        {"limit": "ten"},
        {"offset": -1},
        {"status": "bogus"},
        {"campaign_id": "bad id!"},
    ],
)
async def test_list_rejects_bad_query_parameters(http, params):
    response = await http.get(BASE, params=params, headers=CLIENT)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


async def test_list_accepts_the_limit_bounds(http):
    for limit in (1, 200):
        response = await http.get(BASE, params={"limit": limit}, headers=CLIENT)
        assert response.status_code == 200
        assert len(response.json()["items"]) <= limit


async def test_campaign_history_lists_decisions(http):
    started = await start_analysis(http)
    recommendation_id = started["recommendation_id"]
    await wait_for_status(http, recommendation_id, "pending_review")
    decided = await http.post(
        f"{BASE}/{recommendation_id}/decision",
        json={"decision": "rejected", "feedback": "not now"},
        headers=REVIEWER,
    )
    assert decided.status_code == 202
    history_url = f"/api/v1/campaigns/{started['campaign_id']}/history"

    async def rejection_stored() -> dict | None:
        # The history reads the store, which the workflow syncs after the decision arrives.
        response = await http.get(history_url, headers=CLIENT)
        assert response.status_code == 200
        body = response.json()
        return body if body["items"] and body["items"][0]["status"] == "rejected" else None

    body = await poll(rejection_stored)
    assert body["campaign_id"] == started["campaign_id"]
    assert body["total"] == 1
    item = body["items"][0]
    assert item["recommendation_id"] == recommendation_id
    assert item["status"] == "rejected"
    assert item["decision"]["reviewer"] == "alice"
    assert item["decision"]["feedback"] == "not now"


async def test_history_of_an_unknown_campaign_is_empty_not_404(http):
    response = await http.get("/api/v1/campaigns/never_seen/history", headers=CLIENT)

    assert response.status_code == 200
    assert response.json() == {"campaign_id": "never_seen", "total": 0, "items": []}


async def test_campaign_history_is_paged_and_counts_every_run(http):
    first = await start_analysis(http)
    campaign_id = first["campaign_id"]
    again = await http.post(
        "/api/v1/recommendations/analyze",
        json={"campaign_id": campaign_id, "force_refresh": True},
        headers=CLIENT,
    )
    assert again.status_code == 202

    page = await http.get(f"/api/v1/campaigns/{campaign_id}/history?limit=1", headers=CLIENT)

    assert page.status_code == 200
    body = page.json()
    assert body["total"] == 2
    assert [item["recommendation_id"] for item in body["items"]] == [
        again.json()["recommendation_id"]
    ]
    too_many = await http.get(f"/api/v1/campaigns/{campaign_id}/history?limit=500", headers=CLIENT)
    assert too_many.status_code == 422


async def test_reads_show_every_save_of_the_state(http, store):
    """The read views are cached by row (api/views.py): a save must never be hidden by it."""
    make = Factory()
    campaign_id = new_campaign()
    recommendation_id = f"rec-{campaign_id}-0000cafe"
    await store.create_recommendation(recommendation_id, campaign_id, "test")
    pending = make.state(recommendation_id, campaign_id, seq=1)
    await store.sync_state(pending)

    async def read() -> tuple[dict, dict]:
        one = await http.get(f"{BASE}/{recommendation_id}", headers=CLIENT)
        page = await http.get(BASE, params={"campaign_id": campaign_id}, headers=CLIENT)
        return one.json(), page.json()

    before, page_before = await read()
    await store.sync_state(
        make.state(
            recommendation_id,
            campaign_id,
            RecommendationStatus.completed,
            decided=True,
            executed=True,
            measured=True,
            seq=2,
        )
    )
    after, page_after = await read()

    assert (before["status"], before["outcome"]) == ("pending_review", None)
    assert after["status"] == "completed"
    assert after["outcome"] is not None and after["execution"] is not None
    assert page_before["items"] == [before]
    assert page_after["items"] == [after]
