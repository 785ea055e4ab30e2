"""Shared machinery for workflow tests and the replay-history recorder.

DESIGN §7 trap: on the time-skipping server, every awaited ``result()`` unlocks time skipping;
several at once let time race ahead of running tasks. So each scenario awaits exactly one result,
and intermediate states are reached by polling the ``state`` query under a deadline (polling
does not unlock time skipping, so no review deadline fires while a test is still acting).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.common import SearchAttributeIndexedValueType
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.lifecycle import AnalyzeInput, LifecyclePolicy, LifecycleState
from tests.workflows.doubles import Doubles
from workers.worker import WORKFLOWS
from workflows.messages import campaign_changes_id
from workflows.recommendation import RecommendationWorkflow
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES, start_search_attributes

ROOT = Path(__file__).resolve().parents[2]
TEST_SERVER = ROOT / ".venv" / "bin" / "temporal-test-server"

_INDEXED_TYPES = {
    SearchAttributeIndexedValueType.KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    SearchAttributeIndexedValueType.DOUBLE: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
}


async def start_time_skipping_env() -> WorkflowEnvironment:
    """The time-skipping test server from the virtualenv (never downloaded)."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=str(TEST_SERVER)
    )
    await register_search_attributes(env.client)
    return env


async def register_search_attributes(client: Client, namespace: str = "default") -> None:
    """The test server accepts the same registration as the dev server (operator service)."""
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=namespace,
            search_attributes={
                key.name: _INDEXED_TYPES[key.indexed_value_type] for key in ALL_SEARCH_ATTRIBUTES
            },
        )
    )


def fast_policy(**changes: object) -> LifecyclePolicy:
    """The default policy (72 h review, 3-day outcome delay): time skipping makes it instant."""
    return LifecyclePolicy().model_copy(update=changes)


class Scenario:
    """One workflow run against a worker with doubles, on its own task queue."""

    def __init__(self, env: WorkflowEnvironment, doubles: Doubles | None = None) -> None:
        self.env = env
        self.doubles = doubles or Doubles()
        self.task_queue = f"tq-{uuid.uuid4().hex[:8]}"
        self.campaigns: set[str] = set()

    @property
    def store(self):  # noqa: ANN201 - the MemoryStore double
        return self.doubles.store

    @asynccontextmanager
    async def worker(self) -> AsyncIterator[Worker]:
        worker = Worker(
            self.env.client,
            task_queue=self.task_queue,
            workflows=WORKFLOWS,
            activities=self.doubles.activities(self.env.client),
        )
        async with worker:
            try:
                yield worker
            finally:
                await self.close_change_queues()

    async def close_change_queues(self) -> None:
        """A campaign's change queue outlives the run (it keeps the cooldown): once this
        scenario's worker is gone, its timers would stall time skipping for the next test."""
        # Cancelled, not terminated: the test server keeps time skipping locked for good when
        # a run is terminated while the worker holds one of its workflow tasks.
        for campaign_id in self.campaigns:
            handle = self.env.client.get_workflow_handle(campaign_changes_id(campaign_id))
            try:
                await handle.cancel()
                await handle.result()
            except (RPCError, WorkflowFailureError):
                pass  # never started, already closed, or now cancelled

    async def start(
        self, campaign_id: str | None = None, *, policy: LifecyclePolicy | None = None
    ) -> WorkflowHandle[RecommendationWorkflow, LifecycleState]:
        # A campaign of its own per scenario by default: a campaign's change queue outlives the
        # run (it keeps the cooldown) and would otherwise carry over into the next test.
        campaign_id = campaign_id or f"camp-{self.task_queue}"
        self.campaigns.add(campaign_id)
        recommendation_id = f"rec-{campaign_id}-{uuid.uuid4().hex[:8]}"
        return await self.env.client.start_workflow(
            RecommendationWorkflow.run,
            AnalyzeInput(
                recommendation_id=recommendation_id,
                campaign_id=campaign_id,
                policy=policy or fast_policy(),
            ),
            id=recommendation_id,
            task_queue=self.task_queue,
            search_attributes=start_search_attributes(campaign_id),
            execution_timeout=timedelta(days=30),
        )


async def wait_for_state(
    handle: WorkflowHandle,
    predicate: Callable[[LifecycleState], bool],
    *,
    within: float = 15.0,
) -> LifecycleState:
    """Poll the ``state`` query until ``predicate`` holds; fail with the last state seen."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    state: LifecycleState | None = None
    while loop.time() < deadline:
        state = await handle.query(RecommendationWorkflow.state)
        if predicate(state):
            return state
        await asyncio.sleep(0.05)
    last = state.model_dump(include={"status", "revision", "error"}) if state else None
    raise AssertionError(f"workflow state never matched within {within}s; last: {last}")


def pending_review(state: LifecycleState) -> bool:
    return state.status.value == "pending_review"


def past_the_change_queue(state: LifecycleState) -> bool:
    """Decided, and not waiting for the campaign's change queue to answer."""
    if state.status.value in ("analyzing", "pending_review"):
        return False
    if state.status.value != "approved":
        return True
    return not state.recommendation.recommended_action.is_executable


async def finish(handle: WorkflowHandle, *, within: float = 30.0) -> LifecycleState:
    """The run's result once its change went through the campaign's queue.

    Awaiting ``result()`` unlocks time skipping; with two workflows at work (the run and its
    campaign's change queue) time can race past the queue's pending tasks (DESIGN §7 trap).
    So first poll (which keeps time still) until the queue answered, then skip the outcome
    delay with ``result()``.
    """
    await wait_for_state(handle, past_the_change_queue, within=within)
    return await handle.result()
