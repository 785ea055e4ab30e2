"""What one save of a run's state changed: each event once, and nothing on a repeated save."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.guardrails import AUTO_APPROVAL_REVIEWER
from domain.lifecycle import AuditEvent, LifecycleState, RecommendationStatus, TraceStep
from domain.recommendation import ActionType
from domain.transitions import (
    StoredStatus,
    confidence_band,
    decision_taken,
    run_end,
    state_change,
)
from tests.store.conftest import NOW, Factory

S = RecommendationStatus
make = Factory()
CREATED = NOW - timedelta(seconds=7)


def state(status: RecommendationStatus, decided: bool = False, **changes) -> LifecycleState:
    base = make.state("rec-1", "cmp-1", status, decided=decided, measured=status is S.completed)
    return base.model_copy(update=changes)


def stored(status: RecommendationStatus, revision: int = 1) -> StoredStatus:
    return StoredStatus(status=status, revision=revision, created_at=CREATED)


def test_the_first_recommendation_counts_from_the_request_that_created_the_row() -> None:
    change = state_change(stored(S.analyzing, revision=0), state(S.pending_review))

    assert change.new_recommendation
    assert change.confidence == 0.78
    assert change.analysis_started_at == CREATED  # before the collection began: queueing counts
    assert change.run_ended is None and change.execution_result is None


def test_a_run_started_outside_the_api_counts_from_its_context_collection() -> None:
    change = state_change(None, state(S.pending_review))

    assert change.new_recommendation
    assert change.analysis_started_at == NOW  # the trace's collect_context step


def test_saving_the_same_state_again_counts_nothing() -> None:
    for status in S:
        again = state_change(stored(status), state(status))
        assert not again.new_recommendation, status
        assert (again.run_ended, again.execution_result, again.outcome_verdict) == (
            None,
            None,
            None,
        ), status


def test_a_reanalysed_revision_is_a_new_recommendation_timed_from_its_own_collection() -> None:
    later = NOW + timedelta(hours=5)
    trace = [*make.trace(), TraceStep(step="collect_context", started_at=later, duration_ms=5)]
    revised = state(S.pending_review, revision=4, trace=trace)

    change = state_change(stored(S.pending_review, revision=1), revised)

    assert change.new_recommendation
    assert change.analysis_started_at == later


@pytest.mark.parametrize(
    ("before", "after", "ended", "result"),
    [
        (S.pending_review, S.rejected, "rejected", None),
        (S.pending_review, S.expired, "expired", None),  # nobody reviewed it: no execution
        (S.approved, S.expired, "approval_expired", "expired"),  # stale in the change queue
        (S.approved, S.executed, None, "applied"),
        (S.approved, S.superseded, "superseded", "superseded"),
        (S.approved, S.manual, "manual", "manual"),
        (S.approved, S.failed, "failed", "failed"),
        (S.pending_review, S.failed, "failed", None),
        (S.executed, S.completed, "completed", None),
    ],
)
def test_runs_end_and_executions_resolve_once(before, after, ended, result) -> None:
    decided = before is not S.pending_review or after is S.rejected
    change = state_change(stored(before), state(after, decided=decided, error="boom"))

    assert change.run_ended == ended
    assert change.execution_result == result
    assert change.action is ActionType.bid_adjustment


def test_an_operator_cancelling_a_run_is_no_failure() -> None:
    cancelled = state(S.failed, error="Cancelled while: Waiting for review of revision 1")

    assert run_end(cancelled) == "cancelled"
    change = state_change(stored(S.approved), cancelled)
    assert change.run_ended == "cancelled" and change.execution_result is None


def test_continue_monitoring_has_no_execution_but_its_outcome_counts() -> None:
    completed = state(S.completed)
    completed.recommendation = completed.recommendation.model_copy(
        update={"recommended_action": ActionType.continue_monitoring}
    )

    change = state_change(stored(S.approved), completed)

    assert change.execution_result is None
    assert change.outcome_verdict == "success"
    assert change.action is ActionType.continue_monitoring


def test_the_outcome_verdict_is_the_forecast_judgement_when_there_is_one() -> None:
    completed = state(S.completed)
    completed.outcome = completed.outcome.model_copy(
        update={"verdict": "inconclusive", "success": False}
    )

    assert state_change(stored(S.executed), completed).outcome_verdict == "inconclusive"
    completed.outcome = None  # measurement unavailable: nothing to judge
    assert state_change(stored(S.executed), completed).outcome_verdict is None


@pytest.mark.parametrize(
    ("confidence", "band"), [(0.0, "low"), (0.59, "low"), (0.6, "medium"), (0.8, "high")]
)
def test_confidence_bands(confidence: float, band: str) -> None:
    assert confidence_band(confidence) == band


def test_only_decision_events_are_decisions_and_the_policy_is_told_apart() -> None:
    def event(name: str, actor: str = "maria") -> AuditEvent:
        return AuditEvent(recommendation_id="rec-1", event=name, actor=actor, at=NOW)

    assert decision_taken(event("approved")).model_dump() == {
        "decision": "approved",
        "automatic": False,
    }
    assert decision_taken(event("rejected")).decision == "rejected"
    assert decision_taken(event("approved", AUTO_APPROVAL_REVIEWER)).automatic
    for other in ("decision_refused", "executed", "expired", "approval_expired", "failed"):
        assert decision_taken(event(other)) is None
