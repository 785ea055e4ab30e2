"""Turn a campaign's reported days into the context contract (domain.context models).

Every report compares the current period (the `days` days before the simulated today) with the
comparison period (the `days` days before that). Units follow the contract: ctr and
conversion_rate in percent, impression_share as a fraction, *_change_pct in percent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from domain.context import (
    AudienceData,
    AudienceSegment,
    CampaignMetrics,
    CompetitorSignals,
    CreativeMetrics,
    DailyPoint,
    FrequencyTrend,
    HistoryData,
    PastAction,
    Trend,
)
from domain.stats import pct_change, trailing_rise_days
from domain.thresholds import SignalThresholds
from simulator.model import Campaign, DayRecord

# A creative's CTR or an audience's frequency "moves" when it changes by a significant amount.
TREND_CHANGE_PCT = SignalThresholds().significant_change_pct
BASELINE_EXCLUDES_DAYS = 7  # the baseline CPA is measured before the most recent week
ACTION_OUTCOME_DAYS = 3  # past actions are judged on the days right after them...
ACTION_BASELINE_DAYS = 7  # ...against the week before them


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included

    @classmethod
    def ending_before(cls, day: date, days: int) -> Period:
        return cls(day - timedelta(days=days), day - timedelta(days=1))


def periods(today: date, days: int) -> tuple[Period, Period]:
    """The current period and the comparison period before it."""
    current = Period.ending_before(today, days)
    return current, Period.ending_before(current.start, days)


def records_in(campaign: Campaign, period: Period) -> list[DayRecord]:
    return campaign.records_between(period.start, period.end)


@dataclass(frozen=True)
class Totals:
    spend: float = 0.0
    impressions: int = 0
    clicks: int = 0
    conversions: float = 0.0
    eligible_impressions: float = 0.0
    reach: float = 0.0

    @classmethod
    def of(cls, records: list[DayRecord]) -> Totals:
        return cls(
            spend=round(sum(r.spend for r in records), 2),
            impressions=sum(r.impressions for r in records),
            clicks=sum(r.clicks for r in records),
            conversions=round(sum(r.conversions for r in records), 2),
            eligible_impressions=sum(r.eligible_impressions for r in records),
            reach=sum(r.reach for r in records),
        )

    @property
    def cpa(self) -> float | None:
        return self.spend / self.conversions if self.conversions > 0 else None

    @property
    def ctr(self) -> float:
        return _percent(self.clicks, self.impressions)

    @property
    def conversion_rate(self) -> float:
        return _percent(self.conversions, self.clicks)

    @property
    def cpm(self) -> float:
        return 1000 * self.spend / self.impressions if self.impressions else 0.0

    @property
    def impression_share(self) -> float | None:
        if not self.eligible_impressions:
            return None
        return self.impressions / self.eligible_impressions

    @property
    def frequency(self) -> float:
        return self.impressions / self.reach if self.reach else 0.0


def _percent(part: float, whole: float) -> float:
    return 100 * part / whole if whole else 0.0


def change_pct(current: float | None, previous: float | None) -> float | None:
    """Percent change rounded for the report, or None when a side is unknown or the base is 0."""
    return _round(pct_change(previous, current), 2)


def _trend(change: float | None, up: str, down: str, flat: str) -> str:
    if change is None or abs(change) <= TREND_CHANGE_PCT:
        return flat
    return up if change > 0 else down


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


# --- reports ------------------------------------------------------------------------------------


def campaign_metrics(campaign: Campaign, today: date, days: int) -> CampaignMetrics:
    current, previous = periods(today, days)
    now_records = records_in(campaign, current)
    now, before = Totals.of(now_records), Totals.of(records_in(campaign, previous))
    # The day before the period tells whether the period's first day was a rise.
    trend_window = Period(current.start - timedelta(days=1), current.end)
    budget = campaign.daily_budget * len(now_records)
    return CampaignMetrics(
        campaign_id=campaign.campaign_id,
        campaign_name=campaign.spec.campaign_name,
        platform=campaign.spec.platform,
        spend=now.spend,
        impressions=now.impressions,
        clicks=now.clicks,
        conversions=now.conversions,
        cpa=_round(now.cpa, 2),
        ctr=round(now.ctr, 4),
        conversion_rate=round(now.conversion_rate, 4),
        cpm=round(now.cpm, 4),
        cpa_change_pct=change_pct(now.cpa, before.cpa),
        cpm_change_pct=change_pct(now.cpm, before.cpm),
        ctr_change_pct=change_pct(now.ctr, before.ctr),
        spend_change_pct=change_pct(now.spend, before.spend),
        cpa_trend_days=cpa_trend_days(records_in(campaign, trend_window)),
        daily_budget=campaign.daily_budget,
        budget_utilization=round(now.spend / budget, 4) if budget else 0.0,
        impression_share=_round(now.impression_share, 4),
        impression_share_change_pct=change_pct(now.impression_share, before.impression_share),
        period_start=current.start,
        period_end=current.end,
        comparison_period_start=previous.start,
        comparison_period_end=previous.end,
        # Not in the contract, which allows extras: the rules reasoner quotes the bid it changes.
        current_bid=campaign.bid,
        status=campaign.status,
    )


def cpa_trend_days(records: list[DayRecord]) -> int:
    """How many of the most recent days had a higher CPA than the day before."""
    return trailing_rise_days([Totals.of([record]).cpa for record in records])


def creative_metrics(
    campaign: Campaign, today: date, days: int, engagement_per_click: float
) -> list[CreativeMetrics]:
    current, previous = periods(today, days)
    reports = []
    for creative in campaign.live_creatives(today):
        now = _creative_totals(campaign, creative.creative_id, current)
        before = _creative_totals(campaign, creative.creative_id, previous)
        ctr_change = change_pct(now.ctr, before.ctr) if before.impressions else None
        frequency_change = change_pct(now.frequency, before.frequency)
        reports.append(
            CreativeMetrics(
                creative_id=creative.creative_id,
                creative_name=creative.name,
                ctr=round(now.ctr, 4),
                ctr_change_pct=ctr_change,
                ctr_trend=_trend(ctr_change, Trend.improving, Trend.declining, Trend.stable),
                engagement_rate=round(now.ctr * engagement_per_click, 4),
                creative_age_days=creative.age_on(today),
                average_frequency=round(now.frequency, 2),
                frequency_trend=_frequency_trend(frequency_change),
                total_impressions=now.impressions,
                unique_reach=round(now.reach),
            )
        )
    return reports


def _creative_totals(campaign: Campaign, creative_id: str, period: Period) -> Totals:
    days = [
        record.creatives[creative_id]
        for record in records_in(campaign, period)
        if creative_id in record.creatives
    ]
    return Totals(
        impressions=sum(day.impressions for day in days),
        clicks=sum(day.clicks for day in days),
        reach=sum(day.impressions / day.frequency for day in days if day.frequency),
    )


def _frequency_trend(change: float | None) -> FrequencyTrend:
    return FrequencyTrend(
        _trend(change, FrequencyTrend.increasing, FrequencyTrend.decreasing, FrequencyTrend.stable)
    )


def competitor_signals(campaign: Campaign, today: date, days: int) -> CompetitorSignals:
    current, previous = periods(today, days)
    now, before = records_in(campaign, current), records_in(campaign, previous)
    entered = [day for day in campaign.competitor_entries if current.start <= day <= current.end]

    def change(attribute: str) -> float:
        return change_pct(_mean(now, attribute), _mean(before, attribute)) or 0.0

    return CompetitorSignals(
        active_competitors_count=now[-1].active_competitors if now else campaign.spec.competitors,
        new_competitors_count=len(entered),
        activity_change_pct=change("competitor_activity"),
        avg_bid_increase_pct=change("competitor_bid_index"),
    )


def _mean(records: list[DayRecord], attribute: str) -> float | None:
    if not records:
        return None
    return sum(getattr(record, attribute) for record in records) / len(records)


def audience_data(campaign: Campaign, today: date, days: int) -> AudienceData:
    current, previous = periods(today, days)
    now_records = records_in(campaign, current)
    now, before = Totals.of(now_records), Totals.of(records_in(campaign, previous))
    return AudienceData(
        audience_size=campaign.audience_size,
        reach=round(now.reach),
        reach_change_pct=change_pct(now.reach, before.reach),
        average_frequency=round(now.frequency, 2),
        frequency_trend=_frequency_trend(change_pct(now.frequency, before.frequency)),
        segments=[
            _segment_report(campaign, segment.segment_id, segment.name, now_records)
            for segment in campaign.segments
        ],
    )


def _segment_report(
    campaign: Campaign, segment_id: str, name: str, records: list[DayRecord]
) -> AudienceSegment:
    spend = round(sum(record.segments[segment_id].spend for record in records), 2)
    conversions = round(sum(record.segments[segment_id].conversions for record in records), 2)
    return AudienceSegment(
        segment_id=segment_id,
        name=name,
        spend=spend,
        conversions=conversions,
        cpa=round(spend / conversions, 2) if conversions > 0 else None,
    )


def history_data(campaign: Campaign, today: date, days: int) -> HistoryData:
    window = Period.ending_before(today, days)
    records = records_in(campaign, window)
    recent_start = today - timedelta(days=BASELINE_EXCLUDES_DAYS)
    baseline = [record for record in records if record.day < recent_start] or records
    return HistoryData(
        baseline_cpa=_round(Totals.of(baseline).cpa, 2),
        daily=[
            DailyPoint(
                date=record.day,
                spend=record.spend,
                impressions=record.impressions,
                clicks=record.clicks,
                conversions=record.conversions,
            )
            for record in records
        ],
        past_actions=[
            PastAction(
                action=applied.action,
                applied_at=applied.applied_on,
                cpa_change_pct=_action_cpa_change(campaign, applied.applied_on),
            )
            for applied in campaign.applied_actions
        ],
    )


def _action_cpa_change(campaign: Campaign, applied_on: date) -> float | None:
    """CPA over the reported days right after the action against the week before it."""
    before = Totals.of(records_in(campaign, Period.ending_before(applied_on, ACTION_BASELINE_DAYS)))
    after_end = applied_on + timedelta(days=ACTION_OUTCOME_DAYS - 1)
    after = Totals.of(campaign.records_between(applied_on, after_end))
    return change_pct(after.cpa, before.cpa)
