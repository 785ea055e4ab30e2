"""Operational endpoints: liveness, readiness, Prometheus metrics (no authentication)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from datetime import timedelta

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from temporalio.client import Client

from api import metrics, temporal
from api.schemas import HealthResponse, ReadinessResponse
from api.state import get_services
from store.repository import Store

log = logging.getLogger("api.ops")

router = APIRouter(tags=["operations"])

CHECK_TIMEOUT_SECONDS = 3.0


@router.get("/health", response_model=HealthResponse, summary="Liveness: the process is up")
async def health() -> HealthResponse:
    return HealthResponse()


@router.get(
    "/ready",
    response_model=ReadinessResponse,
    summary="Readiness: the database and Temporal answer",
    responses={503: {"model": ReadinessResponse, "description": "a dependency failed"}},
)
async def ready(request: Request) -> JSONResponse:
    services = get_services(request)
    database, temporal_check = await asyncio.gather(
        _check("database", _ping_database(services.store)),
        _check("temporal", _ping_temporal(services.temporal)),
    )
    checks = {"database": database, "temporal": temporal_check}
    ok = all(value == "ok" for value in checks.values())
    body = ReadinessResponse(status="ready" if ok else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
async def prometheus_metrics(request: Request) -> Response:
    services = get_services(request)
    review_timeout = timedelta(seconds=services.settings.review_timeout_seconds)
    payload, content_type = await metrics.render(services.store, review_timeout)
    return Response(payload, media_type=content_type)


async def _ping_database(store: Store | None) -> None:
    if store is None:
        raise RuntimeError("not connected")
    # Store.ping runs "SELECT 1" and reports failure as False rather than raising.
    if not await store.ping():
        raise RuntimeError("query failed (database unreachable?)")


async def _ping_temporal(client: Client | None) -> None:
    if client is None:
        raise RuntimeError("not connected")
    await temporal.ping(client)


async def _check(name: str, probe: Awaitable[None]) -> str:
    try:
        await asyncio.wait_for(probe, CHECK_TIMEOUT_SECONDS)
    except Exception as exc:  # readiness reports any failure
        message = str(exc) or type(exc).__name__
        log.warning("readiness check failed", extra={"check": name, "error": message[:300]})
        return f"error: {message[:200]}"
    return "ok"
