"""A fresh simulator per test, spoken to over ASGI (no sockets)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest

from simulator.app import create_app

SEEDED_TODAY = date(2025, 6, 1)


@pytest.fixture
async def sim() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(today=SEEDED_TODAY, timeout_seconds=0.2)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as client:
        yield client


async def campaigns_by_scenario(sim: httpx.AsyncClient) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for campaign in (await sim.get("/campaigns")).json():
        grouped.setdefault(campaign["scenario"], []).append(campaign["campaign_id"])
    return grouped


async def act(
    sim: httpx.AsyncClient,
    campaign_id: str,
    action: str,
    parameters: dict | None = None,
    *,
    key: str | None = "key-1",
    dry_run: bool = False,
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return await sim.post(
        f"/campaigns/{campaign_id}/actions",
        params={"dry_run": "true"} if dry_run else None,
        json={"action": action, "parameters": parameters or {}},
        headers=headers,
    )


async def advance(sim: httpx.AsyncClient, days: int) -> None:
    response = await sim.post("/admin/clock/advance", json={"days": days})
    assert response.status_code == 200, response.text
