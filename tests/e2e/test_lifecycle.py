"""End to end through the API: analyse, review, execute, measure; and the errors a user meets."""

from __future__ import annotations

import asyncio
import sys
import time

import httpx
import pytest

from evals.dataset import load_dataset
from tests.e2e.conftest import KEYS, Stack

pytestmark = pytest.mark.e2e

CLIENT = {"X-API-Key": KEYS["client"]}
REVIEWER = {"X-API-Key": KEYS["reviewer"]}
PHASE_SECONDS = 60


async def poll(check, what: str, within: float = PHASE_SECONDS):
    """Call `check` until it returns something truthy, or fail after `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.25)
    raise AssertionError(f"timed out after {within}s waiting for {what}")


async def analyze(api: httpx.AsyncClient, campaign_id: str) -> str:
    response = await api.post(
        "/api/v1/recommendations/analyze",
        json={"campaign_id": campaign_id, "force_refresh": True},
        headers=CLIENT,
    )
    assert response.status_code in (200, 202), response.text
    return response.json()["recommendation_id"]


async def wait_status(
    api: httpx.AsyncClient, rec_id: str, *statuses: str, within: float = PHASE_SECONDS
) -> dict:
    async def check():
        body = (await api.get(f"/api/v1/recommendations/{rec_id}", headers=CLIENT)).json()
        return body if body["status"] in statuses else None

    return await poll(check, f"{rec_id} to reach {statuses}", within)


async def mutations(simulator: httpx.AsyncClient, campaign_id: str) -> list[dict]:
    body = (await simulator.get("/admin/mutations")).json()
    return [m for m in body if m["campaign_id"] == campaign_id]


@pytest.fixture
async def clients(stack: Stack):
    async with (
        httpx.AsyncClient(base_url=stack.api_url, timeout=15) as api,
        httpx.AsyncClient(base_url=stack.simulator_url, timeout=15) as simulator,
    ):
        await simulator.post("/admin/reset")
        yield api, simulator


async def test_every_named_campaign_gets_an_acceptable_action_then_is_executed_and_measured(
    stack, clients
):
    api, simulator = clients
    # The world's truth, admin only: what each campaign was designed as, and the oracle. The
    # named demo campaigns carry a label; the generated ones (other tests use them) do not.
    labels = {
        row["campaign_id"]: row["label"] for row in (await simulator.get("/admin/campaigns")).json()
    }
    campaigns = [c for c in (await simulator.get("/campaigns")).json() if labels[c["campaign_id"]]]
    acceptable = {
        c["campaign_id"]: (
            await simulator.post("/admin/oracle", json={"campaign_id": c["campaign_id"]})
        ).json()["acceptable"]
        for c in campaigns
    }
    first_per_scenario = {labels[c["campaign_id"]]: c for c in reversed(campaigns)}
    ids = {c["campaign_id"]: await analyze(api, c["campaign_id"]) for c in campaigns}

    actions = set()
    for campaign in campaigns:
        body = await wait_status(api, ids[campaign["campaign_id"]], "pending_review", "failed")
        assert body["status"] == "pending_review", body
        action = body["recommendation"]["recommended_action"]
        assert action in acceptable[campaign["campaign_id"]], (campaign, acceptable)
        actions.add(action)
    assert len(actions) == 6  # the demo shows every action

    # Approve one campaign per scenario and check the platform and the outcome.
    for campaign in first_per_scenario.values():
        rec_id = ids[campaign["campaign_id"]]
        body = (await api.get(f"/api/v1/recommendations/{rec_id}", headers=CLIENT)).json()
        response = await api.post(
            f"/api/v1/recommendations/{rec_id}/decision",
            json={"decision": "approved", "feedback": "e2e", "revision": body["revision"]},
            headers=REVIEWER,
        )
        assert response.status_code == 202, response.text
        assert response.json()["reviewer"] == "e2e-reviewer"

    for campaign in first_per_scenario.values():
        rec_id = ids[campaign["campaign_id"]]
        body = await wait_status(api, rec_id, "executed", "completed", "failed")
        assert body["status"] != "failed", body
        action = body["recommendation"]["recommended_action"]
        applied = await mutations(simulator, campaign["campaign_id"])
        assert len(applied) == (0 if action == "Continue Monitoring" else 1), applied

    await simulator.post("/admin/clock/advance", json={"days": 3})
    for campaign in first_per_scenario.values():
        body = await wait_status(api, ids[campaign["campaign_id"]], "completed", "failed")
        outcome = body["outcome"]
        assert outcome is not None and outcome["summary"], body
        assert body["decision"]["reviewer"] == "e2e-reviewer"

    # Operators find a run in Temporal by campaign id.
    campaign_id = campaigns[0]["campaign_id"]

    async def visible():
        found = [wf.id async for wf in stack.client.list_workflows(f'CampaignId="{campaign_id}"')]
        return ids[campaign_id] in found

    await poll(visible, "the run to be searchable by CampaignId")

    history = await api.get(f"/api/v1/campaigns/{campaign_id}/history", headers=CLIENT)
    assert history.status_code == 200
    assert ids[campaign_id] in history.text

    # The measured runs become outcome-labelled eval cases, readable by the eval harness.
    exported = stack.tmp / "outcomes.jsonl"
    export = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "evals",
        "export",
        "--out",
        str(exported),
        env=stack.base_env,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(export.communicate(), timeout=60)
    assert export.returncode == 0, stderr.decode()
    cases = load_dataset(exported)
    labelled = {case.context.campaign.campaign_id for case in cases}
    successful = {
        c["campaign_id"]
        for c in first_per_scenario.values()
        if (
            await api.get(f"/api/v1/recommendations/{ids[c['campaign_id']]}", headers=CLIENT)
        ).json()["outcome"]["success"]
    }
    assert successful and successful <= labelled


async def test_rejection_changes_nothing_on_the_platform(stack, clients):
    api, simulator = clients
    campaign_id = "cmp-competition-01"
    rec_id = await analyze(api, campaign_id)
    body = await wait_status(api, rec_id, "pending_review")
    response = await api.post(
        f"/api/v1/recommendations/{rec_id}/decision",
        json={"decision": "rejected", "feedback": "not now", "revision": body["revision"]},
        headers=REVIEWER,
    )
    assert response.status_code == 202
    body = await wait_status(api, rec_id, "rejected")
    assert body["decision"]["feedback"] == "not now"
    assert await mutations(simulator, campaign_id) == []

    # A decision on a finished recommendation is a conflict, not a silent no-op.
    again = await api.post(
        f"/api/v1/recommendations/{rec_id}/decision",
        json={"decision": "approved", "feedback": ""},
        headers=REVIEWER,
    )
    assert again.status_code == 409


async def test_unknown_campaign_fails_with_a_clear_error(stack, clients):
    api, _ = clients
    rec_id = await analyze(api, "cmp-does-not-exist")
    body = await wait_status(api, rec_id, "failed")
    assert "cmp-does-not-exist" in body["error"] and "not found" in body["error"]


async def test_bad_requests_get_clear_4xx(stack, clients):
    api, _ = clients
    malformed = await api.post(
        "/api/v1/recommendations/analyze",
        content=b"{not json",
        headers={**CLIENT, "content-type": "application/json"},
    )
    assert malformed.status_code == 422
    no_key = await api.post("/api/v1/recommendations/analyze", json={"campaign_id": "x"})
    assert no_key.status_code == 401
    rec_id = await analyze(api, "cmp-steady-01")
    wrong_role = await api.post(
        f"/api/v1/recommendations/{rec_id}/decision",
        json={"decision": "approved"},
        headers=CLIENT,
    )
    assert wrong_role.status_code == 403
    unknown = await api.get("/api/v1/recommendations/rec-nope-00000000", headers=CLIENT)
    assert unknown.status_code == 404
