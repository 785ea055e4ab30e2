"""What a spend-pacing monitor reads from the platform, and the demo media plan.

``spend_report``: a campaign's spend per reported day with what the platform knows of its plan
(market, product, flight dates, daily budget), how far the figures reach and when they were
refreshed. Every campaign is scheduled for one flight: ``FLIGHT_BEFORE_DAYS`` before the seeded
"today" to ``FLIGHT_AFTER_DAYS`` after it. Reports are refreshed ``DEFAULT_REPORT_DELAY_HOURS``
before the request unless ``/admin/report-delay`` makes a campaign's report staler; a report
more than a day stale also lacks the days since.

``demo_plan``: a planner's tracker for every campaign, as the pacing monitor imports it. Its
targets are set around what each campaign actually spends, so that one pass shows each case:
most lines on plan, one critically over (a halt), others over or under, a line whose campaign
is named with typos and no id (matched by name), and one that matches poorly (escalated).
"""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, date, datetime, time, timedelta

from pydantic import BaseModel

from simulator.mechanics import CampaignState

FLIGHT_BEFORE_DAYS = 20
FLIGHT_AFTER_DAYS = 9
DEFAULT_REPORT_DELAY_HOURS = 1.0

# Named campaigns: (market, product). Generated ones draw theirs from their id.
PROFILES: dict[str, tuple[str, str]] = {
    "cmp-fatigue-01": ("Mumbai", "Summer Collection"),
    "cmp-fatigue-02": ("Delhi", "School Supplies"),
    "cmp-saturation-01": ("Bengaluru", "Loyalty Programme"),
    "cmp-saturation-02": ("Bengaluru", "Online Store"),
    "cmp-competition-01": ("Hyderabad", "Data Analytics Course"),
    "cmp-competition-02": ("Hyderabad", "Data Analytics Course"),
    "cmp-tracking-01": ("Hyderabad", "Data Analytics Course"),
    "cmp-tracking-02": ("Pune", "Analytics Webinar"),
    "cmp-uneven-01": ("Chennai", "Online Store"),
    "cmp-uneven-02": ("Chennai", "Home Decor"),
    "cmp-steady-01": ("Hyderabad", "Analytics Training"),
    "cmp-steady-02": ("Mumbai", "Brand"),
}
MARKETS = ("Hyderabad", "Bengaluru", "Mumbai", "Delhi", "Chennai", "Pune")
PRODUCTS = ("Online Store", "Data Analytics Course", "Analytics Training", "Brand", "App")

# Demo plan: campaign -> actual spend / planned spend (1 = on plan), and lines that differ.
DEMO_PACE: dict[str, float] = {
    "cmp-saturation-02": 1.45,  # critically over: the monitor halts it (or recommends it)
    "cmp-uneven-02": 1.18,  # over, warning
    "cmp-uneven-01": 0.8,  # under, warning
    "cmp-fatigue-02": 0.68,  # critically under
}
# Planner's spelling of some lines (no platform id): matched by name.
DEMO_LINES: dict[str, dict[str, str]] = {
    "cmp-competition-01": {
        "campaign_id": "",
        "campaign_name": "Brand Search Data Analytcis Course",
        "market": "Hyderbad",
    },
    "cmp-competition-02": {
        "campaign_id": "",
        "campaign_name": "Generic - Data Analytics",
        "market": "Mumbai",
        "product": "Analytics Bootcamp",
    },
}
PLAN_COLUMNS = (
    "line_id",
    "campaign_id",
    "campaign_name",
    "market",
    "product",
    "start_date",
    "end_date",
    "target_spend",
)


class SpendReport(BaseModel):
    campaign_id: str
    campaign_name: str
    status: str
    daily_budget: float
    market: str
    product: str
    start_date: date
    end_date: date
    daily_spend: dict[date, float]
    reported_through: datetime
    refreshed_at: datetime


def flight(seeded_today: date) -> tuple[date, date]:
    return (
        seeded_today - timedelta(days=FLIGHT_BEFORE_DAYS),
        seeded_today + timedelta(days=FLIGHT_AFTER_DAYS),
    )


def profile(campaign_id: str) -> tuple[str, str]:
    if campaign_id in PROFILES:
        return PROFILES[campaign_id]
    rng = random.Random(f"profile/{campaign_id}")
    return rng.choice(MARKETS), rng.choice(PRODUCTS)


def spend_report(
    campaign: CampaignState,
    today: date,
    seeded_today: date,
    since: date,
    delay_hours: float,
    now: datetime | None = None,
) -> SpendReport:
    """Spend per day from ``since`` up to the last day the (possibly stale) report holds."""
    now = now or datetime.now(UTC)
    reported_through = datetime.combine(
        today - timedelta(days=int(delay_hours // 24)), time.min, tzinfo=UTC
    )
    last_day = reported_through.date() - timedelta(days=1)
    market, product = profile(campaign.campaign_id)
    start, end = flight(seeded_today)
    return SpendReport(
        campaign_id=campaign.campaign_id,
        campaign_name=campaign.name,
        status=campaign.status,
        daily_budget=round(campaign.daily_budget, 2),
        market=market,
        product=product,
        start_date=start,
        end_date=end,
        daily_spend={r.day: r.spend for r in campaign.records_between(since, last_day)},
        reported_through=reported_through,
        refreshed_at=now - timedelta(hours=delay_hours),
    )


def demo_plan(campaigns: list[CampaignState], today: date, seeded_today: date) -> list[dict]:
    """One line per campaign, its target set from its spend so far and its demo pace."""
    start, end = flight(seeded_today)
    flight_days = (end - start).days + 1
    lines = []
    for campaign in campaigns:
        records = campaign.records_between(start, today - timedelta(days=1))
        days = max(1, len(records))
        per_day = sum(r.spend for r in records) / days
        pace = DEMO_PACE.get(campaign.campaign_id) or _generated_pace(campaign.campaign_id)
        market, product = profile(campaign.campaign_id)
        line = {
            "line_id": f"plan-{campaign.campaign_id}",
            "campaign_id": campaign.campaign_id,
            "campaign_name": campaign.name,
            "market": market,
            "product": product,
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "target_spend": round(per_day / pace * flight_days, 2),
        }
        line.update(DEMO_LINES.get(campaign.campaign_id, {}))
        lines.append(line)
    return lines


def _generated_pace(campaign_id: str) -> float:
    """Most generated campaigns are on plan; some run over or under it."""
    if not campaign_id.startswith("cmp-w"):
        return 1.0
    draw = random.Random(f"pace/{campaign_id}").random()
    if draw < 0.80:
        return 1.0
    if draw < 0.88:
        return 1.18
    if draw < 0.94:
        return 0.8
    return 1.45 if draw < 0.97 else 0.68


def plan_csv(lines: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=PLAN_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(lines)
    return out.getvalue()
