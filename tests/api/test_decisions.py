"""POST .../decision and .../reanalyze: roles, states, revisions, and the workflow's view."""

from __future__ import annotations

from domain.lifecycle import LifecycleState
from tests.api.conftest import (
    ADMIN,
    CLIENT,
    REVIEWER,
    new_campaign,
    poll,
    start_analysis,
    wait_for_status,
)

BASE = "/api/v1/recommendations"


async def pending_recommendation(http) -> str:
    started = await start_analysis(http)
    await wait_for_status(http, started["recommendation_id"], "pending_review")
    return started["recommendation_id"]


async def test_approval_reaches_the_workflow_with_the_reviewer(http, temporal_client):
    recommendation_id = await pending_recommendation(http)

    response = await http.post(
        f"{BASE}/{recommendation_id}/decision",
        json={"decision": "approved", "feedback": "go", "revision": 1},
        headers=REVIEWER,
    )

    assert response.status_code == 202
    assert response.json() == {
        "recommendation_id": recommendation_id,
        "decision": "approved",
        "reviewer": "alice",
        "revision": 1,
    }
    result = await temporal_client.get_workflow_handle(
        recommendation_id, result_type=LifecycleState
    ).result()
    assert result.decision is not None
    assert result.decision.reviewer == "alice"
    assert result.decision.feedback == "go"
    assert result.decision.revision == 1
    body = await wait_for_status(http, recommendation_id, "completed")
    assert body["decision"]["decision"] == "approved"


async def test_decision_without_revision_is_pinned_to_the_current_one(http, temporal_client):
    recommendation_id = await pending_recommendation(http)

    response = await http.post(
        f"{BASE}/{recommendation_id}/decision", json={"decision": "rejected"}, headers=ADMIN
    )

    assert response.status_code == 202
    assert response.json()["revision"] == 1
    assert response.json()["reviewer"] == "root"
    result = await temporal_client.get_workflow_handle(
        recommendation_id, result_type=LifecycleState
    ).result()
    assert result.status == "rejected"


async def test_client_role_may_not_decide(http):
    recommendation_id = await pending_recommendation(http)

    response = await http.post(
        f"{BASE}/{recommendation_id}/decision", json={"decision": "approved"}, headers=CLIENT
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    still = await http.get(f"{BASE}/{recommendation_id}", headers=CLIENT)
    assert still.json()["status"] == "pending_review"


async def test_decision_on_unknown_recommendation_is_404(http):
    response = await http.post(
        f"{BASE}/rec-x-12345678/decision", json={"decision": "approved"}, headers=REVIEWER
    )

    assert response.status_code == 404


async def test_decision_on_a_finished_recommendation_is_409(http, temporal_client):
    recommendation_id = await pending_recommendation(http)
    first = await http.post(
        f"{BASE}/{recommendation_id}/decision", json={"decision": "rejected"}, headers=REVIEWER
    )
    assert first.status_code == 202
    await temporal_client.get_workflow_handle(recommendation_id).result()
    await wait_for_status(http, recommendation_id, "rejected")

    second = await http.post(
        f"{BASE}/{recommendation_id}/decision", json={"decision": "approved"}, headers=REVIEWER
    )

    assert second.status_code == 409
    error = second.json()["error"]
    assert error["code"] == "not_pending"
    assert "rejected" in error["message"]


async def test_decision_while_still_analyzing_is_409(http, store):
    # A row whose workflow has not reported yet: the store says analyzing, nothing answers.
    recommendation_id = f"rec-{new_campaign()}-0badc0de"
    await store.create_recommendation(recommendation_id, "camp_x", requested_by="test")

    response = await http.post(
        f"{BASE}/{recommendation_id}/decision", json={"decision": "approved"}, headers=REVIEWER
    )

    assert response.status_code == 409
    assert "analyzing" in response.json()["error"]["message"]


async def test_stale_revision_is_409_and_reanalysis_moves_the_revision(http, temporal_client):
    recommendation_id = await pending_recommendation(http)

    stale = await http.post(
        f"{BASE}/{recommendation_id}/decision",
        json={"decision": "approved", "revision": 7},
        headers=REVIEWER,
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "stale_revision"

    reanalysis = await http.post(
        f"{BASE}/{recommendation_id}/reanalyze",
        json={"feedback": "audience data looks stale"},
        headers=REVIEWER,
    )
    assert reanalysis.status_code == 202
    assert reanalysis.json() == {
        "recommendation_id": recommendation_id,
        "reviewer": "alice",
        "previous_revision": 1,
    }

    async def at_revision_2() -> bool:
        body = (await http.get(f"{BASE}/{recommendation_id}", headers=CLIENT)).json()
        return body["revision"] == 2 and body["status"] == "pending_review"

    await poll(at_revision_2)
    superseded = await http.post(
        f"{BASE}/{recommendation_id}/decision",
        json={"decision": "approved", "revision": 1},
        headers=REVIEWER,
    )
    assert superseded.status_code == 409
    current = await http.post(
        f"{BASE}/{recommendation_id}/decision",
        json={"decision": "approved", "revision": 2},
        headers=REVIEWER,
    )
    assert current.status_code == 202
    result = await temporal_client.get_workflow_handle(
        recommendation_id, result_type=LifecycleState
    ).result()
    assert result.decision.revision == 2


async def test_client_role_may_not_request_reanalysis(http):
    recommendation_id = await pending_recommendation(http)

    response = await http.post(f"{BASE}/{recommendation_id}/reanalyze", json={}, headers=CLIENT)

    assert response.status_code == 403
