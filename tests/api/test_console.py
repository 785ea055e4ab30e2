"""The reviewer console in process: sign-in, sessions, CSRF, roles and what the pages show.

The app, its store and the recommendations in it are real (states from the rules reasoner,
written with Store.sync_state as the workflow does). Nothing here needs Temporal: refusals
happen before a decision reaches the workflow, and the browser tests (tests/e2e/
test_console.py) decide on the real stack.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from api.auth import ConfigurationError
from api.console.session import COOKIE_NAME
from domain.lifecycle import (
    AuditEvent,
    Decision,
    DecisionKind,
    ExecutionResult,
    LifecycleState,
    RecommendationStatus,
    TraceStep,
)
from domain.recommendation import ActionType
from store.repository import Store
from tests.api.conftest import ADMIN_KEY, CLIENT_KEY, REVIEWER_KEY, make_settings
from tests.domain import scenarios

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(store: Store) -> FastAPI:
    # No Temporal client: these tests never reach a workflow.
    return create_app(make_settings(console_session_secret="s" * 40), store=store)


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    # https: the session cookie is Secure, so a client on plain http would not send it back.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://console.test"
    ) as client:
        yield client


def csrf_of(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "page has no CSRF token"
    return found.group(1)


async def sign_in(browser: httpx.AsyncClient, key: str) -> httpx.Response:
    page = await browser.get("/console/login")
    return await browser.post(
        "/console/login",
        data={"api_key": key, "csrf_token": csrf_of(page.text), "next": "/console"},
    )


async def seed(
    store: Store,
    *,
    status: RecommendationStatus = RecommendationStatus.pending_review,
    name: str = "Summer Sale - Prospecting",
    executed: bool = False,
) -> LifecycleState:
    """A recommendation as the workflow leaves it: rules-reasoned on a competitive-pressure
    context, with its campaign, trace and audit."""
    campaign_id = f"cmp-{uuid.uuid4().hex[:8]}"
    context = scenarios.competitive_pressure()
    context.campaign.campaign_id = campaign_id
    context.campaign.campaign_name = name
    _, recommendation = scenarios.recommend(context)
    recommendation_id = f"rec-{campaign_id}-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    state = LifecycleState(
        recommendation_id=recommendation_id,
        campaign_id=campaign_id,
        status=status,
        revision=1,
        iterations=1,
        context=context,
        recommendation=recommendation,
        trace=[
            TraceStep(
                step="generate_recommendation",
                started_at=now,
                duration_ms=3,
                detail=f"{recommendation.recommended_action.value} (0.80)",
            ),
            TraceStep(
                step="critique_recommendation",
                started_at=now,
                duration_ms=2,
                detail="evidence holds up",
            ),
        ],
    )
    if executed:
        state.decision = Decision(
            decision=DecisionKind.approved, reviewer="alice", feedback="go", revision=1
        )
        state.execution = ExecutionResult(
            campaign_id=campaign_id,
            action=recommendation.recommended_action,
            idempotency_key=f"{recommendation_id}:r1",
            applied=True,
            before={"bid": 2.5, "status": "active"},
            after={"bid": 2.9, "status": "active"},
            executed_at=now,
            message="bid raised",
        )
    await store.create_recommendation(recommendation_id, campaign_id, "test")
    await store.upsert_campaign(context.campaign)
    await store.sync_state(state)
    if executed:
        await store.append_audit(
            AuditEvent(
                recommendation_id=recommendation_id,
                event="approved",
                actor="alice",
                revision=1,
                payload={"decision": "approved", "feedback": "go", "revision": 1},
                at=now,
            )
        )
    return state


# ------------------------------------------------------------------------------ sign-in


async def test_pages_send_a_signed_out_visitor_to_sign_in(browser) -> None:
    response = await browser.get("/console?status=all")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login?next=%2Fconsole%3Fstatus%3Dall"


async def test_sign_in_sets_a_secure_httponly_samesite_cookie_and_lands_on_next(browser) -> None:
    response = await sign_in(browser, REVIEWER_KEY)

    assert response.status_code == 303 and response.headers["location"] == "/console"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    for flag in ("HttpOnly", "Secure", "SameSite=lax", "Path=/console"):
        assert flag.lower() in cookie.lower(), cookie
    assert REVIEWER_KEY not in cookie  # the key itself never leaves the sign-in form
    inbox = await browser.get("/console")
    assert inbox.status_code == 200
    assert "Signed in as <strong>alice</strong>" in inbox.text


async def test_a_wrong_key_is_refused_with_a_clear_message(browser) -> None:
    response = await sign_in(browser, "not-a-key-at-all")
    assert response.status_code == 401
    assert "That API key is not valid." in response.text
    assert (await browser.get("/console")).status_code == 303


async def test_sign_in_without_the_csrf_token_is_refused(browser) -> None:
    await browser.get("/console/login")
    response = await browser.post("/console/login", data={"api_key": REVIEWER_KEY})
    assert response.status_code == 403
    assert "CSRF" in response.text
    assert (await browser.get("/console")).status_code == 303


async def test_next_never_leads_off_the_console(browser) -> None:
    page = await browser.get("/console/login")
    for target in ("https://evil.example/", "//evil.example/console", "/api/v1/recommendations"):
        await browser.post("/console/logout", data={"csrf_token": csrf_of(page.text)})
        page = await browser.get("/console/login")
        response = await browser.post(
            "/console/login",
            data={"api_key": REVIEWER_KEY, "csrf_token": csrf_of(page.text), "next": target},
        )
        assert response.headers["location"] == "/console", target
        page = await browser.get("/console")


async def test_logout_ends_the_session(browser) -> None:
    await sign_in(browser, REVIEWER_KEY)
    inbox = await browser.get("/console")

    response = await browser.post("/console/logout", data={"csrf_token": csrf_of(inbox.text)})

    assert response.status_code == 303 and response.headers["location"] == "/console/login"
    assert "You are signed out." in (await browser.get("/console/login")).text
    assert (await browser.get("/console")).status_code == 303


async def test_a_tampered_cookie_is_not_a_session(browser, app) -> None:
    await sign_in(browser, REVIEWER_KEY)
    value = browser.cookies[COOKIE_NAME]
    browser.cookies.clear()
    browser.cookies.set(COOKIE_NAME, value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))
    assert (await browser.get("/console")).status_code == 303


async def test_a_session_from_another_secret_is_not_accepted(store, browser) -> None:
    await sign_in(browser, REVIEWER_KEY)
    other = create_app(make_settings(console_session_secret="t" * 40), store=store)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=other),
        base_url="https://console.test",
        cookies=browser.cookies,
    ) as elsewhere:
        assert (await elsewhere.get("/console")).status_code == 303


async def test_a_short_session_secret_stops_the_api_at_start(store) -> None:
    with pytest.raises(ConfigurationError, match="at least 32 characters"):
        create_app(make_settings(console_session_secret="short"), store=store)


# -------------------------------------------------------------------------------- inbox


async def test_the_inbox_lists_pending_recommendations_with_what_to_judge(browser, store) -> None:
    state = await seed(store, name="Inbox Campaign")
    await sign_in(browser, CLIENT_KEY)

    page = (await browser.get("/console")).text

    rec = state.recommendation
    assert f"/console/recommendations/{state.recommendation_id}" in page
    assert "Inbox Campaign" in page and rec.recommended_action.value in page
    assert rec.specific_action in page
    assert f"{rec.confidence:.0%}" in page and rec.risk_level.value in page
    assert "left" in page  # the review deadline's time left
    assert re.search(r'class="count">\d+</span> pending review', page)


async def test_inbox_filters_by_campaign_action_and_status(browser, store) -> None:
    pending = await seed(store)
    executed = await seed(store, status=RecommendationStatus.executed, executed=True)
    await sign_in(browser, CLIENT_KEY)

    mine = (await browser.get(f"/console?status=all&campaign={executed.campaign_id}")).text
    assert executed.recommendation_id in mine and pending.recommendation_id not in mine
    pending_only = (await browser.get(f"/console?campaign={executed.campaign_id}")).text
    assert executed.recommendation_id not in pending_only
    assert "No recommendation matches these filters." in pending_only
    pause = (await browser.get("/console?status=all&action=Campaign+Pause")).text
    assert pending.recommendation_id not in pause
    bids = (await browser.get(f"/console?status=all&action={ActionType.bid_adjustment}")).text
    assert pending.recommendation_id in bids and executed.recommendation_id in bids


async def test_an_unknown_filter_says_what_is_wrong(browser) -> None:
    await sign_in(browser, CLIENT_KEY)
    response = await browser.get("/console?status=bogus")
    assert response.status_code == 400
    assert "unknown status" in response.text


async def test_the_executed_count_counts_todays_executions(browser, store) -> None:
    await sign_in(browser, CLIENT_KEY)
    before = int(
        re.search(
            r'class="count">(\d+)</span> executed today', (await browser.get("/console")).text
        ).group(1)
    )
    await seed(store, status=RecommendationStatus.executed, executed=True)
    after = int(
        re.search(
            r'class="count">(\d+)</span> executed today', (await browser.get("/console")).text
        ).group(1)
    )
    assert after == before + 1


async def test_text_from_the_data_is_escaped(browser, store) -> None:
    state = await seed(store, name='<script>alert("x")</script> Brand')
    await sign_in(browser, CLIENT_KEY)
    for path in ("/console", f"/console/recommendations/{state.recommendation_id}"):
        page = (await browser.get(path)).text
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert" in page


# ----------------------------------------------------------------- recommendation page


async def test_the_page_shows_the_evidence_charts_and_the_decision_form(browser, store) -> None:
    state = await seed(store)
    await sign_in(browser, REVIEWER_KEY)

    response = await browser.get(f"/console/recommendations/{state.recommendation_id}")

    assert response.status_code == 200
    page = response.text
    rec = state.recommendation
    for text in (
        rec.specific_action,
        rec.supporting_evidence[0],
        rec.confidence_reasoning,
        rec.alternatives_considered[0].why_not,
        "Revision 1",
        "evidence holds up",  # the critique, in the revision history
    ):
        assert _escaped(text) in page, text
    for title in ("CPA", "CTR", "Spend per day", "Impression share"):
        assert f"<strong>{title}</strong>" in page
    assert page.count('<rect class="band band-before"') == 4
    assert page.count('<rect class="band band-now"') == 4
    assert 'name="decision" value="approved"' in page
    assert f'name="revision" value="{state.revision}"' in page
    assert response.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_a_client_sees_no_decide_buttons(browser, store) -> None:
    state = await seed(store)
    await sign_in(browser, CLIENT_KEY)
    page = (await browser.get(f"/console/recommendations/{state.recommendation_id}")).text
    assert 'name="decision"' not in page
    assert "deciding needs a reviewer key" in page


async def test_an_executed_recommendation_shows_the_change_made(browser, store) -> None:
    state = await seed(store, status=RecommendationStatus.executed, executed=True)
    await sign_in(browser, REVIEWER_KEY)
    page = (await browser.get(f"/console/recommendations/{state.recommendation_id}")).text
    assert "Change made on the ad platform" in page
    assert '<tr class="changed"><td>bid</td><td>2.5</td><td>2.9</td></tr>' in page
    assert "Approved</td>" in page  # the audit trail
    assert 'name="decision"' not in page


async def test_the_console_with_a_trailing_slash_is_the_inbox(browser) -> None:
    response = await browser.get("/console/")
    assert response.status_code == 308 and response.headers["location"] == "/console"


async def test_an_unknown_recommendation_is_a_404_page(browser) -> None:
    await sign_in(browser, CLIENT_KEY)
    for rec_id in ("rec-nope-12345678", "..%2F..%2Fadmin"):
        response = await browser.get(f"/console/recommendations/{rec_id}")
        assert response.status_code == 404
        assert "There is no" in response.text


# ---------------------------------------------------------------------------- deciding


async def test_a_client_key_cannot_decide_even_with_a_valid_form(browser, store) -> None:
    state = await seed(store)
    await sign_in(browser, CLIENT_KEY)
    page = await browser.get(f"/console/recommendations/{state.recommendation_id}")

    response = await browser.post(
        f"/console/recommendations/{state.recommendation_id}/decision",
        data={"csrf_token": csrf_of(page.text), "decision": "approved", "revision": "1"},
    )

    assert response.status_code == 403
    assert "can read recommendations but not decide" in response.text
    assert (await store.get_recommendation(state.recommendation_id)).decision is None


async def test_a_decision_without_the_csrf_token_is_refused(browser, store) -> None:
    state = await seed(store)
    await sign_in(browser, REVIEWER_KEY)
    for token in (None, "forged-token-value"):
        data = {"decision": "approved", "revision": "1"}
        if token:
            data["csrf_token"] = token
        response = await browser.post(
            f"/console/recommendations/{state.recommendation_id}/decision", data=data
        )
        assert response.status_code == 403
        assert "nothing was done" in response.text
    assert (await store.get_recommendation(state.recommendation_id)).decision is None


async def test_a_signed_out_post_changes_nothing(browser, store) -> None:
    state = await seed(store)
    response = await browser.post(
        f"/console/recommendations/{state.recommendation_id}/decision",
        data={"decision": "approved", "revision": "1", "csrf_token": "x"},
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/login")


async def test_a_reanalysis_needs_feedback(browser, store) -> None:
    state = await seed(store)
    await sign_in(browser, ADMIN_KEY)
    page = await browser.get(f"/console/recommendations/{state.recommendation_id}")
    response = await browser.post(
        f"/console/recommendations/{state.recommendation_id}/decision",
        data={"csrf_token": csrf_of(page.text), "decision": "reanalyze", "revision": "1"},
    )
    assert response.status_code == 303
    shown = (await browser.get(response.headers["location"])).text
    assert "feedback is required" in shown


async def test_an_unreachable_workflow_service_is_said_plainly(browser, store) -> None:
    state = await seed(store)
    await sign_in(browser, REVIEWER_KEY)
    page = await browser.get(f"/console/recommendations/{state.recommendation_id}")
    response = await browser.post(
        f"/console/recommendations/{state.recommendation_id}/decision",
        data={"csrf_token": csrf_of(page.text), "decision": "approved", "revision": "1"},
    )
    assert response.status_code == 303
    shown = (await browser.get(response.headers["location"])).text
    assert "Your approval of revision 1 was not applied." in shown
    assert "did not answer; nothing was decided" in shown
    assert 'name="decision" value="approved"' in shown  # still decidable


async def test_a_decision_audited_but_not_yet_synced_hides_the_form(browser, store) -> None:
    state = await seed(store)
    await store.append_audit(
        AuditEvent(
            recommendation_id=state.recommendation_id,
            event="approved",
            actor="bob",
            revision=1,
            payload={"decision": "approved", "revision": 1},
            at=datetime.now(UTC) + timedelta(seconds=1),
        )
    )
    await sign_in(browser, REVIEWER_KEY)
    page = (await browser.get(f"/console/recommendations/{state.recommendation_id}")).text
    assert "Revision 1 was approved by bob" in page
    assert 'name="decision"' not in page
    assert "data-watch=" in page  # and the page follows the run


def _escaped(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("'", "&#39;")
    )
