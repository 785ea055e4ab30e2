"""The recommendation lifecycle on the time-skipping server, with doubles at the I/O boundary.

Each test awaits a single ``result()`` (DESIGN §7); earlier states are reached by polling the
``state`` query under a deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.testing import WorkflowEnvironment

from domain.lifecycle import (
    AnalysisInput,
    Decision,
    DecisionKind,
    ReanalysisRequest,
    RecommendationStatus,
)
from domain.recommendation import ActionParameters, ActionType, Recommendation, SignalAnalysis
from domain.thresholds import AutoApprovalPolicy
from domain.transitions import run_end
from tests.workflows.doubles import (
    Doubles,
    FakeAdPlatform,
    ScriptedReasoner,
    failing_critique,
    recommendation,
)
from tests.workflows.harness import (
    Scenario,
    fast_policy,
    finish,
    pending_review,
    start_time_skipping_env,
    wait_for_state,
)
from workflows import activity_names as names
from workflows.recommendation import AUTO_APPROVAL_REVIEWER, RecommendationWorkflow
from workflows.search_attributes import (
    CONFIDENCE,
    RECOMMENDATION_STATUS,
    RECOMMENDED_ACTION,
)


def approve(revision: int | None, reviewer: str = "alice") -> Decision:
    return Decision(decision=DecisionKind.approved, reviewer=reviewer, revision=revision)


def reject(revision: int | None, reviewer: str = "bob") -> Decision:
    return Decision(
        decision=DecisionKind.rejected, reviewer=reviewer, feedback="not now", revision=revision
    )


async def test_approved_recommendation_is_executed_and_its_outcome_measured_after_3_days(
    env: WorkflowEnvironment,
) -> None:
    scenario = Scenario(env)
    async with scenario.worker():
        handle = await scenario.start()
        pending = await wait_for_state(handle, pending_review)
        assert pending.revision == 1
        assert pending.recommendation.recommended_action is ActionType.bid_adjustment
        assert scenario.store.last_state.status is RecommendationStatus.pending_review

        await handle.execute_update(RecommendationWorkflow.decide, approve(pending.revision))
        final = await finish(handle)

    assert final.status is RecommendationStatus.completed
    assert final.decision.reviewer == "alice"
    # Executed once, with the deterministic idempotency key of the approved revision.
    [request] = scenario.doubles.platform.executions
    assert request.idempotency_key == f"{handle.id}:r1"
    assert request.requested_by == "alice"
    assert final.execution.applied
    # The outcome compares metrics at approval with metrics 3 (skipped) days later.
    assert final.outcome is not None
    assert final.outcome.before_value == 50.0 and final.outcome.after_value == 40.0
    assert final.outcome.success
    audit = {event.event: event for event in scenario.store.audit}
    assert audit["outcome_measured"].at - audit["executed"].at >= timedelta(days=3)
    assert scenario.store.events() == ["approved", "executed", "outcome_measured"]
    assert scenario.store.synced_statuses() == [
        "pending_review",
        "approved",
        "executed",
        "completed",
    ]
    assert scenario.store.last_state.outcome == final.outcome
    steps = [step.step for step in final.trace]
    assert steps[:4] == [
        "collect_context",
        "analyze_signals",
        "generate_recommendation",
        "critique_recommendation",
    ]
    assert steps[-2:] == ["execute_action", "measure_outcome"]

    description = await handle.describe()
    attributes = description.typed_search_attributes
    assert attributes.get(RECOMMENDATION_STATUS) == "completed"
    assert attributes.get(RECOMMENDED_ACTION) == "Bid Adjustment"
    assert attributes.get(CONFIDENCE) == pytest.approx(0.8)


async def test_rejected_recommendation_changes_nothing(env: WorkflowEnvironment) -> None:
    scenario = Scenario(env)
    async with scenario.worker():
        handle = await scenario.start()
        pending = await wait_for_state(handle, pending_review)
        await handle.execute_update(RecommendationWorkflow.decide, reject(pending.revision))
        # A second reviewer, a moment too late: refused to their face, the rejection stands.
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(RecommendationWorkflow.decide, approve(pending.revision))
        final = await finish(handle)

    assert refused.value.cause.type == "AlreadyDecided"
    assert "revision 1 was already decided" in refused.value.cause.message
    assert final.status is RecommendationStatus.rejected
    assert final.decision.feedback == "not now"
    assert final.decision.reviewer == "bob"
    assert scenario.doubles.platform.executions == []
    assert scenario.store.events() == ["rejected"]
    assert scenario.store.last_state.status is RecommendationStatus.rejected


async def test_review_deadline_expires_the_recommendation(env: WorkflowEnvironment) -> None:
    scenario = Scenario(env)
    async with scenario.worker():
        handle = await scenario.start(policy=fast_policy(review_timeout=timedelta(hours=72)))
        started = await env.get_current_time()
        final = await handle.result()  # nobody reviews: time skips to the deadline

    assert final.status is RecommendationStatus.expired
    assert final.decision is None
    assert scenario.doubles.platform.executions == []
    [expired] = scenario.store.audit
    assert expired.event == "expired" and expired.actor == "system"
    assert expired.at - started >= timedelta(hours=72)
    assert scenario.store.last_state.status is RecommendationStatus.expired


async def test_stale_revision_is_refused_and_the_current_one_approved(
    env: WorkflowEnvironment,
) -> None:
    scenario = Scenario(env)
    async with scenario.worker():
        handle = await scenario.start()
        pending = await wait_for_state(handle, pending_review)

        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                RecommendationWorkflow.decide, approve(pending.revision + 5)
            )
        assert refused.value.cause.type == "StaleRevision"
        assert "current revision is 1" in refused.value.cause.message
        still = await handle.query(RecommendationWorkflow.state)
        assert still.status is RecommendationStatus.pending_review

        accepted = await handle.execute_update(
            RecommendationWorkflow.decide, approve(pending.revision)
        )
        final = await finish(handle)

    assert accepted.revision == 1 and accepted.reviewer == "alice"
    assert final.status is RecommendationStatus.completed
    assert final.decision.revision == 1
    assert scenario.store.events()[0] == "approved"
    assert len(scenario.doubles.platform.executions) == 1


async def test_regeneration_is_bounded_and_the_last_attempt_is_kept(
    env: WorkflowEnvironment,
) -> None:
    reasoner = ScriptedReasoner(
        make_recommendation=lambda step: recommendation(label=f"attempt {step.iteration + 1}"),
        critique=lambda _inp: failing_critique(),
    )
    scenario = Scenario(env, Doubles(reasoner=reasoner))
    policy = fast_policy(max_regenerations=2)
    async with scenario.worker():
        handle = await scenario.start(policy=policy)
        pending = await wait_for_state(handle, pending_review)
        await handle.execute_update(RecommendationWorkflow.decide, reject(pending.revision))
        await finish(handle)

    assert reasoner.calls["recommend"] == 1 + policy.max_regenerations
    assert reasoner.calls["critique"] == 1 + policy.max_regenerations
    # Each regeneration sees the previous attempt and its critique.
    assert [step.iteration for step in reasoner.steps] == [0, 1, 2]
    assert reasoner.steps[1].previous.specific_action == "attempt 1"
    assert reasoner.steps[1].critique.has_critical
    assert pending.revision == 3 and pending.iterations == 3
    assert pending.recommendation.specific_action == "attempt 3"
    assert pending.recommendation.confidence == pytest.approx(0.4)  # the critique's verdict
    assert any("Critique unresolved" in risk for risk in pending.recommendation.risk_factors)


async def test_failed_optional_source_gives_a_degraded_recommendation(
    env: WorkflowEnvironment,
) -> None:
    platform = FakeAdPlatform(failing_sources=("competitors",))
    scenario = Scenario(env, Doubles(platform=platform))
    async with scenario.worker():
        handle = await scenario.start()
        pending = await wait_for_state(handle, pending_review)
        await handle.execute_update(RecommendationWorkflow.decide, approve(pending.revision))
        final = await finish(handle)

    assert final.status is RecommendationStatus.completed
    assert platform.calls[names.COLLECT_COMPETITORS] == 3  # retried, then given up
    context = scenario.doubles.reasoner.contexts[0].context
    assert context.competitors is None and context.creatives is not None
    assert "HTTP 500" in context.source_errors["competitors"]
    assert final.recommendation.degraded
    assert any("competitors" in reason for reason in final.recommendation.degraded_reasons)
    assert "missing: competitors" in final.trace[0].detail


async def test_flaky_campaign_source_is_retried_until_it_answers(
    env: WorkflowEnvironment,
) -> None:
    platform = FakeAdPlatform(campaign_failures_before_success=2)
    scenario = Scenario(env, Doubles(platform=platform))
    async with scenario.worker():
        handle = await scenario.start()
        pending = await wait_for_state(handle, pending_review)
        await handle.execute_update(RecommendationWorkflow.decide, reject(pending.revision))
        final = await finish(handle)

    assert platform.calls[names.COLLECT_CAMPAIGN] == 3
    assert final.status is RecommendationStatus.rejected
    assert not final.recommendation.degraded


async def test_unknown_campaign_fails_the_run_and_records_why(env: WorkflowEnvironment) -> None:
    platform = FakeAdPlatform(
        campaign_error=ApplicationError(
            "campaign nope not found", type=names.CAMPAIGN_NOT_FOUND, non_retryable=True
        )
    )
    scenario = Scenario(env, Doubles(platform=platform))
    async with scenario.worker():
        handle = await scenario.start("nope")
        with pytest.raises(WorkflowFailureError) as failure:
            await finish(handle)
        state = await handle.query(RecommendationWorkflow.state)

    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == names.CAMPAIGN_NOT_FOUND and cause.non_retryable
    assert "campaign nope not found" in cause.message
    assert platform.calls[names.COLLECT_CAMPAIGN] == 1  # non-retryable: no retries
    assert state.status is RecommendationStatus.failed
    assert scenario.store.last_state.status is RecommendationStatus.failed
    assert "not found" in scenario.store.last_state.error
    assert scenario.store.events() == ["failed"]
    assert scenario.doubles.reasoner.calls["analyze"] == 0


async def test_rejected_action_on_the_platform_fails_the_run(env: WorkflowEnvironment) -> None:
    platform = FakeAdPlatform(
        execution_error=ApplicationError(
            "bid above the platform maximum", type=names.ACTION_REJECTED, non_retryable=True
        )
    )
    scenario = Scenario(env, Doubles(platform=platform))
    async with scenario.worker():
        handle = await scenario.start()
        pending = await wait_for_state(handle, pending_review)
        await handle.execute_update(RecommendationWorkflow.decide, approve(pending.revision))
        with pytest.raises(WorkflowFailureError) as failure:
            await finish(handle)

    assert failure.value.cause.type == names.ACTION_REJECTED
    assert len(platform.executions) == 1
    assert scenario.store.last_state.status is RecommendationStatus.failed
    assert "bid above the platform maximum" in scenario.store.last_state.error


async def test_guardrail_violation_fails_the_run_before_review(env: WorkflowEnvironment) -> None:
    def ghost_budget_move(_step: object) -> Recommendation:
        rec = recommendation(action=ActionType.budget_reallocation)
        return rec.model_copy(
            update={
                "parameters": ActionParameters(
                    budget_shift_amount=100, from_segment_id="s-1", to_segment_id="ghost"
                )
            }
        )

    scenario = Scenario(
        env, Doubles(reasoner=ScriptedReasoner(make_recommendation=ghost_budget_move))
    )
    async with scenario.worker():
        handle = await scenario.start()
        with pytest.raises(WorkflowFailureError) as failure:
            await finish(handle)

    assert failure.value.cause.type == "GuardrailViolation"
    assert "ghost" in failure.value.cause.message
    assert scenario.store.synced_statuses() == ["failed"]  # never offered for review
    assert scenario.doubles.platform.executions == []


async def test_auto_approval_executes_without_a_reviewer(env: WorkflowEnvironment) -> None:
    reasoner = ScriptedReasoner(
        make_recommendation=lambda _step: recommendation(confidence=0.92, risk="low")
    )
    scenario = Scenario(env, Doubles(reasoner=reasoner))
    policy = fast_policy(auto_approval=AutoApprovalPolicy(enabled=True, min_confidence=0.85))
    async with scenario.worker():
        handle = await scenario.start(policy=policy)
        final = await finish(handle)

    assert final.status is RecommendationStatus.completed
    assert final.decision.reviewer == AUTO_APPROVAL_REVIEWER
    assert len(scenario.doubles.platform.executions) == 1
    assert scenario.store.audit[0].actor == AUTO_APPROVAL_REVIEWER


async def test_continue_monitoring_executes_nothing_but_still_checks_the_outcome(
    env: WorkflowEnvironment,
) -> None:
    reasoner = ScriptedReasoner(
        make_recommendation=lambda _step: recommendation(action=ActionType.continue_monitoring)
    )
    scenario = Scenario(env, Doubles(reasoner=reasoner))
    async with scenario.worker():
        handle = await scenario.start()
        pending = await wait_for_state(handle, pending_review)
        await handle.execute_update(RecommendationWorkflow.decide, approve(None))
        final = await finish(handle)

    assert final.status is RecommendationStatus.completed
    assert final.decision.revision == pending.revision  # "current revision" resolved
    assert scenario.doubles.platform.executions == []
    assert final.execution is None and final.outcome is not None
    assert scenario.store.events() == ["approved", "no_action", "outcome_measured"]


async def test_reanalysis_makes_a_new_revision_and_refuses_the_old_one(
    env: WorkflowEnvironment,
) -> None:
    scenario = Scenario(env)
    async with scenario.worker():
        handle = await scenario.start()
        first = await wait_for_state(handle, pending_review)

        sent_back = await handle.execute_update(
            RecommendationWorkflow.reanalyze,
            ReanalysisRequest(reviewer="carol", feedback="new creative went live today"),
        )
        assert sent_back.previous_revision == first.revision and sent_back.reanalyses == 1
        second = await wait_for_state(
            handle, lambda s: pending_review(s) and s.revision == first.revision + 1
        )
        with pytest.raises(WorkflowUpdateFailedError) as stale:
            await handle.execute_update(RecommendationWorkflow.decide, approve(first.revision))
        await handle.execute_update(RecommendationWorkflow.decide, approve(second.revision))
        final = await finish(handle)

    assert stale.value.cause.type == "StaleRevision"

    assert final.status is RecommendationStatus.completed
    assert final.decision.revision == 2
    assert scenario.doubles.reasoner.calls["analyze"] == 2  # context re-collected and re-read
    assert scenario.doubles.platform.calls[names.COLLECT_CAMPAIGN] == 2  # context re-collected
    assert scenario.doubles.platform.calls[names.MEASURE_CAMPAIGN] == 2  # before and after
    [request] = scenario.doubles.platform.executions
    assert request.idempotency_key.endswith(":r2")
    assert scenario.store.events()[:2] == ["reanalysis_requested", "approved"]
    # The reasoner got the reviewer's words with the new analysis.
    [feedback] = scenario.doubles.reasoner.steps[-1].reviewer_feedback
    assert feedback.feedback == "new creative went live today" and feedback.revision == 1
    assert final.reviewer_feedback == [feedback]


async def test_cancelled_run_is_recorded_as_failed(env: WorkflowEnvironment) -> None:
    scenario = Scenario(env)
    async with scenario.worker():
        handle = await scenario.start()
        await wait_for_state(handle, pending_review)
        await handle.cancel()
        with pytest.raises(WorkflowFailureError) as failure:
            await finish(handle)

    assert isinstance(failure.value.cause, CancelledError)
    last = scenario.store.last_state
    assert last.status is RecommendationStatus.failed
    assert last.error.startswith("Cancelled while: Waiting for review of revision 1")
    assert scenario.store.events() == ["failed"]
    # Operators' metrics tell a cancellation from a failure (RecommendationRunsFailing).
    assert run_end(last) == "cancelled"


class StuckReasoner(ScriptedReasoner):
    """An LLM call that answers only when released: the run is cancelled while it is in
    flight."""

    def __init__(self) -> None:
        super().__init__()
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def analyze(self, inp: AnalysisInput) -> SignalAnalysis:
        self.calls["analyze"] += 1
        self.started.set()
        await self.release.wait()
        return await super().analyze(inp)


@pytest.fixture
async def own_env() -> AsyncIterator[WorkflowEnvironment]:
    """A test server of its own: an activity still running when its run is cancelled keeps
    the time-skipping clock locked on that server, which would stall the other tests."""
    env = await start_time_skipping_env()
    try:
        yield env
    finally:
        await env.shutdown()


async def test_a_run_cancelled_during_a_step_ends_cancelled_without_falling_back(
    own_env: WorkflowEnvironment,
) -> None:
    reasoner = StuckReasoner()
    scenario = Scenario(own_env, Doubles(reasoner=reasoner))
    async with scenario.worker():
        handle = await scenario.start()
        await asyncio.wait_for(reasoner.started.wait(), timeout=10)
        await handle.cancel()
        with pytest.raises(WorkflowFailureError) as failure:
            # Bounded: a run that swallowed the cancel would wait for its review instead.
            await asyncio.wait_for(handle.result(), timeout=30)
        reasoner.release.set()

    assert isinstance(failure.value.cause, CancelledError)
    last = scenario.store.last_state
    assert last.status is RecommendationStatus.failed
    assert last.error.startswith("Cancelled while: Analyzing signals")
    assert last.recommendation is None  # the rules fallback did not answer in its place


async def test_without_a_decision_time_baseline_the_outcome_is_not_guessed(
    env: WorkflowEnvironment,
) -> None:
    error = ApplicationError("metrics gone", type=names.MISSING_METRICS, non_retryable=True)
    platform = FakeAdPlatform(baseline_error=error)
    scenario = Scenario(env, Doubles(platform=platform))
    async with scenario.worker():
        handle = await scenario.start()
        pending = await wait_for_state(handle, pending_review)
        await handle.execute_update(RecommendationWorkflow.decide, approve(pending.revision))
        final = await finish(handle)

    assert final.status is RecommendationStatus.completed
    assert final.execution is not None and final.execution.applied  # the action still ran
    assert final.outcome is None  # no comparison against another window's figures
    assert final.error.startswith("outcome not measured: no baseline at decision time")
    assert "outcome_unavailable" in scenario.store.events()
