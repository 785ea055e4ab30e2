"""/api/v1/watch: the KPI watch's passes (what each looked at, what it started and why)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from api.auth import READ_ROLES, Principal, require_roles
from api.errors import ApiError, error_responses
from api.monitoring import WatchPassItem, WatchPassPage, WatchPassView
from api.routers.pacing import get_monitor
from domain.watch import WatchSummary
from store.monitor import MonitorStore

router = APIRouter(prefix="/api/v1/watch", tags=["watch"])


@router.get(
    "/passes",
    response_model=WatchPassPage,
    summary="KPI watch passes, newest first",
    description="Counts by verdict (started, no_move, pending, cooling_down, ...). Roles: any.",
    responses=error_responses(401, 422, 429),
)
async def passes(
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    _: Principal = Depends(require_roles(*READ_ROLES)),
    monitor: MonitorStore = Depends(get_monitor),
) -> WatchPassPage:
    items, total = await monitor.list_watch_passes(limit, offset)
    return WatchPassPage(
        total=total,
        items=[
            WatchPassItem(
                pass_id=s.pass_id,
                started_at=s.started_at,
                finished_at=s.finished_at,
                counts=s.counts(),
            )
            for s in items
        ],
    )


@router.get(
    "/passes/{pass_id}",
    response_model=WatchPassView,
    summary="One watch pass: every campaign, its KPI moves and verdict",
    description=(
        "`latest` for the newest pass. Each campaign: the KPIs that moved, the verdict "
        "(started, no_move, pending, cooling_down, inactive, unavailable, deferred, failed), "
        "the reason, and the recommendation started (or the open one). Roles: any."
    ),
    responses=error_responses(401, 404, 422, 429),
)
async def watch_pass(
    pass_id: Annotated[str, Path(min_length=1, max_length=256, pattern=r"^[A-Za-z0-9_:.-]+$")],
    _: Principal = Depends(require_roles(*READ_ROLES)),
    monitor: MonitorStore = Depends(get_monitor),
) -> WatchPassView:
    summary: WatchSummary | None
    if pass_id == "latest":
        newest, _total = await monitor.list_watch_passes(1, 0)
        summary = newest[0] if newest else None
    else:
        summary = await monitor.get_watch_pass(pass_id)
    if summary is None:
        raise ApiError(404, "not_found", f"watch pass {pass_id!r} not found")
    return WatchPassView(
        pass_id=summary.pass_id,
        started_at=summary.started_at,
        finished_at=summary.finished_at,
        counts=summary.counts(),
        campaigns=summary.campaigns,
    )
