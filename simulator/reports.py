"""Turn a campaign's reported days into the ad platform's answers (simulator.contract).

Every report compares the current period (the `days` days before the simulated today) with the
comparison period (the `days` days before that). Reach follows from the impressions and the
reachable audience with Poisson exposure (reach = people x (1 - e^(-impressions / people))),
frequency = impressions / reach. Nothing hidden (true conversions, value, the landscape level,
the mechanisms) leaves this module except through its observable consequences.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from simulator.contract import (
    AudienceData,
    AudienceSegment,
    CampaignMetrics,
    CompetitorSignals,
    CreativeMetrics,
    DailyPoint,
    HistoryData,
    PastAction,
)
from simulator.mechanics import CampaignState, DayRecord

TREND_CHANGE_PCT = 10.0  # a creative's CTR or a frequency "moves" beyond this
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
    current = Period.ending_before(today, days)
    return current, Period.ending_before(current.start, days)


def records_in(campaign: CampaignState, period: Period) -> list[DayRecord]:
    return campaign.records_between(period.start, period.end)


def poisson_reach(impressions: float, people: float) -> float:
    if people <= 0 or impressions <= 0:
        return 0.0
    return people * (1 - math.exp(-impressions / people))


@dataclass(frozen=True)
class Totals:
    spend: float = 0.0
    impressions: int = 0
    clicks: int = 0
    conversions: float = 0.0
    opportunities: float = 0.0
    people: float = 0.0

    @classmethod
    def of(cls, records: list[DayRecord]) -> Totals:
        return cls(
            spend=round(sum(r.spend for r in records), 2),
            impressions=sum(r.impressions for r in records),
            clicks=sum(r.clicks for r in records),
            conversions=round(sum(r.conversions for r in records), 2),
            opportunities=sum(r.opportunities for r in records),
            people=sum(r.reachable for r in records) / len(records) if records else 0.0,
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
        if not self.opportunities or not self.impressions:
            return None
        return min(1.0, self.impressions / self.opportunities)

    @property
    def reach(self) -> float:
        return poisson_reach(self.impressions, self.people)

    @property
    def frequency(self) -> float:
        return self.impressions / self.reach if self.reach else 0.0


def _percent(part: float, whole: float) -> float:
    return 100 * part / whole if whole else 0.0


def change_pct(current: float | None, previous: float | None) -> float | None:
    if current is None or previous is None or previous == 0:
        return None
    return round((current - previous) / abs(previous) * 100, 2)


def _trend(change: float | None, up: str, down: str, flat: str) -> str:
    if change is None or abs(change) <= TREND_CHANGE_PCT:
        return flat
    return up if change > 0 else down


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def campaign_metrics(campaign: CampaignState, today: date, days: int) -> CampaignMetrics:
    current, previous = periods(today, days)
    now_records = records_in(campaign, current)
    now, before = Totals.of(now_records), Totals.of(records_in(campaign, previous))
    trend_window = Period(current.start - timedelta(days=1), current.end)
    budget = campaign.daily_budget * len(now_records)
    return CampaignMetrics(
        campaign_id=campaign.campaign_id,
        campaign_name=campaign.name,
        platform=campaign.platform,
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
        current_bid=campaign.bid,
        status=campaign.status,
    )


def cpa_trend_days(records: list[DayRecord]) -> int:
    """How many of the most recent days had a higher CPA than the day before."""
    values = [Totals.of([record]).cpa for record in records]
    days = 0
    for index in range(len(values) - 1, 0, -1):
        current, previous = values[index], values[index - 1]
        if current is None or previous is None or current <= previous:
            break
        days += 1
    return days


def creative_metrics(
    campaign: CampaignState, today: date, days: int, engagement_per_click: float
) -> list[CreativeMetrics]:
    current, previous = periods(today, days)
    reports = []
    for creative in campaign.live_creatives(today):
        now = _creative_totals(campaign, creative.creative_id, current)
        before = _creative_totals(campaign, creative.creative_id, previous)
        ctr_change = change_pct(now.ctr, before.ctr) if before.impressions else None
        frequency_change = (
            change_pct(now.frequency, before.frequency) if before.impressions else None
        )
        reports.append(
            CreativeMetrics(
                creative_id=creative.creative_id,
                creative_name=creative.name,
                ctr=round(now.ctr, 4),
                ctr_change_pct=ctr_change,
                ctr_trend=_trend(ctr_change, "improving", "declining", "stable"),
                engagement_rate=round(now.ctr * engagement_per_click, 4),
                creative_age_days=creative.age_on(today),
                average_frequency=round(now.frequency, 2),
                frequency_trend=_trend(frequency_change, "increasing", "decreasing", "stable"),
                total_impressions=now.impressions,
                unique_reach=round(now.reach),
            )
        )
    return reports


def _creative_totals(campaign: CampaignState, creative_id: str, period: Period) -> Totals:
    records = [r for r in records_in(campaign, period) if creative_id in r.creatives]
    days = [r.creatives[creative_id] for r in records]
    people = sum(r.reachable for r in records) / len(records) if records else 0.0
    return Totals(
        impressions=sum(day.impressions for day in days),
        clicks=sum(day.clicks for day in days),
        people=people,
    )


def competitor_signals(campaign: CampaignState, today: date, days: int) -> CompetitorSignals:
    current, previous = periods(today, days)
    now, before = records_in(campaign, current), records_in(campaign, previous)

    def mean(records: list[DayRecord], value) -> float | None:  # noqa: ANN001
        return sum(value(r) for r in records) / len(records) if records else None

    def activity(r: DayRecord) -> float:
        return r.active_competitors * r.landscape

    entered = sum(
        jump.entrants
        for jump in campaign.mechanisms.jumps
        if current.start <= jump.day <= current.end
    )
    return CompetitorSignals(
        active_competitors_count=now[-1].active_competitors if now else campaign.competitors,
        new_competitors_count=entered,
        activity_change_pct=change_pct(mean(now, activity), mean(before, activity)) or 0.0,
        avg_bid_increase_pct=change_pct(
            mean(now, lambda r: r.landscape), mean(before, lambda r: r.landscape)
        )
        or 0.0,
    )


def audience_data(campaign: CampaignState, today: date, days: int) -> AudienceData:
    current, previous = periods(today, days)
    now_records = records_in(campaign, current)
    now, before = Totals.of(now_records), Totals.of(records_in(campaign, previous))
    return AudienceData(
        audience_size=campaign.audience_size,
        reach=round(now.reach),
        reach_change_pct=change_pct(now.reach, before.reach),
        average_frequency=round(now.frequency, 2),
        frequency_trend=_trend(
            change_pct(now.frequency, before.frequency), "increasing", "decreasing", "stable"
        ),
        segments=[
            _segment_report(segment.segment_id, segment.name, now_records)
            for segment in campaign.segments
        ],
    )


def _segment_report(segment_id: str, name: str, records: list[DayRecord]) -> AudienceSegment:
    spend = round(sum(r.segments[segment_id].spend for r in records if segment_id in r.segments), 2)
    conversions = round(
        sum(r.segments[segment_id].conversions for r in records if segment_id in r.segments), 2
    )
    return AudienceSegment(
        segment_id=segment_id,
        name=name,
        spend=spend,
        conversions=conversions,
        cpa=round(spend / conversions, 2) if conversions > 0 else None,
    )


def history_data(campaign: CampaignState, today: date, days: int) -> HistoryData:
    window = Period.ending_before(today, days)
    records = records_in(campaign, window)
    recent_start = today - timedelta(days=BASELINE_EXCLUDES_DAYS)
    baseline = [record for record in records if record.day < recent_start] or records
    return HistoryData(
        baseline_cpa=_round(Totals.of(baseline).cpa, 2),
        daily=[
            DailyPoint(
                date=r.day,
                spend=r.spend,
                impressions=r.impressions,
                clicks=r.clicks,
                conversions=r.conversions,
            )
            for r in records
        ],
        past_actions=[
            PastAction(
                action=action,
                applied_at=applied_on,
                cpa_change_pct=_action_cpa_change(campaign, applied_on),
            )
            for action, applied_on in campaign.applied
        ],
    )


def _action_cpa_change(campaign: CampaignState, applied_on: date) -> float | None:
    before = Totals.of(records_in(campaign, Period.ending_before(applied_on, ACTION_BASELINE_DAYS)))
    after_end = applied_on + timedelta(days=ACTION_OUTCOME_DAYS - 1)
    after = Totals.of(campaign.records_between(applied_on, after_end))
    return change_pct(after.cpa, before.cpa)
