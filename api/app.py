"""The FastAPI application factory.

``create_app`` validates the configuration up front (keys, rate limit) so a misconfigured API
fails at start-up with a clear message rather than on the first request. The store and the
Temporal client are opened by the lifespan unless injected (tests inject real ones).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from temporalio.client import Client

from api import console, temporal
from api.auth import ConfigurationError, load_keyring
from api.body_limit import BodyLimitMiddleware
from api.errors import install_error_handlers
from api.logs import RequestTelemetryMiddleware
from api.ratelimit import RateLimiter
from api.routers import campaigns, ops, pacing, portfolio, recommendations, schedules, watch
from api.state import Services
from settings import Settings, get_settings
from store.repository import Store, open_store
from telemetry import tracing

log = logging.getLogger("api")

# Every body this API accepts is a few hundred bytes; anything near this is abuse. A media plan
# is the exception: thousands of lines (about 100 bytes each).
MAX_BODY_BYTES = 64 * 1024
MAX_PLAN_BYTES = 4 * 1024 * 1024

DESCRIPTION = """
Starts and follows **marketing recommendation** workflows on Temporal.

* Authenticate with the `X-API-Key` header. Roles: `client` (analyze, read), `reviewer` and
  `admin` (also decide and re-analyze). The reviewer recorded with a decision is the key's name.
* Every error has the body `{"error": {"code": "...", "message": "..."}}`.
* Requests are rate limited per key; a 429 carries `Retry-After` (seconds).
* Reviewers can also sign in to the browser console at [`/console`](/console) with their key.
* The agent also watches on its own: the KPI watch (`/api/v1/watch`) and the spend-pacing
  monitor (`/api/v1/pacing`: media plan, alerts, halts) run on Temporal Schedules
  (`/api/v1/admin/schedules`).
"""


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    temporal_client: Client | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    services = Services(
        settings=settings,
        keyring=load_keyring(settings.api_keys, settings.api_keys_file),
        limiter=_rate_limiter(settings.rate_limit),
        store=store,
        temporal=temporal_client,
    )
    app = FastAPI(
        title="Marketing reasoning agent API",
        version="1.0.0",
        description=DESCRIPTION,
        docs_url="/api/docs",
        redoc_url="/api/redoc",
        openapi_url="/api/openapi.json",
        lifespan=_lifespan,
    )
    app.state.services = services
    install_error_handlers(app)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=MAX_BODY_BYTES,
        per_path={"/api/v1/pacing/media-plan": MAX_PLAN_BYTES},
    )
    # The last middleware added is the outermost: telemetry sees the final status.
    app.add_middleware(RequestTelemetryMiddleware)
    app.include_router(recommendations.router)
    app.include_router(campaigns.router)
    app.include_router(portfolio.router)
    app.include_router(pacing.router)
    app.include_router(watch.router)
    app.include_router(schedules.router)
    app.include_router(ops.router)
    tracing.instrument_app(app)
    console.install(app, settings)
    log.info(
        "api configured",
        extra={"api_keys": len(services.keyring), "rate_limit": services.limiter.description},
    )
    return app


def _rate_limiter(rate: str) -> RateLimiter:
    try:
        return RateLimiter(rate)
    except ValueError as exc:
        raise ConfigurationError(
            f"RATE_LIMIT={rate!r} is not a rate limit (use e.g. '120/minute')"
        ) from exc


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    services: Services = app.state.services
    owned_store = services.store is None
    if owned_store:
        services.store = await open_store(services.settings.database_url, migrate=True)
    if services.temporal is None:
        services.temporal = await temporal.connect(services.settings)
    log.info("api ready to serve", extra={"temporal": services.settings.temporal_address})
    try:
        yield
    finally:
        if owned_store and services.store is not None:
            await services.store.close()
