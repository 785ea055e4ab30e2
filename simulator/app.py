"""The simulated ad platform as a FastAPI app: `create_app()` builds one with fresh state."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from simulator.actions import InvalidAction
from simulator.datasets import load_levels, resolve_data_dir
from simulator.faults import DEFAULT_TIMEOUT_SECONDS, FaultRegistry, install_fault_injection
from simulator.routes import admin, campaigns
from simulator.state import (
    CampaignNotFound,
    IdempotencyConflict,
    MissingIdempotencyKey,
    SimulatorState,
)

TODAY_ENV = "SIMULATOR_TODAY"  # ISO date of the first simulated "today"; default: the real date
TIMEOUT_ENV = "SIMULATOR_TIMEOUT_SECONDS"  # how long an injected timeout hangs by default

# Domain errors -> HTTP status; the body is FastAPI's usual {"detail": message}.
ERROR_STATUS: dict[type[Exception], int] = {
    CampaignNotFound: 404,
    InvalidAction: 422,
    MissingIdempotencyKey: 400,
    IdempotencyConflict: 409,
}


def create_app(
    seed_data_dir: Path | None = None,
    *,
    today: date | None = None,
    timeout_seconds: float | None = None,
) -> FastAPI:
    """Load the datasets (failing with the directory's name if they are missing) and seed state.

    seed_data_dir: folder holding the shared CSVs (default: $SIMULATOR_DATA_DIR, then
    ../shared/data next to the repository). today: the first simulated day in progress.
    """
    levels = load_levels(resolve_data_dir(seed_data_dir).resolve())
    app = FastAPI(
        title="Ad platform simulator",
        description="Simulated campaigns seeded from public ad datasets; see simulator/README.md.",
        version="1.0.0",
    )
    app.state.simulator = SimulatorState(levels, today or _configured_today())
    app.state.faults = FaultRegistry(_configured_timeout(timeout_seconds))
    install_fault_injection(app, app.state.faults)
    for error, status in ERROR_STATUS.items():
        app.add_exception_handler(error, _error_handler(status))
    app.include_router(campaigns)
    app.include_router(admin)

    @app.get("/health", tags=["admin"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _error_handler(status: int):
    async def handle(_: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=status)

    return handle


def _configured_today() -> date:
    configured = os.environ.get(TODAY_ENV)
    return date.fromisoformat(configured) if configured else datetime.now(UTC).date()


def _configured_timeout(explicit: float | None) -> float:
    if explicit is not None:
        return explicit
    return float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT_SECONDS))
