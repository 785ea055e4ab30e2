"""/api/v1/admin/schedules: the KPI watch's and the pacing monitor's Temporal Schedules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Request
from temporalio.client import Client

from api import monitoring
from api.auth import Principal, Role, require_roles
from api.errors import error_responses
from api.monitoring import ScheduleChanged, ScheduleNote, ScheduleView
from api.state import get_services, get_temporal
from settings import Settings

router = APIRouter(prefix="/api/v1/admin/schedules", tags=["admin"])

Name = Annotated[
    str,
    Path(
        min_length=1,
        max_length=32,
        pattern=r"^[a-z][a-z-]*$",
        description="`kpi-watch`, `pacing-monitor` or `portfolio-review`",
    ),
]
ADMIN = Depends(require_roles(Role.admin))


async def get_settings_(request: Request) -> Settings:
    return get_services(request).settings


@router.get(
    "",
    response_model=list[ScheduleView],
    summary="The schedules: paused or not, next and recent runs",
    description="Roles: admin.",
    responses=error_responses(401, 403, 429, 503),
)
async def list_schedules(
    _: Principal = ADMIN,
    client: Client = Depends(get_temporal),
    settings: Settings = Depends(get_settings_),
) -> list[ScheduleView]:
    return await monitoring.list_schedules(client, settings)


@router.post(
    "/{name}/pause",
    response_model=ScheduleChanged,
    summary="Pause a schedule (no passes until resumed)",
    description="The note shows in the Temporal UI; a worker restart keeps the pause. "
    "Roles: admin.",
    responses=error_responses(400, 401, 403, 404, 422, 429, 503),
)
async def pause(
    name: Name,
    body: Annotated[ScheduleNote, Body()] = ScheduleNote(),  # noqa: B008
    _: Principal = ADMIN,
    client: Client = Depends(get_temporal),
    settings: Settings = Depends(get_settings_),
) -> ScheduleChanged:
    return await monitoring.change_schedule(client, settings, name, "pause", body.note)


@router.post(
    "/{name}/resume",
    response_model=ScheduleChanged,
    summary="Resume a paused schedule",
    description="Roles: admin.",
    responses=error_responses(400, 401, 403, 404, 422, 429, 503),
)
async def resume(
    name: Name,
    body: Annotated[ScheduleNote, Body()] = ScheduleNote(),  # noqa: B008
    _: Principal = ADMIN,
    client: Client = Depends(get_temporal),
    settings: Settings = Depends(get_settings_),
) -> ScheduleChanged:
    return await monitoring.change_schedule(client, settings, name, "resume", body.note)


@router.post(
    "/{name}/trigger",
    response_model=ScheduleChanged,
    summary="Run a pass now",
    description=(
        "Starts a pass at once (skipped, like a scheduled one, while a pass of this schedule "
        "is still running). Roles: admin."
    ),
    responses=error_responses(401, 403, 404, 422, 429, 503),
)
async def trigger(
    name: Name,
    _: Principal = ADMIN,
    client: Client = Depends(get_temporal),
    settings: Settings = Depends(get_settings_),
) -> ScheduleChanged:
    return await monitoring.change_schedule(client, settings, name, "trigger")
