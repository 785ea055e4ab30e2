"""Temporal, not the SDK, waits out a platform's rate limit: the activity's advised delay
(next_retry_delay) is what the retry waits, on the time-skipping server with the real
collector and adapter against the Meta fake."""

from __future__ import annotations

import uuid
from datetime import timedelta

from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.common import RetryPolicy
from temporalio.worker import Worker

from activities.collectors import AdPlatformCollectors
from tests.fakes.meta_graph import Fault
from tests.workflows.harness import start_time_skipping_env
from workflows import activity_names as names


@workflow.defn(sandboxed=False)
class CollectCampaign:
    """The collect step alone, with a retry policy whose own backoff is one second."""

    @workflow.run
    async def run(self, campaign_id: str) -> float:
        metrics = await workflow.execute_activity(
            names.COLLECT_CAMPAIGN,
            campaign_id,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=1)
            ),
        )
        return metrics["spend"]


async def test_the_retry_waits_the_delay_meta_advised(meta, graph_server) -> None:  # noqa: ANN001
    graph_server.fake.faults.append(Fault(method="GET", kind="rate_limit", regain_minutes=2))
    env = await start_time_skipping_env()
    client = env.client
    queue = f"advised-delay-{uuid.uuid4().hex[:8]}"
    try:
        async with Worker(
            client,
            task_queue=queue,
            workflows=[CollectCampaign],
            activities=[AdPlatformCollectors(meta).collect_campaign],
        ):
            handle = await client.start_workflow(
                CollectCampaign.run, "act_1001:2001", id=queue, task_queue=queue
            )
            spend = await handle.result()
            events = [e async for e in handle.fetch_history_events()]
    finally:
        await env.shutdown()

    assert spend > 0
    scheduled = next(
        e for e in events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    )
    started = next(e for e in events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED)
    assert started.activity_task_started_event_attributes.attempt == 2
    waited = started.event_time.ToDatetime() - scheduled.event_time.ToDatetime()
    assert waited >= timedelta(minutes=2)  # not the policy's one second
