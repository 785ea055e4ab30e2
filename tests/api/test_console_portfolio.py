"""The console's portfolio pages: linked from the navigation, signed in only, the report's
sections and charts, and the "Send to review" form (CSRF, then the lifecycle run's page)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from api.app import create_app
from store.repository import Store
from tests.api.conftest import CLIENT_KEY, REVIEWER_KEY, make_settings
from tests.api.test_console import browser, csrf_of, sign_in  # noqa: F401 - fixtures
from tests.api.test_portfolio import completed_review  # noqa: F401 - fixture


@pytest.fixture
def app(store: Store, temporal_client) -> FastAPI:
    return create_app(
        make_settings(console_session_secret="s" * 40), store=store, temporal_client=temporal_client
    )


async def test_the_portfolio_pages_need_a_session(browser) -> None:  # noqa: F811
    response = await browser.get("/console/portfolio", follow_redirects=False)
    assert response.status_code == 303 and "/console/login" in response.headers["location"]


async def test_the_report_page_shows_every_section(browser, completed_review) -> None:  # noqa: F811
    await sign_in(browser, CLIENT_KEY)
    listing = await browser.get("/console/portfolio")
    page = await browser.get(f"/console/portfolio/{completed_review}")

    assert listing.status_code == 200
    assert 'href="/console/portfolio" aria-current="page">Portfolio</a>' in listing.text
    assert f'href="/console/portfolio/{completed_review}"' in listing.text
    assert page.status_code == 200
    for heading in (
        "Headline",
        "Recommendations",
        "Charts",
        "Campaigns against target",
        "Experiments",
        "KPIs",
        "ROI ledger",
        "Risk signals",
        "Provenance",
    ):
        assert f">{heading}</h2>" in page.text, heading
    assert "Campaign Pause" in page.text and "Send to review" in page.text
    assert "By hand: the ad-platform port has no action" in page.text
    chart = await browser.get(f"/console/portfolio/{completed_review}/charts/kpi_status.png")
    assert chart.status_code == 200 and chart.content.startswith(b"\x89PNG")
    missing = await browser.get("/console/portfolio/portfolio-review-none")
    assert missing.status_code == 404


async def test_send_to_review_needs_the_csrf_token_then_opens_the_run(
    browser,  # noqa: F811
    completed_review,  # noqa: F811
) -> None:
    await sign_in(browser, REVIEWER_KEY)
    page = await browser.get(f"/console/portfolio/{completed_review}")
    action = f"/console/portfolio/{completed_review}/recommendations/1/lifecycle"

    forged = await browser.post(action, data={"csrf_token": "nope"})
    sent = await browser.post(action, data={"csrf_token": csrf_of(page.text)})

    assert forged.status_code == 403
    assert sent.status_code == 303
    assert sent.headers["location"].startswith("/console/recommendations/rec-")
    run = await browser.get(sent.headers["location"])
    assert "Recommendation 1 of" in run.text and "is in the lifecycle" in run.text
