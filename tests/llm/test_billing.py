"""Every call a provider bills is accounted for: on the answer, in the error of a step that
failed after it (with the error's type, retryability and retry delay kept), for truncated and
refused answers, across the retried attempts of an activity, and the Prometheus counters agree
with the run's usage."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities import metrics
from activities.llm import errors
from activities.llm.reasoner import LLMReasoner
from activities.reasoning import ReasoningActivities, build_reasoner, close_reasoner
from domain.lifecycle import AnalysisInput
from domain.usage import LLMUsage, usages_in
from settings import Settings
from store import Store
from tests.llm.fake_providers import (
    Behaviour,
    FakeProvider,
    HttpError,
    Malformed,
    Refusal,
    Truncated,
)
from tests.llm.harness import llm_settings, run_lifecycle
from tests.llm.test_reasoner import context

CHEAP_MODEL = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5"}
JUDGE_SCHEMA = {"type": "object", "properties": {}, "required": [], "additionalProperties": False}


@asynccontextmanager
async def reasoner_for(settings: Settings) -> AsyncIterator[LLMReasoner]:
    reasoner = build_reasoner(settings)
    assert isinstance(reasoner, LLMReasoner)
    try:
        yield reasoner
    finally:
        await close_reasoner(reasoner)


class Counters:
    """The worker's LLM counters for one model and operation, as deltas since creation."""

    def __init__(self, model: str, operation: str) -> None:
        self.labels = {"model": model, "operation": operation}
        self.start = (self._value("llm_tokens_total"), self._value("llm_cost_usd_total"))

    def _value(self, name: str) -> float:
        return metrics.REGISTRY.get_sample_value(name, self.labels) or 0.0

    def tokens(self) -> float:
        return self._value("llm_tokens_total") - self.start[0]

    def cost(self) -> float:
        return self._value("llm_cost_usd_total") - self.start[1]

    def agree_with(self, usages: list[LLMUsage]) -> None:
        assert usages, "no usage recorded"
        assert self.tokens() == sum(u.input_tokens + u.output_tokens for u in usages)
        assert self.cost() == pytest.approx(sum(u.cost_usd for u in usages))


async def failed_analysis(fake: FakeProvider, *script: Behaviour) -> ApplicationError:
    fake.then(*script)
    async with reasoner_for(llm_settings(fake)) as reasoner:
        with pytest.raises(ApplicationError) as failure:
            await reasoner.analyze(AnalysisInput(context=context()))
    return failure.value


async def test_a_provider_error_on_the_re_ask_still_reports_the_billed_first_call(
    fake: FakeProvider,
) -> None:
    counters = Counters(CHEAP_MODEL[fake.wire], "analysis")
    err = await failed_analysis(fake, Malformed(), HttpError(503, retry_after="2"))

    assert err.type == errors.UNAVAILABLE
    assert not err.non_retryable  # still Temporal's to retry, after the provider's delay
    assert err.next_retry_delay == timedelta(seconds=2)
    assert "HTTP 503" in err.message
    usages = usages_in(err.details)
    assert [u.repair for u in usages] == [False]
    assert usages[0].input_tokens > 0 and usages[0].output_tokens > 0 and usages[0].cost_usd > 0
    counters.agree_with(usages)


@pytest.mark.parametrize(
    ("behaviour", "error_type"),
    [(Truncated(), errors.TRUNCATED), (Refusal(), errors.REFUSED)],
    ids=["truncated", "refused"],
)
async def test_truncated_and_refused_answers_are_billed(
    fake: FakeProvider, behaviour: Truncated | Refusal, error_type: str
) -> None:
    counters = Counters(CHEAP_MODEL[fake.wire], "analysis")
    err = await failed_analysis(fake, behaviour)

    assert err.type == error_type and err.non_retryable
    usages = usages_in(err.details)
    assert len(usages) == 1
    assert usages[0].input_tokens > 0 and usages[0].output_tokens > 0 and usages[0].cost_usd > 0
    assert usages[0].model == CHEAP_MODEL[fake.wire]
    counters.agree_with(usages)


async def test_a_truncated_re_ask_reports_both_calls(openai_fake: FakeProvider) -> None:
    counters = Counters("gpt-4o-mini", "analysis")
    err = await failed_analysis(openai_fake, Malformed(), Truncated())

    assert err.type == errors.TRUNCATED and err.non_retryable
    usages = usages_in(err.details)
    assert [u.repair for u in usages] == [False, True]
    counters.agree_with(usages)


async def test_a_retried_attempt_reports_the_calls_of_the_attempts_before_it(
    openai_fake: FakeProvider,
) -> None:
    """Attempt 1 was billed for an invalid answer and failed on the re-ask (503); attempt 2
    answers. Its result carries both attempts' calls, read back from the heartbeat details."""
    openai_fake.then(Malformed(), HttpError(503))
    env = ActivityEnvironment()
    heartbeats: list[tuple[object, ...]] = []
    env.on_heartbeat = lambda *details: heartbeats.append(details)
    inp = AnalysisInput(context=context())
    async with reasoner_for(llm_settings(openai_fake)) as reasoner:
        activities = ReasoningActivities(reasoner)
        with pytest.raises(ApplicationError) as first_attempt:
            await env.run(activities.analyze_signals, inp)
        billed = usages_in(first_attempt.value.details)
        assert usages_in(heartbeats[-1]) == billed

        env.info = dataclasses.replace(env.info, attempt=2, heartbeat_details=list(heartbeats[-1]))
        answer = await env.run(activities.analyze_signals, inp)

    assert len(billed) == 1
    assert answer.usage[0] == billed[0]
    assert [u.repair for u in answer.usage] == [False, False]
    assert answer.usage[1].cost_usd > 0


@pytest.mark.parametrize(
    ("script", "analysis_calls", "fell_back"),
    [
        # A billed invalid answer, a 503 on the re-ask; Temporal retries and attempt 2 answers.
        ((Malformed(), HttpError(503)), 2, False),
        # The same three times: retries run out and the rules reasoner answers.
        ((Malformed(), HttpError(503)) * 3, 3, True),
        # Truncated: final at once, the rules reasoner answers.
        ((Truncated(),), 1, True),
    ],
    ids=["retried", "retries-exhausted", "truncated"],
)
async def test_the_runs_usage_and_the_counters_agree_when_steps_fail(
    env: WorkflowEnvironment,
    openai_fake: FakeProvider,
    store: Store,
    script: tuple[Behaviour, ...],
    analysis_calls: int,
    fell_back: bool,
) -> None:
    openai_fake.then(*script)
    counters = Counters("gpt-4o-mini", "analysis")
    pending, _ = await run_lifecycle(env, llm_settings(openai_fake), store)

    calls = [c for c in pending.usage.calls if c.operation.value == "analysis"]
    assert len(calls) == analysis_calls
    assert all(c.input_tokens > 0 and c.cost_usd > 0 for c in calls)
    assert len(openai_fake.calls("signal_analysis")) == len(script) + (0 if fell_back else 1)
    counters.agree_with(calls)
    assert pending.recommendation.degraded is fell_back
    assert pending.usage.by_operation["analysis"].calls == analysis_calls


async def test_the_judge_bills_a_truncated_verdict(openai_fake: FakeProvider) -> None:
    """Any metered call, not only the reasoner's, reports what a truncated answer cost."""
    from activities.llm.factory import build_judge_completion

    openai_fake.then(Truncated())
    counters = Counters("gpt-4o-mini", "judge")
    complete = build_judge_completion(
        llm_settings(openai_fake), "openai", "gpt-4o-mini", JUDGE_SCHEMA, "v1"
    )
    with pytest.raises(ApplicationError) as failure:
        await complete("system", "user")
    assert failure.value.type == errors.TRUNCATED
    counters.agree_with(usages_in(failure.value.details))


def test_with_usage_keeps_the_error_and_replaces_its_usage() -> None:
    usage = LLMUsage(operation="analysis", provider="openai", model="m", prompt_version="v1")
    other = usage.model_copy(update={"input_tokens": 7})
    err = ApplicationError(
        "slow down",
        "a detail",
        usage.model_dump(mode="json"),
        type=errors.RATE_LIMITED,
        next_retry_delay=timedelta(seconds=3),
    )
    err.__cause__ = RuntimeError("sdk")

    carried = errors.with_usage(err, [usage, other])

    assert carried.message == "slow down" and carried.type == errors.RATE_LIMITED
    assert not carried.non_retryable and carried.next_retry_delay == timedelta(seconds=3)
    assert carried.details[0] == "a detail"
    assert usages_in(carried.details) == [usage, other]
    assert isinstance(carried.__cause__, RuntimeError)
