"""LLM calls are bounded by configurable concurrency and rate, never by the worker (DESIGN §8):
LLM_MAX_CONCURRENCY requests in flight per worker process at most, LLM_REQUESTS_PER_MINUTE
started per minute; calls over the bound wait instead of failing."""

from __future__ import annotations

import asyncio
import time

import pytest
from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
from temporalio.testing import ActivityEnvironment

from activities.llm.reasoner import LLMReasoner
from activities.llm.throttle import CallLimiter
from activities.reasoning import (
    ReasoningActivities,
    RulesReasoner,
    build_reasoner,
    close_reasoner,
)
from domain.lifecycle import AnalysisInput, CritiqueInput, ReasoningStep
from settings import Settings
from tests.llm.fake_providers import FakeProvider
from tests.llm.harness import llm_settings
from tests.llm.test_reasoner import context
from tests.workflows.doubles import analysis


async def run_six_activities(fake: FakeProvider, settings: Settings) -> None:
    """Six reasoning activities of one worker at once, two of each kind."""
    reasoner = build_reasoner(settings)
    activities = ReasoningActivities(reasoner)
    env = ActivityEnvironment()
    ctx = context()
    step = ReasoningStep(context=ctx, analysis=analysis())
    recommendation = await RulesReasoner().recommend(step)
    fake.delay = 0.3
    critique = CritiqueInput(context=ctx, analysis=analysis(), recommendation=recommendation)
    try:
        answers = await asyncio.gather(
            *[env.run(activities.analyze_signals, AnalysisInput(context=ctx)) for _ in range(2)],
            *[env.run(activities.generate_recommendation, step) for _ in range(2)],
            *[env.run(activities.critique_recommendation, critique) for _ in range(2)],
        )
    finally:
        await close_reasoner(reasoner)
    assert all(answer.usage for answer in answers)
    assert len(fake.seen) == 6


async def test_at_most_llm_max_concurrency_requests_are_in_flight(fake: FakeProvider) -> None:
    await run_six_activities(fake, llm_settings(fake, llm_max_concurrency=2))

    assert fake.max_in_flight == 2


async def test_the_default_concurrency_lets_six_calls_run_together(
    openai_fake: FakeProvider,
) -> None:
    await run_six_activities(openai_fake, llm_settings(openai_fake))

    assert openai_fake.max_in_flight == 6  # the default bound (8) is not reached


async def test_calls_over_the_rate_wait_for_capacity(openai_fake: FakeProvider) -> None:
    settings = llm_settings(openai_fake)
    reasoner = build_reasoner(settings)
    assert isinstance(reasoner, LLMReasoner)
    reasoner.limiter = CallLimiter(8, RateLimitItemPerSecond(2))  # per minute is slow to test
    inp = AnalysisInput(context=context())
    began = time.monotonic()  # the fake server runs in this process: the same clock
    try:
        answers = await asyncio.gather(*[reasoner.analyze(inp) for _ in range(4)])
    finally:
        await close_reasoner(reasoner)

    assert len(answers) == 4  # nobody failed: the last two waited
    # Measured from before the first call, not from the first arrival (which a loaded machine
    # can delay): the window lets two in at once and the third no sooner than a second later.
    arrived = sorted(seen.at - began for seen in openai_fake.seen)
    assert arrived[1] < 0.9
    assert arrived[2] >= 1.0


async def test_the_limits_come_from_the_settings(openai_fake: FakeProvider) -> None:
    tuned = build_reasoner(
        llm_settings(openai_fake, llm_max_concurrency=3, llm_requests_per_minute=90)
    )
    default = build_reasoner(llm_settings(openai_fake))
    await close_reasoner(tuned)
    await close_reasoner(default)

    assert isinstance(tuned, LLMReasoner) and isinstance(default, LLMReasoner)
    assert tuned.limiter.max_concurrency == 3
    assert tuned.limiter.rate == RateLimitItemPerMinute(90)
    assert default.limiter.max_concurrency == 8 and default.limiter.rate is None


@pytest.mark.parametrize("value", [0, -1])
def test_a_concurrency_below_one_is_refused(value: int) -> None:
    with pytest.raises(ValueError, match="llm_max_concurrency"):
        Settings(_env_file=None, llm_max_concurrency=value)
