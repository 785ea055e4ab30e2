"""The Store: every read and write of our database goes through here.

Used by activities/ (sync_state, append_audit, upsert_campaign) and api/ (everything else).
Writes are idempotent where Temporal may retry them. Every write transaction starts with a
write statement (or takes its lock explicitly), so on SQLite it holds the write lock before it
reads anything and waits for it (busy timeout) instead of failing on a stale read snapshot.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, Self

from sqlalchemy import Text, and_, case, cast, delete, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.sql import Select

from domain.changes import LastChange
from domain.context import CampaignMetrics
from domain.lifecycle import (
    AuditEvent,
    DecisionKind,
    LifecycleState,
    RecommendationStatus,
    TraceStep,
)
from domain.recommendation import ActionType
from domain.transitions import StoredStatus
from store import mapping
from store.engine import create_engine
from store.migrate import current_revision, upgrade
from store.models import (
    AuditLogRow,
    Base,
    CampaignRow,
    ChangePremiseRow,
    ExecutionRow,
    LLMResponseCacheRow,
    OutcomeRow,
    RecommendationRow,
    RunTraceRow,
    utcnow,
)
from store.portfolio import PortfolioStore
from store.records import (
    CampaignRecord,
    RecommendationRecord,
    ReviewCounts,
    ReviewItem,
    ReviewPulse,
    StateSave,
    StoredRecommendation,
)

__all__ = [
    "CampaignRecord",
    "RecommendationRecord",
    "ReviewCounts",
    "ReviewItem",
    "ReviewOrder",
    "ReviewPulse",
    "StateSave",
    "Store",
    "open_store",
]

PENDING_STATUSES = tuple(status.value for status in RecommendationStatus if status.is_pending)
# requested_by of a row first written by sync_state (a run started outside the API).
UNKNOWN_REQUESTER = "unknown"
# Key spaces of the advisory locks taken on PostgreSQL: per campaign by create_unless_pending,
# per recommendation by sync_state.
POSTGRES_CAMPAIGN_LOCK_SPACE = 0x4D41
POSTGRES_RECOMMENDATION_LOCK_SPACE = 0x4D42


class ReviewOrder(StrEnum):
    newest = "newest"
    # A pending recommendation's review deadline runs from its last sync (the one that made it
    # pending_review), so the oldest update is the most urgent.
    deadline = "deadline"


class Store:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # Rows are turned into Pydantic records right away; nothing lazy-loads after commit.
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        # Portfolio reviews, imported experiments and the agent's records (store/portfolio.py).
        self.portfolio = PortfolioStore(engine.dialect.name, self._sessions)

    @classmethod
    async def connect(cls, url: str, **engine_options: Any) -> Store:
        """Open (lazily) a connection pool; does not migrate, see migrate()/open_store().

        ``engine_options`` go to SQLAlchemy's create_async_engine: size the PostgreSQL pool
        (pool_size + max_overflow, default 5 + 10) to the worker's activity concurrency.
        """
        return cls(create_engine(url, **engine_options))

    async def migrate(self) -> None:
        """Alembic ``upgrade head``; safe to call from several processes at once."""
        await upgrade(self.engine)

    async def schema_revision(self) -> str | None:
        return await current_revision(self.engine)

    async def ping(self) -> bool:
        """Readiness probe: can we run a query?"""
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError):
            return False
        return True

    async def close(self) -> None:
        await self.engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    # -- recommendations -------------------------------------------------------------------

    async def create_recommendation(
        self, recommendation_id: str, campaign_id: str, requested_by: str
    ) -> RecommendationRecord:
        """Insert the row in status analyzing; an existing row is returned untouched."""
        async with self._sessions.begin() as session:
            await session.execute(
                self._new_recommendation(recommendation_id, campaign_id, requested_by)
            )
            return await self._record(session, recommendation_id)

    async def create_unless_pending(
        self, recommendation_id: str, campaign_id: str, requested_by: str, since: datetime
    ) -> tuple[RecommendationRecord, bool]:
        """Atomic dedup: the pending recommendation created at/after ``since`` if there is one
        (created=False), else a new one (created=True). Two concurrent calls for the same
        campaign cannot both create."""
        async with self._sessions.begin() as session:
            await self._lock(session, POSTGRES_CAMPAIGN_LOCK_SPACE, campaign_id)
            pending = await _first(session, _pending_query(campaign_id, since))
            if pending is not None:
                return mapping.to_record(pending), False
            await session.execute(
                self._new_recommendation(recommendation_id, campaign_id, requested_by)
            )
            return await self._record(session, recommendation_id), True

    async def find_pending(self, campaign_id: str, since: datetime) -> RecommendationRecord | None:
        """Newest recommendation in analyzing/pending_review created at or after ``since``."""
        async with self._sessions() as session:
            row = await _first(session, _pending_query(campaign_id, since))
            return mapping.to_record(row) if row else None

    async def get_recommendation(self, recommendation_id: str) -> RecommendationRecord | None:
        row = await self.read_recommendation(recommendation_id)
        return mapping.to_record(row) if row else None

    async def list_recommendations(
        self,
        status: RecommendationStatus | None = None,
        campaign_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[RecommendationRecord], int]:
        """One page, newest first, and the total number of matching rows."""
        rows, total = await self.read_recommendations(status, campaign_id, limit, offset)
        return [mapping.to_record(row) for row in rows], total

    async def read_recommendation(self, recommendation_id: str) -> StoredRecommendation | None:
        """The row with its state still JSON text (decoded by mapping.to_record)."""
        async with self._sessions() as session:
            return await _first(session, _STORED.where(_ID == recommendation_id))

    async def read_recommendations(
        self,
        status: RecommendationStatus | None = None,
        campaign_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[StoredRecommendation], int]:
        """list_recommendations with the state documents still JSON text."""
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must not be negative")
        filters = _list_filters(status, campaign_id)
        page = _newest_first(_STORED.where(*filters)).limit(limit).offset(offset)
        async with self._sessions() as session:
            total = await session.scalar(
                select(func.count()).select_from(RecommendationRow).where(*filters)
            )
            rows = (await session.execute(page)).all()
        return [StoredRecommendation(*row) for row in rows], int(total or 0)

    # -- reviewer console ------------------------------------------------------------------

    async def list_review_items(
        self,
        *,
        status: RecommendationStatus | None = None,
        campaign_id: str | None = None,
        action: str | None = None,
        order: ReviewOrder = ReviewOrder.newest,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[ReviewItem], int]:
        """One page of summaries (no state documents) and the number of matching rows."""
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must not be negative")
        filters = _list_filters(status, campaign_id)
        if action is not None:
            filters.append(RecommendationRow.recommended_action == action)
        row = RecommendationRow
        columns = [getattr(row, name) for name in _REVIEW_COLUMNS]
        query = (
            select(*columns, CampaignRow.name.label("campaign_name"))
            .outerjoin(CampaignRow, CampaignRow.campaign_id == row.campaign_id)
            .where(*filters)
            .limit(limit)
            .offset(offset)
        )
        if order is ReviewOrder.deadline:
            query = query.order_by(row.updated_at, row.recommendation_id)
        else:
            query = _newest_first(query)
        async with self._sessions() as session:
            total = await session.scalar(select(func.count()).select_from(row).where(*filters))
            rows = (await session.execute(query)).mappings().all()
        return [ReviewItem.model_validate(dict(found)) for found in rows], int(total or 0)

    async def review_counts(
        self, *, pending_since_before: datetime, executed_since: datetime
    ) -> ReviewCounts:
        """Recommendations pending review; those of them pending since before
        ``pending_since_before`` (their deadline is near); actions applied since
        ``executed_since``."""
        row = RecommendationRow
        pending = row.status == RecommendationStatus.pending_review.value
        query = select(
            select(func.count()).where(pending).scalar_subquery(),
            select(func.count())
            .where(pending, row.updated_at < pending_since_before)
            .scalar_subquery(),
            select(func.count())
            .select_from(ExecutionRow)
            .where(ExecutionRow.applied.is_(True), ExecutionRow.executed_at >= executed_since)
            .scalar_subquery(),
        )
        async with self._sessions() as session:
            counts = (await session.execute(query)).one()
        return ReviewCounts(pending=counts[0], expiring_soon=counts[1], executed=counts[2])

    async def review_pulse(
        self, *, decided_since: datetime, excluding_reviewer: str
    ) -> ReviewPulse:
        """Recommendations pending review and the oldest last update among them (their review
        deadline runs from it), and the decisions taken since ``decided_since`` by reviewers
        other than ``excluding_reviewer`` (the auto-approval policy): the API's gauges."""
        row = RecommendationRow
        pending = row.status == RecommendationStatus.pending_review.value
        waiting = select(func.count(), func.min(row.updated_at)).where(pending)
        decided = (
            select(row.decision, func.count())
            .where(row.decided_at >= decided_since, row.reviewer != excluding_reviewer)
            .group_by(row.decision)
        )
        async with self._sessions() as session:
            count, oldest = (await session.execute(waiting)).one()
            decisions = {decision: n for decision, n in await session.execute(decided)}
        return ReviewPulse(
            pending=count,
            oldest_pending_update=oldest,  # min() keeps the column's type: UTC-aware
            approved=decisions.get(DecisionKind.approved.value, 0),
            rejected=decisions.get(DecisionKind.rejected.value, 0),
        )

    async def list_campaign_ids(self, limit: int = 500) -> list[str]:
        """Campaigns with at least one recommendation, alphabetically."""
        query = (
            select(RecommendationRow.campaign_id)
            .distinct()
            .order_by(RecommendationRow.campaign_id)
            .limit(limit)
        )
        async with self._sessions() as session:
            return list(await session.scalars(query))

    # -- lifecycle mirror ------------------------------------------------------------------

    async def sync_state(self, state: LifecycleState) -> StateSave:
        """Mirror a LifecycleState: the recommendation row, its trace, execution and outcome.

        Idempotent (the activity is retried) and works without create_recommendation (a run
        started from the Temporal CLI). Monotonic: a state whose ``seq`` is lower than the
        stored one (a delayed retry of an older save) changes nothing, and ``written`` says so.
        ``previous`` is what the row held before this save (the worker counts its metrics from
        the change), read under a per-recommendation lock: of two overlapping saves of one
        state only the first sees the status change, and traces cannot double up.
        """
        async with self._sessions.begin() as session:
            return await self._sync_state(session, state, utcnow())

    async def save_state(
        self, state: LifecycleState, audit: Sequence[AuditEvent]
    ) -> tuple[StateSave, list[bool]]:
        """``sync_state`` and ``append_audit`` of each entry in one transaction: the audit
        entries are appended (a repeated one is not, as in append_audit) whether or not a
        newer state is stored already. Returns the save and, per entry, whether it was
        inserted by this call."""
        async with self._sessions.begin() as session:
            saved = await self._sync_state(session, state, utcnow())
            inserted = [await self._append_audit(session, event) for event in audit]
        return saved, inserted

    async def _sync_state(
        self, session: AsyncSession, state: LifecycleState, now: datetime
    ) -> StateSave:
        await self._lock(session, POSTGRES_RECOMMENDATION_LOCK_SPACE, state.recommendation_id)
        previous = await self._stored_status(session, state.recommendation_id)
        written = await session.execute(self._upsert_recommendation(state, now))
        if written.first() is None:
            return StateSave(written=False, previous=previous)  # a newer state is stored
        await self._replace_traces(session, state.recommendation_id, state.trace)
        if state.execution is not None:
            columns = mapping.execution_columns(state.recommendation_id, state.execution)
            await session.execute(self._upsert(ExecutionRow, columns, "idempotency_key"))
        if state.outcome is not None:
            columns = mapping.outcome_columns(state.recommendation_id, state.outcome)
            await session.execute(self._upsert(OutcomeRow, columns, "recommendation_id"))
        return StateSave(written=True, previous=previous)

    @staticmethod
    async def _stored_status(session: AsyncSession, recommendation_id: str) -> StoredStatus | None:
        row = RecommendationRow
        query = select(row.status, row.revision, row.created_at).where(
            row.recommendation_id == recommendation_id
        )
        found = (await session.execute(query)).first()
        if found is None:
            return None
        return StoredStatus(
            status=RecommendationStatus(found.status),
            revision=found.revision,
            created_at=found.created_at,
        )

    async def last_change(self, campaign_id: str) -> LastChange | None:
        """The campaign's most recent change applied on the platform (what a cooldown counts
        from), or None. Plans left to a person or superseded were not applied."""
        query = (
            select(ExecutionRow)
            .where(ExecutionRow.campaign_id == campaign_id, ExecutionRow.applied.is_(True))
            .order_by(ExecutionRow.executed_at.desc(), ExecutionRow.id.desc())
            .limit(1)
        )
        async with self._sessions() as session:
            row = (await session.scalars(query)).first()
        if row is None:
            return None
        return LastChange(
            recommendation_id=row.recommendation_id,
            action=ActionType(row.action),
            at=row.executed_at,
        )

    async def list_traces(self, recommendation_id: str) -> list[TraceStep]:
        query = (
            select(RunTraceRow)
            .where(RunTraceRow.recommendation_id == recommendation_id)
            .order_by(RunTraceRow.position)
        )
        async with self._sessions() as session:
            return [
                TraceStep(
                    step=row.step,
                    iteration=row.iteration,
                    started_at=row.started_at,
                    duration_ms=row.duration_ms,
                    detail=row.detail,
                )
                for row in await session.scalars(query)
            ]

    async def record_premise_checked(self, idempotency_key: str, campaign_id: str) -> None:
        statement = (
            self._insert(ChangePremiseRow)
            .values(idempotency_key=idempotency_key, campaign_id=campaign_id, checked_at=utcnow())
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
        )
        async with self._sessions.begin() as session:
            await session.execute(statement)

    async def premise_checked(self, idempotency_key: str) -> bool:
        async with self._sessions() as session:
            return await session.get(ChangePremiseRow, idempotency_key) is not None

    # -- audit -----------------------------------------------------------------------------

    async def append_audit(self, event: AuditEvent) -> bool:
        """Append one entry; appending the very same event again (a retry) is a no-op.
        True when this call inserted it (what the worker counts decisions from)."""
        async with self._sessions.begin() as session:
            return await self._append_audit(session, event)

    async def _append_audit(self, session: AsyncSession, event: AuditEvent) -> bool:
        statement = (
            self._insert(AuditLogRow)
            .values(**mapping.audit_columns(event))
            .on_conflict_do_nothing(index_elements=["dedup_key"])
            .returning(AuditLogRow.id)
        )
        inserted = await session.execute(statement)
        return inserted.first() is not None

    async def list_audit(self, recommendation_id: str) -> list[AuditEvent]:
        """Oldest first (by event time, then by insertion)."""
        query = (
            select(AuditLogRow)
            .where(AuditLogRow.recommendation_id == recommendation_id)
            .order_by(AuditLogRow.at, AuditLogRow.id)
        )
        async with self._sessions() as session:
            return [mapping.to_audit_event(row) for row in await session.scalars(query)]

    # -- campaigns -------------------------------------------------------------------------

    async def upsert_campaign(self, metrics: CampaignMetrics) -> None:
        now = utcnow()
        latest = {
            "name": metrics.campaign_name,
            "platform": metrics.platform,
            "last_seen_at": now,
            "last_metrics": metrics.model_dump(mode="json"),
        }
        statement = self._insert(CampaignRow).values(
            campaign_id=metrics.campaign_id, first_seen_at=now, **latest
        )
        statement = statement.on_conflict_do_update(
            index_elements=["campaign_id"],
            set_={name: statement.excluded[name] for name in latest},
        )
        async with self._sessions.begin() as session:
            await session.execute(statement)

    async def get_campaign(self, campaign_id: str) -> CampaignRecord | None:
        async with self._sessions() as session:
            row = await session.get(CampaignRow, campaign_id)
        if row is None:
            return None
        return CampaignRecord(
            campaign_id=row.campaign_id,
            name=row.name,
            platform=row.platform,
            first_seen_at=row.first_seen_at,
            last_seen_at=row.last_seen_at,
            last_metrics=CampaignMetrics.model_validate(row.last_metrics),
        )

    # -- LLM response cache ----------------------------------------------------------------

    async def get_cached_answer(self, key: str) -> dict[str, Any] | None:
        async with self._sessions() as session:
            row = await session.get(LLMResponseCacheRow, key)
            return row.answer if row else None

    async def put_cached_answer(
        self, key: str, prompt: str, prompt_version: str, model: str, answer: dict[str, Any]
    ) -> None:
        """Keep the first answer stored under ``key`` (concurrent writers agree anyway)."""
        statement = (
            self._insert(LLMResponseCacheRow)
            .values(
                key=key,
                prompt=prompt,
                prompt_version=prompt_version,
                model=model,
                answer=answer,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["key"])
        )
        async with self._sessions.begin() as session:
            await session.execute(statement)

    # -- statement builders ----------------------------------------------------------------

    def _insert(self, model: type[Base]) -> Any:
        """A dialect INSERT, which knows ON CONFLICT (spelled alike on SQLite and PostgreSQL)."""
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(model)

    def _upsert(self, model: type[Base], columns: dict[str, Any], key: str) -> Any:
        """INSERT, or on a clash on ``key`` overwrite every other column."""
        statement = self._insert(model).values(**columns)
        return statement.on_conflict_do_update(
            index_elements=[key],
            set_={name: statement.excluded[name] for name in columns if name != key},
        )

    def _new_recommendation(
        self, recommendation_id: str, campaign_id: str, requested_by: str
    ) -> Any:
        now = utcnow()
        statement = self._insert(RecommendationRow).values(
            recommendation_id=recommendation_id,
            campaign_id=campaign_id,
            # The API uses the recommendation id as the Temporal workflow id.
            workflow_id=recommendation_id,
            status=RecommendationStatus.analyzing.value,
            requested_by=requested_by,
            created_at=now,
            updated_at=now,
            **mapping.recommendation_columns(None),
        )
        return statement.on_conflict_do_nothing(index_elements=["recommendation_id"])

    def _upsert_recommendation(self, state: LifecycleState, now: datetime) -> Any:
        columns = mapping.state_columns(state, now)
        statement = self._insert(RecommendationRow).values(
            recommendation_id=state.recommendation_id,
            workflow_id=state.recommendation_id,
            requested_by=UNKNOWN_REQUESTER,
            created_at=now,
            **columns,
        )
        # recommendation_id, workflow_id, requested_by and created_at keep their first values.
        updates = {name: statement.excluded[name] for name in columns}
        updates["decided_at"] = _first_decided_at(statement.excluded)
        return statement.on_conflict_do_update(
            index_elements=["recommendation_id"],
            set_=updates,
            where=RecommendationRow.state_seq <= statement.excluded.state_seq,
        ).returning(RecommendationRow.recommendation_id)

    async def _replace_traces(
        self, session: AsyncSession, recommendation_id: str, trace: list[TraceStep]
    ) -> None:
        await session.execute(
            delete(RunTraceRow).where(RunTraceRow.recommendation_id == recommendation_id)
        )
        rows = mapping.trace_rows(recommendation_id, trace)
        if rows:
            await session.execute(insert(RunTraceRow), rows)

    async def _lock(self, session: AsyncSession, space: int, key: str) -> None:
        """Serialise transactions on one key of ``space`` until commit (database-wide on
        SQLite, where a write transaction locks the whole database anyway)."""
        if self.engine.dialect.name == "postgresql":
            await session.execute(
                text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))"),
                {"space": space, "key": key},
            )
        else:
            # Take SQLite's write lock before reading, so the read cannot go stale.
            await session.execute(text("BEGIN IMMEDIATE"))

    @staticmethod
    async def _record(session: AsyncSession, recommendation_id: str) -> RecommendationRecord:
        row = await _first(session, _STORED.where(_ID == recommendation_id))
        if row is None:  # cannot happen: the row was written in this very transaction
            raise LookupError(recommendation_id)
        return mapping.to_record(row)


async def open_store(url: str, migrate: bool = True, **engine_options: Any) -> Store:
    """Connect and (by default) bring the schema to head: what the API and worker call."""
    store = await Store.connect(url, **engine_options)
    if migrate:
        try:
            await store.migrate()
        except BaseException:
            await store.close()
            raise
    return store


def _first_decided_at(excluded: Any) -> Any:
    """Keep the time a decision was first synced; re-syncs of the same decision don't move it."""
    row = RecommendationRow
    same_decision = and_(
        row.decided_at.is_not(None),
        row.decision == excluded.decision,
        row.revision == excluded.revision,
    )
    return case((same_decision, row.decided_at), else_=excluded.decided_at)


def _pending_query(campaign_id: str, since: datetime) -> Select[Any]:
    query = _STORED.where(
        RecommendationRow.campaign_id == campaign_id,
        RecommendationRow.status.in_(PENDING_STATUSES),
        RecommendationRow.created_at >= since,
    )
    return _newest_first(query).limit(1)


# A recommendation row as StoredRecommendation reads it: plain columns (no ORM objects) and the
# state as text, cast in SQL so that neither the driver nor SQLAlchemy decodes it (reads
# decode it once, or not at all when api/views.py has the view cached).
_STORED = select(
    *(
        cast(RecommendationRow.state, Text).label(name)
        if name == "state_json"
        else getattr(RecommendationRow, name)
        for name in StoredRecommendation._fields
    )
)
_ID = RecommendationRow.recommendation_id


async def _first(session: AsyncSession, query: Select[Any]) -> StoredRecommendation | None:
    row = (await session.execute(query)).first()
    return StoredRecommendation(*row) if row else None


def _list_filters(status: RecommendationStatus | None, campaign_id: str | None) -> list[Any]:
    filters: list[Any] = []
    if status is not None:
        filters.append(RecommendationRow.status == RecommendationStatus(status).value)
    if campaign_id is not None:
        filters.append(RecommendationRow.campaign_id == campaign_id)
    return filters


_REVIEW_COLUMNS = [name for name in ReviewItem.model_fields if name not in ("campaign_name",)]


def _newest_first(query: Select[Any]) -> Select[Any]:
    # The id breaks ties between rows created in the same instant, so pages never overlap.
    return query.order_by(
        RecommendationRow.created_at.desc(), RecommendationRow.recommendation_id.desc()
    )
