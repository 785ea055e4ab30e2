"""The portfolio review's pure parts: KPI status bands, campaign bands, ROI arithmetic, risk
signals, experiment imports and the executive summary's number check."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.context import AudienceSegment, CampaignMetrics, DailyPoint, HistoryData
from domain.platform import CampaignSettings
from domain.portfolio.campaigns import analyse_campaign, band_of, risk_signals
from domain.portfolio.imports import parse_csv, validate_rows
from domain.portfolio.kpis import attainment, kpi_status, percentile, roi_ledger
from domain.portfolio.model import (
    AgentRecords,
    CampaignSnapshot,
    CampaignTarget,
    OutcomeRecord,
    PlatformData,
    PortfolioPolicy,
    RunRecord,
    TargetKpi,
)
from domain.portfolio.review import ReviewInput, review_portfolio
from domain.portfolio.summary import check_summary, numbers_in

NOW = datetime(2026, 3, 9, 12, tzinfo=UTC)
END = date(2026, 3, 8)


# ----------------------------------------------------------------------------- KPI bands


@pytest.mark.parametrize(
    ("value", "target", "direction", "status", "severity"),
    [
        (1.10, 1.0, "at_least", "exceeded", None),  # 110 %
        (1.00, 1.0, "at_least", "on_track", None),  # exactly on target
        (0.80, 1.0, "at_least", "on_track", None),  # the warning line itself
        (0.79, 1.0, "at_least", "at_risk", "warning"),
        (0.50, 1.0, "at_least", "at_risk", "warning"),  # the critical line itself
        (0.49, 1.0, "at_least", "at_risk", "critical"),
        (25.0, 30.0, "at_most", "exceeded", None),  # latency 25 s under a 30 s target
        (37.5, 30.0, "at_most", "on_track", None),  # 30 / 37.5 = 80 %
        (40.0, 30.0, "at_most", "at_risk", "warning"),  # 75 %
        (61.0, 30.0, "at_most", "at_risk", "critical"),  # 49 %
        (0.0, 0.0, "at_most", "on_track", None),  # no violation against none allowed
        (1.0, 0.0, "at_most", "at_risk", "critical"),  # one against none allowed
        (0.0, 24.0, "at_most", "exceeded", None),  # perfectly fresh data
        (None, 1.0, "at_least", "no_data", None),
        (0.9, None, "at_least", "no_target", None),
    ],
)
def test_kpi_status_bands(value, target, direction, status, severity) -> None:
    _, got_status, got_severity = kpi_status(value, target, direction)
    assert (got_status.value, got_severity) == (status, severity)


def test_the_bands_follow_the_configured_ratios() -> None:
    assert kpi_status(0.85, 1.0, "at_least", warning=0.9, critical=0.6)[1].value == "at_risk"
    assert kpi_status(0.55, 1.0, "at_least", warning=0.9, critical=0.6)[2] == "critical"
    assert attainment(20, 25, "at_most") == pytest.approx(1.25)


def test_percentile_is_nearest_rank() -> None:
    assert percentile([10, 20, 40], 95) == 40
    assert percentile(list(range(1, 101)), 95) == 95
    assert percentile([], 95) is None


# ----------------------------------------------------------------------------- campaigns


def metrics(campaign_id: str, spend: float, conversions: float, clicks: int = 1000, **kw):
    values = {
        "campaign_id": campaign_id,
        "campaign_name": campaign_id.upper(),
        "platform": "meta",
        "spend": spend,
        "impressions": clicks * 40,
        "clicks": clicks,
        "conversions": conversions,
        "cpa": spend / conversions if conversions else None,
        "ctr": 2.5,
        "conversion_rate": 100 * conversions / clicks if clicks else 0,
        "cpm": 10.0,
        "daily_budget": spend / 7,
        "budget_utilization": 1.0,
        "period_start": END - timedelta(days=6),
        "period_end": END,
        "comparison_period_start": END - timedelta(days=13),
        "comparison_period_end": END - timedelta(days=7),
    }
    values.update(kw)
    return CampaignMetrics.model_validate(values)


def snapshot(campaign_id: str, spend: float, conversions: float, **kw) -> CampaignSnapshot:
    history = kw.pop("history", None)
    segments = kw.pop("segments", [])
    settings = kw.pop("settings", None)
    return CampaignSnapshot(
        campaign_id=campaign_id,
        campaign_name=campaign_id.upper(),
        platform="meta",
        status="active",
        metrics=metrics(campaign_id, spend, conversions, **kw),
        history=history,
        segments=segments,
        settings=settings,
    )


@pytest.mark.parametrize(
    ("ratio", "band"),
    [(1.21, "exceeding"), (1.2, "meeting"), (1.0, "meeting"), (0.8, "meeting"), (0.79, "below")],
)
def test_campaign_bands(ratio, band) -> None:
    assert band_of(ratio, PortfolioPolicy()).value == band


def test_campaign_against_each_kind_of_target() -> None:
    policy = PortfolioPolicy(
        value_per_conversion=40,
        campaign_targets={
            "cpa": CampaignTarget(kpi=TargetKpi.cpa, target=25),
            "roas": CampaignTarget(kpi=TargetKpi.roas, target=2.0),
            "conv": CampaignTarget(kpi=TargetKpi.conversions, target=50),
        },
    )
    cpa = analyse_campaign(snapshot("cpa", 700, 35), policy)  # CPA 20 vs 25 -> 125 %
    roas = analyse_campaign(snapshot("roas", 1000, 40), policy)  # 1,600 / 1,000 = 1.6 vs 2
    conv = analyse_campaign(snapshot("conv", 1000, 60), policy)  # 60 vs 50 -> 120 %
    baseline = analyse_campaign(
        snapshot("base", 900, 30, history=HistoryData(baseline_cpa=36.0)), policy
    )  # CPA 30 vs its baseline 36 -> 120 %

    assert (cpa.attainment, cpa.band.value) == (pytest.approx(1.25), "exceeding")
    assert (roas.actual, roas.attainment, roas.band.value) == (1.6, pytest.approx(0.8), "meeting")
    assert (conv.attainment, conv.band.value) == (pytest.approx(1.2), "meeting")
    assert baseline.attainment == pytest.approx(1.2) and "baseline" in baseline.target_source
    assert cpa.estimated_value == 35 * 40


# ----------------------------------------------------------------------------- ROI


def run(**kw) -> RunRecord:
    return RunRecord(
        recommendation_id=kw.pop("recommendation_id", "rec-x"),
        campaign_id="c",
        status=kw.pop("status", "completed"),
        created_at=NOW,
        **kw,
    )


def test_roi_arithmetic() -> None:
    policy = PortfolioPolicy(value_per_conversion=30, review_minutes=15, reviewer_hourly_rate=80)
    campaigns = [
        analyse_campaign(snapshot("a", 1000, 50), policy),
        analyse_campaign(snapshot("b", 500, 10), policy),
    ]
    outcome = OutcomeRecord(
        recommendation_id="rec-1",
        campaign_id="a",
        action="Bid Adjustment",
        metric="cpa",
        success=True,
        before_value=24.0,
        after_value=20.0,
        after_conversions=40,
        measured_at=NOW,
    )
    records = AgentRecords(
        since=NOW - timedelta(days=7),
        until=NOW,
        runs=[
            run(
                decision="approved", reviewer="ann", llm_cost_usd=0.25, llm_calls=3, outcome=outcome
            ),
            run(decision="rejected", reviewer="ben", llm_cost_usd=0.05, llm_calls=1),
            run(decision="approved", reviewer="auto-approval-policy"),
            run(),  # undecided: no review time
        ],
    )
    roi = roi_ledger(campaigns, records, policy)

    # Value 60 x $30 = 1,800; LLM 0.30; 2 human decisions x 15 min x $80/h = $40.
    assert roi.estimated_value == 1800 and roi.media_spend == 1500
    assert roi.llm_cost_usd == pytest.approx(0.30) and roi.llm_calls == 4
    assert roi.human_reviews == 2 and roi.human_review_cost == pytest.approx(40.0)
    assert roi.agent_cost == pytest.approx(40.30)
    assert roi.total_cost == pytest.approx(1540.30)
    assert roi.net == pytest.approx(259.70)
    assert roi.net_roi == pytest.approx(259.70 / 1540.30)
    assert roi.status == "profitable"
    # 40 conversions after at CPA 20 instead of 24: $160 saved; (160 - 40.30) / 40.30.
    assert roi.measured_savings == pytest.approx(160.0)
    assert roi.agent_roi == pytest.approx((160 - 40.30) / 40.30)
    assert roi.agent_status == "paying_for_itself"


def test_roi_without_a_value_is_unknown_and_break_even_is_named() -> None:
    campaigns = [analyse_campaign(snapshot("a", 1000, 50), PortfolioPolicy())]
    records = AgentRecords(since=NOW, until=NOW)
    unknown = roi_ledger(campaigns, records, PortfolioPolicy())
    even = roi_ledger(
        [analyse_campaign(snapshot("a", 1000, 50), PortfolioPolicy(value_per_conversion=20.1))],
        records,
        PortfolioPolicy(value_per_conversion=20.1),
    )

    assert unknown.status == "unknown" and unknown.net is None and "no value" in unknown.value_basis
    assert unknown.agent_status == "unknown"
    assert even.status == "break_even"  # +$5 on $1,000: within 1 % of the costs


# ----------------------------------------------------------------------------- risks


def test_risk_signals_with_severity() -> None:
    policy = PortfolioPolicy()
    days = [
        DailyPoint(
            date=END - timedelta(days=i), spend=100, impressions=900, clicks=40, conversions=2
        )
        for i in range(6, 2, -1)
    ] + [
        DailyPoint(date=END - timedelta(days=2), spend=100, impressions=0, clicks=0, conversions=0),
        DailyPoint(date=END, spend=100, impressions=900, clicks=40, conversions=0),
    ]
    gaps = risk_signals(
        snapshot("gappy", 600, 8, history=HistoryData(daily=days)), policy, END + timedelta(1)
    )
    zero = risk_signals(snapshot("zero", 900, 0, clicks=400), policy, END + timedelta(1))
    few = risk_signals(snapshot("few", 90, 0, clicks=40), policy, END + timedelta(1))
    spike = risk_signals(
        snapshot("spiky", 900, 30, spend_change_pct=120.0), policy, END + timedelta(1)
    )
    stale = risk_signals(snapshot("stale", 900, 30), policy, END + timedelta(days=5))

    kinds = {(r.kind, r.severity.value) for r in gaps}
    assert ("data_gap", "warning") in kinds  # a missing day and a day without delivery
    assert any("1 day(s) missing" in r.detail for r in gaps)
    assert any("spend but no delivery" in r.detail for r in gaps)
    assert ("tracking_gap", "critical") in kinds  # no conversion on the last 2 reported days
    assert [(r.kind, r.severity.value) for r in zero] == [("zero_conversions", "critical")]
    assert [(r.kind, r.severity.value) for r in few] == [("zero_conversions", "warning")]
    assert [(r.kind, r.severity.value) for r in spike] == [("spend_spike", "critical")]
    assert [(r.kind, r.severity.value) for r in stale] == [("stale_data", "warning")]


# ----------------------------------------------------------------------------- imports


GOOD_ROW = {
    "experiment_id": "exp-1",
    "name": "Landing",
    "control": {"name": "A", "samples": 1000, "conversions": 100},
    "variant": {"name": "B", "samples": 1000, "conversions": 120},
}


def test_a_json_import_with_bad_rows_is_refused_whole_naming_each() -> None:
    rows = [
        GOOD_ROW,
        {
            **GOOD_ROW,
            "experiment_id": "exp-2",
            "variant": {"name": "B", "samples": 10, "conversions": 11},
        },
        {**GOOD_ROW, "experiment_id": "exp 3"},
        GOOD_ROW,
        "not an object",
    ]
    result = validate_rows(rows)

    assert result.experiments == []  # nothing half-imported
    named = {p.row: (p.experiment_id, " ".join(p.problems)) for p in result.problems}
    assert set(named) == {2, 3, 4, 5}
    assert "11 conversions on only 10 samples" in named[2][1]
    assert "experiment_id" in named[3][1]
    assert named[4] == ("exp-1", "experiment_id repeats row 1")
    assert "not an object" in named[5][1]
    assert validate_rows([GOOD_ROW]).experiments[0].experiment_id == "exp-1"


def test_a_csv_import() -> None:
    good = parse_csv(
        "experiment_id,name,control_samples,control_conversions,variant_samples,"
        "variant_conversions,planned_variant_share,start_date\n"
        "exp-1,Landing,1000,100,1000,120,0.5,2026-03-01\n"
        "exp-2,Headline,500,20,500,25,,\n"
    )
    bad = parse_csv(
        "experiment_id,name,control_samples,control_conversions,variant_samples,"
        "variant_conversions\n"
        "exp-1,Landing,1000,100,1000,abc\n"
        "exp-2,Headline,500,20,500,25,extra\n"
        "exp-3,Fine,500,20,500,25\n"
    )
    header = parse_csv("id,name\nx,y\n")

    assert [e.experiment_id for e in good.experiments] == ["exp-1", "exp-2"]
    assert good.experiments[0].planned_variant_share == 0.5
    assert good.experiments[1].planned_variant_share is None
    assert bad.experiments == [] and [p.row for p in bad.problems] == [1, 2]
    assert "variant.conversions" in bad.problems[0].problems[0]
    assert bad.problems[1].problems == ["more cells than the header has columns"]
    assert "missing column(s): experiment_id" in header.problems[0].problems[0]


# ----------------------------------------------------------------------------- the summary


def _report():
    policy = PortfolioPolicy(value_per_conversion=30)
    platform = PlatformData(
        platform="test",
        window_days=7,
        campaigns=[snapshot("cmp-a", 700.0, 35.0), snapshot("cmp-z", 700.0, 0.0, clicks=300)],
    )
    return review_portfolio(
        ReviewInput(
            review_id="pf-1",
            as_of=NOW,
            seed=7,
            policy=policy,
            platform=platform,
            records=AgentRecords(since=NOW - timedelta(days=7), until=NOW),
        )
    )


def test_numbers_are_read_as_prose_writes_them() -> None:
    found = [(w, v, d, s) for w, v, d, s in numbers_in("$1,234.50 up 12.1 %, 3.2k, 2x, -4")]
    assert [v * s for _, v, _, s in found] == [1234.5, 12.1, 3200.0, 2.0, 4.0]
    assert [d for *_, d, _ in found] == [2, 1, 1, 0, 0]


def test_the_summary_check_accepts_the_reviews_numbers_and_names_invented_ones() -> None:
    report = _report()

    faithful = check_summary(
        "Spend was $1,400.00 for 35 conversions; cmp-z spent $700.00 without a conversion "
        "(recommendation #1). Account CPA $40.00.",
        report,
    )
    rounded = check_summary("Spend was $1.4k and CPA about $40.", report)
    invented = check_summary("Pausing cmp-z saves $812.00 and lifts conversions 17.3 %.", report)

    assert faithful.ok, faithful.invented
    assert rounded.ok, rounded.invented
    assert not invented.ok and invented.invented == ["$812.00", "17.3 %"]


def test_segment_budgets_feed_a_lifecycle_proposal() -> None:
    segments = [
        AudienceSegment(segment_id="s1", name="One", spend=400, conversions=40),
        AudienceSegment(segment_id="s2", name="Two", spend=300, conversions=3),
    ]
    platform = PlatformData(
        platform="test",
        window_days=7,
        campaigns=[
            snapshot(
                "cmp-a",
                700.0,
                43.0,
                segments=segments,
                settings=CampaignSettings(
                    status="active", daily_budget=100, segment_budgets={"s1": 60, "s2": 40}
                ),
            )
        ],
    )
    report = review_portfolio(
        ReviewInput(
            review_id="pf-2",
            as_of=NOW,
            seed=3,
            platform=platform,
            records=AgentRecords(since=NOW, until=NOW),
        )
    )
    (item,) = [r for r in report.recommendations if r.action == "Budget Reallocation"]
    proposal = item.lifecycle.proposal

    # s2 may lose 25 % of its 40/day in one change: 10 to s1.
    assert proposal.parameters.model_dump(
        include={"from_segment_id", "to_segment_id", "budget_shift_amount"}
    ) == {
        "from_segment_id": "s2",
        "to_segment_id": "s1",
        "budget_shift_amount": 10.0,
    }
    assert proposal.budget_allocation.move.p_better > 0.99
    assert "Proposed by portfolio review pf-2, recommendation 1." in proposal.reasoning


def test_a_paused_campaign_is_history_not_a_risk_to_act_on() -> None:
    paused = snapshot("cmp-p", 900.0, 0.0, clicks=400).model_copy(update={"status": "paused"})
    risks = risk_signals(paused, PortfolioPolicy(), END + timedelta(1))
    report = review_portfolio(
        ReviewInput(
            review_id="pf-3",
            as_of=NOW,
            seed=1,
            policy=PortfolioPolicy(account_target_cpa=20),
            platform=PlatformData(platform="test", window_days=7, campaigns=[paused]),
            records=AgentRecords(since=NOW, until=NOW),
        )
    )

    assert [(r.kind, r.severity.value) for r in risks] == [("zero_conversions", "info")]
    assert risks[0].detail.endswith("(the campaign is paused now)")
    assert report.recommendations == []  # neither a pause nor an analysis of it


def test_measured_reallocation_outcomes_are_delayed_rewards_for_the_campaign_arms() -> None:
    start = END - timedelta(days=6)

    def outcome(campaign_id: str, ended: date, spend: float, conversions: float) -> OutcomeRecord:
        return OutcomeRecord(
            recommendation_id=f"rec-{campaign_id}-{ended}",
            campaign_id=campaign_id,
            action="Budget Reallocation",
            metric="cpa",
            success=True,
            after_spend=spend,
            after_conversions=conversions,
            after_period_end=ended,
            measured_at=NOW,
        )

    records = AgentRecords(
        since=NOW - timedelta(days=7),
        until=NOW,
        reallocation_outcomes=[
            outcome("cmp-a", start - timedelta(days=1), 300.0, 30.0),  # before the window: used
            outcome("cmp-a", start + timedelta(days=2), 900.0, 90.0),  # inside it: counted twice
            outcome("cmp-z", start - timedelta(days=3), 100.0, 1.0),  # no such campaign now
        ],
    )
    platform = PlatformData(
        platform="test",
        window_days=7,
        campaigns=[snapshot("cmp-a", 700.0, 35.0), snapshot("cmp-b", 700.0, 30.0)],
    )
    report = review_portfolio(
        ReviewInput(review_id="pf-4", as_of=NOW, seed=2, platform=platform, records=records)
    )

    arm = report.budget.arm("cmp-a")
    assert (arm.evidence_spend, arm.evidence_conversions) == (300.0, 30.0)
    assert report.budget.arm("cmp-b").evidence_spend == 0.0
    # Its posterior: Gamma(1 + 35 + 30, 1 / pooled + 700 + 300), the weak prior at the pooled
    # rate of everything seen, evidence included: (35 + 30 + 30) / (700 + 700 + 300).
    assert arm.rate_mean == pytest.approx(66 / (1700 / 95 + 1000))
