"""The simulated ad platform as a FastAPI app: `create_app()` builds one with fresh state."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from simulator.actions import InvalidAction
from simulator.faults import DEFAULT_TIMEOUT_SECONDS, FaultRegistry, install_fault_injection
from simulator.figures import FIGURES_FILE, load_figures
from simulator.routes import admin, campaigns, experiments
from simulator.state import (
    CampaignNotFound,
    IdempotencyConflict,
    MissingIdempotencyKey,
    SimulatorState,
    WorldSpec,
)

TODAY_ENV = "SIMULATOR_TODAY"  # ISO date of the first simulated "today"; default: the real date
TIMEOUT_ENV = "SIMULATOR_TIMEOUT_SECONDS"  # how long an injected timeout hangs by default
CAMPAIGNS_ENV = "SIMULATOR_CAMPAIGNS"  # generated campaigns beside the 12 named ones (default 0)
SEED_ENV = "SIMULATOR_SEED"  # seed of the generated campaigns (default 0)

# Domain errors -> HTTP status; the body is FastAPI's usual {"detail": message}.
ERROR_STATUS: dict[type[Exception], int] = {
    CampaignNotFound: 404,
    InvalidAction: 422,
    MissingIdempotencyKey: 400,
    IdempotencyConflict: 409,
}


def create_app(
    figures_file: Path | None = None,
    *,
    today: date | None = None,
    timeout_seconds: float | None = None,
    world: WorldSpec | None = None,
) -> FastAPI:
    """Build the campaigns from the committed figures (a broken file fails naming it).

    figures_file: the derived figures (default simulator/data/figures.json). today: the first
    simulated day in progress. world: generated campaigns and their seed (default:
    $SIMULATOR_CAMPAIGNS and $SIMULATOR_SEED, the 12 named campaigns always included).
    """
    figures = load_figures(figures_file or FIGURES_FILE)
    app = FastAPI(
        title="Ad platform simulator",
        description="Simulated campaigns from mechanisms calibrated on public ad data; "
        "see simulator/README.md.",
        version="2.0.0",
    )
    app.state.simulator = SimulatorState(
        figures, today or _configured_today(), world or configured_world()
    )
    app.state.faults = FaultRegistry(_configured_timeout(timeout_seconds))
    install_fault_injection(app, app.state.faults)
    for error, status in ERROR_STATUS.items():
        app.add_exception_handler(error, _error_handler(status))
    app.include_router(campaigns)
    app.include_router(experiments)
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


def configured_world() -> WorldSpec:
    return WorldSpec(
        campaigns=_env_int(CAMPAIGNS_ENV, 0, minimum=0), seed=_env_int(SEED_ENV, 0, minimum=None)
    )


def _env_int(name: str, default: int, *, minimum: int | None) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"${name} must be a whole number, got {text!r}") from None
    if minimum is not None and value < minimum:
        raise ValueError(f"${name} must be at least {minimum}, got {value}")
    return value


def _configured_timeout(explicit: float | None) -> float:
    if explicit is not None:
        return explicit
    return float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT_SECONDS))
