"""Realistic CampaignContext fixtures for the six root causes (docs/SCENARIOS.md).

Levels follow the brief: CPA $4-60, CTR 0.5-5 %, daily spend $500-3000, 7-day periods. Counts
(impressions, clicks, conversions) are derived from spend, CPM, CTR and CPA so every context
is internally consistent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from domain.context import (
    AudienceData,
    AudienceSegment,
    CampaignContext,
    CampaignMetrics,
    CompetitorSignals,
    CreativeMetrics,
    DailyPoint,
    FrequencyTrend,
    HistoryData,
    PastAction,
    Trend,
)
from domain.lifecycle import ReasoningStep
from domain.recommendation import Recommendation, SignalAnalysis
from domain.rules import analyze_signals, generate_recommendation
from domain.thresholds import Guardrails, SignalThresholds

NOW = datetime(2024, 6, 15, 9, 0, tzinfo=UTC)
PERIOD_START = date(2024, 6, 8)
PERIOD_END = date(2024, 6, 14)
DAYS = 7


def campaign(
    *,
    campaign_id: str = "cmp-001",
    name: str = "Summer Sale - Prospecting",
    daily_spend: float = 1500.0,
    cpa: float | None = 25.0,
    ctr: float = 2.0,
    cpm: float = 12.0,
    cpa_change: float | None = 2.0,
    cpm_change: float | None = 1.0,
    ctr_change: float | None = -1.0,
    spend_change: float | None = 1.0,
    trend_days: int = 1,
    impression_share: float | None = 0.70,
    impression_share_change: float | None = 0.0,
    daily_budget: float | None = None,
    conversions: float | None = None,
    **extra,
) -> CampaignMetrics:
    spend = daily_spend * DAYS
    impressions = int(spend / cpm * 1000)
    clicks = int(impressions * ctr / 100)
    if conversions is None:
        conversions = 0.0 if cpa is None else round(spend / cpa)
    return CampaignMetrics(
        campaign_id=campaign_id,
        campaign_name=name,
        platform="meta",
        spend=spend,
        impressions=impressions,
        clicks=clicks,
        conversions=conversions,
        cpa=None if conversions == 0 else round(spend / conversions, 2),
        ctr=ctr,
        conversion_rate=round(conversions / clicks * 100, 3) if clicks else 0.0,
        cpm=cpm,
        cpa_change_pct=cpa_change,
        cpm_change_pct=cpm_change,
        ctr_change_pct=ctr_change,
        spend_change_pct=spend_change,
        cpa_trend_days=trend_days,
        daily_budget=daily_budget if daily_budget is not None else daily_spend * 1.05,
        budget_utilization=0.95,
        impression_share=impression_share,
        impression_share_change_pct=impression_share_change,
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        comparison_period_start=PERIOD_START - timedelta(days=DAYS),
        comparison_period_end=PERIOD_END - timedelta(days=DAYS),
        **extra,
    )


def creative(
    creative_id: str,
    *,
    ctr: float = 2.0,
    ctr_change: float | None = 0.0,
    trend: Trend = Trend.stable,
    age: int = 12,
    frequency: float = 2.5,
    frequency_trend: FrequencyTrend = FrequencyTrend.stable,
    impressions: int = 300_000,
) -> CreativeMetrics:
    return CreativeMetrics(
        creative_id=creative_id,
        creative_name=f"Creative {creative_id.upper()}",
        ctr=ctr,
        ctr_change_pct=ctr_change,
        ctr_trend=trend,
        engagement_rate=ctr * 1.8,
        creative_age_days=age,
        average_frequency=frequency,
        frequency_trend=frequency_trend,
        total_impressions=impressions,
        unique_reach=int(impressions / max(frequency, 1.0)),
    )


def healthy_creatives() -> list[CreativeMetrics]:
    return [
        creative("cr-a", ctr=2.1, age=10, frequency=2.4, impressions=420_000),
        creative("cr-b", ctr=1.9, age=14, frequency=2.8, impressions=330_000),
        creative("cr-c", ctr=2.0, age=6, frequency=2.0, impressions=120_000),
    ]


def competitors(
    activity: float = 3.0, new: int = 0, bid_increase: float = 1.0, active: int = 6
) -> CompetitorSignals:
    return CompetitorSignals(
        active_competitors_count=active,
        new_competitors_count=new,
        activity_change_pct=activity,
        avg_bid_increase_pct=bid_increase,
    )


def segment(segment_id: str, name: str, spend: float, cpa: float | None) -> AudienceSegment:
    conversions = 0.0 if cpa is None else round(spend / cpa)
    return AudienceSegment(
        segment_id=segment_id,
        name=name,
        spend=spend,
        conversions=conversions,
        cpa=None if cpa is None else round(spend / conversions, 2),
    )


def even_segments(total_spend: float, cpa: float) -> list[AudienceSegment]:
    """Three segments within 1.3x of each other on CPA."""
    return [
        segment("seg-25-34", "Adults 25-34", total_spend * 0.45, cpa * 0.9),
        segment("seg-35-44", "Adults 35-44", total_spend * 0.35, cpa * 1.05),
        segment("seg-45-54", "Adults 45-54", total_spend * 0.20, cpa * 1.15),
    ]


def audience(
    *,
    size: int = 2_400_000,
    reach: int = 900_000,
    reach_change: float | None = 1.5,
    frequency: float = 2.6,
    frequency_trend: FrequencyTrend = FrequencyTrend.stable,
    segments: list[AudienceSegment] | None = None,
) -> AudienceData:
    return AudienceData(
        audience_size=size,
        reach=reach,
        reach_change_pct=reach_change,
        average_frequency=frequency,
        frequency_trend=frequency_trend,
        segments=segments or [],
    )


def history(
    *,
    daily_spend: float = 1500.0,
    cpa: float = 25.0,
    baseline_cpa: float | None = 24.0,
    zero_tail_days: int = 0,
    past_actions: list[PastAction] | None = None,
) -> HistoryData:
    """Fourteen days ending on the period end; the last ``zero_tail_days`` have no conversions."""
    points = []
    for offset in range(14):
        day = PERIOD_END - timedelta(days=13 - offset)
        conversions = 0.0 if offset >= 14 - zero_tail_days else round(daily_spend / cpa)
        points.append(
            DailyPoint(
                date=day,
                spend=daily_spend,
                impressions=int(daily_spend / 12 * 1000),
                clicks=int(daily_spend / 12 * 1000 * 0.02),
                conversions=conversions,
            )
        )
    return HistoryData(baseline_cpa=baseline_cpa, daily=points, past_actions=past_actions or [])


# ---------------------------------------------------------------------------------------------
# The six scenarios, two or more variants each


def creative_fatigue(variant: int = 0) -> CampaignContext:
    """CTR down > 20 %, CPA up > 15 %, CPM flat; worn, frequent, old creatives."""
    spend, cpa = [(1500.0, 32.0), (800.0, 9.5), (2600.0, 55.0)][variant]
    ctr_change, cpa_change = [(-28.0, 22.0), (-22.0, 17.0), (-35.0, 31.0)][variant]
    return CampaignContext(
        campaign=campaign(
            campaign_id=f"cmp-fatigue-{variant}",
            name="Spring Collection - Retargeting",
            daily_spend=spend,
            cpa=cpa,
            ctr=[1.6, 3.9, 0.8][variant],
            cpm=[11.0, 6.0, 24.0][variant],
            cpa_change=cpa_change,
            cpm_change=[2.0, -1.5, 3.5][variant],
            ctr_change=ctr_change,
            trend_days=[5, 4, 6][variant],
            impression_share=[0.78, 0.64, 0.82][variant],
            impression_share_change=[-1.0, 0.5, -2.0][variant],
        ),
        creatives=[
            creative(
                "cr-101",
                ctr=1.4,
                ctr_change=-31.0,
                trend=Trend.declining,
                age=46,
                frequency=6.8,
                frequency_trend=FrequencyTrend.increasing,
                impressions=520_000,
            ),
            creative(
                "cr-102",
                ctr=1.7,
                ctr_change=-24.0,
                trend=Trend.declining,
                age=38,
                frequency=5.9,
                frequency_trend=FrequencyTrend.increasing,
                impressions=410_000,
            ),
            creative("cr-103", ctr=2.3, ctr_change=-3.0, age=9, frequency=2.1, impressions=90_000),
        ],
        competitors=competitors(activity=[4.0, -2.0, 6.0][variant]),
        audience=audience(segments=even_segments(spend * 7, cpa)),
        history=history(daily_spend=spend, cpa=cpa / 1.2, baseline_cpa=cpa / 1.25),
    )


def audience_saturation(variant: int = 0) -> CampaignContext:
    """Impression share > 0.90, CPM up, CTR stable, reach flat, frequency rising."""
    spend, cpa = [(1200.0, 18.0), (2800.0, 42.0)][variant]
    return CampaignContext(
        campaign=campaign(
            campaign_id=f"cmp-saturation-{variant}",
            name="Local Gym Memberships",
            daily_spend=spend,
            cpa=cpa,
            ctr=[2.4, 1.1][variant],
            cpm=[14.0, 31.0][variant],
            cpa_change=[14.0, 21.0][variant],
            cpm_change=[16.0, 24.0][variant],
            ctr_change=[-3.0, 2.0][variant],
            trend_days=[3, 4][variant],
            impression_share=[0.94, 0.97][variant],
            impression_share_change=[1.0, -0.5][variant],
        ),
        creatives=[
            creative(
                "cr-201",
                ctr=2.4,
                age=18,
                frequency=4.4,
                frequency_trend=FrequencyTrend.increasing,
                impressions=380_000,
            ),
            creative(
                "cr-202",
                ctr=2.3,
                age=11,
                frequency=3.9,
                frequency_trend=FrequencyTrend.increasing,
                impressions=260_000,
            ),
        ],
        competitors=competitors(activity=[4.0, 7.0][variant], bid_increase=[2.0, 3.0][variant]),
        audience=audience(
            size=[450_000, 1_200_000][variant],
            reach=[410_000, 1_050_000][variant],
            reach_change=[-1.5, 0.0][variant],
            frequency=[4.6, 5.0][variant],
            frequency_trend=FrequencyTrend.increasing,
            segments=even_segments(spend * 7, cpa),
        ),
        history=history(daily_spend=spend, cpa=cpa / 1.15, baseline_cpa=cpa / 1.15),
    )


def competitive_pressure(variant: int = 0) -> CampaignContext:
    """CPA and CPM up > 15 %, impression share falling; competitors more active."""
    spend, cpa = [(2000.0, 28.0), (650.0, 6.5)][variant]
    return CampaignContext(
        campaign=campaign(
            campaign_id=f"cmp-competition-{variant}",
            name="Running Shoes - Search",
            daily_spend=spend,
            cpa=cpa,
            ctr=[3.2, 4.6][variant],
            cpm=[22.0, 9.0][variant],
            cpa_change=[24.0, 36.0][variant],
            cpm_change=[19.0, 28.0][variant],
            ctr_change=[-2.0, 1.0][variant],
            trend_days=[4, 5][variant],
            impression_share=[0.62, 0.48][variant],
            impression_share_change=[-16.0, -24.0][variant],
            current_bid=[2.50, 0.80][variant],
        ),
        creatives=[
            creative("cr-301", ctr=3.3, age=15, frequency=2.9, impressions=450_000),
            creative("cr-302", ctr=3.0, age=21, frequency=3.2, impressions=300_000),
        ],
        competitors=competitors(
            activity=[34.0, 52.0][variant], new=[2, 0][variant], bid_increase=[15.0, 22.0][variant]
        ),
        audience=audience(segments=even_segments(spend * 7, cpa)),
        history=history(daily_spend=spend, cpa=cpa / 1.25, baseline_cpa=cpa / 1.3),
    )


def fundamental_problem(variant: int = 0) -> CampaignContext:
    """Spend and clicks but no conversions: tracking or landing page broke."""
    if variant == 0:
        metrics = campaign(
            campaign_id="cmp-broken-0",
            name="Webinar Signups",
            daily_spend=900.0,
            cpa=None,
            ctr=1.8,
            cpm=10.0,
            cpa_change=None,
            ctr_change=-2.0,
            cpm_change=1.0,
            trend_days=0,
        )
        hist = history(daily_spend=900.0, cpa=22.0, baseline_cpa=22.0, zero_tail_days=7)
        segments = [
            segment("seg-a", "Marketers", 3500.0, None),
            segment("seg-b", "Founders", 2800.0, None),
        ]
    else:
        # Conversions stopped four days ago: the period still has a few from before the break.
        metrics = campaign(
            campaign_id="cmp-broken-1",
            name="App Installs - Android",
            daily_spend=1800.0,
            cpa=None,
            conversions=180.0,
            ctr=2.6,
            cpm=8.0,
            cpa_change=74.0,
            ctr_change=1.0,
            cpm_change=-2.0,
            trend_days=2,
        )
        hist = history(daily_spend=1800.0, cpa=30.0, baseline_cpa=31.0, zero_tail_days=4)
        segments = even_segments(1800.0 * 7, 70.0)
    return CampaignContext(
        campaign=metrics,
        creatives=healthy_creatives(),
        competitors=competitors(),
        audience=audience(segments=segments),
        history=hist,
    )


def uneven_efficiency(variant: int = 0) -> CampaignContext:
    """CPA up 10-25 %, other KPIs flat; one segment costs 2x+ what the best does."""
    spend, cpa = [(1500.0, 26.0), (3000.0, 12.0)][variant]
    total = spend * 7
    segments = [
        [
            segment("seg-retarget", "Site visitors 30d", total * 0.40, 16.0),
            segment("seg-lookalike", "Lookalike 1 %", total * 0.35, 27.0),
            segment("seg-broad", "Broad 45+", total * 0.25, 48.0),
        ],
        [
            segment("seg-cart", "Cart abandoners", total * 0.30, 7.0),
            segment("seg-interest", "Interest: fitness", total * 0.45, 12.5),
            segment("seg-open", "Open targeting", total * 0.25, 24.0),
        ],
    ][variant]
    return CampaignContext(
        campaign=campaign(
            campaign_id=f"cmp-uneven-{variant}",
            name="Meal Kits - Prospecting",
            daily_spend=spend,
            cpa=cpa,
            ctr=[1.9, 1.2][variant],
            cpm=[13.0, 9.5][variant],
            cpa_change=[18.0, 13.0][variant],
            cpm_change=[3.0, -2.0][variant],
            ctr_change=[-4.0, 2.5][variant],
            trend_days=2,
            impression_share=[0.71, 0.66][variant],
            impression_share_change=[-2.0, 1.0][variant],
        ),
        creatives=healthy_creatives(),
        competitors=competitors(activity=[5.0, 2.0][variant]),
        audience=audience(segments=segments),
        history=history(daily_spend=spend, cpa=cpa / 1.15, baseline_cpa=cpa / 1.12),
    )


def normal_variance(variant: int = 0) -> CampaignContext:
    """Every change within ±10 %, segments within 1.5x."""
    spend, cpa = [(1100.0, 21.0), (2400.0, 48.0)][variant]
    return CampaignContext(
        campaign=campaign(
            campaign_id=f"cmp-steady-{variant}",
            name="Brand Search",
            daily_spend=spend,
            cpa=cpa,
            ctr=[4.2, 2.2][variant],
            cpm=[18.0, 26.0][variant],
            cpa_change=[4.0, -8.0][variant],
            cpm_change=[2.0, 6.0][variant],
            ctr_change=[-3.0, 7.0][variant],
            spend_change=[1.0, -4.0][variant],
            trend_days=[1, 2][variant],
            impression_share=[0.74, 0.58][variant],
            impression_share_change=[1.0, -3.0][variant],
        ),
        creatives=healthy_creatives(),
        competitors=competitors(activity=[2.0, 8.0][variant]),
        audience=audience(segments=even_segments(spend * 7, cpa)),
        history=history(daily_spend=spend, cpa=cpa, baseline_cpa=cpa * 0.98),
    )


def mixed_causes() -> CampaignContext:
    """Fatigued creatives and a competitor surge at once: two plausible causes, close scores."""
    context = creative_fatigue(0).model_copy(
        update={"competitors": competitors(activity=45.0, new=2, bid_increase=18.0)}
    )
    context.campaign.impression_share_change_pct = -22.0
    context.campaign.cpm_change_pct = 18.0
    return context


SCENARIOS = {
    "creative_fatigue": (creative_fatigue, 3),
    "audience_saturation": (audience_saturation, 2),
    "competitive_pressure": (competitive_pressure, 2),
    "fundamental_problem": (fundamental_problem, 2),
    "uneven_efficiency": (uneven_efficiency, 2),
    "normal_variance": (normal_variance, 2),
}


def all_cases() -> list[tuple[str, int]]:
    return [(name, v) for name, (_, count) in SCENARIOS.items() for v in range(count)]


def build(name: str, variant: int) -> CampaignContext:
    return SCENARIOS[name][0](variant)


def without(context: CampaignContext, *sources: str) -> CampaignContext:
    """The same context with some optional sources missing, as a failed collector leaves it."""
    update = {source: None for source in sources}
    update["source_errors"] = {source: "collector timed out" for source in sources}
    return context.model_copy(update=update)


def analyze(context: CampaignContext, thresholds: SignalThresholds | None = None) -> SignalAnalysis:
    return analyze_signals(context, thresholds or SignalThresholds())


def recommend(
    context: CampaignContext,
    thresholds: SignalThresholds | None = None,
    guardrails: Guardrails | None = None,
) -> tuple[SignalAnalysis, Recommendation]:
    """Analysis and first recommendation, as the workflow's first pass produces them."""
    thresholds = thresholds or SignalThresholds()
    analysis = analyze(context, thresholds)
    step = ReasoningStep(
        thresholds=thresholds,
        guardrails=guardrails or Guardrails(),
        context=context,
        analysis=analysis,
    )
    return analysis, generate_recommendation(step, NOW)
