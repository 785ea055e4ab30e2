"""Our store's side of the fixed fixture: four recommendation runs, one measured outcome, two
campaign snapshots and one imported experiment (the numbers the hand computations use).

| run | campaign | decision | by | execution | analysis latency | LLM cost | outcome |
| --- | --- | --- | --- | --- | --- | --- | --- |
| r1 | cmp-a | approved | alice | applied | 10 s | $0.10 | CPA 25 -> 20, 15 conversions after |
| r2 | cmp-b | approved | auto-approval-policy | failed | 20 s | – | – |
| r3 | cmp-b | rejected | bob | – | 40 s | – | – |
| r4 | cmp-c | – (guardrail violation) | – | – | – | $0.02 | – |
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.lifecycle import (
    Decision,
    DecisionKind,
    LifecycleState,
    Outcome,
    RecommendationStatus,
    TraceStep,
)
from domain.portfolio.experiments import Experiment, ExperimentArm
from domain.usage import LLMUsage, Operation, UsageTotals
from store import Store
from tests.store.conftest import Factory

IMPORTED = Experiment(
    experiment_id="exp-imported",
    name="Imported landing test",
    campaign_id="cmp-a",
    metric="sign-ups per visit",
    control=ExperimentArm(name="old page", samples=1000, conversions=100),
    variant=ExperimentArm(name="new page", samples=1000, conversions=130),
    planned_variant_share=0.5,
)


def _trace(latency_seconds: float | None) -> list[TraceStep]:
    start = datetime.now(UTC) - timedelta(hours=1)
    trace = [TraceStep(step="collect_context", started_at=start, duration_ms=1000)]
    if latency_seconds is not None:
        trace.append(
            TraceStep(
                step="apply_guardrails",
                started_at=start + timedelta(seconds=latency_seconds - 0.5),
                duration_ms=500,
            )
        )
    return trace


def _usage(cost: float) -> UsageTotals:
    call = LLMUsage(
        operation=Operation.recommendation,
        provider="openai",
        model="gpt-4o-mini",
        prompt_version="v1",
        input_tokens=1000,
        output_tokens=200,
        cost_usd=cost,
    )
    return UsageTotals().plus([call])


async def seed(store: Store) -> None:
    make = Factory()
    rec = make.recommendation
    now = datetime.now(UTC)

    r1 = LifecycleState(
        recommendation_id="rec-cmp-a-r1",
        campaign_id="cmp-a",
        status=RecommendationStatus.completed,
        revision=1,
        recommendation=rec("cmp-a"),
        decision=Decision(decision=DecisionKind.approved, reviewer="alice", revision=1),
        execution=make.execution("rec-cmp-a-r1", "cmp-a"),
        outcome=Outcome(
            campaign_id="cmp-a",
            metric="cpa",
            before_value=25.0,
            after_value=20.0,
            actual_change_pct=-20.0,
            expected_change_pct=-12.0,
            success=True,
            summary="Bid Adjustment: success: CPA 25 -> 20",
            measured_at=now - timedelta(hours=2),
            verdict="success",
            before_metrics=make.metrics("cmp-a", cpa=25.0, spend=500.0),
            after_metrics=make.metrics("cmp-a", cpa=20.0, spend=300.0),  # 15 conversions
        ),
        usage=_usage(0.10),
        trace=_trace(10),
    )
    r2 = LifecycleState(
        recommendation_id="rec-cmp-b-r2",
        campaign_id="cmp-b",
        status=RecommendationStatus.failed,
        revision=1,
        recommendation=rec("cmp-b"),
        decision=Decision(
            decision=DecisionKind.approved, reviewer="auto-approval-policy", revision=1
        ),
        error="Executing Bid Adjustment failed: AdPlatformError: HTTP 503",
        trace=_trace(20),
    )
    r3 = LifecycleState(
        recommendation_id="rec-cmp-b-r3",
        campaign_id="cmp-b",
        status=RecommendationStatus.rejected,
        revision=1,
        recommendation=rec("cmp-b"),
        decision=Decision(decision=DecisionKind.rejected, reviewer="bob", revision=1),
        trace=_trace(40),
    )
    r4 = LifecycleState(
        recommendation_id="rec-cmp-c-r4",
        campaign_id="cmp-c",
        status=RecommendationStatus.failed,
        error="Guardrail violation: Budget Reallocation names segments not in the campaign",
        usage=_usage(0.02),
        trace=_trace(None),
    )
    for state in (r1, r2, r3, r4):
        await store.create_recommendation(state.recommendation_id, state.campaign_id, "test")
        state.seq = 1
        assert await store.sync_state(state)
    await store.upsert_campaign(make.metrics("cmp-a"))
    await store.upsert_campaign(make.metrics("cmp-b"))
    await store.portfolio.import_experiments([IMPORTED], imported_by="test")
