"""Mirror the workflow's state and audit trail into our database (the API reads it there),
and count the run's metrics from what those writes changed (``activities.metrics``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from temporalio import activity

from activities import metrics
from domain.lifecycle import AuditEvent, LifecycleState
from domain.transitions import state_change
from workflows import activity_names as names

if TYPE_CHECKING:
    from store.repository import Store


class PersistenceActivities:
    def __init__(self, store: Store) -> None:
        self._store = store

    @activity.defn(name=names.SYNC_STATE)
    async def sync_state(self, state: LifecycleState) -> None:
        # An upsert of the whole state: replays and retries converge on the same row. Only the
        # save that moved the row on counts: a retry finds the status saved already.
        saved = await self._store.sync_state(state)
        if saved.written:
            workflow_type = activity.info().workflow_type or "unknown"
            change = state_change(saved.previous, state)
            metrics.record_state_change(workflow_type, change, datetime.now(UTC))

    @activity.defn(name=names.RECORD_AUDIT_EVENT)
    async def record_audit_event(self, event: AuditEvent) -> None:
        if await self._store.append_audit(event):  # False: a retry, the row is there already
            metrics.record_audit_event(event)
