"""The portfolio review's store on SQLite and PostgreSQL: reviews and charts, experiments, and
the agent's records read back from synced lifecycle states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.lifecycle import Decision, DecisionKind, LifecycleState, Outcome, RecommendationStatus
from domain.portfolio.experiments import Experiment, ExperimentArm
from domain.recommendation import ActionParameters, ActionType
from store import Store
from tests.store.conftest import Factory


def experiment(experiment_id: str, conversions: int = 10) -> Experiment:
    return Experiment(
        experiment_id=experiment_id,
        name="test",
        control=ExperimentArm(name="a", samples=100, conversions=conversions),
        variant=ExperimentArm(name="b", samples=100, conversions=12),
    )


async def test_reviews_their_status_report_and_charts(store: Store) -> None:
    portfolio = store.portfolio
    await portfolio.save_status("pr-1", "running", requested_by="ann", trigger="api")
    await portfolio.save_report("pr-1", {"headline": []}, "# md", {"kpi": ("KPIs", b"png")})
    await portfolio.save_status("pr-1", "failed", error="late")  # a completed review stays so
    await portfolio.save_status("pr-2", "running")
    running = await portfolio.running_since(datetime.now(UTC) - timedelta(hours=1))
    long_ago = await portfolio.running_since(datetime.now(UTC) + timedelta(hours=1))

    record = await portfolio.get("pr-1")
    assert (record.status, record.requested_by, record.trigger) == ("completed", "ann", "api")
    assert record.report == {"headline": []} and record.markdown == "# md"
    assert record.charts == ["kpi"] and await portfolio.chart("pr-1", "kpi") == b"png"
    assert await portfolio.chart("pr-1", "nope") is None
    assert running.review_id == "pr-2" and long_ago is None
    await portfolio.update_report("pr-2", {"headline": [1]}, "# two")
    listed, total = await portfolio.list()
    assert total == 2 and {r.review_id: r.status for r in listed} == {
        "pr-1": "completed",
        "pr-2": "completed",
    }
    assert all(r.report is None for r in listed)  # the list carries no reports


async def test_experiments_are_imported_at_once_and_replaced_by_id(store: Store) -> None:
    await store.portfolio.import_experiments([experiment("e1"), experiment("e2")], "ann")
    await store.portfolio.import_experiments([experiment("e1", conversions=20)], "ben")

    found = {e.experiment_id: e for e in await store.portfolio.experiments()}
    assert sorted(found) == ["e1", "e2"] and found["e1"].control.conversions == 20


async def test_agent_records_from_synced_states(store: Store, make: Factory) -> None:
    now = datetime.now(UTC)
    campaign = make.campaign_id()
    executed = make.state(
        make.recommendation_id(campaign), campaign, RecommendationStatus.completed, measured=True
    )
    executed.recommendation = executed.recommendation.model_copy(
        update={
            "recommended_action": ActionType.budget_reallocation,
            "parameters": ActionParameters(
                budget_shift_amount=10, from_segment_id="a", to_segment_id="b"
            ),
        }
    )
    executed.outcome = Outcome(
        campaign_id=campaign,
        metric="cpa",
        before_value=30.0,
        after_value=25.0,
        actual_change_pct=-16.7,
        expected_change_pct=-5.0,
        success=True,
        summary="Budget Reallocation: success",
        measured_at=now - timedelta(hours=1),
        verdict="success",
        before_metrics=make.metrics(campaign, cpa=30.0, spend=600.0),
        after_metrics=make.metrics(campaign, cpa=25.0, spend=500.0),
    )
    failed = LifecycleState(
        recommendation_id=make.recommendation_id(campaign),
        campaign_id=campaign,
        status=RecommendationStatus.failed,
        recommendation=make.recommendation(campaign),
        decision=Decision(decision=DecisionKind.approved, reviewer="auto-approval-policy"),
        error="Executing Bid Adjustment failed",
    )
    violation = LifecycleState(
        recommendation_id=make.recommendation_id(campaign),
        campaign_id=campaign,
        status=RecommendationStatus.failed,
        error="Guardrail violation: too far",
    )
    for state in (executed, failed, violation):
        state.seq = 1
        await store.sync_state(state)
    await store.upsert_campaign(make.metrics(campaign))
    await store.portfolio.import_experiments([experiment("e1")], "ann")

    records = await store.portfolio.agent_records(
        now - timedelta(days=7), now + timedelta(minutes=1), [campaign, "unknown"]
    )
    runs = {r.recommendation_id: r for r in records.runs}

    first = runs[executed.recommendation_id]
    assert (first.execution, first.decision, first.reviewer) == (
        True,
        "approved",
        "maria@example.com",
    )
    assert first.action == "Budget Reallocation"
    assert first.outcome.verdict == "success" and first.outcome.after_conversions == 20.0
    assert first.outcome.after_period_end == make.metrics(campaign).period_end
    assert first.latency_seconds is None  # its trace has no apply_guardrails step
    assert (
        runs[failed.recommendation_id].execution,
        runs[failed.recommendation_id].auto_approved,
    ) == (
        False,
        True,
    )
    assert runs[violation.recommendation_id].policy_violation
    # The executed reallocation's measured outcome is evidence for the optimiser.
    (evidence,) = records.reallocation_outcomes
    assert (evidence.campaign_id, evidence.after_spend, evidence.after_conversions) == (
        campaign,
        500.0,
        20.0,
    )
    assert set(records.snapshot_ages_hours) == {campaign}
    assert records.snapshot_ages_hours[campaign] < 1
    assert [e.experiment_id for e in records.experiments] == ["e1"]


@pytest.mark.parametrize("window_days", [7])
async def test_runs_outside_the_window_are_not_counted(
    store: Store, make: Factory, window_days: int
) -> None:
    campaign = make.campaign_id()
    state = make.state(make.recommendation_id(campaign), campaign)
    state.seq = 1
    await store.sync_state(state)
    later = datetime.now(UTC) + timedelta(days=1)

    records = await store.portfolio.agent_records(later, later + timedelta(days=window_days), [])
    assert records.runs == []
