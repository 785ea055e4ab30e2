"""What the console's pages show, derived from stored records only (no I/O here).

Pages never query a workflow: the store's row (the workflow's last synced state) and the audit
trail say everything a reviewer needs, including a decision accepted but not yet synced (its
audit entry lands first).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.lifecycle import AuditEvent, LifecycleState, RecommendationStatus
from store.records import RecommendationRecord, ReviewItem

# A pending recommendation whose deadline is this close counts as "expiring soon".
EXPIRING_WITHIN = timedelta(hours=12)
PAGE_SIZE = 25

DECISION_EVENTS = ("approved", "rejected")
EVENT_TITLES = {
    "approved": "Approved",
    "rejected": "Rejected",
    "decision_refused": "Decision refused",
    "reanalysis_requested": "Reanalysis requested",
    "reanalysis_refused": "Reanalysis refused",
    "expired": "Review deadline passed",
    "executed": "Executed on the ad platform",
    "no_action": "Nothing to change on the platform",
    "outcome_measured": "Outcome measured",
    "outcome_unavailable": "Outcome not measured",
    "failed": "Failed",
    "superseded": "Superseded",
}
# Payload fields worth a line in the audit trail, in order of preference.
SUMMARY_FIELDS = ("reason", "summary", "message", "feedback", "error")


def review_deadline(
    status: RecommendationStatus, updated_at: datetime, review_timeout: timedelta
) -> datetime | None:
    """When a pending recommendation expires: its review wait starts at the sync that made it
    pending_review, which is its last update."""
    if status is not RecommendationStatus.pending_review:
        return None
    return updated_at + review_timeout


@dataclass(frozen=True)
class InboxRow:
    item: ReviewItem
    deadline: datetime | None
    expiring: bool
    impact: str


def inbox_rows(items: list[ReviewItem], now: datetime, review_timeout: timedelta) -> list[InboxRow]:
    rows = []
    for item in items:
        deadline = review_deadline(item.status, item.updated_at, review_timeout)
        rows.append(
            InboxRow(
                item=item,
                deadline=deadline,
                expiring=deadline is not None and deadline - now <= EXPIRING_WITHIN,
                impact=impact_text(item.expected_impact),
            )
        )
    return rows


def impact_text(expected_impact: dict[str, Any] | None) -> str:
    """'cpa -12.0 % in 3 days' from an ExpectedImpact document."""
    if not expected_impact:
        return ""
    metric = str(expected_impact.get("metric", ""))
    change = expected_impact.get("change_pct")
    days = expected_impact.get("timeframe_days")
    text = metric.upper() if len(metric) <= 3 else metric.replace("_", " ")
    if isinstance(change, int | float):
        text += f" {change:+.1f} %"
    if isinstance(days, int):
        text += f" in {days} day{'s' if days != 1 else ''}"
    return text


def time_left(deadline: datetime | None, now: datetime) -> str:
    if deadline is None:
        return ""
    seconds = (deadline - now).total_seconds()
    if seconds <= 0:
        return "deadline passed"
    hours, rest = divmod(int(seconds), 3600)
    if hours >= 48:
        return f"{hours // 24} days left"
    return f"{hours} h {rest // 60:02d} min left" if hours else f"{rest // 60} min left"


# -------------------------------------------------------------------- the recommendation page


def in_progress(record: RecommendationRecord, audit: list[AuditEvent]) -> str | None:
    """What the run is doing right now that no reviewer should act on, if anything.

    A decision or a reanalysis request is audited before the next sync of the row, so while
    the row still says pending_review the audit already knows the revision was answered.
    """
    status = record.status
    if status is RecommendationStatus.analyzing:
        return "The analysis is running; the recommendation appears here when it is ready."
    if status is RecommendationStatus.approved:
        return "Approved: the action is being carried out on the ad platform."
    if status is not RecommendationStatus.pending_review:
        return None
    for event in reversed(audit):
        if event.revision != record.revision:
            continue
        if event.event in DECISION_EVENTS:
            return (
                f"Revision {event.revision} was {event.event} by {event.actor}; "
                "the workflow is recording it."
            )
        if event.event == "reanalysis_requested":
            return (
                f"{event.actor} asked for a reanalysis of revision {event.revision}; "
                "the new revision appears here when it is ready."
            )
    return None


def watch_token(record: RecommendationRecord, audit_count: int) -> str:
    """Changes whenever what the page shows may change: the page reloads when it does."""
    return f"{record.status.value}:{record.revision}:{record.updated_at.isoformat()}:{audit_count}"


def what_changed(
    seen_revision: int | None,
    seen_status: str | None,
    opened_at: datetime | None,
    record: RecommendationRecord,
    audit: list[AuditEvent],
) -> list[str]:
    """Plain sentences on how the recommendation moved on since the reviewer's page was
    rendered (the form carries what the page showed)."""
    changes = []
    if seen_revision is not None and seen_revision != record.revision:
        changes.append(
            f"You were looking at revision {seen_revision}; revision {record.revision} is the "
            "current one now."
        )
    if seen_status and seen_status != record.status.value:
        changes.append(f"Its status went from {seen_status} to {record.status.value}.")
    state = record.state
    if state is not None and state.decision is not None:
        decision = state.decision
        changes.append(
            f"It was already decided: {decision.decision.value} by {decision.reviewer} "
            f"(revision {decision.revision})."
        )
    if opened_at is not None:
        for event in audit:
            if event.at > opened_at and event.event not in ("decision_refused",):
                changes.append(f"{event_line(event)} ({event.at:%H:%M:%S} UTC).")
    return list(dict.fromkeys(changes))


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    title: str
    summary: str
    payload_json: str


def audit_rows(audit: list[AuditEvent]) -> list[AuditRow]:
    return [
        AuditRow(
            event=event,
            title=EVENT_TITLES.get(event.event, event.event.replace("_", " ").capitalize()),
            summary=_payload_summary(event.payload),
            payload_json=json.dumps(event.payload, indent=2, sort_keys=True, default=str),
        )
        for event in audit
    ]


def event_line(event: AuditEvent) -> str:
    title = EVENT_TITLES.get(event.event, event.event.replace("_", " "))
    summary = _payload_summary(event.payload)
    line = f"{title} by {event.actor} (revision {event.revision})"
    return f"{line}: {summary}" if summary else line


def _payload_summary(payload: dict[str, Any]) -> str:
    for name in SUMMARY_FIELDS:
        value = payload.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


@dataclass(frozen=True)
class RevisionEntry:
    revision: int
    at: datetime
    title: str
    notes: list[str]
    current: bool


def revision_history(state: LifecycleState | None, audit: list[AuditEvent]) -> list[RevisionEntry]:
    """Every generated draft (a revision) with its critique, and the reanalysis requests
    between them, oldest first. Each draft increments the revision, so the n-th draft of the
    run is revision n."""
    if state is None:
        return []
    entries: list[RevisionEntry] = []
    revision = 0
    for step in state.trace:
        if step.step == "generate_recommendation":
            revision += 1
            entries.append(
                RevisionEntry(
                    revision=revision,
                    at=step.started_at,
                    title=step.detail or "draft",
                    notes=[],
                    current=revision == state.revision,
                )
            )
        elif step.step == "critique_recommendation" and entries and step.detail:
            entries[-1].notes.append(f"Critique: {step.detail}")
    for event in audit:
        if event.event == "reanalysis_requested":
            feedback = str(event.payload.get("feedback") or "").strip()
            note = f"{event.actor} asked for a reanalysis" + (f": {feedback}" if feedback else "")
            for entry in entries:
                if entry.revision == event.revision:
                    entry.notes.append(note)
    return entries


def change_rows(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(setting, before, after) for each setting the platform reported after the change (it
    may report only those it changed), changed ones first."""
    names = list(after) or list(before)
    rows = [(name, _show(before.get(name)), _show(after.get(name))) for name in names]
    return sorted(rows, key=lambda row: row[1] == row[2])


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return str(value)
