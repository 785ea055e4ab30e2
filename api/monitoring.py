"""The monitors behind the routers: media plan import, pacing alerts (acknowledge, release a
halt), watch passes, and the schedules (pause, resume, trigger).

Reads come from the store; only the schedule controls talk to Temporal.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError
from domain.lifecycle import AuditEvent
from domain.media_plan import PlanFormat, PlanLine, PlanRefused, parse_media_plan
from domain.pacing import PacingAssessment
from domain.watch import CampaignWatch
from settings import Settings
from store.monitor import (
    MediaPlanRecord,
    MonitorStore,
    PacingAlertRecord,
    PacingHaltRecord,
    PacingPassRecord,
)
from store.repository import Store
from workers import schedules

log = logging.getLogger("api.monitoring")

SCHEDULE_TIMEOUT_SECONDS = 10.0
MAX_HOLD_OFF_HOURS = 24 * 31

# ----------------------------------------------------------------------------- schemas


class MediaPlanImported(BaseModel):
    plan_id: str
    lines: int
    outcome: str = Field(
        description="imported (a new plan), unchanged (this is the current plan already) or "
        "reactivated (an earlier plan is current again)"
    )
    imported_by: str
    imported_at: datetime
    activated_at: datetime


class MediaPlanView(BaseModel):
    plan_id: str
    lines: int
    source: str
    imported_by: str
    imported_at: datetime
    activated_at: datetime
    items: list[PlanLine]
    limit: int
    offset: int


class PacingPassPage(BaseModel):
    total: int
    items: list[PacingPassRecord]


class PacingPassView(BaseModel):
    pass_: PacingPassRecord = Field(alias="pass")
    total: int = Field(description="assessments matching the filters")
    assessments: list[PacingAssessment]

    model_config = {"populate_by_name": True}


class PacingAlertPage(BaseModel):
    total: int
    items: list[PacingAlertRecord]


class PacingAlertView(BaseModel):
    alert: PacingAlertRecord
    audit: list[AuditEvent]


class AcknowledgeRequest(BaseModel):
    note: str = Field(default="", max_length=2000)


class ReleaseRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="why the campaign may run")
    hold_off_hours: float = Field(
        default=24,
        ge=0,
        le=MAX_HOLD_OFF_HOURS,
        description="no new automatic halt of this campaign for this long (0: none)",
    )


class ReleaseResponse(BaseModel):
    halt: PacingHaltRecord
    next_step: str


class WatchPassItem(BaseModel):
    pass_id: str
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, int]


class WatchPassPage(BaseModel):
    total: int
    items: list[WatchPassItem]


class WatchPassView(BaseModel):
    pass_id: str
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, int]
    campaigns: list[CampaignWatch]


class ScheduleView(BaseModel):
    name: str
    schedule_id: str
    exists: bool
    paused: bool | None = None
    note: str | None = None
    interval_seconds: float | None = None
    cron: str | None = Field(default=None, description="the calendar, for a cron schedule (UTC)")
    next_runs: list[str] = Field(default_factory=list)
    recent_runs: list[dict[str, Any]] = Field(default_factory=list)
    running: list[str] = Field(default_factory=list)


class ScheduleNote(BaseModel):
    note: str = Field(default="", max_length=500)


class ScheduleChanged(BaseModel):
    name: str
    schedule_id: str
    done: str = Field(description="paused, resumed or triggered")


# ----------------------------------------------------------------------------- media plan

_FORMATS = {"text/csv": PlanFormat.csv, "application/json": PlanFormat.json}


def plan_format(content_type: str | None) -> PlanFormat:
    media = (content_type or "").split(";")[0].strip().lower()
    if media not in _FORMATS:
        raise ApiError(
            415,
            "unsupported_media_type",
            "send the plan as text/csv or application/json (Content-Type)",
        )
    return _FORMATS[media]


async def import_plan(
    monitor: MonitorStore, body: bytes, fmt: PlanFormat, imported_by: str
) -> tuple[MediaPlanImported, bool]:
    """(the plan as stored, whether it was new). Refused whole, every bad line named."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(422, "invalid_media_plan", "the plan is not UTF-8 text") from None
    try:
        plan = parse_media_plan(text, fmt)
    except PlanRefused as refused:
        shown = "; ".join(_problem(p) for p in refused.problems[:5])
        more = f" (+{len(refused.problems) - 5} more)" if len(refused.problems) > 5 else ""
        raise ApiError(
            422,
            "invalid_media_plan",
            f"media plan refused, nothing imported: {shown}{more}",
            details=[p.model_dump(exclude_none=True) for p in refused.problems],
        ) from None
    try:
        result = await monitor.import_media_plan(plan, fmt.value, imported_by)
    except IntegrityError:  # the same plan imported at the same moment: it is there now
        result = await monitor.import_media_plan(plan, fmt.value, imported_by)
    log.info(
        "media plan import",
        extra={"plan_id": plan.plan_id, "lines": len(plan.lines), "outcome": result.outcome},
    )
    view = MediaPlanImported(outcome=result.outcome, **_plan_fields(result.plan))
    return view, result.outcome == "imported"


def _plan_fields(plan: MediaPlanRecord) -> dict[str, Any]:
    return plan.model_dump(
        include={"plan_id", "lines", "imported_by", "imported_at", "activated_at"}
    )


def _problem(problem) -> str:
    where = f"line {problem.line}" if problem.line else "the file"
    field = f" {problem.field}" if problem.field else ""
    return f"{where}{field}: {problem.message}"


# ----------------------------------------------------------------------------- alerts


async def acknowledge(
    monitor: MonitorStore, alert_key: str, by: str, note: str
) -> PacingAlertRecord:
    record = await monitor.acknowledge_alert(alert_key, by, note, datetime.now(UTC))
    if record is None:
        raise _no_alert(alert_key)
    return record


async def release(
    monitor: MonitorStore, alert_key: str, by: str, body: ReleaseRequest
) -> ReleaseResponse:
    if await monitor.get_pacing_alert(alert_key) is None:
        raise _no_alert(alert_key)
    now = datetime.now(UTC)
    until = now + timedelta(hours=body.hold_off_hours) if body.hold_off_hours else None
    halt = await monitor.release_halt(alert_key, by, body.reason, until, now)
    if halt is None:
        raise ApiError(
            409,
            "no_halt",
            f"alert {alert_key!r} has no halt in effect to release (never halted, not applied, "
            "or released already)",
        )
    log.info("pacing halt released", extra={"alert_key": alert_key, "by": by})
    return ReleaseResponse(
        halt=halt,
        next_step=(
            (
                f"the monitor will not pause this campaign again before {until:%Y-%m-%d %H:%M} UTC"
                if until
                else "the monitor may pause this campaign again on a later day if it is still "
                "critically over plan"
            )
            + "; resume the campaign in the ad platform's own interface when it should run"
        ),
    )


async def alert_view(monitor: MonitorStore, store: Store, alert_key: str) -> PacingAlertView:
    record = await monitor.get_pacing_alert(alert_key)
    if record is None:
        raise _no_alert(alert_key)
    return PacingAlertView(alert=record, audit=await store.list_audit(alert_key))


def _no_alert(alert_key: str) -> ApiError:
    return ApiError(404, "not_found", f"pacing alert {alert_key!r} not found")


# ----------------------------------------------------------------------------- schedules


async def list_schedules(client: Client, settings: Settings) -> list[ScheduleView]:
    found = await _temporal(schedules.describe(client, settings))
    return [ScheduleView.model_validate(item) for item in found]


async def change_schedule(
    client: Client, settings: Settings, name: str, verb: str, note: str = ""
) -> ScheduleChanged:
    try:
        if verb == "pause":
            await _temporal(schedules.pause(client, settings, name, note))
        elif verb == "resume":
            await _temporal(schedules.resume(client, settings, name, note))
        else:
            await _temporal(schedules.trigger(client, settings, name))
    except schedules.UnknownSchedule as err:
        raise ApiError(404, "not_found", str(err)) from None
    done = {"pause": "paused", "resume": "resumed", "trigger": "triggered"}[verb]
    log.info("schedule changed", extra={"schedule": name, "done": done})
    return ScheduleChanged(name=name, schedule_id=schedules.schedule_id(settings, name), done=done)


async def _temporal(call: Any) -> Any:
    try:
        return await asyncio.wait_for(call, SCHEDULE_TIMEOUT_SECONDS)
    except schedules.UnknownSchedule:
        raise
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise ApiError(
                404,
                "not_found",
                "the schedule does not exist yet: a worker creates it at start-up, or run "
                "`python -m workers.schedules apply`",
            ) from err
        raise ApiError(503, "temporal_unavailable", f"Temporal refused: {err.message}") from err
    except Exception as err:  # unreachable or too slow
        raise ApiError(
            503, "temporal_unavailable", f"Temporal did not answer ({type(err).__name__})"
        ) from err
