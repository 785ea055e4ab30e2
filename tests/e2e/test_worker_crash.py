"""A worker killed while it executes an approved action: a new worker finishes the run, and the
ad platform sees exactly one mutation."""

from __future__ import annotations

import httpx
import pytest
from temporalio.api.enums.v1 import PendingActivityState

from tests.e2e.conftest import Stack
from tests.e2e.test_lifecycle import REVIEWER, analyze, mutations, poll, wait_status
from workflows.messages import campaign_changes_id

pytestmark = pytest.mark.e2e

CAMPAIGN = "cmp-competition-02"
RETRY_SECONDS = 60  # the execute_action heartbeat timeout (10 s) lapses before the retry


async def execute_action_in_flight(stack: Stack, campaign_id: str) -> bool:
    """The campaign's change queue (which runs approved changes) is writing right now."""
    queue = stack.client.get_workflow_handle(campaign_changes_id(campaign_id))
    description = await queue.describe()
    return any(
        activity.activity_type.name == "execute_action"
        and activity.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
        for activity in description.raw_description.pending_activities
    )


async def test_killed_worker_mid_execution_applies_the_action_exactly_once(stack: Stack):
    async with (
        httpx.AsyncClient(base_url=stack.api_url, timeout=15) as api,
        httpx.AsyncClient(base_url=stack.simulator_url, timeout=15) as simulator,
    ):
        await simulator.post("/admin/reset")
        rec_id = await analyze(api, CAMPAIGN)
        body = await wait_status(api, rec_id, "pending_review")

        # Slow the platform down so the execution is still in flight when the worker dies.
        fault = {"endpoint": "actions", "kind": "latency", "latency_seconds": 3.0}
        assert (await simulator.post("/admin/faults", json=fault)).status_code in (200, 201)
        response = await api.post(
            f"/api/v1/recommendations/{rec_id}/decision",
            # Another test changed this campaign inside the cooldown; this one is about crashes.
            json={"decision": "approved", "revision": body["revision"], "override_cooldown": True},
            headers=REVIEWER,
        )
        assert response.status_code == 202, response.text

        await poll(lambda: execute_action_in_flight(stack, CAMPAIGN), "execute_action to start")
        stack.worker.kill()
        await simulator.delete("/admin/faults")
        stack.start_worker()

        body = await wait_status(api, rec_id, "executed", "completed", within=RETRY_SECONDS)
        assert body["execution"]["applied"] is True
        assert len(await mutations(simulator, CAMPAIGN)) == 1
