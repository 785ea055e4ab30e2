"""The monitors over HTTP: media plan import, pacing alerts (list, acknowledge, release a
halt), watch passes. Records are written through the real store the worker writes with."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta

import httpx

from domain.media_plan import PlanLine
from domain.pacing import CampaignMatch, PacingPolicy, assess
from domain.platform import SpendReport
from domain.watch import CampaignWatch, WatchSummary, WatchVerdict
from store.monitor import MonitorStore
from store.repository import Store
from tests.api.conftest import ADMIN, CLIENT, REVIEWER

PLAN_HEADER = "line_id,campaign_id,campaign_name,market,product,start_date,end_date,target_spend"


def plan_csv(*lines: str) -> str:
    return "\n".join([PLAN_HEADER, *lines]) + "\n"


def good_line(n: int, spend: int = 30000) -> str:
    return f"L{n},cmp-{n},Campaign {n},Hyderabad,Course,2026-11-01,2026-11-30,{spend}"


async def import_plan(http: httpx.AsyncClient, body: str, media: str = "text/csv"):
    return await http.post(
        "/api/v1/pacing/media-plan",
        content=body.encode(),
        headers={**ADMIN, "content-type": media},
    )


async def test_a_plan_is_imported_once_and_reimporting_it_changes_nothing(http) -> None:
    tag = uuid.uuid4().hex[:6]
    body = plan_csv(*(good_line(n).replace("Campaign", f"Campaign {tag}") for n in range(3)))
    first = await import_plan(http, body)
    assert first.status_code == 201, first.text
    assert first.json()["outcome"] == "imported" and first.json()["lines"] == 3
    again = await import_plan(http, body)
    assert again.status_code == 200
    assert again.json() == {**first.json(), "outcome": "unchanged"}
    # The same lines as JSON are the same plan.
    lines = [dict(zip(PLAN_HEADER.split(","), row.split(","), strict=True)) for row in
             body.splitlines()[1:]]  # fmt: skip
    as_json = await import_plan(http, json.dumps({"lines": lines}), "application/json")
    assert as_json.status_code == 200 and as_json.json()["plan_id"] == first.json()["plan_id"]
    current = await http.get("/api/v1/pacing/media-plan", headers=CLIENT)
    assert current.json()["plan_id"] == first.json()["plan_id"]
    assert [line["line_id"] for line in current.json()["items"]] == ["L0", "L1", "L2"]


async def test_a_bad_plan_is_refused_whole_with_every_bad_line_named(http) -> None:
    before = (await http.get("/api/v1/pacing/media-plan", headers=CLIENT)).json()
    body = plan_csv(
        good_line(1),
        "L2,cmp-2,,Pune,x,2026-11-01,2026-11-30,100",
        good_line(3, spend=0),
        "L4,cmp-4,Name,Pune,x,2026-13-01,2026-11-30,100",
    )
    response = await import_plan(http, body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_media_plan" and "nothing imported" in error["message"]
    named = {(d["line"], d["field"]) for d in error["details"]}
    assert named == {(3, "campaign_name"), (4, "target_spend"), (5, "start_date")}
    after = (await http.get("/api/v1/pacing/media-plan", headers=CLIENT)).json()
    assert after.get("plan_id") == before.get("plan_id")  # nothing half-imported


async def test_a_plan_needs_an_admin_and_a_known_format(http) -> None:
    body = plan_csv(good_line(1))
    refused = await http.post(
        "/api/v1/pacing/media-plan",
        content=body,
        headers={**REVIEWER, "content-type": "text/csv"},
    )
    assert refused.status_code == 403
    unknown = await import_plan(http, body, "application/xml")
    assert unknown.status_code == 415


def assessment(campaign: str, spend: float, policy: PacingPolicy):
    line = PlanLine(
        line_id=f"line-{campaign}",
        campaign_id=campaign,
        campaign_name=campaign,
        start_date=date(2026, 11, 1),
        end_date=date(2026, 11, 30),
        target_spend=30_000,
    )
    through = datetime(2026, 11, 21, tzinfo=UTC)
    days = [date(2026, 11, 1) + timedelta(days=n) for n in range(20)]
    report = SpendReport(
        campaign_id=campaign,
        campaign_name=campaign,
        status="active",
        daily_spend={day: spend / 20 for day in days},
        reported_through=through,
        refreshed_at=through,
    )
    match = CampaignMatch(campaign_id=campaign, campaign_name=campaign, by="id", name_similarity=1)
    return assess(line, match, report, through + timedelta(hours=1), policy)


async def test_alerts_are_listed_acknowledged_and_a_halt_released(http, store: Store) -> None:
    monitor = MonitorStore(store.engine)
    campaign = f"cmp-{uuid.uuid4().hex[:6]}"
    at = datetime.now(UTC)
    pass_id = f"pacing-test-{campaign}"
    await monitor.begin_pacing_pass(pass_id, None, 1, at, True)
    critical = assessment(campaign, 27_000, PacingPolicy(autonomous_halt=True))
    [key] = await monitor.record_assessments(pass_id, at.date(), at, [critical])

    listed = await http.get(
        "/api/v1/pacing/alerts", params={"campaign_id": campaign, "action": "halt"}, headers=CLIENT
    )
    assert listed.json()["total"] == 1 and listed.json()["items"][0]["alert_key"] == key

    nothing = await http.post(
        f"/api/v1/pacing/alerts/{key}/release", json={"reason": "fixed"}, headers=REVIEWER
    )
    assert nothing.status_code == 409  # no halt applied yet

    halt_id = f"pacing-halt-{campaign}"
    await monitor.record_halt_queued(halt_id, key, campaign, at)
    await monitor.record_halt_outcome(halt_id, "executed", "", at, None)
    by_client = await http.post(
        f"/api/v1/pacing/alerts/{key}/release", json={"reason": "x"}, headers=CLIENT
    )
    assert by_client.status_code == 403
    released = await http.post(
        f"/api/v1/pacing/alerts/{key}/release",
        json={"reason": "budget fixed", "hold_off_hours": 12},
        headers=REVIEWER,
    )
    assert released.status_code == 200, released.text
    assert released.json()["halt"]["released_by"] == "alice"
    again = await http.post(
        f"/api/v1/pacing/alerts/{key}/release", json={"reason": "again"}, headers=REVIEWER
    )
    assert again.status_code == 409

    acked = await http.post(
        f"/api/v1/pacing/alerts/{key}/acknowledge", json={"note": "on it"}, headers=REVIEWER
    )
    assert acked.json()["status"] == "acknowledged" and acked.json()["acknowledged_by"] == "alice"
    view = (await http.get(f"/api/v1/pacing/alerts/{key}", headers=CLIENT)).json()
    assert [e["event"] for e in view["audit"]] == [
        "pacing_halt",
        "pacing_halt_queued",
        "pacing_halt_executed",
        "pacing_halt_released",
        "pacing_alert_acknowledged",
    ]
    assert (
        await http.get("/api/v1/pacing/alerts/pacing:none:x:1", headers=CLIENT)
    ).status_code == (404)


async def test_a_pass_shows_every_line_it_assessed(http, store: Store) -> None:
    monitor = MonitorStore(store.engine)
    at = datetime.now(UTC)
    pass_id = f"pacing-test-{uuid.uuid4().hex[:6]}"
    await monitor.begin_pacing_pass(pass_id, None, 2, at, False)
    lines = [
        assessment("cmp-a", 20_000, PacingPolicy()),
        assessment("cmp-b", 13_000, PacingPolicy()),
    ]
    await monitor.record_assessments(pass_id, at.date(), at, lines)
    await monitor.finish_pacing_pass(pass_id, {"lines": 2}, at)
    view = (await http.get(f"/api/v1/pacing/passes/{pass_id}", headers=CLIENT)).json()
    assert view["total"] == 2
    by_line = {a["line_id"]: (a["severity"], a["action"]) for a in view["assessments"]}
    assert by_line == {"line-cmp-a": ("healthy", "none"), "line-cmp-b": ("critical", "alert")}
    critical = await http.get(
        f"/api/v1/pacing/passes/{pass_id}", params={"severity": "critical"}, headers=CLIENT
    )
    assert [a["line_id"] for a in critical.json()["assessments"]] == ["line-cmp-b"]


async def test_watch_passes_say_what_was_started_and_why(http, store: Store) -> None:
    monitor = MonitorStore(store.engine)
    pass_id = f"watch-test-{uuid.uuid4().hex[:6]}"
    now = datetime.now(UTC) + timedelta(days=365)  # the newest pass of this store
    summary = WatchSummary(
        pass_id=pass_id,
        started_at=now,
        finished_at=now,
        campaigns=[
            CampaignWatch(
                campaign_id="a",
                verdict=WatchVerdict.started,
                reason="CPA +30 %",
                recommendation_id="rec-a-1",
            ),
            CampaignWatch(campaign_id="b", verdict=WatchVerdict.no_move, reason="steady"),
        ],
    )
    await monitor.save_watch_pass(summary)
    latest = (await http.get("/api/v1/watch/passes/latest", headers=CLIENT)).json()
    assert latest["pass_id"] == pass_id
    assert latest["counts"]["started"] == 1 and latest["counts"]["no_move"] == 1
    assert latest["campaigns"][0]["recommendation_id"] == "rec-a-1"
    page = (await http.get("/api/v1/watch/passes", headers=CLIENT)).json()
    assert page["items"][0]["pass_id"] == pass_id
    missing = await http.get("/api/v1/watch/passes/watch-none", headers=CLIENT)
    assert missing.status_code == 404
