"""What the simulator gives the pacing monitor: spend reports in the port's contract, staler on
demand, and a demo media plan the agent's importer takes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.context import HistoryData
from domain.media_plan import PlanFormat, parse_media_plan
from domain.platform import SpendReport
from tests.simulator.conftest import SEEDED_TODAY


async def test_a_spend_report_matches_the_history_and_reaches_the_day_in_progress(sim) -> None:
    report = SpendReport.model_validate((await sim.get("/campaigns/cmp-steady-01/spend")).json())
    history = HistoryData.model_validate(
        (await sim.get("/campaigns/cmp-steady-01/history", params={"days": 20})).json()
    )
    assert report.start_date == SEEDED_TODAY - timedelta(days=20)  # the flight
    assert report.end_date == SEEDED_TODAY + timedelta(days=9)
    assert (report.market, report.product) == ("Hyderabad", "Analytics Training")
    assert report.daily_spend == {p.date: p.spend for p in history.daily}
    assert report.reported_through == datetime.combine(SEEDED_TODAY, datetime.min.time(), UTC)
    age = datetime.now(UTC) - report.refreshed_at
    assert timedelta(minutes=59) < age < timedelta(minutes=61)


async def test_a_stale_report_is_older_and_lacks_the_days_since(sim) -> None:
    fresh = SpendReport.model_validate((await sim.get("/campaigns/cmp-uneven-01/spend")).json())
    response = await sim.put(
        "/admin/report-delay", json={"campaign_id": "cmp-uneven-01", "hours": 30}
    )
    assert response.status_code == 200
    stale = SpendReport.model_validate((await sim.get("/campaigns/cmp-uneven-01/spend")).json())
    assert stale.reported_through == fresh.reported_through - timedelta(days=1)
    assert max(stale.daily_spend) == max(fresh.daily_spend) - timedelta(days=1)
    assert datetime.now(UTC) - stale.refreshed_at > timedelta(hours=29)
    assert (await sim.get("/campaigns/nope/spend")).status_code == 404
    missing = await sim.put("/admin/report-delay", json={"campaign_id": "nope", "hours": 1})
    assert missing.status_code == 404


async def test_the_demo_plan_is_one_importable_line_per_campaign(sim) -> None:
    as_csv = parse_media_plan((await sim.get("/admin/media-plan?format=csv")).text, PlanFormat.csv)
    as_json = parse_media_plan((await sim.get("/admin/media-plan")).text, PlanFormat.json)
    assert as_csv.plan_id == as_json.plan_id and len(as_csv.lines) == 12
    lines = {line.line_id: line for line in as_csv.lines}
    # Two lines come without an id, as a planner's tracker often does: matched by name.
    assert lines["plan-cmp-competition-01"].campaign_id is None
    assert lines["plan-cmp-competition-01"].campaign_name == "Brand Search Data Analytcis Course"
    assert lines["plan-cmp-competition-02"].campaign_id is None
    assert lines["plan-cmp-steady-01"].campaign_id == "cmp-steady-01"
