"""Outcome metrics over lifecycle states, and the outcome-labelled export."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from activities.reasoning import RulesReasoner
from domain.context import CampaignContext
from domain.lifecycle import (
    Decision,
    DecisionKind,
    ExecutionResult,
    LifecyclePolicy,
    LifecycleState,
    Outcome,
    RecommendationStatus,
)
from domain.recommendation import ActionType, Recommendation
from evals.dataset import load_dataset, write_dataset
from evals.outcomes import improvement_pct, labelled_cases, outcome_metrics, render_outcomes
from evals.pipeline import reason_about
from tests.evals.fakes import small_set

NOW = datetime(2026, 1, 5, tzinfo=UTC)


async def recommendation_for(action: ActionType) -> tuple[Recommendation, CampaignContext]:
    case = next(c for c in small_set() if c.expected_action is action)
    result = await reason_about(case.context, RulesReasoner(), LifecyclePolicy())
    assert result.recommendation.recommended_action is action
    return result.recommendation, case.context


def outcome(success: bool, actual: float | None, expected: float, metric: str = "cpa") -> Outcome:
    return Outcome(
        campaign_id="c",
        metric=metric,
        before_value=10.0,
        after_value=None if actual is None else 10.0 * (1 + actual / 100),
        actual_change_pct=actual,
        expected_change_pct=expected,
        success=success,
        summary=f"{metric} {actual:+} % (expected {expected:+} %)" if actual else "n/a",
        measured_at=NOW,
    )


def decided(kind: DecisionKind) -> Decision:
    return Decision(decision=kind, reviewer="jane", revision=1)


def state(rid: str, rec: Recommendation, status: RecommendationStatus, **fields) -> LifecycleState:
    return LifecycleState(
        recommendation_id=rid,
        campaign_id=rec.campaign_id,
        status=status,
        recommendation=rec,
        **fields,
    )


def executed(rec: Recommendation) -> ExecutionResult:
    return ExecutionResult(
        campaign_id=rec.campaign_id,
        action=rec.recommended_action,
        idempotency_key="k",
        applied=True,
        executed_at=NOW,
    )


@pytest.fixture
async def states() -> list[LifecycleState]:
    refresh, refresh_ctx = await recommendation_for(ActionType.creative_refresh)
    bid, _ = await recommendation_for(ActionType.bid_adjustment)
    monitor, _ = await recommendation_for(ActionType.continue_monitoring)
    done, approved = RecommendationStatus.completed, decided(DecisionKind.approved)
    return [
        # followed, worked: CPA -20 % where -15 % was expected -> improvement +20
        state("r1", refresh, done, decision=approved, execution=executed(refresh),
              outcome=outcome(True, -20.0, -15.0), context=refresh_ctx),
        # followed, did not work: CPA +5 % -> improvement -5, a false positive
        state("r2", bid, done, decision=approved, execution=executed(bid),
              outcome=outcome(False, 5.0, -12.0)),
        # rejected action: a false positive from the reviewer's point of view
        state("r3", bid, RecommendationStatus.rejected, decision=decided(DecisionKind.rejected)),
        # nobody decided in time
        state("r4", refresh, RecommendationStatus.expired),
        # approved Continue Monitoring, CPA -2 % with no change expected -> improvement +2
        state("r5", monitor, done, decision=approved, outcome=outcome(True, -2.0, 0.0),
              context=refresh_ctx),
        # still waiting: counts as a run, nothing else
        state("r6", refresh, RecommendationStatus.pending_review),
    ]  # fmt: skip


async def test_outcome_metrics_by_hand(states: list[LifecycleState]) -> None:
    m = outcome_metrics(states)
    assert (m.runs, m.approved, m.rejected, m.expired) == (6, 3, 1, 1)
    assert m.acceptance_rate == pytest.approx(3 / 4)
    assert (m.followed, m.positive) == (3, 2)
    assert m.positive_impact_rate == pytest.approx(2 / 3)
    assert m.average_improvement_pct == pytest.approx((20 - 5 + 2) / 3)
    # actions with a verdict: r1 (worked), r2 (failed), r3 (rejected) -> 2 false positives of 3
    assert (m.false_positives, m.actionable_with_verdict) == (2, 3)
    assert m.false_positive_rate == pytest.approx(2 / 3)
    assert m.meets_target is False
    text = render_outcomes(m)
    assert "acceptance rate: 75.0 %" in text
    assert "false-positive rate: 66.7 % (2/3 actions with a verdict); target < 20 %: MISSES" in text


async def test_average_improvement_leaves_out_pauses() -> None:
    # A pause's outcome is its spend stopping (-100 % where -100 % was expected): that is
    # the pause working, already counted in the positive-impact rate, not a +100 % gain.
    pause, _ = await recommendation_for(ActionType.campaign_pause)
    refresh, _ = await recommendation_for(ActionType.creative_refresh)
    bid, _ = await recommendation_for(ActionType.bid_adjustment)
    done, approved = RecommendationStatus.completed, decided(DecisionKind.approved)
    states = [
        state("p", pause, done, decision=approved, execution=executed(pause),
              outcome=outcome(True, -100.0, -100.0, "spend")),
        state("r", refresh, done, decision=approved, execution=executed(refresh),
              outcome=outcome(True, -12.0, -15.0)),
        state("b", bid, done, decision=approved, execution=executed(bid),
              outcome=outcome(True, -10.0, -12.0)),
    ]  # fmt: skip

    m = outcome_metrics(states)

    assert m.average_improvement_pct == pytest.approx((12 + 10) / 2)  # 11.0, not 40.7
    assert (m.positive, m.followed) == (3, 3)  # the pause's success still counts here
    assert "average improvement when followed (pauses excluded): +11.0 %" in render_outcomes(m)


def test_no_runs_means_no_rates() -> None:
    m = outcome_metrics([])
    assert m.acceptance_rate is None and m.false_positive_rate is None and m.meets_target is None
    assert "no verdicts yet" in render_outcomes(m)


def test_improvement_follows_the_intended_direction() -> None:
    def with_outcome(o: Outcome) -> LifecycleState:
        return LifecycleState(recommendation_id="r", campaign_id="c", outcome=o)

    assert improvement_pct(with_outcome(outcome(True, -20.0, -15.0))) == 20.0
    assert improvement_pct(with_outcome(outcome(True, 12.0, 10.0, "ctr"))) == 12.0
    assert improvement_pct(with_outcome(outcome(True, 3.0, 0.0, "ctr"))) == 3.0
    assert improvement_pct(with_outcome(outcome(False, None, -15.0))) is None


async def test_export_labels_successful_followed_runs(states, tmp_path) -> None:
    result = labelled_cases(states)
    assert [c.id for c in result.cases] == ["outcome-r1", "outcome-r5"]
    assert (result.unsuccessful, result.without_context, result.not_measured) == (1, 0, 0)
    first = result.cases[0]
    assert first.expected_action is ActionType.creative_refresh
    assert first.outcome is not None and first.outcome.success
    assert first.tags == ["outcome_labelled"]
    assert "approved by jane" in first.human_reasoning
    path = tmp_path / "labelled.jsonl"
    write_dataset(path, result.cases)
    assert load_dataset(path) == result.cases


async def test_export_skips_runs_without_a_stored_context(states) -> None:
    plain = [LifecycleState.model_validate(s.model_dump(exclude={"context"})) for s in states]
    result = labelled_cases(plain)
    assert result.cases == [] and result.without_context == 2


async def test_outcomes_command_reads_the_stored_runs(states, tmp_path, capsys) -> None:
    from evals.cli import main
    from store import open_store

    url = f"sqlite+aiosqlite:///{tmp_path / 'agent.db'}"
    store = await open_store(url)
    try:
        for s in states:
            await store.sync_state(LifecycleState.model_validate(s.model_dump(exclude={"context"})))
    finally:
        await store.close()

    assert await asyncio.to_thread(main, ["outcomes", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "runs: 6 (approved 3, rejected 1, expired 1)" in out
    assert "positive-impact rate when followed: 66.7 % (2/3 measured outcomes)" in out
