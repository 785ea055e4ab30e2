"""POST .../decision and .../reanalyze: roles, states, revisions, and the workflow's answer.

Decisions are the workflow's ``decide`` update: every refusal is answered to the caller."""

from __future__ import annotations

import asyncio

from api.app import create_app
from tests.api.conftest import (
    ADMIN,
    CLIENT,
    REVIEWER,
    client_for,
    make_settings,
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
    body = await wait_for_status(http, recommendation_id, "executed")
    assert body["decision"]["decision"] == "approved"
    assert body["decision"]["reviewer"] == "alice"
    assert body["decision"]["feedback"] == "go"
    assert body["decision"]["revision"] == 1
    assert body["execution"]["idempotency_key"] == f"{recommendation_id}:r1"


async def test_decision_without_revision_is_pinned_to_the_current_one(http, temporal_client):
    recommendation_id = await pending_recommendation(http)

    response = await http.post(
        f"{BASE}/{recommendation_id}/decision", json={"decision": "rejected"}, headers=ADMIN
    )

    assert response.status_code == 202
    assert response.json()["revision"] == 1
    assert response.json()["reviewer"] == "root"
    await wait_for_status(http, recommendation_id, "rejected")


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
        "reanalyses": 1,
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
    assert superseded.json()["error"]["code"] == "stale_revision"
    current = await http.post(
        f"{BASE}/{recommendation_id}/decision",
        json={"decision": "approved", "revision": 2},
        headers=REVIEWER,
    )
    assert current.status_code == 202
    assert current.json()["revision"] == 2
    body = await wait_for_status(http, recommendation_id, "executed")
    assert body["execution"]["idempotency_key"].endswith(":r2")
    [feedback] = body["reviewer_feedback"]
    assert feedback == {"reviewer": "alice", "revision": 1, "feedback": "audience data looks stale"}


async def test_two_reviewers_approving_at_once_one_is_told_it_was_decided(http, platform):
    recommendation_id = await pending_recommendation(http)
    decide = f"{BASE}/{recommendation_id}/decision"
    body = {"decision": "approved", "revision": 1}

    first, second = await asyncio.gather(
        http.post(decide, json=body, headers=REVIEWER),
        http.post(decide, json=body, headers=ADMIN),
    )

    codes = sorted([first.status_code, second.status_code])
    assert codes == [202, 409], (first.text, second.text)
    refused, accepted = (first, second) if first.status_code == 409 else (second, first)
    assert refused.json()["error"]["code"] == "already_decided"
    # Told who decided: "revision 1 was already decided (approved by alice)", or "... is being
    # decided by alice right now" while the winner's cooldown check is still running.
    message = refused.json()["error"]["message"]
    assert "revision 1" in message and f"by {accepted.json()['reviewer']}" in message
    final = await wait_for_status(http, recommendation_id, "executed")
    keys = [r.idempotency_key for r in platform.executions]
    assert keys.count(final["execution"]["idempotency_key"]) == 1


async def test_reanalysis_is_capped_with_a_clear_409(http, store, temporal_client):
    settings = make_settings(max_reanalyses=1)
    capped = create_app(settings, store=store, temporal_client=temporal_client)
    async with client_for(capped) as api:
        started = await start_analysis(api)
        recommendation_id = started["recommendation_id"]
        await wait_for_status(api, recommendation_id, "pending_review")
        again = f"{BASE}/{recommendation_id}/reanalyze"
        assert (
            await api.post(again, json={"feedback": "once"}, headers=REVIEWER)
        ).status_code == 202

        async def at_revision_2() -> bool:
            body = (await api.get(f"{BASE}/{recommendation_id}", headers=CLIENT)).json()
            return body["revision"] == 2 and body["status"] == "pending_review"

        await poll(at_revision_2)
        twice = await api.post(again, json={"feedback": "twice"}, headers=REVIEWER)

    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "reanalysis_limit"
    assert "reanalysed 1 times (at most 1)" in twice.json()["error"]["message"]


async def test_client_role_may_not_request_reanalysis(http):
    recommendation_id = await pending_recommendation(http)

    response = await http.post(f"{BASE}/{recommendation_id}/reanalyze", json={}, headers=CLIENT)

    assert response.status_code == 403
