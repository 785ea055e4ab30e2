"""The LLM reasoner on its own (no Temporal): answer classification, validation and re-asks,
the response cache, the cost budget, eval usage and the judge, against the fake providers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from activities import metrics
from activities.llm import errors
from activities.llm.answers import RecommendationAnswer, json_schema
from activities.llm.factory import LLMSetupError
from activities.llm.reasoner import LLMReasoner
from activities.reasoning import RulesReasoner, build_reasoner, close_reasoner
from domain.context import CampaignContext
from domain.lifecycle import AnalysisInput, LifecyclePolicy, ReasoningStep
from domain.outcome import ImpactMetric
from domain.recommendation import ActionType
from evals import judge as judge_module
from evals.dataset import EvalCase
from evals.harness import run_case
from evals.pipeline import reason_about
from evals.reasoners import ReasonerChoice, make_reasoner
from settings import Settings, get_settings
from tests.llm import answers
from tests.llm.fake_providers import Answer, FakeProvider, Refusal, Truncated
from tests.llm.harness import llm_settings
from tests.workflows.doubles import (
    analysis,
    audience,
    campaign_metrics,
    competitors,
    creatives,
    history,
)


def context(**campaign_changes: Any) -> CampaignContext:
    return CampaignContext(
        campaign=campaign_metrics(**campaign_changes),
        creatives=creatives(),
        competitors=competitors(),
        audience=audience(),
        history=history(),
    )


@asynccontextmanager
async def reasoner_for(settings: Settings) -> AsyncIterator[LLMReasoner]:
    reasoner = build_reasoner(settings)
    assert isinstance(reasoner, LLMReasoner)
    try:
        yield reasoner
    finally:
        await close_reasoner(reasoner)


def step() -> ReasoningStep:
    return ReasoningStep(context=context(), analysis=analysis())


@pytest.mark.parametrize(
    ("behaviour", "error_type"),
    [(Truncated(), errors.TRUNCATED), (Refusal(), errors.REFUSED)],
    ids=["truncated", "refused"],
)
async def test_truncated_and_refused_answers_are_classified_and_final(
    fake: FakeProvider, behaviour: Truncated | Refusal, error_type: str
) -> None:
    fake.then(behaviour)
    async with reasoner_for(llm_settings(fake)) as reasoner:
        with pytest.raises(ApplicationError) as failure:
            await reasoner.analyze(AnalysisInput(context=context()))
    assert failure.value.type == error_type
    assert failure.value.non_retryable
    assert len(fake.seen) == 1  # not re-asked: the same request would end the same way


async def test_numbers_out_of_range_are_re_asked_with_the_validation_error(
    fake: FakeProvider,
) -> None:
    fake.then(Answer(answers.recommendation(confidence=1.7)), Answer())
    async with reasoner_for(llm_settings(fake)) as reasoner:
        rec = await reasoner.recommend(step())
    assert rec.confidence == 0.8
    repair = fake.calls("recommendation")[1].user_text
    assert "confidence: Input should be less than or equal to 1" in repair


@pytest.mark.parametrize("metric", ["ROAS", "CPA (cost per acquisition)"])
async def test_an_impact_metric_outcome_judging_cannot_measure_is_re_asked(
    fake: FakeProvider, metric: str
) -> None:
    impact = {**answers.recommendation()["expected_impact"], "metric": metric}
    fake.then(Answer(answers.recommendation(expected_impact=impact)), Answer())
    async with reasoner_for(llm_settings(fake)) as reasoner:
        rec = await reasoner.recommend(step())

    assert rec.expected_impact.metric == "cpa"
    first, repair = fake.calls("recommendation")
    assert "expected_impact.metric: Input should be 'cpa'" in repair.user_text
    assert [call.repair for call in rec.usage] == [False, True]


def test_the_answer_schema_offers_exactly_the_measurable_metrics() -> None:
    schema = json_schema(RecommendationAnswer)
    metric = schema["properties"]["expected_impact"]["properties"]["metric"]
    assert metric["type"] == "string"
    assert set(metric["enum"]) == set(ImpactMetric)
    assert metric["description"] == "the campaign metric expected to move"


async def test_an_action_outside_the_six_fails_the_step_after_one_re_ask(
    openai_fake: FakeProvider,
) -> None:
    unknown = Answer(answers.recommendation(recommended_action="Double The Budget"))
    openai_fake.then(unknown, unknown)
    async with reasoner_for(llm_settings(openai_fake)) as reasoner:
        with pytest.raises(ApplicationError) as failure:
            await reasoner.recommend(step())
    err = failure.value
    assert err.type == errors.INVALID_OUTPUT and err.non_retryable
    assert "recommended_action: Input should be 'Creative Refresh'" in err.message
    # Both calls are reported, so the run still accounts for what they cost.
    assert [d["repair"] for d in err.details] == [False, True]
    assert all(d["cost_usd"] > 0 for d in err.details)


async def test_a_cached_answer_costs_nothing_and_skips_the_provider(
    fake: FakeProvider, database_url: str
) -> None:
    settings = llm_settings(fake, llm_cache=True, database_url=database_url)
    inp = AnalysisInput(context=context())
    async with reasoner_for(settings) as first:
        fresh = await first.analyze(inp)
    async with reasoner_for(settings) as second:  # another worker process, same database
        again = await second.analyze(inp)
        other = await second.analyze(AnalysisInput(context=context(cpa_change_pct=12.0)))

    assert [call.cached for call in fresh.usage] == [False]
    assert [call.cached for call in again.usage] == [True]
    assert again.usage[0].cost_usd == 0 and again.usage[0].input_tokens == 0
    assert again.primary_root_cause == fresh.primary_root_cause
    assert [call.cached for call in other.usage] == [False]  # another context: asked
    assert len(fake.seen) == 2


async def test_an_eval_re_run_with_the_cache_costs_nothing(
    openai_fake: FakeProvider, database_url: str
) -> None:
    settings = llm_settings(openai_fake, llm_cache=True, database_url=database_url)
    case = EvalCase(id="c1", context=context(), expected_action=ActionType.bid_adjustment)
    reasoner = make_reasoner(ReasonerChoice("openai"), settings)
    try:
        first = await run_case(case, reasoner, LifecyclePolicy())
        calls_after_first = len(openai_fake.seen)
        second = await run_case(case, reasoner, LifecyclePolicy())
    finally:
        await close_reasoner(reasoner.inner)

    assert first.correct and second.correct
    assert first.usage.calls == 3 and first.usage.cost_usd > 0
    assert second.usage.calls == 3 and second.usage.cost_usd == 0
    assert len(openai_fake.seen) == calls_after_first


def critique_with_a_critical_issue(schema_name: str, request: dict[str, Any]) -> dict[str, Any]:
    if schema_name != "critique":
        return answers.brain(schema_name, request)
    issue = {"severity": "CRITICAL", "code": "weak_evidence", "description": "unconvinced"}
    return {"issues": [issue], "adjusted_confidence": 0.3, "summary": "critical issue"}


@pytest.mark.parametrize(("budget", "attempts"), [(None, 3), (0.000001, 1)])
async def test_the_cost_budget_stops_further_regenerations(
    openai_fake: FakeProvider, budget: float | None, attempts: int
) -> None:
    openai_fake.brain = critique_with_a_critical_issue
    policy = LifecyclePolicy(max_llm_cost_usd=budget)
    async with reasoner_for(llm_settings(openai_fake)) as reasoner:
        result = await reason_about(context(), reasoner, policy)

    assert result.attempts == attempts
    stopped = [r for r in result.recommendation.risk_factors if "LLM cost budget" in r]
    assert bool(stopped) == (budget is not None)


def test_the_default_reasoner_needs_no_key() -> None:
    assert isinstance(build_reasoner(Settings(_env_file=None)), RulesReasoner)


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_an_llm_reasoner_without_a_key_refuses_to_start(
    provider: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("LLM_API_KEY", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(LLMSetupError, match=r"provider needs an API key.*REASONER=rules"):
        build_reasoner(Settings(_env_file=None, reasoner=provider))


async def test_a_local_openai_compatible_server_needs_no_key(
    openai_fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("LLM_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(variable, raising=False)
    settings = Settings(_env_file=None, reasoner="openai", llm_base_url=openai_fake.base_url)
    reasoner = build_reasoner(settings)
    await close_reasoner(reasoner)
    assert reasoner.name == "openai"


def verdict(_schema_name: str, _request: dict[str, Any]) -> dict[str, Any]:
    score = {"score": 4, "strengths": ["cites the numbers"], "weaknesses": []}
    return {name: score for name in judge_module.CRITERIA}


@pytest.fixture
def judge_env(openai_fake: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The judge reads the process settings: point them at the fake."""
    monkeypatch.setenv("LLM_BASE_URL", openai_fake.base_url)
    monkeypatch.setenv("LLM_API_KEY", "test-key")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("judge_env")
async def test_the_judge_scores_on_the_configured_provider_and_is_metered(
    openai_fake: FakeProvider,
) -> None:
    openai_fake.brain = verdict
    before = metrics.REGISTRY.get_sample_value(
        "llm_tokens_total", {"model": "gpt-4o-mini", "operation": "judge"}
    )
    judge, message = judge_module.judge_from_env({"JUDGE_MODEL": "openai:gpt-4o-mini"})
    assert judge is not None, message
    case = EvalCase(id="c1", context=context(), expected_action=ActionType.bid_adjustment)
    rec = await RulesReasoner().recommend(step())

    scored = await judge.judge(case, rec)

    assert scored.mean == 4
    after = metrics.REGISTRY.get_sample_value(
        "llm_tokens_total", {"model": "gpt-4o-mini", "operation": "judge"}
    )
    assert after > (before or 0)
    assert openai_fake.seen[0].schema_name == "judge_verdict"


def test_a_judge_without_a_key_is_skipped_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in ("LLM_API_KEY", "ANTHROPIC_API_KEY", "LLM_BASE_URL"):
        monkeypatch.delenv(variable, raising=False)
    get_settings.cache_clear()
    try:
        judge, message = judge_module.judge_from_env({"JUDGE_MODEL": "anthropic:claude-haiku-4-5"})
    finally:
        get_settings.cache_clear()
    assert judge is None
    assert message.startswith("judge: skipped (the anthropic provider needs an API key")
