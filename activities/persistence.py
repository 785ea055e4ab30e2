"""Mirror the workflow's state and audit trail into our database (the API reads it there)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from temporalio import activity

from domain.lifecycle import AuditEvent, LifecycleState
from workflows import activity_names as names

if TYPE_CHECKING:
    from store.repository import Store


class PersistenceActivities:
    def __init__(self, store: Store) -> None:
        self._store = store

    @activity.defn(name=names.SYNC_STATE)
    async def sync_state(self, state: LifecycleState) -> None:
        # An upsert of the whole state: replays and retries converge on the same row.
        await self._store.sync_state(state)

    @activity.defn(name=names.RECORD_AUDIT_EVENT)
    async def record_audit_event(self, event: AuditEvent) -> None:
        await self._store.append_audit(event)
