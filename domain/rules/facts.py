"""Facts: every derived quantity the reasoning needs, computed once from the context.

Also the graded credits (``rise_credit``, ``stable_credit``) and the ways of combining them
(``_both``, ``_best_of``, ``_weakest_of``) that the cause indicators are built from.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from domain.context import (
    AudienceSegment,
    CampaignContext,
    CampaignMetrics,
    CreativeMetrics,
    DailyPoint,
    Trend,
)
from domain.stats import (
    grade,
    rate_gap_p_value,
    safe_ratio,
    trailing_count,
    trailing_rise_days,
    weighted_share,
)
from domain.thresholds import SignalThresholds


@dataclass(frozen=True)
class CreativeFlags:
    creative: CreativeMetrics
    declining: bool
    high_frequency: bool
    old: bool

    @property
    def fatigued(self) -> bool:
        # Two of the three fatigue signs: one alone is common in healthy creatives.
        return sum((self.declining, self.high_frequency, self.old)) >= 2

    @property
    def worn(self) -> bool:
        # What wears an audience out: shown too often or running too long.
        return self.high_frequency or self.old


@dataclass(frozen=True)
class SegmentGap:
    """Whether the CPA gap between the best and the worst segment rests on enough conversions.

    If the gap were not real, both segments would buy conversions at one rate per unit of spend
    and each would expect its spend's share of the pair's conversions (``*_expected``).
    """

    best_expected: float
    worst_expected: float
    p_value: float | None  # two-sided, that both convert at one rate per unit of spend
    enough_volume: bool  # both expect at least segment_min_conversions
    significant: bool  # p_value at or under 1 - segment_gap_confidence

    @property
    def supported(self) -> bool:
        return self.enough_volume and self.significant


@dataclass(frozen=True)
class Facts:
    thresholds: SignalThresholds
    context: CampaignContext
    missing: list[str]
    trend_days: int
    period_days: int
    creative_flags: list[CreativeFlags] | None
    segments: list[AudienceSegment]  # segments with meaningful spend, best CPA first
    segment_spread: float | None  # worst / best CPA among them (inf: a segment never converts)
    segment_gap: SegmentGap | None  # is that spread more than counting noise (None: no pair)
    conversion_break_credit: float  # how strongly conversions broke down after the click, 0-1
    conversion_break: str  # zero | stopped | collapse | none
    zero_conversion_days: int
    converted_before: bool | None

    @property
    def campaign(self) -> CampaignMetrics:
        return self.context.campaign

    @property
    def sig(self) -> float:
        return self.thresholds.significant_change_pct

    def rise(self, change: float | None) -> float | None:
        return rise_credit(change, self.sig)

    def fall(self, change: float | None) -> float | None:
        return None if change is None else rise_credit(-change, self.sig)

    def stable(self, change: float | None) -> float | None:
        return stable_credit(change, self.sig)

    def creative_share(self, attribute: str) -> float | None:
        if self.creative_flags is None:
            return None
        return weighted_share(
            (flags.creative.total_impressions, getattr(flags, attribute))
            for flags in self.creative_flags
        )

    @property
    def fatigued_creatives(self) -> list[CreativeMetrics]:
        flags = self.creative_flags or []
        found = [f.creative for f in flags if f.fatigued]
        return sorted(found, key=lambda c: (-c.total_impressions, c.creative_id))

    @property
    def best_segment(self) -> AudienceSegment | None:
        return self.segments[0] if len(self.segments) >= 2 else None

    @property
    def worst_segment(self) -> AudienceSegment | None:
        return self.segments[-1] if len(self.segments) >= 2 else None


def segment_cpa(segment: AudienceSegment) -> float:
    if segment.cpa is not None:
        return segment.cpa
    if segment.conversions > 0:
        return segment.spend / segment.conversions
    return math.inf


def build_facts(context: CampaignContext, thresholds: SignalThresholds) -> Facts:
    campaign = context.campaign
    daily = sorted(context.history.daily, key=lambda p: p.date) if context.history else []
    zero_days = trailing_count([p.spend > 0 and p.conversions == 0 for p in daily])
    segments = _meaningful_segments(context, thresholds)
    credit, kind = _conversion_break(campaign, zero_days, thresholds)
    return Facts(
        thresholds=thresholds,
        context=context,
        missing=context.missing_sources,
        trend_days=max(campaign.cpa_trend_days, _history_trend_days(daily)),
        period_days=max(1, (campaign.period_end - campaign.period_start).days + 1),
        creative_flags=_creative_flags(context.creatives, thresholds),
        segments=segments,
        segment_spread=_spread(segments),
        segment_gap=_segment_gap(segments, thresholds),
        conversion_break_credit=credit,
        conversion_break=kind,
        zero_conversion_days=zero_days,
        converted_before=_converted_before(context, zero_days),
    )


def _history_trend_days(daily: Sequence[DailyPoint]) -> int:
    cpas = [safe_ratio(p.spend, p.conversions) for p in daily]
    return trailing_rise_days(cpas)


def _creative_flags(
    creatives: list[CreativeMetrics] | None, t: SignalThresholds
) -> list[CreativeFlags] | None:
    if creatives is None:
        return None
    return [
        CreativeFlags(
            creative=c,
            declining=c.ctr_trend is Trend.declining
            or (c.ctr_change_pct is not None and c.ctr_change_pct <= -t.significant_change_pct),
            high_frequency=c.average_frequency > t.fatigue_frequency,
            old=c.creative_age_days > t.fatigue_creative_age_days,
        )
        for c in creatives
    ]


def _meaningful_segments(context: CampaignContext, t: SignalThresholds) -> list[AudienceSegment]:
    if context.audience is None:
        return []
    segments = context.audience.segments
    total = sum(s.spend for s in segments)
    if total <= 0:
        return []
    kept = [s for s in segments if s.spend > 0 and s.spend / total >= t.segment_min_spend_share]
    return sorted(kept, key=lambda s: (segment_cpa(s), s.segment_id))


def _spread(segments: list[AudienceSegment]) -> float | None:
    if len(segments) < 2 or math.isinf(segment_cpa(segments[0])):
        return None  # no segment converts: that is a fundamental problem, not a mix problem
    best, worst = segment_cpa(segments[0]), segment_cpa(segments[-1])
    return math.inf if math.isinf(worst) else worst / best if best > 0 else None


def _segment_gap(segments: list[AudienceSegment], t: SignalThresholds) -> SegmentGap | None:
    if len(segments) < 2:
        return None
    best, worst = segments[0], segments[-1]
    conversions = best.conversions + worst.conversions
    spend = best.spend + worst.spend
    rate = conversions / spend if spend > 0 else 0.0
    best_expected, worst_expected = best.spend * rate, worst.spend * rate
    p_value = rate_gap_p_value(best.conversions, best.spend, worst.conversions, worst.spend)
    return SegmentGap(
        best_expected=best_expected,
        worst_expected=worst_expected,
        p_value=p_value,
        enough_volume=min(best_expected, worst_expected) >= t.segment_min_conversions,
        significant=p_value is not None and p_value <= 1 - t.segment_gap_confidence,
    )


def rise_credit(change: float | None, significant_pct: float) -> float | None:
    """0 below half the significant change, 1 at one and a half times it."""
    if change is None:
        return None
    return grade(change, 0.5 * significant_pct, 1.5 * significant_pct)


def stable_credit(change: float | None, significant_pct: float) -> float | None:
    """1 within half the significant change, 0 beyond one and a half times it (either way)."""
    rise = rise_credit(None if change is None else abs(change), significant_pct)
    return None if rise is None else 1.0 - rise


def _both(*credits: float | None) -> float | None:
    return None if any(c is None for c in credits) else min(credits)


def _best_of(*credits: float | None) -> float | None:
    known = [c for c in credits if c is not None]
    return max(known) if known else None


def _weakest_of(*credits: float | None) -> float | None:
    known = [c for c in credits if c is not None]
    return min(known) if known else None


def _conversion_break(
    campaign: CampaignMetrics, zero_days: int, t: SignalThresholds
) -> tuple[float, str]:
    """How strongly conversions broke down after the click (0-1), and how it shows."""
    if campaign.spend > 0 and campaign.conversions == 0:
        return grade(campaign.clicks, 0, t.zero_conversion_min_clicks), "zero"
    if zero_days >= t.trend_days:
        return 0.8, "stopped"  # conversions stopped mid-period: tracking likely broke
    # CPA soaring while clicks cost and flow the same means the conversion rate collapsed.
    sig = t.significant_change_pct
    collapse = _both(
        None
        if campaign.cpa_change_pct is None
        else grade(campaign.cpa_change_pct, t.critical_change_pct, 2.5 * t.critical_change_pct),
        stable_credit(campaign.ctr_change_pct, sig),
        stable_credit(campaign.cpm_change_pct, sig),
    )
    if collapse:
        return 0.6 * collapse, "collapse"
    return 0.0, "none"


def _converted_before(context: CampaignContext, zero_days: int) -> bool | None:
    history = context.history
    if history is None:
        return None
    if history.baseline_cpa is not None:
        return True
    if not history.daily:
        return None
    daily = sorted(history.daily, key=lambda p: p.date)
    return any(p.conversions > 0 for p in daily[: len(daily) - zero_days])
