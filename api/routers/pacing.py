"""/api/v1/pacing: the media plan, the pacing monitor's passes, its alerts and halts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from api import monitoring
from api.auth import READ_ROLES, REVIEW_ROLES, Principal, Role, require_roles
from api.errors import ApiError, error_responses
from api.monitoring import (
    AcknowledgeRequest,
    MediaPlanImported,
    MediaPlanView,
    PacingAlertPage,
    PacingAlertRecord,
    PacingAlertView,
    PacingPassPage,
    PacingPassView,
    ReleaseRequest,
    ReleaseResponse,
)
from api.state import get_store
from domain.pacing import PacingAction, Severity
from store.monitor import MonitorStore
from store.repository import Store

router = APIRouter(prefix="/api/v1/pacing", tags=["pacing"])

KEY_PATTERN = r"^[A-Za-z0-9_:.@-]{1,256}$"
AlertKey = Annotated[
    str,
    Path(
        min_length=1,
        max_length=256,
        pattern=KEY_PATTERN,
        description="e.g. `pacing:cmp-saturation-02:critical:2026-12-03`",
    ),
]
PassId = Annotated[str, Path(min_length=1, max_length=256, pattern=KEY_PATTERN)]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]

PLAN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {
                "schema": {"type": "string"},
                "example": (
                    "line_id,campaign_id,campaign_name,market,product,start_date,end_date,"
                    "target_spend\nL1,cmp-steady-01,Always-on Search,Hyderabad,Analytics "
                    "Training,2026-11-13,2026-12-12,48000\n"
                ),
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["lines"],
                    "properties": {"lines": {"type": "array", "items": {"type": "object"}}},
                }
            },
        },
    }
}


async def get_monitor(store: Store = Depends(get_store)) -> MonitorStore:
    return MonitorStore(store.engine)


@router.post(
    "/media-plan",
    response_model=MediaPlanImported,
    status_code=201,
    summary="Import the media plan (CSV or JSON)",
    description=(
        "Replaces the plan the pacing monitor checks. Columns: `line_id`, `campaign_name`, "
        "`start_date`, `end_date`, `target_spend` (for the whole flight), optionally "
        "`campaign_id` (the platform's; else the name is matched), `market`, `product`. "
        "A plan with any bad line is refused whole (**422**, every problem in "
        "`error.details`: line, field, message) and nothing is imported. **201** for a new "
        "plan; **200** when it is the current plan already (`unchanged`: nothing changes) or "
        "an earlier one made current again (`reactivated`). Roles: admin."
    ),
    openapi_extra=PLAN_BODY,
    responses={200: {"model": MediaPlanImported}, **error_responses(401, 403, 413, 415, 422, 429)},
)
async def import_media_plan(
    request: Request,
    response: Response,
    principal: Principal = Depends(require_roles(Role.admin)),
    monitor: MonitorStore = Depends(get_monitor),
) -> MediaPlanImported:
    fmt = monitoring.plan_format(request.headers.get("content-type"))
    imported, new = await monitoring.import_plan(monitor, await request.body(), fmt, principal.name)
    if not new:
        response.status_code = 200
    return imported


@router.get(
    "/media-plan",
    response_model=MediaPlanView,
    summary="The current media plan and its lines",
    description="Lines in plan order, paged (`limit` 1-500). 404 before any import. Roles: any.",
    responses=error_responses(401, 404, 422, 429),
)
async def media_plan(
    limit: Limit = 100,
    offset: Offset = 0,
    _: Principal = Depends(require_roles(*READ_ROLES)),
    monitor: MonitorStore = Depends(get_monitor),
) -> MediaPlanView:
    plan = await monitor.current_media_plan()
    if plan is None:
        raise ApiError(404, "not_found", "no media plan imported yet")
    lines = await monitor.media_plan_lines(plan.plan_id, offset, limit)
    return MediaPlanView(**plan.model_dump(), items=lines, limit=limit, offset=offset)


@router.get(
    "/passes",
    response_model=PacingPassPage,
    summary="Pacing passes, newest first",
    description="Each pass's counts by severity and action. Roles: any.",
    responses=error_responses(401, 422, 429),
)
async def passes(
    limit: Limit = 20,
    offset: Offset = 0,
    _: Principal = Depends(require_roles(*READ_ROLES)),
    monitor: MonitorStore = Depends(get_monitor),
) -> PacingPassPage:
    items, total = await monitor.list_pacing_passes(limit, offset)
    return PacingPassPage(total=total, items=items)


@router.get(
    "/passes/{pass_id}",
    response_model=PacingPassView,
    summary="One pass with its line-by-line assessments",
    description=(
        "Every plan line's assessment (match, confidence and its parts, expected and actual "
        "spend, variance, severity, action and why, root cause, mitigation), by line id, "
        "filtered by `severity` and `action`. Roles: any."
    ),
    responses=error_responses(401, 404, 422, 429),
)
async def pacing_pass(
    pass_id: PassId,
    severity: Severity | None = None,
    action: PacingAction | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
    _: Principal = Depends(require_roles(*READ_ROLES)),
    monitor: MonitorStore = Depends(get_monitor),
) -> PacingPassView:
    record = await monitor.get_pacing_pass(pass_id)
    if record is None:
        raise ApiError(404, "not_found", f"pacing pass {pass_id!r} not found")
    items, total = await monitor.pass_assessments(
        pass_id,
        severity=severity.value if severity else None,
        action=action.value if action else None,
        limit=limit,
        offset=offset,
    )
    return PacingPassView(pass_=record, total=total, assessments=items)


@router.get(
    "/alerts",
    response_model=PacingAlertPage,
    summary="Pacing alerts and escalations, newest first",
    description=(
        "At most one alert per campaign, severity and day. Filter by `status` (open, "
        "acknowledged), `severity`, `action` (alert, escalate, halt, recommend_halt) and "
        "`campaign_id`. Roles: any."
    ),
    responses=error_responses(401, 422, 429),
)
async def alerts(
    status: Annotated[str | None, Query(pattern="^(open|acknowledged)$")] = None,
    severity: Severity | None = None,
    action: PacingAction | None = None,
    campaign_id: Annotated[str | None, Query(max_length=128)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    _: Principal = Depends(require_roles(*READ_ROLES)),
    monitor: MonitorStore = Depends(get_monitor),
) -> PacingAlertPage:
    items, total = await monitor.list_pacing_alerts(
        status=status,
        severity=severity.value if severity else None,
        action=action.value if action else None,
        campaign_id=campaign_id,
        limit=limit,
        offset=offset,
    )
    return PacingAlertPage(total=total, items=items)


@router.get(
    "/alerts/{alert_key}",
    response_model=PacingAlertView,
    summary="One alert: its assessment, halts and audit trail",
    description="Roles: any.",
    responses=error_responses(401, 404, 422, 429),
)
async def alert(
    alert_key: AlertKey,
    _: Principal = Depends(require_roles(*READ_ROLES)),
    monitor: MonitorStore = Depends(get_monitor),
    store: Store = Depends(get_store),
) -> PacingAlertView:
    return await monitoring.alert_view(monitor, store, alert_key)


@router.post(
    "/alerts/{alert_key}/acknowledge",
    response_model=PacingAlertRecord,
    summary="Acknowledge an alert or escalation",
    description=(
        "Records who took it and their note (audited); acknowledging again changes nothing. "
        "Roles: reviewer, admin."
    ),
    responses=error_responses(400, 401, 403, 404, 422, 429),
)
async def acknowledge(
    alert_key: AlertKey,
    body: AcknowledgeRequest,
    principal: Principal = Depends(require_roles(*REVIEW_ROLES)),
    monitor: MonitorStore = Depends(get_monitor),
) -> PacingAlertRecord:
    return await monitoring.acknowledge(monitor, alert_key, principal.name, body.note)


@router.post(
    "/alerts/{alert_key}/release",
    response_model=ReleaseResponse,
    summary="Release the halt an alert led to",
    description=(
        "A halt is never undone automatically: a person releases it, with a reason (audited). "
        "The monitor then does not pause the campaign again for `hold_off_hours` (default "
        "24). The campaign itself is resumed in the ad platform's interface. **409** when the "
        "alert has no halt in effect. Roles: reviewer, admin."
    ),
    responses=error_responses(400, 401, 403, 404, 409, 422, 429),
)
async def release(
    alert_key: AlertKey,
    body: ReleaseRequest,
    principal: Principal = Depends(require_roles(*REVIEW_ROLES)),
    monitor: MonitorStore = Depends(get_monitor),
) -> ReleaseResponse:
    return await monitoring.release(monitor, alert_key, principal.name, body)
