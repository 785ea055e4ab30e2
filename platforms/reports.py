"""Turn a platform's daily rows into the context contract, the same way for every adapter.

Google Ads and Meta both report per day; this module does the arithmetic once: the current
period (the last ``days`` reported days, ending yesterday) against the ``days`` before it,
percentages and fractions in the contract's units, trends with the significance threshold the
reasoning uses. Pure code: the adapters fetch, this computes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from domain.context import (
    AudienceSegment,
    CampaignMetrics,
    DailyPoint,
    FrequencyTrend,
    HistoryData,
    Trend,
)
from domain.platform import SpendReport
from domain.stats import pct_change, trailing_rise_days
from domain.thresholds import SignalThresholds

# A creative's CTR or an audience's frequency "moves" when it changes by a significant amount.
TREND_CHANGE_PCT = SignalThresholds().significant_change_pct
BASELINE_EXCLUDES_DAYS = 7  # the baseline CPA is measured before the most recent week
# Google Ads and Meta do not say how far their figures reach; both document delays of up to a
# few hours, so the last 3 hours count as not reported yet.
REPORTING_DELAY = timedelta(hours=3)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


def periods(today: date, days: int) -> tuple[Period, Period]:
    """The current period (ending yesterday: today is not fully reported) and the one before."""
    current = Period(today - timedelta(days=days), today - timedelta(days=1))
    previous = Period(current.start - timedelta(days=days), current.start - timedelta(days=1))
    return current, previous


@dataclass
class Totals:
    """Delivery summed over some days. ``eligible_impressions``: impressions / impression
    share, so a period's share is a ratio of sums (Google Ads); ``reach``: unique people."""

    spend: float = 0.0
    impressions: int = 0
    clicks: int = 0
    conversions: float = 0.0
    eligible_impressions: float = 0.0
    reach: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)

    def add(self, other: Totals) -> Totals:
        extra = dict(self.extra)
        for key, value in other.extra.items():
            extra[key] = extra.get(key, 0.0) + value
        return Totals(
            spend=self.spend + other.spend,
            impressions=self.impressions + other.impressions,
            clicks=self.clicks + other.clicks,
            conversions=self.conversions + other.conversions,
            eligible_impressions=self.eligible_impressions + other.eligible_impressions,
            reach=self.reach + other.reach,
            extra=extra,
        )

    @classmethod
    def of(cls, rows: Iterable[Totals]) -> Totals:
        total = cls()
        for row in rows:
            total = total.add(row)
        return total

    @property
    def cpa(self) -> float | None:
        return self.spend / self.conversions if self.conversions > 0 else None

    @property
    def ctr(self) -> float:
        return 100 * self.clicks / self.impressions if self.impressions else 0.0

    @property
    def conversion_rate(self) -> float:
        return 100 * self.conversions / self.clicks if self.clicks else 0.0

    @property
    def cpm(self) -> float:
        return 1000 * self.spend / self.impressions if self.impressions else 0.0

    @property
    def cpc(self) -> float | None:
        return self.spend / self.clicks if self.clicks else None

    @property
    def impression_share(self) -> float | None:
        if not self.eligible_impressions:
            return None
        return min(1.0, self.impressions / self.eligible_impressions)

    @property
    def frequency(self) -> float:
        return self.impressions / self.reach if self.reach else 0.0


def change_pct(current: float | None, previous: float | None) -> float | None:
    """Percent change rounded for the report; None when a side is unknown or the base is 0."""
    return rounded(pct_change(previous, current), 2)


def rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def ctr_trend(change: float | None) -> Trend:
    if change is None or abs(change) <= TREND_CHANGE_PCT:
        return Trend.stable
    return Trend.improving if change > 0 else Trend.declining


def frequency_trend(change: float | None) -> FrequencyTrend:
    if change is None or abs(change) <= TREND_CHANGE_PCT:
        return FrequencyTrend.stable
    return FrequencyTrend.increasing if change > 0 else FrequencyTrend.decreasing


def in_period(daily: dict[date, Totals], period: Period) -> Totals:
    return Totals.of(row for day, row in daily.items() if day in period)


def campaign_metrics(
    *,
    campaign_id: str,
    campaign_name: str,
    platform: str,
    daily: dict[date, Totals],
    current: Period,
    previous: Period,
    daily_budget: float,
    **extra: object,
) -> CampaignMetrics:
    """The contract's campaign snapshot from per-day totals covering both periods."""
    now, before = in_period(daily, current), in_period(daily, previous)
    reported_days = sum(1 for day in daily if day in current) or len(current.days())
    budget = daily_budget * reported_days
    # The day before the period tells whether the period's first day was a rise.
    trend_days = [current.start - timedelta(days=1), *current.days()]
    return CampaignMetrics(
        campaign_id=campaign_id,
        campaign_name=campaign_name,
        platform=platform,
        spend=round(now.spend, 2),
        impressions=now.impressions,
        clicks=now.clicks,
        conversions=round(now.conversions, 2),
        cpa=rounded(now.cpa, 2),
        ctr=round(now.ctr, 4),
        conversion_rate=round(now.conversion_rate, 4),
        cpm=round(now.cpm, 4),
        cpa_change_pct=change_pct(now.cpa, before.cpa),
        cpm_change_pct=change_pct(now.cpm, before.cpm),
        ctr_change_pct=change_pct(now.ctr, before.ctr),
        spend_change_pct=change_pct(now.spend, before.spend),
        cpa_trend_days=trailing_rise_days([_day(daily, d).cpa for d in trend_days]),
        daily_budget=round(daily_budget, 2),
        budget_utilization=round(now.spend / budget, 4) if budget else 0.0,
        impression_share=rounded(now.impression_share, 4),
        impression_share_change_pct=change_pct(now.impression_share, before.impression_share),
        period_start=current.start,
        period_end=current.end,
        comparison_period_start=previous.start,
        comparison_period_end=previous.end,
        **extra,
    )


def _day(daily: dict[date, Totals], day: date) -> Totals:
    return daily.get(day, Totals())


def segment(segment_id: str, name: str, totals: Totals) -> AudienceSegment:
    return AudienceSegment(
        segment_id=segment_id,
        name=name,
        spend=round(totals.spend, 2),
        conversions=round(totals.conversions, 2),
        cpa=rounded(totals.cpa, 2),
    )


def history(
    daily: dict[date, Totals], window: Period, past_actions: list | None = None
) -> HistoryData:
    days = sorted(day for day in daily if day in window)
    recent_start = window.end - timedelta(days=BASELINE_EXCLUDES_DAYS - 1)
    baseline = [daily[d] for d in days if d < recent_start] or [daily[d] for d in days]
    return HistoryData(
        baseline_cpa=rounded(Totals.of(baseline).cpa, 2),
        daily=[
            DailyPoint(
                date=day,
                spend=round(daily[day].spend, 2),
                impressions=daily[day].impressions,
                clicks=daily[day].clicks,
                conversions=round(daily[day].conversions, 2),
            )
            for day in days
        ],
        past_actions=past_actions or [],
    )


def spend_report(
    *,
    campaign_id: str,
    campaign_name: str,
    status: str,
    daily_budget: float | None,
    daily: dict[date, Totals],
    today: date,
) -> SpendReport:
    """A spend report from daily rows of a platform that names no market, product or flight
    (the pacing monitor then counts those as unknown) and no report time."""
    now = datetime.combine(today, datetime.now(UTC).time(), tzinfo=UTC)
    through = now - REPORTING_DELAY
    return SpendReport(
        campaign_id=campaign_id,
        campaign_name=campaign_name,
        status=status,
        daily_budget=daily_budget,
        daily_spend={day: round(t.spend, 2) for day, t in daily.items() if day <= through.date()},
        reported_through=through,
        refreshed_at=through,
    )
