"""Turn a real base week plus scenario moves into a consistent ``CampaignContext``.

Only rates move (CPM, CTR, conversion rate, spend); every count, CPA and change percentage is
recomputed from them, so a case never contradicts itself arithmetically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from domain.context import (
    AudienceData,
    AudienceSegment,
    CampaignContext,
    CampaignMetrics,
    CompetitorSignals,
    CreativeMetrics,
    DailyPoint,
    HistoryData,
)
from evals.datasets.public_data import COUNTS, PERIOD_DAYS, Day, Profile, PublicData, Segment, Week

# --------------------------------------------------------------------------- building contexts


@dataclass(frozen=True)
class Totals:
    spend: float
    impressions: int
    clicks: int
    conversions: float

    @classmethod
    def of_week(cls, week: Week, scale: float = 1.0) -> Totals:
        return cls(
            spend=week.total("spend") * scale,
            impressions=round(week.total("impressions") * scale),
            clicks=round(week.total("clicks") * scale),
            conversions=round(week.total("conversions") * scale),
        )

    @property
    def cpa(self) -> float | None:
        return self.spend / self.conversions if self.conversions else None

    @property
    def ctr(self) -> float:
        return self.clicks / self.impressions * 100 if self.impressions else 0.0

    @property
    def cpm(self) -> float:
        return self.spend / self.impressions * 1000 if self.impressions else 0.0

    @property
    def cvr(self) -> float:
        return self.conversions / self.clicks * 100 if self.clicks else 0.0


@dataclass(frozen=True)
class Moves:
    """Current period vs comparison period, percent, on the rates the data gives."""

    cpm: float = 0.0
    ctr: float = 0.0
    cvr: float = 0.0
    spend: float = 0.0
    zero_conversions: bool = False

    def apply(self, before: Totals) -> Totals:
        spend = before.spend * (1 + self.spend / 100)
        impressions = round(spend / (before.cpm * (1 + self.cpm / 100)) * 1000)
        clicks = round(impressions * before.ctr * (1 + self.ctr / 100) / 100)
        conversions = (
            0 if self.zero_conversions else round(clicks * before.cvr * (1 + self.cvr / 100) / 100)
        )
        return Totals(spend, impressions, clicks, conversions)


@dataclass(frozen=True)
class Auction:
    impression_share: float | None = 0.74
    impression_share_change_pct: float | None = 1.0
    cpa_trend_days: int = 1
    budget_utilization: float = 0.94


@dataclass(frozen=True)
class CreativeSpec:
    name: str
    age_days: int
    frequency: float
    ctr_change_pct: float
    share: float  # of the campaign's impressions
    ctr_ratio: float = 1.0  # the creative's CTR relative to the campaign's
    frequency_trend: str = "stable"

    @property
    def trend(self) -> str:
        # The same 10 % line as the seed's "significant change".
        if self.ctr_change_pct <= -10:
            return "declining"
        return "improving" if self.ctr_change_pct >= 10 else "stable"


@dataclass(frozen=True)
class AudienceSpec:
    frequency: float = 1.6
    reach_change_pct: float = 1.0
    frequency_trend: str = "stable"
    penetration: float = 0.45  # reach / audience size
    split: str = "default"  # which segment split of the profile to show


FRESH_CREATIVES = (
    CreativeSpec("Creative A", age_days=14, frequency=2.2, ctr_change_pct=2.0, share=0.6),
    CreativeSpec(
        "Creative B", age_days=9, frequency=1.8, ctr_change_pct=-3.0, share=0.4, ctr_ratio=0.9
    ),
)
QUIET_MARKET = CompetitorSignals(
    active_competitors_count=6,
    new_competitors_count=0,
    activity_change_pct=3.0,
    avg_bid_increase_pct=2.0,
)


@dataclass(frozen=True)
class CaseSpec:
    """Everything that varies between cases; the defaults describe a calm, healthy campaign."""

    profile: str
    scale: float = 1.0
    moves: Moves = Moves()
    auction: Auction = Auction()
    creatives: tuple[CreativeSpec, ...] = FRESH_CREATIVES
    competitors: CompetitorSignals = field(default_factory=QUIET_MARKET.model_copy)
    audience: AudienceSpec = AudienceSpec()
    missing: dict[str, str] = field(default_factory=dict)  # source -> why it is missing
    # Real consecutive weeks instead of scenario moves (noise cases).
    real_weeks: tuple[Week, Week] | None = None
    # Explicit totals (small-sample cases built around exact counts).
    totals: tuple[Totals, Totals] | None = None


def build_context(data: PublicData, spec: CaseSpec) -> CampaignContext:
    profile = data.profiles[spec.profile]
    before, after, shape = _periods(profile, spec)
    campaign = _campaign(profile, spec, shape.start, before, after)
    sources = {
        "creatives": [_creative(i, c, campaign) for i, c in enumerate(spec.creatives, start=1)],
        "competitors": spec.competitors,
        "audience": _audience(profile, spec.audience, after),
        "history": _history(spec, shape, before, after),
    }
    for source in spec.missing:
        sources[source] = None
    return CampaignContext(campaign=campaign, source_errors=dict(spec.missing), **sources)


def _periods(profile: Profile, spec: CaseSpec) -> tuple[Totals, Totals, Week]:
    if spec.real_weeks is not None:
        first, second = spec.real_weeks
        return Totals.of_week(first), Totals.of_week(second), first
    if spec.totals is not None:
        return spec.totals[0], spec.totals[1], profile.week
    before = Totals.of_week(profile.week, spec.scale)
    return before, spec.moves.apply(before), profile.week


def _change(before: float | None, after: float | None) -> float | None:
    if before is None or after is None or before == 0:
        return None
    return round((after - before) / before * 100, 1)


def _campaign(
    profile: Profile, spec: CaseSpec, start: date, before: Totals, after: Totals
) -> CampaignMetrics:
    auction = spec.auction
    current_start = start + timedelta(days=PERIOD_DAYS)
    daily_spend = after.spend / PERIOD_DAYS
    return CampaignMetrics(
        campaign_id=f"{profile.key}-{profile.platform}",
        campaign_name=profile.campaign_name,
        platform=profile.platform,
        spend=round(after.spend, 2),
        impressions=after.impressions,
        clicks=after.clicks,
        conversions=after.conversions,
        cpa=None if after.cpa is None else round(after.cpa, 2),
        ctr=round(after.ctr, 4),
        conversion_rate=round(after.cvr, 2),
        cpm=round(after.cpm, 3),
        cpa_change_pct=_change(before.cpa, after.cpa),
        cpm_change_pct=_change(before.cpm, after.cpm),
        ctr_change_pct=_change(before.ctr, after.ctr),
        spend_change_pct=_change(before.spend, after.spend),
        cpa_trend_days=auction.cpa_trend_days,
        daily_budget=round(daily_spend / auction.budget_utilization, 2),
        budget_utilization=auction.budget_utilization,
        impression_share=auction.impression_share,
        impression_share_change_pct=auction.impression_share_change_pct,
        period_start=current_start,
        period_end=current_start + timedelta(days=PERIOD_DAYS - 1),
        comparison_period_start=start,
        comparison_period_end=start + timedelta(days=PERIOD_DAYS - 1),
    )


def _creative(index: int, spec: CreativeSpec, campaign: CampaignMetrics) -> CreativeMetrics:
    impressions = round(campaign.impressions * spec.share)
    return CreativeMetrics(
        creative_id=f"cr-{index}",
        creative_name=spec.name,
        ctr=round(campaign.ctr * spec.ctr_ratio, 4),
        ctr_change_pct=spec.ctr_change_pct,
        ctr_trend=spec.trend,
        creative_age_days=spec.age_days,
        average_frequency=spec.frequency,
        frequency_trend=spec.frequency_trend,
        total_impressions=impressions,
        unique_reach=round(impressions / spec.frequency),
    )


def _audience(profile: Profile, spec: AudienceSpec, after: Totals) -> AudienceData:
    reach = round(after.impressions / spec.frequency)
    return AudienceData(
        audience_size=round(reach / spec.penetration),
        reach=reach,
        reach_change_pct=spec.reach_change_pct,
        average_frequency=spec.frequency,
        frequency_trend=spec.frequency_trend,
        segments=_segments(profile.splits[spec.split], after),
    )


def _segments(real: list[Segment], after: Totals) -> list[AudienceSegment]:
    """The real split's spend shares and relative CPAs, scaled to this case's period."""
    real_spend = sum(s.spend for s in real)
    real_conversions = sum(s.conversions for s in real)
    segments = []
    for segment in real:
        spend = after.spend * segment.spend / real_spend
        # Each segment keeps its share of the conversions, so the segments add up to the total.
        conversions = round(after.conversions * segment.conversions / real_conversions, 1)
        segments.append(
            AudienceSegment(
                segment_id=segment.segment_id,
                name=segment.name,
                spend=round(spend, 2),
                conversions=conversions,
                cpa=round(spend / conversions, 2) if conversions else None,
            )
        )
    return segments


def _history(spec: CaseSpec, shape: Week, before: Totals, after: Totals) -> HistoryData:
    """14 daily points: the real days of real weeks, else both periods shaped like the base week."""
    if spec.real_weeks is not None:
        days = [day for week in spec.real_weeks for day in week.days]
        points = [_point(d.day, d.spend, d.impressions, d.clicks, d.conversions) for d in days]
    else:
        points = [
            _point(shape.start + timedelta(days=offset + index), *_share(totals, shape, real))
            for offset, totals in ((0, before), (PERIOD_DAYS, after))
            for index, real in enumerate(shape.days)
        ]
    baseline = None if before.cpa is None else round(before.cpa, 2)
    return HistoryData(baseline_cpa=baseline, daily=points)


def _share(totals: Totals, shape: Week, real: Day) -> tuple[float, float, float, float]:
    """This day's part of ``totals``, in the proportions of the real day within its week."""
    return tuple(getattr(totals, name) * getattr(real, name) / shape.total(name) for name in COUNTS)


def _point(
    day: date, spend: float, impressions: float, clicks: float, conversions: float
) -> DailyPoint:
    return DailyPoint(
        date=day,
        spend=round(spend, 2),
        impressions=round(impressions),
        clicks=round(clicks),
        conversions=round(conversions, 1),
    )
