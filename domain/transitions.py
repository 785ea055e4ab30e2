"""What one save of a run's state changed: the events the worker's metrics count.

The store saves a run's ``LifecycleState`` monotonically and says what the row held before
(``StoredStatus``). Comparing the two tells, exactly once per real change, whether a new
recommendation reached review, whether the run ended (and how), what became of an approved
action, and what its outcome was; a retried or replayed save of the same state changes nothing
and so counts nothing. Pure: the persistence activity turns these events into counters.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from domain.guardrails import AUTO_APPROVAL_REVIEWER
from domain.lifecycle import AuditEvent, DecisionKind, LifecycleState, RecommendationStatus
from domain.recommendation import ActionType

# Confidence bands of ``recommendations_total``: below the regeneration threshold (the seed's
# 0.6), the usual range, and confident enough to consider auto-approval (0.8 and up).
CONFIDENCE_BANDS = ((0.8, "high"), (0.6, "medium"), (0.0, "low"))

# How the workflow words the error of a run an operator cancelled (RecommendationWorkflow.run).
CANCELLED_PREFIX = "Cancelled while:"

STATUS_RESULT = {
    # An approved action that reached the platform, or did not and why.
    RecommendationStatus.executed: "applied",
    RecommendationStatus.superseded: "superseded",
    RecommendationStatus.manual: "manual",
}
RESULTS = ("applied", "failed", "superseded", "manual", "expired")


class StoredStatus(BaseModel):
    """What the store held for a run before a save."""

    status: RecommendationStatus
    revision: int
    created_at: datetime


class StateChange(BaseModel):
    """The events one save made happen (all empty: the save changed nothing that counts)."""

    action: ActionType | None = None
    # A new revision reached pending review: analysis started at, and its confidence.
    new_recommendation: bool = False
    analysis_started_at: datetime | None = None
    confidence: float | None = None
    # The run ended: completed, rejected, expired (unreviewed), approval_expired, superseded,
    # manual, failed or cancelled.
    run_ended: str | None = None
    # What became of an approved, executable action: one of RESULTS.
    execution_result: str | None = None
    # The measured outcome's verdict: success, failure or inconclusive.
    outcome_verdict: str | None = None


class DecisionTaken(BaseModel):
    """A decision the workflow accepted (its audit event), by a reviewer or by the policy."""

    decision: DecisionKind
    automatic: bool


def decision_taken(event: AuditEvent) -> DecisionTaken | None:
    """The decision an audit event records (the workflow audits every decision it accepts as
    ``approved`` or ``rejected``, and only those), or None for any other event."""
    if event.event not in DecisionKind.__members__:
        return None
    return DecisionTaken(
        decision=DecisionKind(event.event), automatic=event.actor == AUTO_APPROVAL_REVIEWER
    )


def confidence_band(confidence: float) -> str:
    return next(band for floor, band in CONFIDENCE_BANDS if confidence >= floor)


def state_change(previous: StoredStatus | None, state: LifecycleState) -> StateChange:
    """The events of saving ``state`` over ``previous`` (None: the run had no row yet)."""
    rec = state.recommendation
    status = state.status
    moved = previous is None or previous.status is not status
    change = StateChange(action=rec.recommended_action if rec else None)
    if status is RecommendationStatus.pending_review and rec is not None:
        if moved or previous.revision != state.revision:
            change.new_recommendation = True
            change.confidence = rec.confidence
            change.analysis_started_at = _analysis_started_at(previous, state)
    if not moved:
        return change
    if status.is_final:
        change.run_ended = run_end(state)
    change.execution_result = _execution_result(previous, state)
    if status is RecommendationStatus.completed and state.outcome is not None:
        outcome = state.outcome
        change.outcome_verdict = outcome.verdict or ("success" if outcome.success else "failure")
    return change


def run_end(state: LifecycleState) -> str:
    """The final status as operators read it: a run an operator cancelled is not a failure, and
    an approval that went stale in the change queue did not expire unreviewed."""
    status = state.status
    if status is RecommendationStatus.failed and (state.error or "").startswith(CANCELLED_PREFIX):
        return "cancelled"
    if status is RecommendationStatus.expired and state.decision is not None:
        return "approval_expired"
    return status.value


def _execution_result(previous: StoredStatus | None, state: LifecycleState) -> str | None:
    rec = state.recommendation
    if rec is None or not rec.recommended_action.is_executable:
        return None
    result = STATUS_RESULT.get(state.status)
    if result is not None:
        return result
    # Only an approved run (the last status saved before its plan is queued) can fail to
    # apply it, or see its approval go stale in the queue; from review these mean other things.
    if previous is None or previous.status is not RecommendationStatus.approved:
        return None
    return {"approval_expired": "expired", "failed": "failed"}.get(run_end(state))


def _analysis_started_at(previous: StoredStatus | None, state: LifecycleState) -> datetime | None:
    """When the analysis behind this revision started: for the run's first recommendation, the
    request that created the row (the user's wait includes queueing); after a reanalysis, the
    start of the context collection that began it (the last in the run's trace)."""
    collections = [step.started_at for step in state.trace if step.step == "collect_context"]
    started = collections[-1] if collections else None
    if previous is not None and previous.status is RecommendationStatus.analyzing:
        return min(previous.created_at, started) if started else previous.created_at
    return started
