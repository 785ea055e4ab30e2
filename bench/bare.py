"""The lifecycle's shape with no-op activities: the bare-Temporal baseline of `bench.lifecycle`.

5 collectors in parallel, 3 reasoning steps in sequence, a wait for a reviewer's signal, then 2
more steps (execute, measure): 10 activities and a signal, on the SDK's defaults, with nothing
of ours in it (no store, no API, no simulator, no data converter).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import activity, workflow

COLLECTORS = ("campaign", "creative", "competitor", "audience", "history")
REASONING = ("diagnose", "generate", "critique")
AFTER_REVIEW = ("execute", "measure")
TIMEOUT = timedelta(seconds=60)


@activity.defn(name="bench_noop")
async def noop(step: str) -> str:
    return step


@workflow.defn(name="BenchBareLifecycle")
class BareLifecycle:
    def __init__(self) -> None:
        self.approved = False

    @workflow.signal
    def approve(self) -> None:
        self.approved = True

    @workflow.run
    async def run(self) -> str:
        await asyncio.gather(
            *(
                workflow.execute_activity(noop, step, start_to_close_timeout=TIMEOUT)
                for step in COLLECTORS
            )
        )
        for step in REASONING:
            await workflow.execute_activity(noop, step, start_to_close_timeout=TIMEOUT)
        await workflow.wait_condition(lambda: self.approved)
        for step in AFTER_REVIEW:
            await workflow.execute_activity(noop, step, start_to_close_timeout=TIMEOUT)
        return "completed"
