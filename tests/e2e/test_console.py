"""The reviewer console in real Chromium against the real stack (dev server, worker, simulator,
API): sign in, review, decide, follow the run; and the refusals a reviewer meets.

Chromium is Debian's (`apt-get install chromium`, done by `make test` and `.ci/run`), driven by
Playwright with `executable_path`; nothing is downloaded. Without it these tests skip, unless
REQUIRE_BROWSER=1 (CI), which makes a missing browser a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import statistics
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import KEYS, Stack
from tests.e2e.test_lifecycle import CLIENT, analyze, mutations, wait_status

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium's connections are refused on this machine.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
# Set to docs/console to refresh the screenshots committed with the docs.
SCREENSHOTS = os.environ.get("CONSOLE_SCREENSHOTS_DIR")
STEP_MS = 60_000
# Campaigns the other end-to-end tests do not approve (each action executes once per campaign).
APPROVE_CAMPAIGN = "cmp-saturation-02"
REJECT_CAMPAIGN = "cmp-fatigue-02"
READ_ONLY_CAMPAIGN = "cmp-tracking-02"
REANALYSIS_CAMPAIGN = "cmp-uneven-02"


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing: apt-get install -y chromium"
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (REQUIRE_BROWSER=1)")
    pytest.skip(reason)


def screenshot_path(name: str) -> str:
    assert SCREENSHOTS
    Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
    return str(Path(SCREENSHOTS) / f"{name}.png")


@pytest.fixture(scope="module")
async def chromium() -> AsyncIterator[object]:
    require_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


@pytest.fixture
async def api(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=15) as client:
        yield client


async def pending(api: httpx.AsyncClient, campaign_id: str) -> dict:
    return await wait_status(api, await analyze(api, campaign_id), "pending_review")


async def signed_in_page(chromium, stack: Stack, role: str, viewport=LAPTOP):
    """A fresh browser (own cookies) signed in with the role's key, using the keyboard."""
    context = await chromium.new_context(viewport=viewport)
    page = await context.new_page()
    page.set_default_timeout(STEP_MS)
    await page.goto(f"{stack.api_url}/console")
    assert "/console/login" in page.url  # signed-out visitors are sent to sign in
    await page.get_by_label("API key").fill(KEYS[role])
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{stack.api_url}/console")
    return page


async def open_recommendation(page, stack: Stack, rec_id: str) -> None:
    await page.goto(f"{stack.api_url}/console/recommendations/{rec_id}")
    await page.locator("h1").wait_for()


async def status_of(page) -> str:
    return (await page.locator("#status").inner_text()).strip()


async def wait_for_status(page, *statuses: str) -> str:
    deadline = time.monotonic() + STEP_MS / 1000
    while time.monotonic() < deadline:
        status = await status_of(page)
        if status in statuses:
            return status
        await page.wait_for_timeout(250)  # the page reloads itself; we only look again
    raise AssertionError(f"status stayed {await status_of(page)!r}, expected one of {statuses}")


async def poll_until(check, what: str) -> None:
    deadline = time.monotonic() + STEP_MS / 1000
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def shoot(page, name: str) -> None:
    if SCREENSHOTS:
        await page.screenshot(path=screenshot_path(name), full_page=True)


async def test_a_reviewer_approves_in_the_browser_and_watches_it_execute(stack, api, chromium):
    body = await pending(api, APPROVE_CAMPAIGN)
    rec_id, revision = body["recommendation_id"], body["revision"]
    rec = body["recommendation"]
    reviewer = await signed_in_page(chromium, stack, "reviewer")
    other = await signed_in_page(chromium, stack, "admin")  # a second reviewer, elsewhere

    # The inbox lists it; the reviewer opens it from there.
    await reviewer.get_by_label("Campaign").fill(APPROVE_CAMPAIGN)
    await reviewer.get_by_role("button", name="Show").click()
    link = reviewer.locator(f'a[href="/console/recommendations/{rec_id}"]')
    await link.wait_for()
    await shoot(reviewer, "inbox")
    await link.click()
    await reviewer.wait_for_url(f"**/console/recommendations/{rec_id}")

    # The evidence and the charts are there.
    content = await reviewer.locator("main").inner_text()
    assert rec["specific_action"] in content
    assert rec["supporting_evidence"][0] in content
    assert rec["confidence_reasoning"] in content
    charts = reviewer.locator("figure.chart")
    assert await charts.count() == 4
    for title in ("CPA", "CTR", "Spend per day", "Impression share"):
        chart = reviewer.get_by_role("img", name=title, exact=True)
        assert await chart.count() == 1, title
        assert await chart.locator("polyline.line").count() >= 1, title
        assert await chart.locator("rect.band-before").count() == 1, title
        assert await chart.locator("rect.band-now").count() == 1, title
    await shoot(reviewer, "recommendation")
    await open_recommendation(other, stack, rec_id)  # the second reviewer reads it too

    # Approve with the keyboard: the feedback box, then Tab to the approve button (past the
    # cooldown override checkbox, when the form has one).
    await reviewer.get_by_label("Feedback").fill("looks right, go")
    approve = reviewer.get_by_role("button", name=f"Approve revision {revision}")
    for _ in range(3):
        await reviewer.keyboard.press("Tab")
        if await approve.evaluate("button => button === document.activeElement"):
            break
    else:
        raise AssertionError("Tab from the feedback box does not reach the approve button")
    await reviewer.keyboard.press("Enter")
    await reviewer.get_by_text(f"You approved revision {revision}.").wait_for()
    assert await wait_for_status(reviewer, "executed", "completed") in ("executed", "completed")
    assert "Change made on the ad platform" in await reviewer.locator("main").inner_text()
    await shoot(reviewer, "recommendation-executed")

    # The second reviewer, still on the page they opened before, approves the same revision.
    await other.get_by_role("button", name=f"Approve revision {revision}").click()
    refusal = other.locator(".notice-refused")
    await refusal.wait_for()
    text = await refusal.inner_text()
    assert f"Your approval of revision {revision} was not applied." in text
    assert "It was already decided: approved by e2e-reviewer" in text
    assert len(await mutations_on(stack, APPROVE_CAMPAIGN)) == 1

    stored = (await api.get(f"/api/v1/recommendations/{rec_id}", headers=CLIENT)).json()
    assert stored["decision"]["reviewer"] == "e2e-reviewer"
    assert stored["decision"]["feedback"] == "looks right, go"
    for page in (reviewer, other):
        await page.context.close()


async def test_a_second_click_while_the_first_is_in_flight_sends_nothing(stack, api, chromium):
    body = await pending(api, REJECT_CAMPAIGN)
    rec_id, revision = body["recommendation_id"], body["revision"]
    page = await signed_in_page(chromium, stack, "reviewer", viewport=PHONE)
    await open_recommendation(page, stack, rec_id)
    # A slow network: the browser holds the decision request until the second click is done.
    sent: list[str] = []
    second_click_done = asyncio.Event()

    async def slow_network(route) -> None:
        sent.append(route.request.method)
        await asyncio.wait_for(second_click_done.wait(), STEP_MS / 1000)
        with contextlib.suppress(Exception):  # a superseded request is gone already
            await route.continue_()

    await page.route("**/decision", slow_network)
    reject = page.get_by_role("button", name="Reject")
    await page.get_by_label("Feedback").fill("creative refresh already booked")
    await reject.scroll_into_view_if_needed()
    box = await reject.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    await page.mouse.click(x, y)
    await poll_until(lambda: sent, "the first request to leave")
    await page.mouse.click(x, y)  # the impatient second click, on the page still shown
    second_click_done.set()

    await page.get_by_text(f"You rejected revision {revision}.").wait_for()
    assert sent == ["POST"]
    assert await wait_for_status(page, "rejected") == "rejected"
    stored = (await api.get(f"/api/v1/recommendations/{rec_id}", headers=CLIENT)).json()
    assert stored["decision"]["feedback"] == "creative refresh already booked"
    assert stored["refused_decisions"] == []
    assert await mutations_on(stack, REJECT_CAMPAIGN) == []
    await page.context.close()


async def test_a_reanalysis_with_feedback_brings_a_new_revision(stack, api, chromium):
    body = await pending(api, REANALYSIS_CAMPAIGN)
    rec_id, revision = body["recommendation_id"], body["revision"]
    page = await signed_in_page(chromium, stack, "reviewer")
    await open_recommendation(page, stack, rec_id)

    await page.get_by_label("Feedback").fill("segment data looked stale")
    await page.get_by_role("button", name="Ask for reanalysis").click()
    await page.get_by_text(f"You asked for a reanalysis of revision {revision}.").wait_for()

    async def newer_revision() -> bool:
        return int(await page.locator("#revision").inner_text()) > revision

    deadline = time.monotonic() + STEP_MS / 1000
    while not await newer_revision():  # the page reloads itself when the new revision lands
        assert time.monotonic() < deadline, "no new revision appeared"
        await page.wait_for_timeout(250)
    assert await status_of(page) == "pending review"
    assert (
        "asked for a reanalysis: segment data looked stale"
        in await page.locator("ol.revisions").inner_text()
    )
    assert await page.get_by_role("button", name=re.compile(r"^Approve revision")).count() == 1
    await page.context.close()


async def test_a_client_key_sees_no_decide_buttons_and_a_forged_post_is_refused(
    stack, api, chromium
):
    body = await pending(api, READ_ONLY_CAMPAIGN)
    rec_id, revision = body["recommendation_id"], body["revision"]
    page = await signed_in_page(chromium, stack, "client")
    await open_recommendation(page, stack, rec_id)

    assert (
        await page.get_by_role("button", name=re.compile("Approve|Reject|reanalysis")).count() == 0
    )
    assert "deciding needs a reviewer key" in await page.locator("aside").inner_text()

    # Forged with this session's own valid CSRF token (from the sign-out form): the role stops it.
    token = await page.locator('input[name="csrf_token"]').first.input_value()
    forged = await page.request.post(
        f"{stack.api_url}/console/recommendations/{rec_id}/decision",
        form={"csrf_token": token, "decision": "approved", "revision": str(revision)},
        max_redirects=0,
    )
    assert forged.status == 403
    assert "can read recommendations but not decide" in await forged.text()
    await page.context.close()

    # A reviewer's post without the CSRF token is refused too.
    reviewer = await signed_in_page(chromium, stack, "reviewer")
    no_token = await reviewer.request.post(
        f"{stack.api_url}/console/recommendations/{rec_id}/decision",
        form={"decision": "approved", "revision": str(revision)},
        max_redirects=0,
    )
    assert no_token.status == 403
    assert "CSRF" in await no_token.text()
    await reviewer.context.close()

    stored = (await api.get(f"/api/v1/recommendations/{rec_id}", headers=CLIENT)).json()
    assert stored["status"] == "pending_review" and stored["decision"] is None
    assert await mutations_on(stack, READ_ONLY_CAMPAIGN) == []


async def test_console_pages_answer_within_200_ms_at_p95_on_the_demo_data(stack, api):
    """Every simulator campaign analysed, as `make demo` does; then the inbox and each
    recommendation page, signed in, over HTTP."""
    async with httpx.AsyncClient(base_url=stack.simulator_url) as simulator:
        campaigns = (await simulator.get("/campaigns")).json()
    ids = [await analyze(api, c["campaign_id"]) for c in campaigns]
    for rec_id in ids:
        await wait_status(api, rec_id, "pending_review", "failed")
    cookie = await session_cookie(api, KEYS["reviewer"])
    paths = ["/console", "/console?status=all"] + [f"/console/recommendations/{i}" for i in ids]

    timings: dict[str, list[float]] = {"inbox": [], "recommendation": []}
    for _ in range(15):
        for path in paths:
            started = time.perf_counter()
            response = await api.get(path, headers={"Cookie": cookie})
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, (path, response.status_code)
            timings["recommendation" if "recommendations" in path else "inbox"].append(elapsed)

    for kind, values in timings.items():
        p95 = statistics.quantiles(values, n=20)[18]
        print(
            f"console {kind}: n={len(values)} p50={statistics.median(values):.1f} ms "
            f"p95={p95:.1f} ms max={max(values):.1f} ms"
        )
        assert p95 < 200, f"{kind} p95 {p95:.1f} ms"


async def session_cookie(api: httpx.AsyncClient, key: str) -> str:
    """Sign in over HTTP and return the Cookie header (httpx keeps Secure cookies to https)."""
    page = await api.get("/console/login")
    pre = page.headers["set-cookie"].split(";", 1)[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    signed = await api.post(
        "/console/login",
        data={"api_key": key, "csrf_token": token, "next": "/console"},
        headers={"Cookie": pre},
    )
    assert signed.status_code == 303, signed.text
    return signed.headers["set-cookie"].split(";", 1)[0]


async def mutations_on(stack: Stack, campaign_id: str) -> list[dict]:
    async with httpx.AsyncClient(base_url=stack.simulator_url, timeout=15) as simulator:
        return await mutations(simulator, campaign_id)
