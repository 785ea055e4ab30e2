"""The harness: the lifecycle's reasoning loop, failures recorded not fatal, per-case usage."""

from __future__ import annotations

from activities.reasoning import RulesReasoner
from domain.lifecycle import CritiqueInput, LifecyclePolicy
from domain.recommendation import Critique
from evals.harness import run_cases
from evals.pipeline import reason_about
from evals.summary import summarize
from tests.evals.fakes import FailsOn, Metered, NeverSatisfied, small_set

POLICY = LifecyclePolicy()


async def test_one_failing_case_is_reported_and_the_rest_still_run() -> None:
    cases = small_set()
    doomed = cases[2].id
    results = await run_cases(cases, FailsOn(doomed), POLICY, concurrency=3)

    assert [r.case_id for r in results] == [c.id for c in cases]  # dataset order
    failed = [r for r in results if r.failed]
    assert [r.case_id for r in failed] == [doomed]
    assert failed[0].error == "RuntimeError: provider timed out"
    assert failed[0].predicted_action is None
    assert all(r.predicted_action for r in results if not r.failed)

    summary = summarize(results)
    assert summary.failed == 1
    # a failure counts as a miss, shown in the ERROR column of its expected action's row
    assert summary.agreed <= len(cases) - 1
    row = summary.confusion_labels.index(results[2].expected_action)
    assert summary.confusion[row][-1] == 1
    assert any(m.case_id == doomed and m.error for m in summary.misses)


async def test_regeneration_stops_after_two_more_attempts_and_says_so() -> None:
    reasoner = NeverSatisfied()
    case = small_set()[0]
    result = await reason_about(case.context, reasoner, POLICY)

    assert result.attempts == 3 and result.regenerations == 2
    assert reasoner.drafts == 3
    assert any(
        "Critique unresolved after 3 attempts" in f for f in result.recommendation.risk_factors
    )


async def test_max_regenerations_comes_from_the_policy() -> None:
    reasoner = NeverSatisfied()
    result = await reason_about(
        small_set()[0].context, reasoner, LifecyclePolicy(max_regenerations=0)
    )
    assert result.attempts == 1 and reasoner.drafts == 1


async def test_the_reviewer_sees_the_critiques_confidence() -> None:
    result = await reason_about(small_set()[0].context, RulesReasoner(), POLICY)
    assert result.recommendation.confidence == result.critique.adjusted_confidence


async def test_partial_context_marks_the_recommendation_degraded() -> None:
    partial = next(c for c in small_set(per_action=8) if c.context.is_partial)
    result = await reason_about(partial.context, RulesReasoner(), POLICY)
    assert result.recommendation.degraded
    assert any(r.startswith("missing ") for r in result.recommendation.degraded_reasons)


async def test_usage_is_counted_per_case_even_when_cases_run_concurrently() -> None:
    cases = small_set()
    results = await run_cases(cases, Metered(), POLICY, concurrency=6)
    for case, result in zip(cases, results, strict=True):
        assert result.usage is not None
        assert result.usage.calls == 1
        assert result.usage.input_tokens == len(case.context.campaign.campaign_id)
    summary = summarize(results)
    assert summary.cost_usd_total == sum(r.usage.cost_usd for r in results if r.usage)


async def test_the_rules_reasoner_reports_no_usage() -> None:
    results = await run_cases(small_set(), RulesReasoner(), POLICY)
    assert all(r.usage is None for r in results)
    assert summarize(results).tokens_per_case is None


class ThinEvidence(RulesReasoner):
    """Its critique finds nothing wrong, but the confidence stays low."""

    name = "thin-evidence"

    async def critique(self, inp: CritiqueInput) -> Critique:
        return Critique(issues=[], adjusted_confidence=0.3, summary="no issues")


async def test_a_low_confidence_without_issues_is_explained_as_weak_evidence() -> None:
    result = await reason_about(small_set()[0].context, ThinEvidence(), POLICY)

    assert result.attempts == 3
    assert any(
        "Low confidence: 0.30 stayed under the 0.50 minimum after 3 attempts" in f
        for f in result.recommendation.risk_factors
    )
    assert not any("unresolved" in f for f in result.recommendation.risk_factors)


class FlatteringCritic(RulesReasoner):
    """A critic that declares every draft near-certain."""

    name = "flattering"

    async def critique(self, inp: CritiqueInput) -> Critique:
        return Critique(issues=[], adjusted_confidence=0.99, summary="perfect")


async def test_a_critic_cannot_raise_the_drafts_confidence() -> None:
    flattered = await reason_about(small_set()[0].context, FlatteringCritic(), POLICY)

    assert flattered.recommendation.confidence < 0.99  # the draft's own confidence stands
