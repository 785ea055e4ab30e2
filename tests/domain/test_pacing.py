"""The pacing monitor's reasoning: the seed's decision matrix, the pacing arithmetic (flight to
date, the platform's daily bursts, unreported hours), confidence and fuzzy matching."""

from __future__ import annotations

import csv
import os
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.media_plan import PlanLine
from domain.pacing import (
    CampaignMatch,
    HaltState,
    PacingAction,
    PacingPolicy,
    Severity,
    assess,
    confidence,
    diagnose,
    freshness,
    match_campaign,
    name_similarity,
)
from domain.platform import CampaignSettings, CampaignSummary, SpendReport
from simulator.datasets import resolve_data_dir

START, END = date(2026, 11, 1), date(2026, 11, 30)  # 30 days, 1,000 a day
THROUGH = datetime(2026, 11, 21, tzinfo=UTC)  # 20 full days reported: 20,000 expected
NOW = THROUGH + timedelta(hours=2)
POLICY = PacingPolicy()
AUTONOMOUS = POLICY.model_copy(update={"autonomous_halt": True})

LINE = PlanLine(
    line_id="L1",
    campaign_id="cmp-1",
    campaign_name="Data Analytics Course",
    market="Hyderabad",
    product="Data Analytics Course",
    start_date=START,
    end_date=END,
    target_spend=30_000,
)
EXACT = CampaignMatch(
    campaign_id="cmp-1", campaign_name="Data Analytics Course", by="id", name_similarity=1.0
)


def report(
    total: float,
    *,
    last_day: float | None = None,
    refreshed_hours_ago: float = 1,
    market: str = "Hyderabad",
    product: str = "Data Analytics Course",
    status: str = "active",
    through: datetime = THROUGH,
) -> SpendReport:
    """``total`` spent over the 20 reported days, evenly unless ``last_day`` is given."""
    days = [START + timedelta(days=n) for n in range((through.date() - START).days)]
    daily = {day: total / len(days) for day in days}
    if last_day is not None:
        rest = (total - last_day) / (len(days) - 1)
        daily = {day: rest for day in days[:-1]} | {days[-1]: last_day}
    return SpendReport(
        campaign_id="cmp-1",
        campaign_name="Data Analytics Course",
        status=status,
        daily_budget=1000,
        market=market,
        product=product,
        start_date=START,
        end_date=END,
        daily_spend=daily,
        reported_through=through,
        refreshed_at=NOW - timedelta(hours=refreshed_hours_ago),
    )


# Confident: every metadata field agrees, matched by id, figures an hour old (1.0).
# Doubtful: market and product disagree (0.5), figures 30 h old (0.2): 0.25 + 0.3 + 0.04.
DOUBTFUL = {"market": "Mumbai", "product": "Bootcamp", "refreshed_hours_ago": 30}

MATRIX = [
    # (case, spend over 20 days, report options, policy, severity, action)
    ("healthy", 20_500, {}, POLICY, Severity.healthy, PacingAction.none),
    ("warning over", 23_000, {}, POLICY, Severity.warning, PacingAction.alert),
    ("warning under", 17_000, {}, POLICY, Severity.warning, PacingAction.alert),
    (
        "critical over, test mode",
        27_000,
        {},
        POLICY,
        Severity.critical,
        PacingAction.recommend_halt,
    ),
    ("critical over, autonomous", 27_000, {}, AUTONOMOUS, Severity.critical, PacingAction.halt),
    ("critical under", 13_000, {}, AUTONOMOUS, Severity.critical, PacingAction.alert),
    ("zero delivery", 19_000, {"last_day": 0}, AUTONOMOUS, Severity.critical, PacingAction.alert),
    (
        "zero delivery, low confidence",
        19_000,
        {"last_day": 0, **DOUBTFUL},
        AUTONOMOUS,
        Severity.critical,
        PacingAction.alert,
    ),
    (
        "low confidence, healthy",
        20_000,
        DOUBTFUL,
        AUTONOMOUS,
        Severity.healthy,
        PacingAction.escalate,
    ),
    (
        "low confidence, warning",
        23_000,
        DOUBTFUL,
        AUTONOMOUS,
        Severity.warning,
        PacingAction.escalate,
    ),
    (
        "low confidence, critical over",
        27_000,
        DOUBTFUL,
        AUTONOMOUS,
        Severity.critical,
        PacingAction.escalate,
    ),
    (
        "low confidence, critical under",
        13_000,
        DOUBTFUL,
        AUTONOMOUS,
        Severity.critical,
        PacingAction.escalate,
    ),
]


@pytest.mark.parametrize(
    ("spend", "options", "policy", "severity", "action"),
    [row[1:] for row in MATRIX],
    ids=[row[0] for row in MATRIX],
)
def test_the_decision_matrix(spend, options, policy, severity, action) -> None:
    a = assess(LINE, EXACT, report(spend, **options), NOW, policy)
    assert (a.severity, a.action) == (severity, action), a.reason
    doubtful = "refreshed_hours_ago" in options
    assert (a.confidence < policy.min_confidence) is doubtful
    assert a.reason


def test_a_line_without_a_matching_campaign_is_escalated() -> None:
    a = assess(LINE, None, None, NOW, AUTONOMOUS, runner_up="Webinar Registrations")
    assert (a.severity, a.action) == (Severity.unknown, PacingAction.escalate)
    assert "Webinar Registrations" in a.reason


def test_missing_figures_are_escalated_not_guessed() -> None:
    a = assess(LINE, EXACT, None, NOW, AUTONOMOUS, unavailable="HTTP 404")
    assert a.action is PacingAction.escalate and "HTTP 404" in a.reason


@pytest.mark.parametrize(
    ("spend", "severity"),
    [(22_990, Severity.healthy), (23_000, Severity.warning), (26_000, Severity.warning),
     (26_010, Severity.critical)],
)  # fmt: skip
def test_severity_bands_after_the_daily_allowance(spend: float, severity: Severity) -> None:
    # 20,000 expected; one planned day (1,000) is the platform's normal burst, so 10 % is
    # 1,000 + 2,000 over and 25 % is 1,000 + 5,000 over.
    assert assess(LINE, EXACT, report(spend), NOW, POLICY).severity is severity


def test_one_day_at_twice_the_daily_budget_is_not_an_overspend() -> None:
    through = datetime(2026, 11, 2, tzinfo=UTC)  # the flight's first day reported
    a = assess(LINE, EXACT, report(2_000, through=through), through + timedelta(hours=1), POLICY)
    assert a.raw_variance_pct == 100.0  # twice the plan on day one...
    assert a.variance_pct == 0.0 and a.severity is Severity.healthy  # ...is how platforms pace


def test_unreported_hours_count_on_neither_side() -> None:
    # At 14:00 the platform has reported up to midnight: expected is 20 days' worth, not 20.6.
    late = THROUGH + timedelta(hours=14)
    a = assess(LINE, EXACT, report(20_000), late, POLICY)
    assert a.expected_spend == 20_000 and a.actual_spend == 20_000
    assert a.severity is Severity.healthy


def test_a_campaign_already_paused_or_halted_is_not_halted_again() -> None:
    paused = assess(LINE, EXACT, report(27_000, status="paused"), NOW, AUTONOMOUS)
    assert paused.action is PacingAction.alert and "paused already" in paused.reason
    halted = HaltState(halted_at=NOW - timedelta(hours=5))
    again = assess(LINE, EXACT, report(27_000, status="paused"), NOW, AUTONOMOUS, halt=halted)
    assert again.action is PacingAction.none and "releases the halt" in again.reason


def test_a_released_halt_is_not_repeated_during_its_hold_off() -> None:
    released = HaltState(
        halted_at=NOW - timedelta(days=1),
        released_at=NOW - timedelta(hours=2),
        released_until=NOW + timedelta(hours=22),
    )
    a = assess(LINE, EXACT, report(27_000), NOW, AUTONOMOUS, halt=released)
    assert a.action is PacingAction.alert and "released" in a.reason
    expired = released.model_copy(update={"released_until": NOW - timedelta(minutes=1)})
    assert assess(LINE, EXACT, report(27_000), NOW, AUTONOMOUS, halt=expired).action is (
        PacingAction.halt
    )
    no_hold_off = released.model_copy(update={"released_until": None})
    assert assess(LINE, EXACT, report(27_000), NOW, AUTONOMOUS, halt=no_hold_off).action is (
        PacingAction.halt
    )


def test_a_flight_that_has_not_started_is_left_alone() -> None:
    later = LINE.model_copy(
        update={"start_date": date(2026, 12, 1), "end_date": date(2026, 12, 31)}
    )
    a = assess(later, EXACT, report(0), NOW, AUTONOMOUS)
    assert a.action is PacingAction.none and "starts on 2026-12-01" in a.reason


@pytest.mark.parametrize(
    ("hours", "score"), [(0, 1.0), (3.9, 1.0), (4, 0.8), (11.9, 0.8), (12, 0.5), (23.9, 0.5),
                         (24, 0.2), (100, 0.2)],
)  # fmt: skip
def test_freshness_bands(hours: float, score: float) -> None:
    assert freshness(hours, POLICY) == score


def test_confidence_is_the_weighted_sum_of_metadata_name_and_freshness() -> None:
    by_name = CampaignMatch(campaign_id="cmp-1", campaign_name="x", by="name", name_similarity=0.9)
    parts = confidence(LINE, by_name, report(20_000, refreshed_hours_ago=6), NOW, POLICY)
    assert parts.metadata == 1.0 and parts.freshness == 0.8
    assert parts.total == pytest.approx(0.5 * 1.0 + 0.3 * 0.9 + 0.2 * 0.8)
    # A field one side does not name (Google Ads has no market) counts half.
    unknown = report(20_000).model_copy(update={"market": None, "product": None})
    assert confidence(LINE, EXACT, unknown, NOW, POLICY).metadata == 0.75


def test_market_spellings_of_the_same_city_agree() -> None:
    for spelling in ("hyderabad", "HYDERABAD", "Hyderbad", "hydrebad"):
        parts = confidence(LINE, EXACT, report(20_000, market=spelling), NOW, POLICY)
        assert parts.metadata_fields["market"] is True, spelling


# The tracker line and the four platform spellings of the Google Ads export (public data).
MISSPELT = [
    "DataAnalyticsCourse",
    "Data Analytics Corse",
    "Data Analytcis Course",
    "Data Anlytics Corse",
]  # noqa: E501
DISTRACTORS = [
    "Generic Search - Learn Data Analytics",
    "Always-on Search - Analytics Training",
    "Course Signups - Search",
    "Webinar Registrations",
]


@pytest.mark.parametrize("platform_name", MISSPELT)
def test_misspelt_campaign_names_match_with_high_but_not_exact_similarity(platform_name) -> None:
    campaigns = [
        CampaignSummary(campaign_id=f"c{n}", campaign_name=name, platform="google", status="active")
        for n, name in enumerate([*DISTRACTORS, platform_name])
    ]
    line = LINE.model_copy(update={"campaign_id": None})
    match = match_campaign(line, campaigns, POLICY)
    assert match is not None and match.campaign_name == platform_name and match.by == "name"
    assert 0.9 <= match.name_similarity < 1.0
    parts = confidence(line, match, report(20_000), NOW, POLICY)
    assert POLICY.min_confidence < parts.total < 1.0  # confident enough to act, never certain


def test_every_spelling_in_the_public_google_ads_export_matches() -> None:
    path = resolve_data_dir() / "GoogleAds_DataAnalytics_Sales_Uncleaned.csv"
    if not path.is_file():
        if os.environ.get("REQUIRE_PUBLIC_DATA") == "1":
            pytest.fail(f"REQUIRE_PUBLIC_DATA=1 but {path} is missing")
        pytest.skip(f"public data not in {path.parent}")
    with path.open(newline="") as handle:
        names = {row["Campaign_Name"] for row in csv.DictReader(handle)}
    assert names == set(MISSPELT)
    for name in names:
        assert 0.9 <= name_similarity("Data Analytics Course", name) < 1.0, name


def test_a_name_too_far_from_any_campaign_matches_nothing() -> None:
    campaigns = [
        CampaignSummary(campaign_id="c1", campaign_name=name, platform="meta", status="active")
        for name in DISTRACTORS
    ]
    line = LINE.model_copy(update={"campaign_id": None, "campaign_name": "Summer Sale"})
    assert match_campaign(line, campaigns, POLICY) is None


def test_an_id_the_platform_has_wins_over_a_closer_name() -> None:
    campaigns = [
        CampaignSummary(campaign_id="a", campaign_name="Data Analytics Course", platform="x",
                        status="active"),
        CampaignSummary(campaign_id="cmp-1", campaign_name="Brand Search", platform="x",
                        status="active"),
    ]  # fmt: skip
    match = match_campaign(LINE, campaigns, POLICY)
    assert match is not None and (match.campaign_id, match.by) == ("cmp-1", "id")


def test_zero_delivery_root_cause_walks_the_checklist() -> None:
    a = assess(LINE, EXACT, report(19_000, last_day=0, status="paused"), NOW, POLICY)
    settings = CampaignSettings(status="paused", bid=1.5, daily_budget=1000, creative_ids=[])
    diagnosed = diagnose(a, LINE, None, settings)
    problems = {c.item for c in diagnosed.checks if c.ok is False}
    assert problems == {"status", "creative"}
    assert "paused" in diagnosed.root_cause and "no creative" in diagnosed.root_cause
    assert any("resume" in fix for fix in diagnosed.mitigation)


def test_over_delivery_root_cause_names_the_budget_and_the_fix() -> None:
    a = assess(LINE, EXACT, report(27_000), NOW, AUTONOMOUS)
    settings = CampaignSettings(status="active", daily_budget=1_400)
    diagnosed = diagnose(a, LINE, None, settings)
    assert "daily budget 1,400.00 is above the plan's 1,000.00" in diagnosed.root_cause
    # 3,000 left for the 10 days left: 300 a day lands on the target.
    assert diagnosed.mitigation[0].startswith("set the daily budget to 300.00")


def test_under_delivery_root_cause() -> None:
    a = assess(LINE, EXACT, report(13_000), NOW, AUTONOMOUS)
    diagnosed = diagnose(a, LINE, None, CampaignSettings(status="active", daily_budget=600))
    assert "below the plan's 1,000.00" in diagnosed.root_cause
    assert diagnosed.mitigation[0].startswith("raise the daily budget to 1,700.00")


def test_one_alert_per_campaign_severity_and_day() -> None:
    a = assess(LINE, EXACT, report(27_000), NOW, AUTONOMOUS)
    assert a.alert_key(NOW.date()) == "pacing:cmp-1:critical:2026-11-21"
    unmatched = assess(LINE, None, None, NOW, AUTONOMOUS)
    assert unmatched.alert_key(NOW.date()) == "pacing:line:L1:unknown:2026-11-21"
