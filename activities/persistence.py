"""Mirror the workflow's state and audit trail into our database (the API reads it there),
and count the run's metrics from what those writes changed (``activities.metrics``).

Once a state is stored, ``on_synced`` (the worker passes the lifecycle notifications) hears of
it: the notifications a recommendation calls for follow from its stored states, so they need
no change to the workflow, and a retried save is no new event (their keys come from the state).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from temporalio import activity

from activities import metrics
from domain.lifecycle import AuditEvent, LifecycleState, StateWithAudit
from domain.transitions import state_change
from workflows import activity_names as names

if TYPE_CHECKING:
    from store.records import StateSave
    from store.repository import Store


class PersistenceActivities:
    def __init__(
        self,
        store: Store,
        on_synced: Callable[[LifecycleState], Awaitable[None]] | None = None,
    ) -> None:
        self._store = store
        self._on_synced = on_synced

    @activity.defn(name=names.SYNC_STATE)
    async def sync_state(self, state: LifecycleState) -> None:
        # An upsert of the whole state: replays and retries converge on the same row. Only the
        # save that moved the row on counts: a retry finds the status saved already. A state
        # older than the stored one (a late retry) is no news to anyone.
        await self._state_saved(state, await self._store.sync_state(state))

    @activity.defn(name=names.SAVE_STATE)
    async def save_state(self, save: StateWithAudit) -> None:
        """sync_state and record_audit_event of each entry, in one transaction."""
        saved, inserted = await self._store.save_state(save.state, save.audit)
        for event, new in zip(save.audit, inserted, strict=True):
            if new:  # False: a retry, the row is there already
                metrics.record_audit_event(event)
        await self._state_saved(save.state, saved)

    async def _state_saved(self, state: LifecycleState, saved: StateSave) -> None:
        if not saved.written:
            return
        workflow_type = activity.info().workflow_type or "unknown"
        metrics.record_state_change(
            workflow_type, state_change(saved.previous, state), datetime.now(UTC)
        )
        if self._on_synced is not None:
            await self._on_synced(state)

    @activity.defn(name=names.RECORD_AUDIT_EVENT)
    async def record_audit_event(self, event: AuditEvent) -> None:
        if await self._store.append_audit(event):  # False: a retry, the row is there already
            metrics.record_audit_event(event)
