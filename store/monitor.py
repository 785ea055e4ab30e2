"""The monitors' records: media plans, pacing passes, alerts and halts, notification deliveries
and KPI watch passes. Same engine as ``Store`` (``MonitorStore(store.engine)``).

Writes are idempotent where Temporal may retry them: a pass's assessments are upserted, an
alert is created once per key (``ON CONFLICT DO NOTHING ... RETURNING`` says which ones are new,
even when two passes race), a delivery is recorded once per event and target.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.changes import LastChange
from domain.lifecycle import AuditEvent, RecommendationStatus
from domain.media_plan import MediaPlan, PlanLine
from domain.pacing import HaltState, PacingAction, PacingAssessment
from domain.recommendation import ActionType
from domain.watch import OpenRecommendation, WatchSummary
from store import mapping
from store.models import (
    AuditLogRow,
    Base,
    ExecutionRow,
    MediaPlanLineRow,
    MediaPlanRow,
    NotificationDeliveryRow,
    PacingAlertRow,
    PacingAssessmentRow,
    PacingHaltRow,
    PacingPassRow,
    RecommendationRow,
    WatchPassRow,
    utcnow,
)

PACING_ACTOR = "pacing-monitor"
# A recommendation in these states still speaks for its campaign: no second analysis.
OPEN_STATUSES = tuple(
    s.value
    for s in (
        RecommendationStatus.analyzing,
        RecommendationStatus.pending_review,
        RecommendationStatus.approved,
    )
)
_IN_CHUNK = 500  # ids per IN (...) list


class MediaPlanRecord(BaseModel):
    plan_id: str
    lines: int
    source: str
    imported_by: str
    imported_at: datetime
    activated_at: datetime


class PacingPassRecord(BaseModel):
    pass_id: str
    plan_id: str | None
    started_at: datetime
    finished_at: datetime | None
    lines: int
    autonomous_halt: bool
    counts: dict[str, Any]


class PacingHaltRecord(BaseModel):
    halt_id: str
    alert_key: str
    campaign_id: str
    status: str
    reason: str
    queued_at: datetime
    decided_at: datetime | None = None
    released_at: datetime | None = None
    released_by: str | None = None
    release_reason: str | None = None
    released_until: datetime | None = None


class PacingAlertRecord(BaseModel):
    alert_key: str
    day: date
    subject: str
    campaign_id: str | None
    line_id: str
    severity: str
    action: str
    status: str
    confidence: float
    variance_pct: float | None
    assessment: PacingAssessment
    pass_id: str
    created_at: datetime
    updated_at: datetime
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    note: str | None = None
    halts: list[PacingHaltRecord] = []


class ImportOutcome(BaseModel):
    plan: MediaPlanRecord
    # imported: new; unchanged: it is the current plan already; reactivated: an earlier plan
    # became current again.
    outcome: str


class MonitorStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    def _insert(self, model: type[Base]) -> Any:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(model)

    # -- media plans -----------------------------------------------------------------------

    async def import_media_plan(
        self, plan: MediaPlan, source: str, imported_by: str
    ) -> ImportOutcome:
        """Make ``plan`` the current plan, in one transaction: all its lines or nothing."""
        now = utcnow()
        async with self._sessions.begin() as session:
            await self._write_lock(session)
            current = await self._current_plan(session, lock=True)
            if current is not None and current.plan_id == plan.plan_id:
                return ImportOutcome(plan=_plan_record(current), outcome="unchanged")
            existing = await session.get(MediaPlanRow, plan.plan_id)
            if existing is not None:
                existing.activated_at = now
                return ImportOutcome(plan=_plan_record(existing), outcome="reactivated")
            row = MediaPlanRow(
                plan_id=plan.plan_id,
                lines=len(plan.lines),
                source=source,
                imported_by=imported_by,
                imported_at=now,
                activated_at=now,
            )
            session.add(row)
            await session.flush()
            await session.execute(
                self._insert(MediaPlanLineRow),
                [
                    {"plan_id": plan.plan_id, "position": position, **line.model_dump()}
                    for position, line in enumerate(plan.lines)
                ],
            )
            return ImportOutcome(plan=_plan_record(row), outcome="imported")

    async def current_media_plan(self) -> MediaPlanRecord | None:
        async with self._sessions() as session:
            row = await self._current_plan(session)
            return _plan_record(row) if row else None

    async def media_plan_lines(
        self, plan_id: str, offset: int = 0, limit: int | None = None
    ) -> list[PlanLine]:
        query = (
            select(MediaPlanLineRow)
            .where(MediaPlanLineRow.plan_id == plan_id)
            .order_by(MediaPlanLineRow.position)
            .offset(offset)
            .limit(limit)
        )
        async with self._sessions() as session:
            return [
                PlanLine(
                    line_id=row.line_id,
                    campaign_name=row.campaign_name,
                    campaign_id=row.campaign_id,
                    market=row.market,
                    product=row.product,
                    start_date=row.start_date,
                    end_date=row.end_date,
                    target_spend=row.target_spend,
                )
                for row in await session.scalars(query)
            ]

    async def _current_plan(
        self, session: AsyncSession, *, lock: bool = False
    ) -> MediaPlanRow | None:
        query = select(MediaPlanRow).order_by(
            MediaPlanRow.activated_at.desc(), MediaPlanRow.plan_id
        )
        if lock:
            query = query.with_for_update()
        return (await session.scalars(query.limit(1))).first()

    # -- pacing passes and assessments -----------------------------------------------------

    async def begin_pacing_pass(
        self, pass_id: str, plan_id: str | None, lines: int, at: datetime, autonomous: bool
    ) -> None:
        statement = (
            self._insert(PacingPassRow)
            .values(
                pass_id=pass_id,
                plan_id=plan_id,
                started_at=at,
                lines=lines,
                autonomous_halt=autonomous,
                counts={},
            )
            .on_conflict_do_nothing(index_elements=["pass_id"])
        )
        async with self._sessions.begin() as session:
            await session.execute(statement)

    async def record_assessments(
        self, pass_id: str, day: date, at: datetime, assessments: list[PacingAssessment]
    ) -> list[str]:
        """Store every assessment of the pass; create the day's alert of each line that needs
        one (or refresh it with the latest assessment). Returns the alert keys created now,
        each audited once."""
        if not assessments:
            return []
        rows = [
            {
                "pass_id": pass_id,
                "line_id": a.line_id,
                "campaign_id": a.campaign_id,
                "severity": a.severity.value,
                "action": a.action.value,
                "confidence": a.confidence,
                "variance_pct": a.variance_pct,
                "assessment": a.model_dump(mode="json"),
            }
            for a in assessments
        ]
        upsert = self._insert(PacingAssessmentRow)
        upsert = upsert.on_conflict_do_update(
            index_elements=["pass_id", "line_id"],
            set_={k: upsert.excluded[k] for k in rows[0] if k not in ("pass_id", "line_id")},
        )
        created: list[str] = []
        async with self._sessions.begin() as session:
            await self._write_lock(session)
            await session.execute(upsert, rows)
            for a in assessments:
                if a.action is PacingAction.none:
                    continue
                key = a.alert_key(day)
                if await self._create_alert(session, key, day, pass_id, at, a):
                    created.append(key)
                    session.add(_alert_audit(key, a, at))
        return created

    async def _create_alert(
        self,
        session: AsyncSession,
        key: str,
        day: date,
        pass_id: str,
        at: datetime,
        a: PacingAssessment,
    ) -> bool:
        latest = {
            "action": a.action.value,
            "confidence": a.confidence,
            "variance_pct": a.variance_pct,
            "assessment": a.model_dump(mode="json"),
            "pass_id": pass_id,
            "updated_at": at,
        }
        inserted = await session.execute(
            self._insert(PacingAlertRow)
            .values(
                alert_key=key,
                day=day,
                subject=a.subject,
                campaign_id=a.campaign_id,
                line_id=a.line_id,
                severity=a.severity.value,
                status="open",
                created_at=at,
                **latest,
            )
            .on_conflict_do_nothing(index_elements=["alert_key"])
            .returning(PacingAlertRow.alert_key)
        )
        if inserted.first() is not None:
            return True
        await session.execute(
            update(PacingAlertRow).where(PacingAlertRow.alert_key == key).values(**latest)
        )
        return False

    async def finish_pacing_pass(self, pass_id: str, counts: dict[str, Any], at: datetime) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(PacingPassRow)
                .where(PacingPassRow.pass_id == pass_id)
                .values(counts=counts, finished_at=at)
            )

    async def list_pacing_passes(
        self, limit: int = 20, offset: int = 0
    ) -> tuple[list[PacingPassRecord], int]:
        async with self._sessions() as session:
            total = await session.scalar(select(func.count()).select_from(PacingPassRow))
            rows = await session.scalars(
                select(PacingPassRow)
                .order_by(PacingPassRow.started_at.desc(), PacingPassRow.pass_id)
                .limit(limit)
                .offset(offset)
            )
            return [_pass_record(row) for row in rows], int(total or 0)

    async def get_pacing_pass(self, pass_id: str) -> PacingPassRecord | None:
        async with self._sessions() as session:
            row = await session.get(PacingPassRow, pass_id)
            return _pass_record(row) if row else None

    async def pass_assessments(
        self,
        pass_id: str,
        *,
        severity: str | None = None,
        action: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[PacingAssessment], int]:
        filters = [PacingAssessmentRow.pass_id == pass_id]
        if severity:
            filters.append(PacingAssessmentRow.severity == severity)
        if action:
            filters.append(PacingAssessmentRow.action == action)
        async with self._sessions() as session:
            total = await session.scalar(
                select(func.count()).select_from(PacingAssessmentRow).where(*filters)
            )
            rows = await session.scalars(
                select(PacingAssessmentRow)
                .where(*filters)
                .order_by(PacingAssessmentRow.line_id)
                .limit(limit)
                .offset(offset)
            )
            items = [PacingAssessment.model_validate(row.assessment) for row in rows]
            return items, int(total or 0)

    # -- alerts ----------------------------------------------------------------------------

    async def list_pacing_alerts(
        self,
        *,
        status: str | None = None,
        severity: str | None = None,
        action: str | None = None,
        campaign_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[PacingAlertRecord], int]:
        row = PacingAlertRow
        filters = []
        for column, value in (
            (row.status, status),
            (row.severity, severity),
            (row.action, action),
            (row.campaign_id, campaign_id),
        ):
            if value:
                filters.append(column == value)
        async with self._sessions() as session:
            total = await session.scalar(select(func.count()).select_from(row).where(*filters))
            rows = list(
                await session.scalars(
                    select(row)
                    .where(*filters)
                    .order_by(row.created_at.desc(), row.alert_key)
                    .limit(limit)
                    .offset(offset)
                )
            )
            halts = await self._halts_of(session, [r.alert_key for r in rows])
            return [_alert_record(r, halts.get(r.alert_key, [])) for r in rows], int(total or 0)

    async def get_pacing_alert(self, alert_key: str) -> PacingAlertRecord | None:
        async with self._sessions() as session:
            row = await session.get(PacingAlertRow, alert_key)
            if row is None:
                return None
            halts = await self._halts_of(session, [alert_key])
            return _alert_record(row, halts.get(alert_key, []))

    async def acknowledge_alert(
        self, alert_key: str, by: str, note: str, at: datetime
    ) -> PacingAlertRecord | None:
        """The first acknowledgement stands (a repeated one changes nothing)."""
        async with self._sessions.begin() as session:
            await self._write_lock(session)
            row = await session.get(PacingAlertRow, alert_key, with_for_update=True)
            if row is None:
                return None
            if row.status != "acknowledged":
                row.status = "acknowledged"
                row.acknowledged_by = by
                row.acknowledged_at = at
                row.note = note or None
                session.add(_audit(alert_key, "pacing_alert_acknowledged", by, at, {"note": note}))
        return await self.get_pacing_alert(alert_key)

    # -- halts -----------------------------------------------------------------------------

    async def record_halt_queued(
        self, halt_id: str, alert_key: str, campaign_id: str, at: datetime
    ) -> None:
        statement = (
            self._insert(PacingHaltRow)
            .values(
                halt_id=halt_id,
                alert_key=alert_key,
                campaign_id=campaign_id,
                status="queued",
                reason="",
                queued_at=at,
            )
            .on_conflict_do_nothing(index_elements=["halt_id"])
            .returning(PacingHaltRow.halt_id)
        )
        async with self._sessions.begin() as session:
            if (await session.execute(statement)).first() is not None:
                payload = {"halt_id": halt_id, "campaign_id": campaign_id}
                session.add(_audit(alert_key, "pacing_halt_queued", PACING_ACTOR, at, payload))

    async def record_halt_outcome(
        self, halt_id: str, status: str, reason: str, at: datetime, execution: dict | None
    ) -> None:
        async with self._sessions.begin() as session:
            await self._write_lock(session)
            row = await session.get(PacingHaltRow, halt_id, with_for_update=True)
            if row is None or row.status == status:
                return  # a retry: recorded already
            row.status, row.reason, row.decided_at = status, reason, at
            payload = {"halt_id": halt_id, "reason": reason, "execution": execution}
            session.add(_audit(row.alert_key, f"pacing_halt_{status}", PACING_ACTOR, at, payload))

    async def halt_states(self, campaign_ids: Iterable[str]) -> dict[str, HaltState]:
        """Each campaign's latest applied halt (in effect unless released)."""
        ids = sorted(set(campaign_ids))
        found: dict[str, HaltState] = {}
        async with self._sessions() as session:
            for chunk in _chunks(ids):
                rows = await session.scalars(
                    select(PacingHaltRow)
                    .where(PacingHaltRow.campaign_id.in_(chunk), PacingHaltRow.status == "executed")
                    .order_by(PacingHaltRow.decided_at.desc())
                )
                for row in rows:
                    found.setdefault(
                        row.campaign_id,
                        HaltState(
                            halted_at=row.decided_at or row.queued_at,
                            released_at=row.released_at,
                            released_until=row.released_until,
                        ),
                    )
        return found

    async def release_halt(
        self, alert_key: str, by: str, reason: str, until: datetime | None, at: datetime
    ) -> PacingHaltRecord | None:
        """Release the halt an alert led to (None: it has none in effect)."""
        async with self._sessions.begin() as session:
            await self._write_lock(session)
            row = (
                await session.scalars(
                    select(PacingHaltRow)
                    .where(
                        PacingHaltRow.alert_key == alert_key,
                        PacingHaltRow.status == "executed",
                        PacingHaltRow.released_at.is_(None),
                    )
                    .limit(1)
                    .with_for_update()
                )
            ).first()
            if row is None:
                return None
            row.released_at, row.released_by = at, by
            row.release_reason, row.released_until = reason, until
            payload = {
                "halt_id": row.halt_id,
                "reason": reason,
                "until": until.isoformat() if until else None,
            }
            session.add(_audit(alert_key, "pacing_halt_released", by, at, payload))
            return PacingHaltRecord.model_validate(row, from_attributes=True)

    async def _halts_of(
        self, session: AsyncSession, alert_keys: list[str]
    ) -> dict[str, list[PacingHaltRecord]]:
        if not alert_keys:
            return {}
        rows = await session.scalars(
            select(PacingHaltRow)
            .where(PacingHaltRow.alert_key.in_(alert_keys))
            .order_by(PacingHaltRow.queued_at)
        )
        halts: dict[str, list[PacingHaltRecord]] = {}
        for row in rows:
            record = PacingHaltRecord.model_validate(row, from_attributes=True)
            halts.setdefault(row.alert_key, []).append(record)
        return halts

    # -- notifications ---------------------------------------------------------------------

    async def delivered_targets(self, event_key: str) -> set[str]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(NotificationDeliveryRow.target).where(
                    NotificationDeliveryRow.event_key == event_key
                )
            )
            return set(rows)

    async def record_delivery(
        self, event_key: str, target: str, kind: str, campaign_id: str | None, at: datetime
    ) -> None:
        statement = (
            self._insert(NotificationDeliveryRow)
            .values(
                event_key=event_key,
                target=target,
                kind=kind,
                campaign_id=campaign_id,
                delivered_at=at,
            )
            .on_conflict_do_nothing(index_elements=["event_key", "target"])
        )
        async with self._sessions.begin() as session:
            await session.execute(statement)

    # -- KPI watch -------------------------------------------------------------------------

    async def save_watch_pass(self, summary: WatchSummary) -> None:
        values = {
            "started_at": summary.started_at,
            "finished_at": summary.finished_at,
            "counts": summary.counts(),
            "summary": summary.model_dump(mode="json"),
        }
        statement = self._insert(WatchPassRow).values(pass_id=summary.pass_id, **values)
        statement = statement.on_conflict_do_update(
            index_elements=["pass_id"], set_={k: statement.excluded[k] for k in values}
        )
        async with self._sessions.begin() as session:
            await session.execute(statement)

    async def list_watch_passes(
        self, limit: int = 20, offset: int = 0
    ) -> tuple[list[WatchSummary], int]:
        async with self._sessions() as session:
            total = await session.scalar(select(func.count()).select_from(WatchPassRow))
            rows = await session.scalars(
                select(WatchPassRow)
                .order_by(WatchPassRow.started_at.desc(), WatchPassRow.pass_id)
                .limit(limit)
                .offset(offset)
            )
            return [WatchSummary.model_validate(row.summary) for row in rows], int(total or 0)

    async def get_watch_pass(self, pass_id: str) -> WatchSummary | None:
        async with self._sessions() as session:
            row = await session.get(WatchPassRow, pass_id)
            return WatchSummary.model_validate(row.summary) if row else None

    async def open_recommendations(
        self, campaign_ids: Iterable[str]
    ) -> dict[str, OpenRecommendation]:
        """Each campaign's newest recommendation still in progress (not decided or done)."""
        ids = sorted(set(campaign_ids))
        found: dict[str, OpenRecommendation] = {}
        row = RecommendationRow
        async with self._sessions() as session:
            for chunk in _chunks(ids):
                rows = await session.execute(
                    select(row.campaign_id, row.recommendation_id, row.status)
                    .where(row.campaign_id.in_(chunk), row.status.in_(OPEN_STATUSES))
                    .order_by(row.created_at.desc())
                )
                for campaign_id, recommendation_id, status in rows:
                    found.setdefault(
                        campaign_id,
                        OpenRecommendation(recommendation_id=recommendation_id, status=status),
                    )
        return found

    async def last_changes(self, campaign_ids: Iterable[str]) -> dict[str, LastChange]:
        """Each campaign's most recent change applied on the platform."""
        ids = sorted(set(campaign_ids))
        found: dict[str, LastChange] = {}
        row = ExecutionRow
        async with self._sessions() as session:
            for chunk in _chunks(ids):
                rows = await session.scalars(
                    select(row)
                    .where(row.campaign_id.in_(chunk), row.applied.is_(True))
                    .order_by(row.executed_at.desc(), row.id.desc())
                )
                for execution in rows:
                    found.setdefault(
                        execution.campaign_id,
                        LastChange(
                            recommendation_id=execution.recommendation_id,
                            action=ActionType(execution.action),
                            at=execution.executed_at,
                        ),
                    )
        return found

    async def _write_lock(self, session: AsyncSession) -> None:
        """On SQLite take the write lock before reading, so a read-then-write cannot go stale
        (Store's convention); PostgreSQL locks the rows read with ``with_for_update``."""
        if self.engine.dialect.name == "sqlite":
            await session.execute(text("BEGIN IMMEDIATE"))


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), _IN_CHUNK):
        yield ids[start : start + _IN_CHUNK]


def _plan_record(row: MediaPlanRow) -> MediaPlanRecord:
    return MediaPlanRecord.model_validate(row, from_attributes=True)


def _pass_record(row: PacingPassRow) -> PacingPassRecord:
    return PacingPassRecord.model_validate(row, from_attributes=True)


def _alert_record(row: PacingAlertRow, halts: list[PacingHaltRecord]) -> PacingAlertRecord:
    values = {c.name: getattr(row, c.name) for c in PacingAlertRow.__table__.columns}
    return PacingAlertRecord.model_validate({**values, "halts": halts})


def _alert_audit(key: str, a: PacingAssessment, at: datetime) -> AuditLogRow:
    payload = {
        "campaign_id": a.campaign_id,
        "line_id": a.line_id,
        "severity": a.severity.value,
        "action": a.action.value,
        "confidence": a.confidence,
        "variance_pct": a.variance_pct,
        "reason": a.reason,
        "root_cause": a.root_cause,
        "mitigation": a.mitigation,
    }
    return _audit(key, f"pacing_{a.action.value}", PACING_ACTOR, at, payload)


def _audit(subject: str, event: str, actor: str, at: datetime, payload: dict) -> AuditLogRow:
    """An audit entry about a pacing alert (the audit log's subject column is the alert key)."""
    audit = AuditEvent(recommendation_id=subject, event=event, actor=actor, payload=payload, at=at)
    return AuditLogRow(**mapping.audit_columns(audit))
