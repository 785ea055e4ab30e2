"""Run every case of a dataset through a reasoner, with bounded concurrency.

One failing case (the reasoner raises, a guardrail refuses its answer) is recorded as a failed
result with its error, never fatal to the run: the report shows it and the metrics count it as
a miss, so a reasoner cannot raise its agreement by crashing on hard cases.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from pydantic import BaseModel

from activities.reasoning import Reasoner
from domain.lifecycle import LifecyclePolicy
from domain.recommendation import Recommendation
from evals.dataset import EvalCase
from evals.pipeline import reason_about
from evals.usage import Usage, case_meter

DEFAULT_CONCURRENCY = 8

# Called after each case with (cases done, cases in total, the result).
ProgressCallback = Callable[[int, int, "CaseResult"], None]


class CaseResult(BaseModel):
    case_id: str
    tags: list[str]
    expected_action: str
    expected_root_cause: str | None
    acceptable_actions: list[str] | None = None  # oracle-labelled cases: within noise of the best
    predicted_action: str | None = None
    predicted_root_cause: str | None = None
    confidence: float | None = None
    attempts: int | None = None
    degraded: bool = False
    latency_ms: float
    usage: Usage | None = None  # None when the reasoner reported no model calls
    error: str | None = None
    recommendation: Recommendation | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def correct(self) -> bool:
        return not self.failed and self.predicted_action == self.expected_action

    @property
    def acceptable(self) -> bool | None:
        """Whether the answer is in the oracle's acceptable set (None: the case has none)."""
        if self.acceptable_actions is None:
            return None
        return not self.failed and self.predicted_action in self.acceptable_actions

    @property
    def regenerated(self) -> bool:
        return (self.attempts or 0) > 1


async def run_case(case: EvalCase, reasoner: Reasoner, policy: LifecyclePolicy) -> CaseResult:
    expected = {
        "case_id": case.id,
        "tags": case.tags,
        "expected_action": case.expected_action.value,
        "expected_root_cause": case.expected_root_cause.value if case.expected_root_cause else None,
        "acceptable_actions": [a.value for a in case.acceptable_actions]
        if case.acceptable_actions
        else None,
    }
    started = time.perf_counter()
    with case_meter() as usage:
        try:
            result = await reason_about(case.context, reasoner, policy)
        except Exception as err:  # one bad case must not end the run: record it and go on
            return CaseResult(
                **expected,
                latency_ms=_elapsed_ms(started),
                usage=_reported(usage),
                error=f"{type(err).__name__}: {err}",
            )
    rec = result.recommendation
    return CaseResult(
        **expected,
        predicted_action=rec.recommended_action.value,
        predicted_root_cause=rec.root_cause.value,
        confidence=rec.confidence,
        attempts=result.attempts,
        degraded=rec.degraded,
        latency_ms=_elapsed_ms(started),
        usage=_reported(usage),
        recommendation=rec,
    )


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def _reported(usage: Usage) -> Usage | None:
    return usage.model_copy() if usage.calls else None


async def run_cases(
    cases: Sequence[EvalCase],
    reasoner: Reasoner,
    policy: LifecyclePolicy,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: ProgressCallback | None = None,
) -> list[CaseResult]:
    """Results in dataset order, whatever order the cases finish in."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    gate = asyncio.Semaphore(concurrency)
    done = 0

    async def one(case: EvalCase) -> CaseResult:
        nonlocal done
        async with gate:
            result = await run_case(case, reasoner, policy)
        done += 1
        if progress is not None:
            progress(done, len(cases), result)
        return result

    # gather runs each case in its own task, which also isolates each case's usage meter.
    return list(await asyncio.gather(*(one(case) for case in cases)))
