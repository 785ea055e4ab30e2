"""Trust over real sockets (dev server, worker, API, simulator as processes): racing decisions
are answered, one change at a time per campaign, stale plans superseded, the cooldown and its
override, and campaign ids that cannot reach another platform path.

Each test that changes a campaign takes fresh generated ones (``cmp-w7-NNNN``), so the
per-campaign cooldown never couples two tests."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.e2e.conftest import GENERATED_CAMPAIGNS, KEYS, Stack
from tests.e2e.test_lifecycle import CLIENT, REVIEWER, analyze, mutations, poll, wait_status

pytestmark = pytest.mark.e2e

ADMIN = {"X-API-Key": KEYS["admin"]}
BASE = "/api/v1/recommendations"
# Generated campaigns of the e2e stack (SIMULATOR_SEED=7), handed out once each.
_GENERATED = iter([f"cmp-w7-{i:04d}" for i in range(GENERATED_CAMPAIGNS)])


@pytest.fixture
async def clients(stack: Stack):
    async with (
        httpx.AsyncClient(base_url=stack.api_url, timeout=30) as api,
        httpx.AsyncClient(base_url=stack.simulator_url, timeout=15) as simulator,
    ):
        yield api, simulator


async def pending_change(api: httpx.AsyncClient, *, any_action: bool = False) -> dict:
    """A pending recommendation on a campaign no test has touched, that changes something on
    the platform (or any, with ``any_action``); the others met on the way are rejected."""
    for campaign_id in _GENERATED:
        body = await wait_status(api, await analyze(api, campaign_id), "pending_review", "failed")
        assert body["status"] == "pending_review", body
        recommended = body["recommendation"]["recommended_action"]
        if any_action or recommended != "Continue Monitoring":
            return body
        await decide(api, body["recommendation_id"], "rejected", body["revision"])
    raise AssertionError(f"all {GENERATED_CAMPAIGNS} generated campaigns are used up")


async def pending_after(api: httpx.AsyncClient, rec_id: str, revision: int) -> dict:
    """The recommendation once a revision newer than ``revision`` is pending review."""

    async def check() -> dict | None:
        body = (await api.get(f"{BASE}/{rec_id}", headers=CLIENT)).json()
        newer = body["status"] == "pending_review" and body["revision"] > revision
        return body if newer else None

    return await poll(check, f"{rec_id} past revision {revision}", 60)


async def decide(
    api: httpx.AsyncClient, rec_id: str, decision: str, revision: int, **extra: object
) -> httpx.Response:
    return await api.post(
        f"{BASE}/{rec_id}/decision",
        json={"decision": decision, "revision": revision, **extra},
        headers=REVIEWER,
    )


async def test_two_concurrent_approvals_exactly_one_succeeds_the_other_is_told(clients):
    api, simulator = clients
    body = await pending_change(api)
    rec_id = body["recommendation_id"]

    first, second = await asyncio.gather(
        decide(api, rec_id, "approved", body["revision"]),
        api.post(
            f"{BASE}/{rec_id}/decision",
            json={"decision": "approved", "revision": body["revision"]},
            headers=ADMIN,
        ),
    )

    assert sorted([first.status_code, second.status_code]) == [202, 409]
    refused = first if first.status_code == 409 else second
    assert refused.json()["error"]["code"] == "already_decided"
    assert f"revision {body['revision']}" in refused.json()["error"]["message"]
    done = await wait_status(api, rec_id, "executed", "completed", "failed")
    assert done["status"] != "failed"
    assert len(await mutations(simulator, body["campaign_id"])) == 1


async def test_approval_racing_reanalysis_20_trials_one_wins_the_other_is_told(clients):
    api, simulator = clients
    winners = []
    for _ in range(20):
        body = await pending_change(api, any_action=True)
        rec_id, revision = body["recommendation_id"], body["revision"]
        approval, reanalysis = await asyncio.gather(
            decide(api, rec_id, "approved", revision),
            api.post(f"{BASE}/{rec_id}/reanalyze", json={"feedback": "race"}, headers=REVIEWER),
        )
        codes = (approval.status_code, reanalysis.status_code)
        assert sorted(codes) == [202, 409], (approval.text, reanalysis.text)
        if approval.status_code == 202:
            approved = approval.json()["revision"]
            assert reanalysis.json()["error"]["code"] in ("already_decided", "not_pending")
            winners.append("approval")
        else:
            assert approval.json()["error"]["code"] in ("reanalysis_requested", "not_pending")
            new = await pending_after(api, rec_id, revision)
            answer = await decide(api, rec_id, "approved", new["revision"])
            assert answer.status_code == 202, answer.text
            approved = answer.json()["revision"]
            winners.append("reanalysis")
        done = await wait_status(api, rec_id, "executed", "completed", "superseded", "failed")
        assert done["status"] != "failed", done
        assert done["decision"]["revision"] == approved
        if done["execution"] and done["execution"]["applied"]:
            assert done["execution"]["idempotency_key"] == f"{rec_id}:r{approved}"
    assert len(winners) == 20


async def test_two_approved_plans_on_one_campaign_one_executes_the_other_is_superseded(
    clients,
):
    api, simulator = clients
    body = await pending_change(api)
    campaign_id = body["campaign_id"]
    second = await wait_status(
        api,
        (
            await api.post(
                f"{BASE}/analyze",
                json={"campaign_id": campaign_id, "force_refresh": True},
                headers=CLIENT,
            )
        ).json()["recommendation_id"],
        "pending_review",
    )
    # Slow writes: the first change is still on the wire when the second is approved.
    fault = {"endpoint": "actions", "kind": "latency", "latency_seconds": 2.0, "count": 1}
    assert (await simulator.post("/admin/faults", json=fault)).status_code == 201
    try:
        answers = [
            await decide(api, body["recommendation_id"], "approved", body["revision"]),
            await decide(api, second["recommendation_id"], "approved", second["revision"]),
        ]
    finally:
        await simulator.delete("/admin/faults")

    assert [a.status_code for a in answers] == [202, 202], [a.text for a in answers]
    ends = [
        await wait_status(api, rec["recommendation_id"], "executed", "superseded", "failed")
        for rec in (body, second)
    ]
    assert sorted(e["status"] for e in ends) == ["executed", "superseded"]
    superseded = next(e for e in ends if e["status"] == "superseded")
    assert "cooldown" in superseded["status_reason"]
    assert len(await mutations(simulator, campaign_id)) == 1


async def test_a_plan_whose_creatives_were_already_rotated_is_superseded(clients):
    api, simulator = clients
    campaign_id = "cmp-fatigue-01"  # creative fatigue by design: a Creative Refresh
    await simulator.post("/admin/reset")
    rec_id = await analyze(api, campaign_id)
    body = await wait_status(api, rec_id, "pending_review")
    assert body["recommendation"]["recommended_action"] == "Creative Refresh", body
    planned = body["recommendation"]["parameters"]["creative_ids"]
    # Someone rotates the creatives in the platform's own UI before the approval lands.
    rotated = await simulator.post(
        f"/campaigns/{campaign_id}/actions",
        json={"action": "Creative Refresh", "parameters": {"creative_ids": planned}},
        headers={"Idempotency-Key": "by-hand-in-the-platform-ui"},
    )
    assert rotated.status_code == 200, rotated.text

    # (Another test changed this campaign inside the cooldown: override it, the premise
    # check is what this test is about.)
    answer = await decide(api, rec_id, "approved", body["revision"], override_cooldown=True)
    assert answer.status_code == 202, answer.text
    done = await wait_status(api, rec_id, "superseded", "executed", "failed")

    assert done["status"] == "superseded", done
    assert "already rotated" in done["status_reason"]
    assert len(await mutations(simulator, campaign_id)) == 1  # only the hand-made change


async def test_the_cooldown_refuses_a_second_change_unless_a_reviewer_overrides_it(clients):
    api, simulator = clients
    first = await pending_change(api)
    campaign_id = first["campaign_id"]
    assert (await decide(api, first["recommendation_id"], "approved", 1)).status_code == 202
    await wait_status(api, first["recommendation_id"], "executed", "completed")
    again = await api.post(
        f"{BASE}/analyze", json={"campaign_id": campaign_id, "force_refresh": True}, headers=CLIENT
    )
    second = await wait_status(api, again.json()["recommendation_id"], "pending_review")

    refused = await decide(api, second["recommendation_id"], "approved", second["revision"])
    overridden = await decide(
        api, second["recommendation_id"], "approved", second["revision"], override_cooldown=True
    )

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "cooldown_active"
    assert first["recommendation_id"] in refused.json()["error"]["message"]
    assert "override_cooldown" in refused.json()["error"]["message"]
    assert overridden.status_code == 202, overridden.text
    done = await wait_status(api, second["recommendation_id"], "executed", "superseded", "failed")
    assert done["decision"]["override_cooldown"] is True
    assert done["status"] in ("executed", "superseded")  # superseded only if its premise moved


async def test_a_dot_dot_campaign_id_is_refused_and_reaches_no_other_platform_path(clients):
    api, simulator = clients
    clock = (await simulator.post("/admin/clock/advance", json={"days": 1})).json()

    for bad in ("../admin/reset", "..", "a/../../admin/reset", "cmp..01"):
        response = await api.post(f"{BASE}/analyze", json={"campaign_id": bad}, headers=CLIENT)
        assert response.status_code == 422, (bad, response.text)
    history = await api.get("/api/v1/campaigns/..%2Fadmin%2Freset/history", headers=CLIENT)
    assert history.status_code in (404, 422)

    # No request reached /admin/reset: the simulated clock did not go back.
    assert (await simulator.get("/admin/clock")).json() == clock
