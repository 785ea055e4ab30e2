"""What the agent tells people, and when: one ``Notification`` per event, built here (pure).

Every notification has a ``key`` that names its event (a recommendation's revision pending
review, a pacing alert of one campaign, severity and day, ...): delivery is deduplicated on it,
so a retried activity, a replayed workflow or a second pacing pass never tells anyone twice.
Each message names the campaign, says what happened and gives the one next step; it is built
from our own records only, never from settings, so no credential can end up in it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from urllib.parse import quote

from pydantic import BaseModel, Field

from domain.lifecycle import LifecycleState, RecommendationStatus
from domain.pacing import PacingAction, PacingAssessment

MAX_MESSAGE = 1500


class NotificationKind(StrEnum):
    review_pending = "review_pending"
    review_expiring = "review_expiring"
    execution_failed = "execution_failed"
    execution_superseded = "execution_superseded"
    outcome_failed = "outcome_failed"
    pacing_warning = "pacing_warning"
    pacing_critical = "pacing_critical"
    pacing_halt = "pacing_halt"
    pacing_escalation = "pacing_escalation"


class Level(StrEnum):
    info = "info"
    warning = "warning"
    critical = "critical"


class StillPending(BaseModel):
    """Deliver only while this revision still waits for review (a reminder that arrives after
    the decision would only confuse)."""

    recommendation_id: str
    revision: int


class Notification(BaseModel):
    key: str = Field(description="the event's identity: delivered once per key and target")
    kind: NotificationKind
    level: Level = Level.info
    campaign_id: str | None = None
    title: str
    message: str
    link: str | None = None
    only_if_pending: StillPending | None = None
    # Pacing alerts are findable in the Temporal UI by these (PacingSeverity, PacingAction).
    pacing_severity: str | None = None
    pacing_action: str | None = None

    def text(self) -> str:
        body = self.message if not self.link else f"{self.message}\n{self.link}"
        return body if len(body) <= MAX_MESSAGE else body[: MAX_MESSAGE - 1] + "…"


def recommendation_link(console_url: str, recommendation_id: str) -> str:
    return f"{console_url.rstrip('/')}/console/recommendations/{quote(recommendation_id, safe='')}"


def pacing_link(console_url: str, alert_key: str) -> str:
    return f"{console_url.rstrip('/')}/console/pacing/alerts/{quote(alert_key, safe='')}"


# ----------------------------------------------------------------------------- lifecycle


def lifecycle_notifications(state: LifecycleState, console_url: str) -> list[Notification]:
    """The notifications a recommendation's synced state calls for (none for most states).
    The same state always gives the same keys: re-syncs are no new events."""
    rec_id = state.recommendation_id
    link = recommendation_link(console_url, rec_id)
    campaign = _campaign(state)
    rec = state.recommendation
    action = rec.recommended_action.value if rec else "the recommendation"
    status = state.status
    if status is RecommendationStatus.pending_review and rec is not None:
        return [
            Notification(
                key=f"rec:{rec_id}:r{state.revision}:pending",
                kind=NotificationKind.review_pending,
                campaign_id=state.campaign_id,
                title=f"Review: {action} for {campaign}",
                message=(
                    f"{campaign}: {rec.specific_action} (confidence {rec.confidence:.2f}, "
                    f"{rec.risk_level.value} risk; revision {state.revision}). "
                    "Next: approve or reject it in the console."
                ),
                link=link,
            )
        ]
    if status is RecommendationStatus.superseded:
        return [
            Notification(
                key=f"rec:{rec_id}:superseded",
                kind=NotificationKind.execution_superseded,
                level=Level.warning,
                campaign_id=state.campaign_id,
                title=f"Not applied: {action} for {campaign} was superseded",
                message=(
                    f"{campaign}: the approved {action} was not applied because "
                    f"{state.status_reason or 'the campaign changed since the plan was made'}. "
                    "Next: analyse the campaign again if it still needs a change."
                ),
                link=link,
            )
        ]
    if status is RecommendationStatus.failed and state.decision is not None:
        return [
            Notification(
                key=f"rec:{rec_id}:failed",
                kind=NotificationKind.execution_failed,
                level=Level.critical,
                campaign_id=state.campaign_id,
                title=f"Failed: {action} for {campaign}",
                message=(
                    f"{campaign}: the approved {action} failed: {state.error or 'unknown error'}. "
                    "Next: check the campaign on the ad platform and apply it by hand if it is "
                    "still wanted."
                ),
                link=link,
            )
        ]
    outcome = state.outcome
    if status is RecommendationStatus.completed and outcome is not None and _failed(outcome):
        return [
            Notification(
                key=f"rec:{rec_id}:outcome",
                kind=NotificationKind.outcome_failed,
                level=Level.warning,
                campaign_id=state.campaign_id,
                title=f"Did not work: {action} for {campaign}",
                message=(
                    f"{campaign}: {outcome.summary} Next: review the campaign; the change "
                    "stays in place unless someone reverts it."
                ),
                link=link,
            )
        ]
    return []


def review_reminder(state: LifecycleState, deadline: datetime, console_url: str) -> Notification:
    """Sent a while before the review deadline, if the revision is still pending then."""
    rec = state.recommendation
    campaign = _campaign(state)
    action = rec.recommended_action.value if rec else "A recommendation"
    return Notification(
        key=f"rec:{state.recommendation_id}:r{state.revision}:expiring",
        kind=NotificationKind.review_expiring,
        level=Level.warning,
        campaign_id=state.campaign_id,
        title=f"Expiring: {action} for {campaign}",
        message=(
            f"{campaign}: {action} (revision {state.revision}) expires unreviewed at "
            f"{deadline:%Y-%m-%d %H:%M} UTC. Next: approve or reject it before then."
        ),
        link=recommendation_link(console_url, state.recommendation_id),
        only_if_pending=StillPending(
            recommendation_id=state.recommendation_id, revision=state.revision
        ),
    )


def _campaign(state: LifecycleState) -> str:
    context = state.context
    name = context.campaign.campaign_name if context is not None else ""
    return f"{name} ({state.campaign_id})" if name else state.campaign_id


def _failed(outcome) -> bool:
    if outcome.verdict is not None:
        return outcome.verdict == "failure"
    return not outcome.success


# ----------------------------------------------------------------------------- pacing

_PACING_KINDS = {
    PacingAction.escalate: (NotificationKind.pacing_escalation, Level.warning),
    PacingAction.halt: (NotificationKind.pacing_critical, Level.critical),
    PacingAction.recommend_halt: (NotificationKind.pacing_critical, Level.critical),
}


def pacing_notification(
    assessment: PacingAssessment, alert_key: str, console_url: str
) -> Notification | None:
    """The alert's notification (None for a line that needs nothing)."""
    a = assessment
    if a.action is PacingAction.none:
        return None
    kind, level = _PACING_KINDS.get(
        a.action,
        (NotificationKind.pacing_critical, Level.critical)
        if a.severity.value == "critical"
        else (NotificationKind.pacing_warning, Level.warning),
    )
    campaign = _pacing_campaign(a)
    if a.action is PacingAction.escalate:
        title = f"Pacing: check {campaign}"
        what = f"{a.reason}."
        step = "Next: confirm the plan line's campaign and figures in the console."
    else:
        title = f"Pacing {a.severity.value}: {campaign}"
        what = _pacing_numbers(a) + (f" {a.root_cause}." if a.root_cause else "")
        step = _next_step(a)
    return Notification(
        key=alert_key,
        kind=kind,
        level=level,
        campaign_id=a.campaign_id,
        title=title,
        message=f"{campaign}: {what} {step}",
        link=pacing_link(console_url, alert_key),
        pacing_severity=a.severity.value,
        pacing_action=a.action.value,
    )


def halt_notification(
    alert_key: str,
    campaign_id: str,
    campaign_name: str,
    verdict: str,
    reason: str,
    console_url: str,
) -> Notification:
    campaign = f"{campaign_name} ({campaign_id})" if campaign_name else campaign_id
    if verdict == "executed":
        title = f"Halted: {campaign}"
        message = (
            f"{campaign} was paused by the pacing monitor: critically over plan. Next: fix the "
            "budget, then release the halt in the console."
        )
    else:
        title = f"Halt not applied ({verdict}): {campaign}"
        message = (
            f"{campaign}: the pacing monitor's pause was not applied ({verdict}: {reason}). "
            "Next: check the campaign on the ad platform and pause it by hand if needed."
        )
    return Notification(
        key=f"{alert_key}:halt:{verdict}",
        kind=NotificationKind.pacing_halt,
        level=Level.critical,
        campaign_id=campaign_id,
        title=title,
        message=message,
        link=pacing_link(console_url, alert_key),
        pacing_severity="critical",
        pacing_action="halt",
    )


def _pacing_campaign(a: PacingAssessment) -> str:
    if a.campaign_id is None:
        return f"plan line {a.line_id} ({a.plan_campaign_name})"
    return f"{a.campaign_name or a.plan_campaign_name} ({a.campaign_id})"


def _pacing_numbers(a: PacingAssessment) -> str:
    if a.zero_delivery:
        return f"no delivery; {a.actual_spend:,.2f} spent of {a.expected_spend:,.2f} expected."
    variance = a.variance_pct or 0
    return (
        f"{a.actual_spend:,.2f} spent against {a.expected_spend:,.2f} expected by now "
        f"({variance:+.0f} % after the daily allowance; confidence {a.confidence:.2f})."
    )


def _next_step(a: PacingAssessment) -> str:
    if a.action is PacingAction.halt:
        return "Next: the campaign is being paused; release the halt once the budget is fixed."
    if a.action is PacingAction.recommend_halt:
        return "Next: pause it yourself (test mode paused nothing), or fix the budget."
    if a.mitigation:
        return f"Next: {a.mitigation[0]}."
    return "Next: review it in the console."
