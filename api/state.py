"""What the app holds for the lifetime of the process, and accessors for dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Request

from api.errors import ApiError

if TYPE_CHECKING:
    from temporalio.client import Client

    from api.auth import KeyRing
    from api.ratelimit import RateLimiter
    from settings import Settings
    from store.repository import Store


@dataclass
class Services:
    settings: Settings
    keyring: KeyRing
    limiter: RateLimiter
    # Filled by the lifespan unless injected (tests inject both).
    store: Store | None = None
    temporal: Client | None = None


def get_services(request: Request) -> Services:
    return request.app.state.services


# Dependencies are coroutines: FastAPI runs a plain ``def`` dependency in its thread pool, and
# that hand-off was a measurable share of a read's CPU (bench/api_load.py).
async def get_store(request: Request) -> Store:
    store = get_services(request).store
    if store is None:
        raise ApiError(503, "database_unavailable", "the database is not connected yet")
    return store


def get_temporal(request: Request) -> Client:
    client = get_services(request).temporal
    if client is None:
        raise ApiError(503, "temporal_unavailable", "the Temporal client is not connected yet")
    return client
