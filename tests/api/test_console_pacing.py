"""The console's pacing pages: alerts and escalations in the navigation, one alert's page,
acknowledging it and releasing its halt through CSRF-protected forms (reviewers only)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from domain.pacing import PacingPolicy
from store.monitor import MonitorStore
from store.repository import Store
from tests.api.conftest import CLIENT_KEY, REVIEWER_KEY, make_settings
from tests.api.test_console import csrf_of, sign_in
from tests.api.test_monitoring import assessment


@pytest.fixture
def app(store: Store) -> FastAPI:
    return create_app(make_settings(console_session_secret="s" * 40), store=store)


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://console.test"
    ) as client:
        yield client


async def seed_alerts(store: Store) -> tuple[str, str, str]:
    """A halted critical campaign, a critical under-delivery, a low-confidence escalation."""
    monitor = MonitorStore(store.engine)
    tag = uuid.uuid4().hex[:6]
    at = datetime.now(UTC)
    pass_id = f"pacing-console-{tag}"
    await monitor.begin_pacing_pass(pass_id, None, 3, at, True)
    halted = assessment(f"cmp-over-{tag}", 27_000, PacingPolicy(autonomous_halt=True))
    under = assessment(f"cmp-under-{tag}", 13_000, PacingPolicy())
    # No market, product or dates on the platform side: confidence 0.75, under a 0.8 floor.
    doubtful = assessment(f"cmp-doubt-{tag}", 20_000, PacingPolicy(min_confidence=0.8))
    keys = await monitor.record_assessments(pass_id, at.date(), at, [halted, under, doubtful])
    halt_key = next(k for k in keys if "cmp-over" in k)
    await monitor.record_halt_queued(f"halt-{tag}", halt_key, halted.campaign_id, at)
    await monitor.record_halt_outcome(f"halt-{tag}", "executed", "", at, None)
    escalation = next(k for k in keys if "cmp-doubt" in k)
    return halt_key, escalation, tag


async def test_alerts_and_escalations_are_pages_of_their_own(store, browser) -> None:
    halt_key, escalation, tag = await seed_alerts(store)
    await sign_in(browser, CLIENT_KEY)
    inbox = await browser.get("/console")
    assert 'href="/console/pacing"' in inbox.text and 'href="/console/escalations"' in inbox.text
    alerts = await browser.get("/console/pacing", params={"status": "open"})
    assert alerts.status_code == 200
    assert f"cmp-over-{tag}" in alerts.text and f"cmp-under-{tag}" in alerts.text
    escalations = await browser.get("/console/escalations")
    assert f"cmp-doubt-{tag}" in escalations.text and f"cmp-over-{tag}" not in escalations.text
    page = await browser.get(f"/console/pacing/alerts/{quote(halt_key, safe='')}")
    assert "Halt executed" in page.text
    assert "can read alerts; acting on them needs a reviewer key" in page.text
    bad = await browser.get("/console/pacing", params={"severity": "dreadful"})
    assert bad.status_code == 400


async def test_a_reviewer_acknowledges_and_releases_a_halt(store, browser) -> None:
    halt_key, _, _ = await seed_alerts(store)
    path = f"/console/pacing/alerts/{quote(halt_key, safe='')}"
    await sign_in(browser, REVIEWER_KEY)
    page = await browser.get(path)
    assert "Release the halt" in page.text
    token = csrf_of(page.text)

    forged = await browser.post(f"{path}/release", data={"reason": "x", "csrf_token": "nope"})
    assert forged.status_code == 403
    no_reason = await browser.post(f"{path}/release", data={"reason": "", "csrf_token": token})
    assert no_reason.status_code == 303
    assert "Say why the campaign may run again" in (await browser.get(path)).text

    released = await browser.post(
        f"{path}/release",
        data={"reason": "planner raised the budget", "hold_off_hours": "12", "csrf_token": token},
    )
    assert released.status_code == 303
    after = (await browser.get(path)).text
    assert "You released the halt." in after and "planner raised the budget" in after
    assert "Release the halt" not in after  # nothing left in effect

    acked = await browser.post(f"{path}/acknowledge", data={"note": "seen", "csrf_token": token})
    assert acked.status_code == 303
    final = (await browser.get(path)).text
    assert "Acknowledged by alice" in final and "Pacing alert acknowledged" in final
