"""The rules reasoner: deterministic, explainable root-cause analysis, recommendation and critique.

How the analysis scores a root cause
- Each cause has weighted indicators (weights sum to 1). An indicator gives graded credit 0-1
  (e.g. "CTR falling" gives 0 below half the significant change and 1 at 1.5x it), or None
  when the source it needs is missing (None counts as 0: missing data never proves a cause).
- raw = sum(weight x credit). Each cause also has a hallmark (the signal without which the cause
  is implausible, e.g. declining CTR for creative fatigue); score = raw x (0.4 + 0.6 x hallmark),
  and for a fundamental problem score = raw x hallmark (no zero-conversion signal, no problem).
- Indicators with credit >= 0.5 become supporting evidence; the others, when their data is
  there, become counter-evidence.

Every number comes from ``SignalThresholds`` and ``Guardrails``; nothing here reads a clock,
does I/O or draws random numbers, so the same input always gives the same output (it runs
inside Temporal workflows too).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from domain.context import (
    OPTIONAL_SOURCES,
    AudienceSegment,
    CampaignContext,
    CampaignMetrics,
    CreativeMetrics,
    DailyPoint,
    FrequencyTrend,
    Trend,
)
from domain.lifecycle import CritiqueInput, ReasoningStep
from domain.recommendation import (
    ACTION_FOR_ROOT_CAUSE,
    ActionParameters,
    ActionType,
    Alternative,
    Critique,
    CritiqueIssue,
    ExpectedImpact,
    Recommendation,
    RiskLevel,
    RootCause,
    RootCauseScore,
    Severity,
    Signal,
    SignalAnalysis,
)
from domain.stats import (
    clamp,
    floor_to,
    grade,
    pct_change,
    round_half_up,
    safe_ratio,
    trailing_count,
    trailing_rise_days,
    weighted_share,
)
from domain.thresholds import Guardrails, SignalThresholds

MODEL_NAME = "rules"
# The window the expected impact is stated for; matches LifecyclePolicy.outcome_delay's default.
IMPACT_TIMEFRAME_DAYS = 3

CAUSE_LABELS: dict[RootCause, str] = {
    RootCause.creative_fatigue: "creative fatigue",
    RootCause.audience_saturation: "audience saturation",
    RootCause.competitive_pressure: "competitive pressure",
    RootCause.fundamental_problem: "a fundamental problem (spend without conversions)",
    RootCause.uneven_efficiency: "uneven efficiency across segments",
    RootCause.normal_variance: "normal variance",
}
CAUSE_FOR_ACTION: dict[ActionType, RootCause] = {a: c for c, a in ACTION_FOR_ROOT_CAUSE.items()}
_CAUSE_ORDER = list(RootCause)
_RISK_ORDER = [RiskLevel.low, RiskLevel.medium, RiskLevel.high]
_BASE_RISK: dict[ActionType, RiskLevel] = {
    ActionType.creative_refresh: RiskLevel.low,
    ActionType.audience_expansion: RiskLevel.medium,
    ActionType.bid_adjustment: RiskLevel.medium,
    ActionType.campaign_pause: RiskLevel.high,
    ActionType.budget_reallocation: RiskLevel.low,
    ActionType.continue_monitoring: RiskLevel.low,
}
# A change above this share of its guardrail maximum counts as large (one risk level up).
_LARGE_SHARE_OF_MAX = 2 / 3
# Share of a segment's average efficiency assumed for extra budget (diminishing returns).
_MARGINAL_EFFICIENCY = 0.75
# A recommendation built on partial context never claims more than this.
PARTIAL_CONTEXT_MAX_CONFIDENCE = 0.85
# Impression share this far under the saturation threshold still earns partial credit.
_SATURATION_BAND = 0.05
# Below this hallmark credit an action's defining signal counts as absent.
_HALLMARK_PRESENT = 0.15


# ---------------------------------------------------------------------------------------------
# Formatting (shared with guardrails so rewritten actions read the same)


def fmt_money(value: float) -> str:
    return f"${value:,.2f}"


def fmt_share(fraction: float) -> str:
    return f"{fraction * 100:.0f} %"


def moved(label: str, change: float | None) -> str:
    if change is None:
        return f"{label} change unknown"
    if change > 0:
        return f"{label} up {change:.1f} %"
    if change < 0:
        return f"{label} down {-change:.1f} %"
    return f"{label} unchanged"


def cause_label(cause: RootCause) -> str:
    return CAUSE_LABELS[cause]


def new_bid_for(current_bid: float, change_pct: float) -> float:
    return round_half_up(current_bid * (1 + change_pct / 100), 2)


def describe_bid_change(change_pct: float, current_bid: float | None, new_bid: float | None) -> str:
    verb = "increase" if change_pct >= 0 else "decrease"
    size = f"{abs(change_pct):g} %"
    if current_bid is None or new_bid is None:
        return f"{verb} bids {size} (current bid not reported)"
    return f"{verb} bid {size} from {fmt_money(current_bid)} to {fmt_money(new_bid)}"


def describe_budget_shift(amount: float, source: AudienceSegment, target: AudienceSegment) -> str:
    return (
        f"move {fmt_money(amount)}/day from '{source.name}' ({source.segment_id}) "
        f"to '{target.name}' ({target.segment_id})"
    )


def describe_audience_expansion(expansion_pct: float, audience_size: int | None) -> str:
    if not audience_size:
        return f"expand the audience {expansion_pct:g} %"
    grown = round(audience_size * (1 + expansion_pct / 100))
    return f"expand the audience {expansion_pct:g} % from {audience_size:,} to {grown:,} people"


def current_bid_of(campaign: CampaignMetrics) -> float | None:
    """The bid is not part of the context contract; sources may add it as ``current_bid``."""
    value = (campaign.model_extra or {}).get("current_bid")
    if isinstance(value, int | float) and value > 0:
        return float(value)
    return None


# ---------------------------------------------------------------------------------------------
# Facts: every derived quantity the reasoning needs, computed once from the context


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


def rise_credit(change: float | None, significant_pct: float) -> float | None:
    """0 below half the significant change, 1 at one and a half times it."""
    if change is None:
        return None
    return grade(change, 0.5 * significant_pct, 1.5 * significant_pct)


def stable_credit(change: float | None, significant_pct: float) -> float | None:
    """1 within half the significant change, 0 beyond one and a half times it (either way)."""
    rise = rise_credit(None if change is None else abs(change), significant_pct)
    return None if rise is None else 1.0 - rise


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


# ---------------------------------------------------------------------------------------------
# Indicators and cause assessments


@dataclass(frozen=True)
class Indicator:
    weight: float
    credit: float | None  # None: the data it needs is missing
    source: str  # "campaign" or one of OPTIONAL_SOURCES
    support: str  # evidence text when it fits
    against: str  # text when the data is there but does not fit


@dataclass(frozen=True)
class Assessment:
    cause: RootCause
    score: float
    hallmark: float | None
    supporting: list[str]
    counter: list[str]
    missing_weight: float  # share of the indicator weight whose source is missing
    missing_sources: list[str] = field(default_factory=list)


def _both(*credits: float | None) -> float | None:
    return None if any(c is None for c in credits) else min(credits)


def _best_of(*credits: float | None) -> float | None:
    known = [c for c in credits if c is not None]
    return max(known) if known else None


def _weakest_of(*credits: float | None) -> float | None:
    known = [c for c in credits if c is not None]
    return min(known) if known else None


def _competitors_calm(f: Facts) -> float | None:
    comp = f.context.competitors
    if comp is None:
        return None
    calm = 1.0 - grade(comp.activity_change_pct, f.sig, f.thresholds.competitor_activity_change_pct)
    return calm * (0.5 if comp.new_competitors_count else 1.0)


def _competitor_text(f: Facts) -> str:
    comp = f.context.competitors
    if comp is None:
        return "competitor data missing"
    return (
        f"competitor activity {comp.activity_change_pct:+.1f} %, "
        f"{comp.new_competitors_count} new competitor(s), "
        f"average competitor bid {comp.avg_bid_increase_pct:+.1f} %"
    )


def _fatigue(f: Facts) -> tuple[list[Indicator], float | None]:
    c, t = f.campaign, f.thresholds
    flags = f.creative_flags or []
    n_declining = sum(1 for x in flags if x.declining)
    n_frequent = sum(1 for x in flags if x.high_frequency)
    n_old = sum(1 for x in flags if x.old)
    max_freq = max((x.creative.average_frequency for x in flags), default=0.0)
    oldest = max((x.creative.creative_age_days for x in flags), default=0)
    declining_share = f.creative_share("declining")
    ctr_fall = f.fall(c.ctr_change_pct)
    indicators = [
        Indicator(
            0.30,
            ctr_fall,
            "campaign",
            f"{moved('CTR', c.ctr_change_pct)} (significant above {f.sig:g} %)",
            f"CTR is not declining ({moved('CTR', c.ctr_change_pct)})",
        ),
        Indicator(
            0.10,
            _both(f.rise(c.cpa_change_pct), f.stable(c.cpm_change_pct)),
            "campaign",
            f"{moved('CPA', c.cpa_change_pct)} while CPM is flat ({c.cpm_change_pct or 0:+.1f} %): "
            "impressions did not get dearer",
            f"no CPA rise at flat CPM ({moved('CPA', c.cpa_change_pct)}, "
            f"{moved('CPM', c.cpm_change_pct)})",
        ),
        Indicator(
            0.15,
            declining_share,
            "creatives",
            f"{n_declining} of {len(flags)} creatives ({fmt_share(declining_share or 0)} of "
            "impressions) show a declining CTR",
            "no creative shows a declining CTR",
        ),
        Indicator(
            0.20,
            f.creative_share("high_frequency"),
            "creatives",
            f"{n_frequent} creative(s) shown more than {t.fatigue_frequency:g} times per person "
            f"(highest {max_freq:.1f})",
            f"creative frequency at most {max_freq:.1f} (fatigue above {t.fatigue_frequency:g})",
        ),
        Indicator(
            0.15,
            f.creative_share("old"),
            "creatives",
            f"{n_old} creative(s) older than {t.fatigue_creative_age_days} days "
            f"(oldest {oldest} days)",
            f"creatives are young (oldest {oldest} days, fatigue after "
            f"{t.fatigue_creative_age_days})",
        ),
        Indicator(
            0.10,
            _competitors_calm(f),
            "competitors",
            f"competitors quiet ({_competitor_text(f)}): the auction is not the driver",
            f"competitors active ({_competitor_text(f)})",
        ),
    ]
    return indicators, _best_of(ctr_fall, declining_share)


def _frequency_rising(f: Facts) -> tuple[float | None, str]:
    audience = f.context.audience
    if audience is not None:
        rising = audience.frequency_trend is FrequencyTrend.increasing
        return (1.0 if rising else 0.0), "audience"
    share = weighted_share(
        (
            flags.creative.total_impressions,
            flags.creative.frequency_trend is FrequencyTrend.increasing,
        )
        for flags in (f.creative_flags or [])
    )
    return (share if f.creative_flags is not None else None), "creatives"


def _saturation(f: Facts) -> tuple[list[Indicator], float | None]:
    c, t = f.campaign, f.thresholds
    audience = f.context.audience
    share = c.impression_share
    saturated = (
        None
        if share is None
        else grade(
            share, t.saturation_impression_share - _SATURATION_BAND, t.saturation_impression_share
        )
    )
    reach = audience.reach_change_pct if audience else None
    reach_flat = None if reach is None else 1.0 - grade(reach, 0.0, 0.5 * f.sig)
    freq_rising, freq_source = _frequency_rising(f)
    freq_now = (
        f"{audience.average_frequency:.1f}, {audience.frequency_trend}"
        if audience
        else "from creatives"
    )
    share_text = "unknown" if share is None else fmt_share(share)
    indicators = [
        Indicator(
            0.25,
            saturated,
            "campaign",
            f"impression share {share_text} at or above "
            f"{fmt_share(t.saturation_impression_share)}: little inventory left to buy",
            f"impression share {share_text} below saturation "
            f"({fmt_share(t.saturation_impression_share)})",
        ),
        Indicator(
            0.15,
            reach_flat,
            "audience",
            f"reach flat or falling ({reach or 0:+.1f} %)",
            f"reach still growing ({reach or 0:+.1f} %)",
        ),
        Indicator(
            0.15,
            freq_rising,
            freq_source,
            f"average frequency rising ({freq_now})",
            f"frequency not rising ({freq_now})",
        ),
        Indicator(
            0.20,
            _both(f.rise(c.cpm_change_pct), f.stable(c.ctr_change_pct)),
            "campaign",
            f"{moved('CPM', c.cpm_change_pct)} while CTR holds ({c.ctr_change_pct or 0:+.1f} %): "
            "paying more to reach the same people",
            f"no CPM rise at stable CTR ({moved('CPM', c.cpm_change_pct)}, "
            f"{moved('CTR', c.ctr_change_pct)})",
        ),
        Indicator(
            0.10,
            f.rise(c.cpa_change_pct),
            "campaign",
            moved("CPA", c.cpa_change_pct),
            f"CPA not rising ({moved('CPA', c.cpa_change_pct)})",
        ),
        Indicator(
            0.05,
            _competitors_calm(f),
            "competitors",
            f"competitors quiet ({_competitor_text(f)})",
            f"competitors active ({_competitor_text(f)})",
        ),
        Indicator(
            0.10,
            None
            if c.impression_share_change_pct is None
            else 1.0 - f.fall(c.impression_share_change_pct),
            "campaign",
            f"impression share holding ({c.impression_share_change_pct or 0:+.1f} %)",
            f"impression share falling ({c.impression_share_change_pct or 0:+.1f} %): "
            "someone else is taking it",
        ),
    ]
    return indicators, _best_of(saturated, _both(reach_flat, freq_rising))


def _competition(f: Facts) -> tuple[list[Indicator], float | None]:
    c, t = f.campaign, f.thresholds
    comp = f.context.competitors
    activity = (
        None
        if comp is None
        else grade(
            comp.activity_change_pct,
            0.5 * t.competitor_activity_change_pct,
            t.competitor_activity_change_pct,
        )
    )
    entrants = None
    if comp is not None:
        entrants = max(
            1.0 if comp.new_competitors_count else 0.0,
            grade(comp.avg_bid_increase_pct, 0.5 * f.sig, f.sig),
        )
    share_fall = f.fall(c.impression_share_change_pct)
    fatigued_share = f.creative_share("fatigued")
    creative_stable = f.stable(c.ctr_change_pct)
    if creative_stable is not None and fatigued_share is not None:
        creative_stable = min(creative_stable, 1.0 - fatigued_share)
    creative_state = (
        f"CTR {c.ctr_change_pct or 0:+.1f} %, {len(f.fatigued_creatives)} fatigued creatives"
    )
    indicators = [
        Indicator(
            0.15,
            f.rise(c.cpm_change_pct),
            "campaign",
            moved("CPM", c.cpm_change_pct),
            f"CPM not rising ({moved('CPM', c.cpm_change_pct)})",
        ),
        Indicator(
            0.10,
            f.rise(c.cpa_change_pct),
            "campaign",
            moved("CPA", c.cpa_change_pct),
            f"CPA not rising ({moved('CPA', c.cpa_change_pct)})",
        ),
        Indicator(
            0.10,
            creative_stable,
            "campaign",
            f"creative side stable ({creative_state})",
            f"creative side moving ({creative_state})",
        ),
        Indicator(
            0.25,
            activity,
            "competitors",
            f"competitor activity up {comp.activity_change_pct if comp else 0:.1f} % "
            f"(threshold {t.competitor_activity_change_pct:g} %)",
            f"competitor activity {comp.activity_change_pct if comp else 0:+.1f} % "
            f"(below {t.competitor_activity_change_pct:g} %)",
        ),
        Indicator(
            0.15,
            entrants,
            "competitors",
            f"{comp.new_competitors_count if comp else 0} new competitor(s), average "
            f"competitor bid {comp.avg_bid_increase_pct if comp else 0:+.1f} %",
            "no new competitors and competitor bids flat",
        ),
        Indicator(
            0.25,
            share_fall,
            "campaign",
            f"{moved('impression share', c.impression_share_change_pct)}: outbid in the auction",
            f"impression share not falling ({c.impression_share_change_pct or 0:+.1f} %)",
        ),
    ]
    return indicators, _best_of(activity, entrants, share_fall)


def _fundamental(f: Facts) -> tuple[list[Indicator], float | None]:
    c = f.campaign
    history = f.context.history
    zero_text = {
        "zero": f"{fmt_money(c.spend)} spent, {c.clicks:,} clicks and 0 conversions over "
        f"{f.period_days} days",
        "stopped": f"no conversions on the last {f.zero_conversion_days} days while spending",
        "collapse": f"{moved('CPA', c.cpa_change_pct)} while clicks cost and flow the same: "
        "the conversion rate collapsed after the click",
    }.get(f.conversion_break, "")
    baseline = history.baseline_cpa if history else None
    before_text = f" (baseline CPA {fmt_money(baseline)})" if baseline else ""
    indicators = [
        Indicator(
            0.60,
            f.conversion_break_credit,
            "campaign",
            zero_text,
            f"conversions still recorded ({c.conversions:,.0f})",
        ),
        Indicator(
            0.15,
            f.stable(c.ctr_change_pct),
            "campaign",
            f"clicks flow normally (CTR {c.ctr_change_pct or 0:+.1f} %): what broke is after the "
            "click (tracking or landing page)",
            f"CTR moved too ({moved('CTR', c.ctr_change_pct)})",
        ),
        Indicator(
            0.15,
            None if f.converted_before is None else float(f.converted_before),
            "history",
            f"the campaign converted before{before_text}",
            "no record of earlier conversions",
        ),
        Indicator(
            0.10,
            grade(c.budget_utilization, 0.25, 0.75),
            "campaign",
            f"budget still being spent ({fmt_share(c.budget_utilization)} utilisation)",
            f"little spend at stake ({fmt_share(c.budget_utilization)} utilisation)",
        ),
    ]
    return indicators, f.conversion_break_credit


def _segment_texts(f: Facts) -> tuple[str, str]:
    best, worst, spread = f.best_segment, f.worst_segment, f.segment_spread
    if best is None or worst is None or spread is None:
        return "", "fewer than two segments with meaningful spend and conversions"
    ratio = "never converts" if math.isinf(spread) else f"{spread:.1f}x"
    worst_cpa = (
        "no conversions" if math.isinf(segment_cpa(worst)) else fmt_money(segment_cpa(worst))
    )
    support = (
        f"segment CPA ranges from '{best.name}' {fmt_money(segment_cpa(best))} to '{worst.name}' "
        f"{worst_cpa} ({ratio}, threshold {f.thresholds.segment_cpa_spread_ratio:g}x)"
    )
    return support, f"segments within {spread:.1f}x of each other on CPA"


def _uneven(f: Facts) -> tuple[list[Indicator], float | None]:
    c, t = f.campaign, f.thresholds
    spread_credit = None
    if f.context.audience is not None:
        # Misconfigured (even >= spread) ratios degrade to a hard threshold instead of failing.
        even = min(t.segment_cpa_even_ratio, t.segment_cpa_spread_ratio)
        spread = f.segment_spread
        spread_credit = 0.0 if spread is None else grade(spread, even, t.segment_cpa_spread_ratio)
    support, against = _segment_texts(f)
    indicators = [
        Indicator(0.50, spread_credit, "audience", support, against),
        Indicator(
            0.20,
            f.rise(c.cpa_change_pct),
            "campaign",
            moved("CPA", c.cpa_change_pct),
            f"CPA not rising ({moved('CPA', c.cpa_change_pct)})",
        ),
        Indicator(
            0.20,
            _both(f.stable(c.ctr_change_pct), f.stable(c.cpm_change_pct)),
            "campaign",
            f"CTR and CPM stable ({c.ctr_change_pct or 0:+.1f} %, {c.cpm_change_pct or 0:+.1f} %): "
            "the mix moved, not the market",
            f"CTR or CPM moved ({moved('CTR', c.ctr_change_pct)}, "
            f"{moved('CPM', c.cpm_change_pct)})",
        ),
        Indicator(
            0.10,
            grade(c.conversions, 0, t.min_conversions) if t.min_conversions > 0 else 1.0,
            "campaign",
            f"{c.conversions:,.0f} conversions: enough to compare segments",
            f"only {c.conversions:,.0f} conversions to compare segments",
        ),
    ]
    return indicators, spread_credit


def _stable_indicator(f: Facts, weight: float, label: str, change: float | None) -> Indicator:
    return Indicator(
        weight,
        f.stable(change),
        "campaign",
        f"{label} within noise ({change or 0:+.1f} %)",
        f"{moved(label, change)} (beyond ±{f.sig:g} %)",
    )


def _variance(f: Facts) -> tuple[list[Indicator], float | None]:
    c, t = f.campaign, f.thresholds
    flowing = 1.0 - f.conversion_break_credit
    no_trend = 1.0 if f.trend_days < t.trend_days else 0.0
    indicators = [
        _stable_indicator(f, 0.30, "CPA", c.cpa_change_pct),
        _stable_indicator(f, 0.15, "CTR", c.ctr_change_pct),
        _stable_indicator(f, 0.15, "CPM", c.cpm_change_pct),
        _stable_indicator(f, 0.05, "spend", c.spend_change_pct),
        Indicator(
            0.10,
            no_trend,
            "campaign",
            f"no sustained CPA trend ({f.trend_days} day(s); a trend is {t.trend_days}+)",
            f"CPA rising {f.trend_days} days in a row",
        ),
        _stable_indicator(f, 0.10, "impression share", c.impression_share_change_pct),
        Indicator(0.15, flowing, "campaign", "conversions flowing", "conversions have stopped"),
    ]
    hallmark = _weakest_of(
        f.stable(c.cpa_change_pct), f.stable(c.ctr_change_pct), f.stable(c.cpm_change_pct), flowing
    )
    return indicators, hallmark


_CAUSE_BUILDERS: dict[RootCause, Callable[[Facts], tuple[list[Indicator], float | None]]] = {
    RootCause.creative_fatigue: _fatigue,
    RootCause.audience_saturation: _saturation,
    RootCause.competitive_pressure: _competition,
    RootCause.fundamental_problem: _fundamental,
    RootCause.uneven_efficiency: _uneven,
    RootCause.normal_variance: _variance,
}


def _assess(cause: RootCause, f: Facts) -> Assessment:
    indicators, hallmark = _CAUSE_BUILDERS[cause](f)
    total = sum(i.weight for i in indicators)
    raw = sum(i.weight * (i.credit or 0.0) for i in indicators) / total
    # A fundamental problem without its zero-conversion signal is simply absent.
    floor = 0.0 if cause is RootCause.fundamental_problem else 0.4
    score = clamp(raw * (floor + (1 - floor) * (hallmark or 0.0)))
    # A cause that scores nothing has no evidence worth showing, only counter-evidence.
    fitting = [i for i in indicators if i.credit is not None and i.credit >= 0.5 and score > 0]
    fitting.sort(key=lambda i: -i.weight * (i.credit or 0))
    unfit = [i for i in indicators if i.credit is not None and i.credit < 0.5]
    unfit.sort(key=lambda i: -i.weight)
    missing = [i for i in indicators if i.source in f.missing]
    return Assessment(
        cause=cause,
        score=round(score, 3),
        hallmark=hallmark,
        supporting=[i.support for i in fitting],
        counter=[i.against for i in unfit],
        missing_weight=round(sum(i.weight for i in missing) / total, 3),
        missing_sources=sorted({i.source for i in missing}),
    )


def assess_causes(facts: Facts) -> list[Assessment]:
    """Every root cause assessed, best first (ties broken by the RootCause order)."""
    found = [_assess(cause, facts) for cause in _CAUSE_ORDER]
    return sorted(found, key=lambda a: (-a.score, _CAUSE_ORDER.index(a.cause)))


# ---------------------------------------------------------------------------------------------
# analyze_signals


def analyze_signals(context: CampaignContext, thresholds: SignalThresholds) -> SignalAnalysis:
    """Compute the signals, score the six root causes and pick the primary one."""
    facts = build_facts(context, thresholds)
    ranked = assess_causes(facts)
    return SignalAnalysis(
        campaign_id=context.campaign.campaign_id,
        signals=_signals(facts),
        root_causes=[
            RootCauseScore(
                root_cause=a.cause, score=a.score, evidence=a.supporting, counter_evidence=a.counter
            )
            for a in ranked
        ],
        primary_root_cause=ranked[0].cause,
        complexity_score=complexity_score(facts, ranked),
        summary=_analysis_summary(facts, ranked),
        model=MODEL_NAME,
        missing_sources=facts.missing,
    )


def complexity_score(facts: Facts, ranked: Sequence[Assessment]) -> float:
    """0-1: high when causes score close together, the fit is weak, the move is big or data is
    missing. Used to route hard cases to a stronger model."""
    top, runner_up = ranked[0].score, ranked[1].score
    closeness = 1.0 - grade(top - runner_up, 0.0, 0.4)
    c = facts.campaign
    changes = [
        abs(x) for x in (c.cpa_change_pct, c.cpm_change_pct, c.ctr_change_pct) if x is not None
    ]
    t = facts.thresholds
    magnitude = grade(
        max(changes, default=0.0), t.significant_change_pct, 2 * t.critical_change_pct
    )
    missing = len(facts.missing) / len(OPTIONAL_SOURCES)
    value = 0.4 * closeness + 0.25 * magnitude + 0.15 * missing + 0.2 * (1.0 - top)
    return round(clamp(value), 3)


def _change_signal(f: Facts, name: str, label: str, change: float | None) -> Signal:
    t = f.thresholds
    significant = change is not None and abs(change) > t.significant_change_pct
    critical = change is not None and abs(change) > t.critical_change_pct
    level = "critical" if critical else "significant" if significant else "within noise"
    return Signal(
        name=name,
        value=change,
        threshold=t.significant_change_pct,
        significant=significant,
        critical=critical,
        description=f"{moved(label, change)} vs the previous period ({level})",
    )


def _signals(f: Facts) -> list[Signal]:
    c, t = f.campaign, f.thresholds
    signals = [
        _change_signal(f, "cpa_change_pct", "CPA", c.cpa_change_pct),
        _change_signal(f, "cpm_change_pct", "CPM", c.cpm_change_pct),
        _change_signal(f, "ctr_change_pct", "CTR", c.ctr_change_pct),
        _change_signal(f, "spend_change_pct", "spend", c.spend_change_pct),
        _change_signal(
            f, "impression_share_change_pct", "impression share", c.impression_share_change_pct
        ),
        Signal(
            name="cpa_trend_days",
            value=f.trend_days,
            threshold=t.trend_days,
            significant=f.trend_days >= t.trend_days,
            description=f"CPA rose {f.trend_days} day(s) in a row (a trend is {t.trend_days}+)",
        ),
        Signal(
            name="conversions",
            value=c.conversions,
            threshold=t.min_conversions,
            significant=f.conversion_break_credit >= 0.5,
            critical=f.conversion_break_credit >= 0.8,
            description=f"{c.conversions:,.0f} conversions from {c.clicks:,} clicks "
            f"and {fmt_money(c.spend)} spend",
        ),
    ]
    if c.impression_share is not None:
        signals.append(
            Signal(
                name="impression_share",
                value=c.impression_share,
                threshold=t.saturation_impression_share,
                significant=c.impression_share >= t.saturation_impression_share,
                description=f"impression share {fmt_share(c.impression_share)}",
            )
        )
    signals += _baseline_signal(f) + _creative_signals(f) + _competitor_signals(f)
    signals += _audience_signals(f) + _missing_signals(f)
    return signals


def _baseline_signal(f: Facts) -> list[Signal]:
    history, cpa = f.context.history, f.campaign.cpa
    if history is None or history.baseline_cpa is None or cpa is None:
        return []
    change = pct_change(history.baseline_cpa, cpa)
    return [
        Signal(
            name="cpa_vs_baseline_pct",
            value=None if change is None else round(change, 1),
            threshold=f.sig,
            significant=change is not None and abs(change) > f.sig,
            critical=change is not None and abs(change) > f.thresholds.critical_change_pct,
            description=f"CPA {fmt_money(cpa)} vs baseline {fmt_money(history.baseline_cpa)}",
        )
    ]


def _creative_signals(f: Facts) -> list[Signal]:
    if f.creative_flags is None:
        return []
    t = f.thresholds
    fatigued = f.fatigued_creatives
    max_freq = max((x.creative.average_frequency for x in f.creative_flags), default=0.0)
    oldest = max((x.creative.creative_age_days for x in f.creative_flags), default=0)
    ids = ", ".join(cr.creative_id for cr in fatigued) or "none"
    return [
        Signal(
            name="fatigued_creatives",
            value=len(fatigued),
            significant=bool(fatigued),
            description=f"{len(fatigued)} of {len(f.creative_flags)} creatives fatigued ({ids})",
        ),
        Signal(
            name="max_creative_frequency",
            value=max_freq,
            threshold=t.fatigue_frequency,
            significant=max_freq > t.fatigue_frequency,
            description=f"highest creative frequency {max_freq:.1f}",
        ),
        Signal(
            name="oldest_creative_days",
            value=oldest,
            threshold=t.fatigue_creative_age_days,
            significant=oldest > t.fatigue_creative_age_days,
            description=f"oldest creative {oldest} days",
        ),
    ]


def _competitor_signals(f: Facts) -> list[Signal]:
    comp = f.context.competitors
    if comp is None:
        return []
    limit = f.thresholds.competitor_activity_change_pct
    return [
        Signal(
            name="competitor_activity_change_pct",
            value=comp.activity_change_pct,
            threshold=limit,
            significant=comp.activity_change_pct > limit,
            description=_competitor_text(f),
        )
    ]


def _audience_signals(f: Facts) -> list[Signal]:
    audience = f.context.audience
    if audience is None:
        return []
    signals = [
        Signal(
            name="reach_change_pct",
            value=audience.reach_change_pct,
            significant=audience.reach_change_pct is not None and audience.reach_change_pct <= 0,
            description=f"reach {audience.reach:,} of {audience.audience_size:,} "
            f"({audience.reach_change_pct or 0:+.1f} %), "
            f"frequency {audience.average_frequency:.1f} {audience.frequency_trend}",
        )
    ]
    if f.segment_spread is not None:
        support, against = _segment_texts(f)
        ratio = f.thresholds.segment_cpa_spread_ratio
        spread = f.segment_spread
        signals.append(
            Signal(
                name="segment_cpa_spread",
                value=None if math.isinf(spread) else round(spread, 2),
                threshold=ratio,
                significant=spread >= ratio,
                description=support if spread >= ratio else against,
            )
        )
    return signals


def _missing_signals(f: Facts) -> list[Signal]:
    errors = f.context.source_errors
    return [
        Signal(
            name=f"missing_{source}",
            description=f"{source} unavailable: {errors.get(source, 'not collected')}",
        )
        for source in f.missing
    ]


def headline(f: Facts) -> str:
    c = f.campaign
    moves = [
        moved(label, change)
        for label, change in (
            ("CPA", c.cpa_change_pct),
            ("CTR", c.ctr_change_pct),
            ("CPM", c.cpm_change_pct),
            ("impression share", c.impression_share_change_pct),
        )
        if change is not None and abs(change) > f.sig
    ]
    if c.conversions == 0 and c.spend > 0:
        moves.insert(0, f"{fmt_money(c.spend)} spent with no conversions")
    text = ", ".join(moves) if moves else f"no KPI moved beyond ±{f.sig:g} %"
    trend = (
        f" (CPA up {f.trend_days} days in a row)" if f.trend_days >= f.thresholds.trend_days else ""
    )
    return f"Over {f.period_days} days: {text}{trend}"


def _analysis_summary(f: Facts, ranked: Sequence[Assessment]) -> str:
    top, runner_up = ranked[0], ranked[1]
    missing = f"; missing: {', '.join(f.missing)}" if f.missing else ""
    return (
        f"{headline(f)}. Best fit: {cause_label(top.cause)} ({top.score:.2f}); runner-up "
        f"{cause_label(runner_up.cause)} ({runner_up.score:.2f}){missing}."
    )


# ---------------------------------------------------------------------------------------------
# generate_recommendation: action drafts


@dataclass(frozen=True)
class ActionDraft:
    specific_action: str
    parameters: ActionParameters
    impact: ExpectedImpact
    success_metrics: list[str]
    risk_factors: list[str]
    large: bool = False  # a big change for its kind: one risk level up


def _cpa_before(campaign: CampaignMetrics) -> float | None:
    change = campaign.cpa_change_pct
    if campaign.cpa is None or change is None or change <= -100:
        return None
    return campaign.cpa / (1 + change / 100)


def _impact(metric: str, change: float, description: str) -> ExpectedImpact:
    return ExpectedImpact(
        metric=metric,
        change_pct=change,
        timeframe_days=IMPACT_TIMEFRAME_DAYS,
        description=description,
    )


def _refresh_targets(f: Facts, magnitude: float) -> list[CreativeMetrics]:
    if not f.creative_flags:
        return []
    by_reach = sorted(
        (x.creative for x in f.creative_flags), key=lambda c: (-c.total_impressions, c.creative_id)
    )
    declining = [x.creative for x in f.creative_flags if x.declining]
    declining.sort(key=lambda c: (-c.total_impressions, c.creative_id))
    worst_ctr = sorted(by_reach, key=lambda c: (c.ctr_change_pct or 0.0, -c.total_impressions))
    pool = f.fatigued_creatives or declining or worst_ctr[:1]
    # A more cautious attempt replaces only the most-shown part of the fatigued set.
    return pool[: max(1, math.ceil(len(pool) * magnitude))]


def _creative_text(creative: CreativeMetrics) -> str:
    change = "" if creative.ctr_change_pct is None else f" {creative.ctr_change_pct:+.0f} %"
    return (
        f"{creative.creative_id} '{creative.creative_name}' (CTR {creative.ctr:.2f} %{change}, "
        f"frequency {creative.average_frequency:.1f}, {creative.creative_age_days} days old)"
    )


def _refresh_draft(f: Facts, g: Guardrails, magnitude: float) -> ActionDraft:
    c, t = f.campaign, f.thresholds
    targets = _refresh_targets(f, magnitude)
    if f.creative_flags is None:
        specific = (
            "refresh all active creatives with new variants (creative data unavailable, so none "
            f"can be singled out; CTR {c.ctr:.2f} %, {moved('CTR', c.ctr_change_pct)})"
        )
    else:
        listed = "; ".join(_creative_text(cr) for cr in targets)
        specific = f"replace {len(targets)} fatigued creative(s) with fresh variants: {listed}"
    drop = -(c.ctr_change_pct or 0.0)
    recovery = min(0.6 * drop, 30.0) if drop > 0 else f.sig
    change = max(1.0, round_half_up(recovery * magnitude, 1))
    metrics = [
        f"CTR back above {c.ctr * (1 + change / 100):.2f} % within {IMPACT_TIMEFRAME_DAYS} days"
    ]
    before = _cpa_before(c)
    if before is not None and c.cpa is not None and before < c.cpa:
        metrics.append(f"CPA back under {fmt_money(c.cpa)} and toward {fmt_money(before)}")
    metrics.append(f"new creatives' frequency stays under {t.fatigue_frequency:g}")
    return ActionDraft(
        specific_action=specific,
        parameters=ActionParameters(creative_ids=[cr.creative_id for cr in targets]),
        impact=_impact(
            "ctr", change, f"CTR recovers {change:g} % as fresh creatives replace worn ones"
        ),
        success_metrics=metrics,
        risk_factors=["new creatives go through a learning period: early CTR is noisy"],
    )


def _expansion_draft(f: Facts, g: Guardrails, magnitude: float) -> ActionDraft:
    c = f.campaign
    audience = f.context.audience
    # Widen more when the auction is charging more for the same people.
    basis = max(c.cpm_change_pct or 0.0, f.sig) + f.sig
    pct = min(5 * round_half_up(basis / 5, 0), g.max_audience_expansion_pct)
    pct = min(g.max_audience_expansion_pct, max(1.0, round_half_up(pct * magnitude, 0)))
    size = audience.audience_size if audience else None
    specific = describe_audience_expansion(pct, size) + " with lookalikes and broader targeting"
    if audience is not None:
        specific += f", to bring frequency down from {audience.average_frequency:.1f}"
    change = -round_half_up(max(c.cpa_change_pct or 0.0, f.sig) * 0.5 * magnitude, 1)
    metrics = [f"reach up at least {pct / 2:g} % within {IMPACT_TIMEFRAME_DAYS} days"]
    if c.cpa is not None:
        metrics.insert(0, f"CPA down to {fmt_money(c.cpa * (1 + change / 100))} or lower")
    if audience is not None:
        metrics.append(f"average frequency below {audience.average_frequency:.1f}")
    return ActionDraft(
        specific_action=specific,
        parameters=ActionParameters(audience_expansion_pct=pct),
        impact=_impact("cpa", change, f"CPA falls {-change:g} % as new people dilute frequency"),
        success_metrics=metrics,
        risk_factors=["new audiences convert less at first: CPA can wobble during learning"],
        large=pct > _LARGE_SHARE_OF_MAX * g.max_audience_expansion_pct,
    )


def _bid_draft(f: Facts, g: Guardrails, magnitude: float) -> ActionDraft:
    c, comp = f.campaign, f.context.competitors
    # Match what the market did: competitors' bid increase, else the CPM rise.
    candidates = (comp.avg_bid_increase_pct if comp else None, c.cpm_change_pct)
    basis = next((x for x in candidates if x is not None and x > 0), f.sig)
    pct = max(1.0, round_half_up(min(basis, g.max_bid_change_pct) * magnitude, 0))
    current = current_bid_of(c)
    new = new_bid_for(current, pct) if current is not None else None
    specific = describe_bid_change(pct, current, new) + " to win back impression share"
    change = round_half_up(pct * 0.5, 1)
    metrics = []
    if c.impression_share is not None:
        target = min(1.0, c.impression_share * (1 + change / 100))
        impact = _impact("impression_share", change, f"impression share recovers {change:g} %")
        metrics.append(f"impression share back above {fmt_share(target)} within 3 days")
    else:
        impact = _impact("conversions", change, f"conversions recover {change:g} %")
        metrics.append(f"conversions up {change:g} % within {IMPACT_TIMEFRAME_DAYS} days")
    if c.cpa is not None:
        metrics.append(f"CPA stays under {fmt_money(c.cpa * (1 + f.sig / 100))}")
    return ActionDraft(
        specific_action=specific,
        parameters=ActionParameters(bid_change_pct=pct, current_bid=current, new_bid=new),
        impact=impact,
        success_metrics=metrics,
        risk_factors=["higher bids raise cost per click: CPA can rise before share recovers"],
        large=pct > _LARGE_SHARE_OF_MAX * g.max_bid_change_pct,
    )


def _pause_draft(f: Facts, g: Guardrails, magnitude: float) -> ActionDraft:
    c = f.campaign
    specific = (
        f"pause campaign '{c.campaign_name}' ({c.campaign_id}) until conversion tracking and the "
        f"landing page are verified: {fmt_money(c.spend)} spent with {c.clicks:,} clicks and "
        f"{c.conversions:,.0f} conversions over {f.period_days} days"
    )
    return ActionDraft(
        specific_action=specific,
        parameters=ActionParameters(),
        impact=_impact("spend", -100.0, "spend stops: no more budget without conversions"),
        success_metrics=[
            "spend stops within 1 day",
            "a test conversion is recorded before the campaign resumes",
        ],
        risk_factors=[
            "pausing stops all delivery, including conversions the tracking may be missing",
            "restarting can reset the platform's learning phase",
        ],
        large=True,
    )


def reallocation_cpa_change(
    f: Facts, source: AudienceSegment, target: AudienceSegment, amount: float
) -> float | None:
    """Expected campaign CPA change (%) from moving ``amount``/day between two segments.

    The receiving segment is assumed to convert at 75 % of its average efficiency (diminishing
    returns); the giving segment loses conversions at its average CPA.
    """
    spend = sum(s.spend for s in f.segments)
    conversions = sum(s.conversions for s in f.segments)
    moved_total = amount * f.period_days
    lost = 0.0 if math.isinf(segment_cpa(source)) else moved_total / segment_cpa(source)
    gained = moved_total / segment_cpa(target) * _MARGINAL_EFFICIENCY
    after = conversions - lost + gained
    if conversions <= 0 or after <= 0:
        return None
    change = pct_change(spend / conversions, spend / after)
    return None if change is None else round_half_up(change, 1)


def _reallocation_draft(f: Facts, g: Guardrails, magnitude: float) -> ActionDraft:
    c = f.campaign
    source, target = f.worst_segment, f.best_segment
    assert source is not None and target is not None  # guaranteed by is_actionable
    cap = g.max_budget_shift_fraction * c.daily_budget
    source_daily = source.spend / f.period_days
    amount = floor_to(min(cap, 0.5 * source_daily) * magnitude, 0)
    if amount < 1:
        amount = floor_to(min(cap, source_daily) * magnitude, 2)
    change = reallocation_cpa_change(f, source, target, amount)
    change = -1.0 if change is None else change
    worst = segment_cpa(source)
    worst_text = "no conversions" if math.isinf(worst) else f"CPA {fmt_money(worst)}"
    specific = (
        f"{describe_budget_shift(amount, source, target)} ({worst_text} vs "
        f"{fmt_money(segment_cpa(target))}; at most {fmt_share(g.max_budget_shift_fraction)} of "
        f"the {fmt_money(c.daily_budget)} daily budget)"
    )
    metrics = [
        f"'{target.name}' CPA stays under {fmt_money(segment_cpa(target) * (1 + f.sig / 100))}"
    ]
    if c.cpa is not None:
        metrics.insert(0, f"campaign CPA down to {fmt_money(c.cpa * (1 + change / 100))} or lower")
    return ActionDraft(
        specific_action=specific,
        parameters=ActionParameters(
            budget_shift_amount=amount,
            from_segment_id=source.segment_id,
            to_segment_id=target.segment_id,
        ),
        impact=_impact(
            "cpa", change, f"blended CPA falls {-change:g} % as spend moves to the cheaper segment"
        ),
        success_metrics=metrics,
        risk_factors=["the receiving segment's marginal CPA is higher than its average"],
        large=amount > _LARGE_SHARE_OF_MAX * cap,
    )


def _monitor_draft(f: Facts, g: Guardrails, magnitude: float) -> ActionDraft:
    c, t = f.campaign, f.thresholds
    specific = (
        f"keep current settings and re-check in {IMPACT_TIMEFRAME_DAYS} days; act if CPA moves "
        f"more than {f.sig:g} % for {t.trend_days}+ days in a row (now "
        f"{c.cpa_change_pct or 0:+.1f} %, {f.trend_days} day(s))"
    )
    cpa_text = fmt_money(c.cpa) if c.cpa is not None else "today's level"
    return ActionDraft(
        specific_action=specific,
        parameters=ActionParameters(),
        impact=_impact("cpa", 0.0, f"CPA stays within ±{f.sig:g} %"),
        success_metrics=[
            f"CPA stays within ±{f.sig:g} % of {cpa_text}",
            f"no KPI moves beyond ±{f.sig:g} % for {t.trend_days}+ days",
        ],
        risk_factors=[
            f"if a real problem is starting, waiting costs up to {IMPACT_TIMEFRAME_DAYS} days"
        ],
    )


_DRAFTS: dict[ActionType, Callable[[Facts, Guardrails, float], ActionDraft]] = {
    ActionType.creative_refresh: _refresh_draft,
    ActionType.audience_expansion: _expansion_draft,
    ActionType.bid_adjustment: _bid_draft,
    ActionType.campaign_pause: _pause_draft,
    ActionType.budget_reallocation: _reallocation_draft,
    ActionType.continue_monitoring: _monitor_draft,
}


def is_actionable(cause: RootCause, f: Facts) -> bool:
    """A reallocation needs two segments and a budget to move; every other action can be built."""
    if cause is RootCause.uneven_efficiency:
        has_pair = f.best_segment is not None and f.worst_segment is not None
        return has_pair and f.campaign.daily_budget > 0
    return True


# ---------------------------------------------------------------------------------------------
# generate_recommendation: choosing the cause (first attempt and after a critique)


@dataclass(frozen=True)
class AttemptPlan:
    cause: RootCause
    magnitude: float = 1.0  # 1 = the full proposal; lower after "too large" or low confidence
    more_evidence: bool = False
    notes: tuple[str, ...] = ()


_INTENT_BY_CODE = {
    "contradicts_evidence": "switch",
    "unsupported_root_cause": "switch",
    "magnitude": "magnitude",
    "weak_evidence": "evidence",
    "unacknowledged_counter_evidence": "evidence",
    "empty_field": "evidence",
    "missing_alternatives": "evidence",
}
# For critiques written by a language model, which may not set codes.
_INTENT_KEYWORDS = (
    ("switch", ("contradict", "not supported", "unsupported", "wrong root cause", "mismatch")),
    ("magnitude", ("too large", "too aggressive", "magnitude", "smaller change")),
    ("evidence", ("evidence", "alternative")),
)


def critique_intents(critique: Critique, min_confidence: float) -> set[str]:
    """What a regeneration should do about a critique: switch, magnitude, evidence, confidence."""
    intents: set[str] = set()
    for issue in critique.issues:
        found = {_INTENT_BY_CODE[issue.code]} if issue.code in _INTENT_BY_CODE else set()
        if issue.code is None:
            text = issue.description.lower()
            found = {intent for intent, words in _INTENT_KEYWORDS if any(w in text for w in words)}
        if issue.severity is not Severity.critical:
            found.discard("switch")  # only a critical finding overturns the diagnosis
        intents |= found
    if critique.adjusted_confidence < min_confidence:
        intents.add("confidence")
    return intents


def _ranking(analysis: SignalAnalysis, assessments: dict[RootCause, Assessment]) -> list[RootCause]:
    order = [rc.root_cause for rc in analysis.root_causes]
    if analysis.primary_root_cause in order:
        order.remove(analysis.primary_root_cause)
    order.insert(0, analysis.primary_root_cause)
    rest = sorted(
        (c for c in assessments if c not in order),
        key=lambda c: (-assessments[c].score, _CAUSE_ORDER.index(c)),
    )
    return order + rest


def _scores(
    analysis: SignalAnalysis, assessments: dict[RootCause, Assessment]
) -> dict[RootCause, float]:
    scores = {cause: a.score for cause, a in assessments.items()}
    scores.update({rc.root_cause: rc.score for rc in analysis.root_causes})
    return scores


def _first_actionable(ranking: list[RootCause], f: Facts) -> RootCause:
    return next((c for c in ranking if is_actionable(c, f)), RootCause.normal_variance)


def _switch_cause(
    step: ReasoningStep, rejected: RootCause, ranking: list[RootCause], assessments, f: Facts
) -> RootCause:
    """The cause to try when the critique says ``rejected`` is not supported.

    Moving strictly down the ranking means the loop can never bounce back to a cause it already
    dropped, so it converges. A rejected proposal from another model falls back to our best.
    """
    best = _first_actionable(ranking, f)
    came_from_elsewhere = step.previous is not None and step.previous.model != MODEL_NAME
    if came_from_elsewhere and rejected != best:
        return best
    below = ranking[ranking.index(rejected) + 1 :] if rejected in ranking else ranking
    for cause in below:
        hallmark = assessments[cause].hallmark or 0.0
        if cause != rejected and is_actionable(cause, f) and hallmark >= _HALLMARK_PRESENT:
            return cause
    return RootCause.normal_variance


def plan_attempt(
    step: ReasoningStep,
    ranking: list[RootCause],
    assessments: dict[RootCause, Assessment],
    f: Facts,
) -> AttemptPlan:
    best = _first_actionable(ranking, f)
    if step.critique is None:
        notes = (
            ()
            if best == ranking[0]
            else (f"{cause_label(ranking[0])} has no segment data to act on",)
        )
        return AttemptPlan(cause=best, notes=notes)
    intents = critique_intents(step.critique, step.thresholds.min_confidence)
    previous = step.previous.root_cause if step.previous else best
    cause = previous if is_actionable(previous, f) else best
    notes: list[str] = []
    if "switch" in intents:
        cause = _switch_cause(step, previous, ranking, assessments, f)
        notes.append(
            f"switched from {cause_label(previous)} to {cause_label(cause)} because the critique "
            "found the first diagnosis unsupported by the data"
        )
    magnitude = 1.0
    if cause == previous and intents & {"magnitude", "confidence"}:
        magnitude = 0.5 ** max(step.iteration, 1)
        notes.append(f"scaled the change down to {magnitude:.0%} of the first proposal")
    more_evidence = "evidence" in intents
    if more_evidence:
        notes.append("listed every significant signal and the evidence against")
    if not notes:
        notes.append("re-derived the action from the root cause")
    return AttemptPlan(
        cause=cause, magnitude=magnitude, more_evidence=more_evidence, notes=tuple(notes)
    )


# ---------------------------------------------------------------------------------------------
# generate_recommendation: confidence, risk, evidence, text


def _dedupe(items: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    return [x for x in items if x and not (x in seen or seen.add(x))]


def _past_failure(f: Facts, action: ActionType) -> str | None:
    history = f.context.history
    if history is None:
        return None
    for past in sorted(history.past_actions, key=lambda p: p.applied_at, reverse=True):
        if (
            past.action == action.value
            and past.cpa_change_pct is not None
            and past.cpa_change_pct > 0
        ):
            return (
                f"{action.value} on {past.applied_at.isoformat()} did not help "
                f"(CPA {past.cpa_change_pct:+.1f} % after)"
            )
    return None


def _small_sample(f: Facts, cause: RootCause) -> float:
    """0 with enough conversions, up to 1 with none (a zero-conversion cause is exempt)."""
    minimum = f.thresholds.min_conversions
    if cause is RootCause.fundamental_problem or minimum <= 0:
        return 0.0
    return clamp(1.0 - f.campaign.conversions / minimum)


def _confidence(
    cause: RootCause,
    action: ActionType,
    scores: dict[RootCause, float],
    assessment: Assessment,
    f: Facts,
) -> tuple[float, str]:
    fit = scores[cause]
    rival = max(
        (c for c in scores if c != cause), key=lambda c: (scores[c], -_CAUSE_ORDER.index(c))
    )
    margin = fit - scores[rival]
    value = 0.10 + 0.5 * fit + 0.35 * grade(margin, 0.0, 0.5)  # at most 0.95
    notes = [
        f"fit {fit:.2f} for {cause_label(cause)}",
        f"lead over {cause_label(rival)} {margin:+.2f}",
    ]
    penalties: list[tuple[float, str]] = []
    if f.missing:
        penalty = 0.03 * len(f.missing) + 0.1 * assessment.missing_weight
        penalties.append((penalty, f"{', '.join(f.missing)} missing"))
    small = _small_sample(f, cause)
    if small > 0:
        penalties.append((0.1 * small, f"small sample ({f.campaign.conversions:,.0f} conversions)"))
    if _past_failure(f, action):
        penalties.append((0.05, f"{action.value} failed here before"))
    for penalty, note in penalties:
        value -= penalty
        notes.append(f"-{penalty:.2f} {note}")
    if f.missing and value > PARTIAL_CONTEXT_MAX_CONFIDENCE:
        value = PARTIAL_CONTEXT_MAX_CONFIDENCE
        notes.append(f"capped at {PARTIAL_CONTEXT_MAX_CONFIDENCE:.2f} for partial context")
    value = round(clamp(value, 0.05, 0.95), 2)
    return value, "; ".join(notes) + f" -> {value:.2f}"


def _risk(
    action: ActionType, draft: ActionDraft, f: Facts, cause: RootCause
) -> tuple[RiskLevel, list[str]]:
    index = _RISK_ORDER.index(_BASE_RISK[action])
    factors = list(draft.risk_factors)
    if draft.large and action is not ActionType.campaign_pause:
        index += 1
        factors.append("large change relative to its guardrail maximum")
    if f.missing:
        index += 1  # acting on partial evidence
        factors.append(f"partial context: {', '.join(f.missing)} unavailable")
    if _small_sample(f, cause) > 0:
        factors.append(f"small sample: {f.campaign.conversions:,.0f} conversions")
    cpa_change = f.campaign.cpa_change_pct
    if cpa_change is not None and abs(cpa_change) > f.thresholds.critical_change_pct:
        factors.append(
            f"critical CPA move ({cpa_change:+.1f} %): the situation may still be shifting"
        )
    failure = _past_failure(f, action)
    if failure:
        factors.append(failure)
    return _RISK_ORDER[min(index, len(_RISK_ORDER) - 1)], factors


def _supporting(
    plan: AttemptPlan, analysis: SignalAnalysis, assessment: Assessment, f: Facts
) -> list[str]:
    given = next((rc.evidence for rc in analysis.root_causes if rc.root_cause == plan.cause), [])
    items = _dedupe([*given, *assessment.supporting])
    if plan.more_evidence or len(items) < 2:
        signals = [s.description for s in analysis.signals if s.significant]
        items = _dedupe(items + signals)
    return items or [headline(f)]


def _contradictory(
    cause: RootCause,
    ranking: list[RootCause],
    scores: dict[RootCause, float],
    analysis: SignalAnalysis,
    assessments: dict[RootCause, Assessment],
) -> list[str]:
    given = next((rc.counter_evidence for rc in analysis.root_causes if rc.root_cause == cause), [])
    items = [*given, *assessments[cause].counter]
    rival = next(c for c in ranking if c != cause)
    rival_evidence = assessments[rival].supporting
    # A close runner-up is itself evidence against being sure of this diagnosis.
    if scores[cause] - scores[rival] < 0.2 and rival_evidence:
        items.append(f"{cause_label(rival)} also fits ({scores[rival]:.2f}): {rival_evidence[0]}")
    return _dedupe(items)


def _alternatives(
    chosen: RootCause,
    ranking: list[RootCause],
    scores: dict[RootCause, float],
    assessments: dict[RootCause, Assessment],
    f: Facts,
) -> list[Alternative]:
    alternatives = []
    for cause in ranking:
        if cause == chosen:
            continue
        score, mine = scores[cause], scores[chosen]
        if score > mine:
            why = (
                f"{cause_label(cause)} ranked higher ({score:.2f} vs {mine:.2f}) "
                "but was rejected on review"
            )
        else:
            why = f"{cause_label(cause)} fits less ({score:.2f} vs {mine:.2f})"
        if not is_actionable(cause, f):
            why += "; no segment data to choose where budget moves"
        elif assessments[cause].counter:
            why += f": {assessments[cause].counter[0]}"
        alternatives.append(Alternative(action=ACTION_FOR_ROOT_CAUSE[cause], why_not=why))
    return alternatives


def _reasoning(
    f: Facts,
    step: ReasoningStep,
    plan: AttemptPlan,
    draft: ActionDraft,
    supporting: list[str],
    contradictory: list[str],
    scores: dict[RootCause, float],
    ranking: list[RootCause],
) -> str:
    action = ACTION_FOR_ROOT_CAUSE[plan.cause]
    rival = next(c for c in ranking if c != plan.cause)
    parts = [
        f"{headline(f)}.",
        f"Diagnosis: {cause_label(plan.cause)} (score {scores[plan.cause]:.2f}; next "
        f"{cause_label(rival)} {scores[rival]:.2f}).",
        f"Evidence: {'; '.join(supporting[:3])}.",
    ]
    if contradictory:
        parts.append(f"Against: {contradictory[0]}.")
    if f.missing:
        parts.append(f"Not checked ({', '.join(f.missing)} unavailable), so confidence is lower.")
    parts.append(f"Action: {action.value}: {draft.specific_action}.")
    if step.critique is not None:
        parts.append(f"Revision {max(step.iteration, 1)} after critique: {'; '.join(plan.notes)}.")
    elif plan.notes:
        parts.append(f"Note: {'; '.join(plan.notes)}.")
    return " ".join(parts)


def degraded_reasons(context: CampaignContext) -> list[str]:
    errors = context.source_errors
    return [
        f"{source} unavailable: {errors.get(source, 'not collected')}"
        for source in context.missing_sources
    ]


def generate_recommendation(step: ReasoningStep, now: datetime) -> Recommendation:
    """Turn an analysis into a concrete, guarded, explained recommendation.

    With ``step.critique`` set (a regeneration) the attempt addresses it: a critical "not
    supported" finding moves down the ranking to the next supported cause, "too large" or low
    confidence halves the change per iteration, weak evidence lists every significant signal.
    """
    f = build_facts(step.context, step.thresholds)
    assessments = {a.cause: a for a in assess_causes(f)}
    ranking = _ranking(step.analysis, assessments)
    scores = _scores(step.analysis, assessments)
    plan = plan_attempt(step, ranking, assessments, f)
    action = ACTION_FOR_ROOT_CAUSE[plan.cause]
    draft = _DRAFTS[action](f, step.guardrails, plan.magnitude)
    confidence, confidence_reasoning = _confidence(
        plan.cause, action, scores, assessments[plan.cause], f
    )
    risk_level, risk_factors = _risk(action, draft, f, plan.cause)
    supporting = _supporting(plan, step.analysis, assessments[plan.cause], f)
    contradictory = _contradictory(plan.cause, ranking, scores, step.analysis, assessments)
    return Recommendation(
        campaign_id=f.campaign.campaign_id,
        recommended_action=action,
        specific_action=draft.specific_action,
        parameters=draft.parameters,
        reasoning=_reasoning(f, step, plan, draft, supporting, contradictory, scores, ranking),
        signal_analysis=step.analysis.summary,
        root_cause=plan.cause,
        supporting_evidence=supporting,
        contradictory_evidence=contradictory,
        expected_impact=draft.impact,
        risk_level=risk_level,
        risk_factors=risk_factors,
        alternatives_considered=_alternatives(plan.cause, ranking, scores, assessments, f),
        success_metrics=draft.success_metrics,
        confidence=confidence,
        confidence_reasoning=confidence_reasoning,
        generated_at=now,
        model=MODEL_NAME,
        degraded=step.context.is_partial,
        degraded_reasons=degraded_reasons(step.context),
    )


# ---------------------------------------------------------------------------------------------
# critique_recommendation

# Confidence taken off per issue: a critical finding alone pushes most proposals under 0.6.
_SEVERITY_PENALTY = {Severity.critical: 0.3, Severity.major: 0.1, Severity.minor: 0.02}


def _issue(severity: Severity, code: str, description: str) -> CritiqueIssue:
    return CritiqueIssue(severity=severity, code=code, description=description)


def _check_required(rec: Recommendation) -> list[CritiqueIssue]:
    issues = []
    texts = {
        "specific_action": rec.specific_action,
        "reasoning": rec.reasoning,
        "signal_analysis": rec.signal_analysis,
        "confidence_reasoning": rec.confidence_reasoning,
    }
    for name, value in texts.items():
        if not value.strip():
            issues.append(_issue(Severity.critical, "empty_field", f"{name} is empty"))
    if not rec.supporting_evidence:
        issues.append(_issue(Severity.critical, "empty_field", "no supporting evidence"))
    issues += _check_parameters(rec)
    return issues


def _check_parameters(rec: Recommendation) -> list[CritiqueIssue]:
    p, action = rec.parameters, rec.recommended_action
    missing = None
    if action is ActionType.bid_adjustment and not p.bid_change_pct:
        missing = "Bid Adjustment without a bid change"
    elif action is ActionType.audience_expansion and not p.audience_expansion_pct:
        missing = "Audience Expansion without an expansion percentage"
    elif action is ActionType.budget_reallocation and not (
        p.budget_shift_amount and p.from_segment_id and p.to_segment_id
    ):
        missing = "Budget Reallocation without an amount and from/to segments"
    return [_issue(Severity.critical, "empty_field", missing)] if missing else []


def _check_action_matches_cause(rec: Recommendation) -> list[CritiqueIssue]:
    expected = ACTION_FOR_ROOT_CAUSE[rec.root_cause]
    if rec.recommended_action is expected:
        return []
    return [
        _issue(
            Severity.critical,
            "action_mismatch",
            f"{rec.recommended_action.value} does not treat {cause_label(rec.root_cause)}; "
            f"that calls for {expected.value}",
        )
    ]


def _pause_contradiction(f: Facts) -> str | None:
    c, t = f.campaign, f.thresholds
    if f.conversion_break_credit >= _HALLMARK_PRESENT:
        return None
    cpa_normal = c.cpa_change_pct is None or c.cpa_change_pct <= t.significant_change_pct
    if cpa_normal:
        return (
            f"Campaign Pause while {c.conversions:,.0f} conversions were recorded and CPA is "
            f"normal ({moved('CPA', c.cpa_change_pct)}): pausing would throw them away"
        )
    return (
        f"Campaign Pause while {c.conversions:,.0f} conversions are still recorded: no sign of "
        f"broken tracking or a collapsed conversion rate ({moved('CPA', c.cpa_change_pct)})"
    )


def _monitoring_contradiction(f: Facts) -> str | None:
    c, t = f.campaign, f.thresholds
    if f.conversion_break_credit >= 0.5:
        return f"Continue Monitoring while {fmt_money(c.spend)} is spent with no conversions"
    change = c.cpa_change_pct
    if change is not None and change > t.critical_change_pct and f.trend_days >= t.trend_days:
        return f"Continue Monitoring while CPA is up {change:.1f} % for {f.trend_days} days"
    return None


def _check_action_fits_evidence(
    rec: Recommendation, f: Facts, assessments: dict[RootCause, Assessment]
) -> list[CritiqueIssue]:
    action = rec.recommended_action
    if action is ActionType.campaign_pause:
        problem = _pause_contradiction(f)
    elif action is ActionType.continue_monitoring:
        problem = _monitoring_contradiction(f)
    else:
        cause = CAUSE_FOR_ACTION[action]
        assessment = assessments[cause]
        if assessment.hallmark is None:
            sources = ", ".join(assessment.missing_sources) or "the key data"
            return [
                _issue(
                    Severity.major,
                    "unverifiable",
                    f"cannot verify {cause_label(cause)}: {sources} missing",
                )
            ]
        problem = None
        if assessment.hallmark < _HALLMARK_PRESENT:
            against = "; ".join(assessment.counter[:2]) or "its defining signal is absent"
            problem = f"{action.value} but no sign of {cause_label(cause)}: {against}"
    issues = [_issue(Severity.critical, "contradicts_evidence", problem)] if problem else []
    return issues + _check_targets(rec, f)


def _check_targets(rec: Recommendation, f: Facts) -> list[CritiqueIssue]:
    """Named creatives and segments must exist in the context (when it has that source)."""
    p, ctx = rec.parameters, f.context
    issues = []
    if rec.recommended_action is ActionType.creative_refresh and ctx.creatives is not None:
        known = {c.creative_id for c in ctx.creatives}
        unknown = [cid for cid in p.creative_ids if cid not in known]
        if unknown:
            issues.append(
                _issue(
                    Severity.critical,
                    "contradicts_evidence",
                    f"unknown creatives: {', '.join(unknown)}",
                )
            )
    if rec.recommended_action is ActionType.budget_reallocation and ctx.audience is not None:
        known = {s.segment_id for s in ctx.audience.segments}
        unknown = [s for s in (p.from_segment_id, p.to_segment_id) if s and s not in known]
        if unknown:
            issues.append(
                _issue(
                    Severity.critical,
                    "contradicts_evidence",
                    f"unknown segments: {', '.join(unknown)}",
                )
            )
    return issues


def _check_evidence(
    rec: Recommendation, assessments: dict[RootCause, Assessment]
) -> list[CritiqueIssue]:
    issues = []
    if 0 < len(rec.supporting_evidence) < 2:
        issues.append(
            _issue(Severity.major, "weak_evidence", "only one piece of supporting evidence")
        )
    assessment = assessments[rec.root_cause]
    if assessment.score < 0.3:
        issues.append(
            _issue(
                Severity.major,
                "weak_evidence",
                f"the data gives {cause_label(rec.root_cause)} only {assessment.score:.2f}",
            )
        )
    best = max(assessments.values(), key=lambda a: a.score)
    if best.cause != rec.root_cause and best.score - assessment.score >= 0.3:
        issues.append(
            _issue(
                Severity.major,
                "stronger_cause",
                f"{cause_label(best.cause)} fits the data better ({best.score:.2f} vs "
                f"{assessment.score:.2f})",
            )
        )
    return issues


def _check_alternatives(rec: Recommendation) -> list[CritiqueIssue]:
    if len(rec.alternatives_considered) >= 2:
        return []
    return [
        _issue(Severity.major, "missing_alternatives", "fewer than two alternatives considered")
    ]


def _check_magnitude(rec: Recommendation, f: Facts) -> list[CritiqueIssue]:
    p, c, comp = rec.parameters, f.campaign, f.context.competitors
    issues = []
    if rec.recommended_action is ActionType.bid_adjustment and p.bid_change_pct:
        market = max(c.cpm_change_pct or 0.0, comp.avg_bid_increase_pct if comp else 0.0)
        if abs(p.bid_change_pct) > market + f.sig:
            issues.append(
                _issue(
                    Severity.major,
                    "magnitude",
                    f"bid change {p.bid_change_pct:+.0f} % is larger than the market moved "
                    f"({market:+.1f} %): make it smaller",
                )
            )
    if rec.recommended_action is ActionType.budget_reallocation and p.budget_shift_amount:
        source = next((s for s in f.segments if s.segment_id == p.from_segment_id), None)
        if source is not None and p.budget_shift_amount > source.spend / f.period_days:
            issues.append(
                _issue(
                    Severity.major,
                    "magnitude",
                    f"moves {fmt_money(p.budget_shift_amount)}/day, more than "
                    f"'{source.name}' spends per day",
                )
            )
    return issues


_LOWER_IS_BETTER = {"cpa", "cpm"}


def _check_impact(rec: Recommendation) -> list[CritiqueIssue]:
    metric, change = rec.expected_impact.metric.lower(), rec.expected_impact.change_pct
    action = rec.recommended_action
    if action is ActionType.continue_monitoring:
        return []
    if action is ActionType.campaign_pause:
        wrong = change >= 0
    elif metric in _LOWER_IS_BETTER:
        wrong = change > 0
    else:
        wrong = change < 0
    if not wrong:
        return []
    return [
        _issue(
            Severity.major,
            "impact_direction",
            f"expected {metric} {change:+.1f} % is a change for the worse",
        )
    ]


def _check_confidence(rec: Recommendation, f: Facts) -> list[CritiqueIssue]:
    if (rec.degraded or f.missing) and rec.confidence > PARTIAL_CONTEXT_MAX_CONFIDENCE:
        return [
            _issue(
                Severity.major,
                "overconfident",
                f"confidence {rec.confidence:.2f} with partial context",
            )
        ]
    return []


def _check_style(
    rec: Recommendation, assessments: dict[RootCause, Assessment]
) -> list[CritiqueIssue]:
    issues = []
    if assessments[rec.root_cause].counter and not rec.contradictory_evidence:
        issues.append(
            _issue(
                Severity.minor,
                "unacknowledged_counter_evidence",
                f"does not mention: {assessments[rec.root_cause].counter[0]}",
            )
        )
    if rec.specific_action and not any(ch.isdigit() for ch in rec.specific_action):
        issues.append(_issue(Severity.minor, "vague_action", "specific action has no numbers"))
    if rec.reasoning and len(rec.reasoning) < 60:
        issues.append(_issue(Severity.minor, "short_reasoning", "reasoning is too short to follow"))
    if not rec.success_metrics:
        issues.append(_issue(Severity.minor, "no_success_metrics", "no success metrics"))
    return issues


def critique_recommendation(inp: CritiqueInput) -> Critique:
    """Check a recommendation against the context; CRITICAL issues or low confidence regenerate."""
    f = build_facts(inp.context, inp.thresholds)
    assessments = {a.cause: a for a in assess_causes(f)}
    rec = inp.recommendation
    issues = [
        *_check_required(rec),
        *_check_action_matches_cause(rec),
        *_check_action_fits_evidence(rec, f, assessments),
        *_check_evidence(rec, assessments),
        *_check_alternatives(rec),
        *_check_magnitude(rec, f),
        *_check_impact(rec),
        *_check_confidence(rec, f),
        *_check_style(rec, assessments),
    ]
    penalty = sum(_SEVERITY_PENALTY[i.severity] for i in issues)
    adjusted = round(clamp(rec.confidence - penalty), 2)
    return Critique(
        issues=issues, adjusted_confidence=adjusted, summary=_critique_summary(issues, adjusted)
    )


def _critique_summary(issues: list[CritiqueIssue], adjusted: float) -> str:
    if not issues:
        return f"no issues; confidence {adjusted:.2f} stands"
    counts = ", ".join(
        f"{sum(1 for i in issues if i.severity is s)} {s.value}"
        for s in Severity
        if any(i.severity is s for i in issues)
    )
    worst = min(issues, key=lambda i: list(Severity).index(i.severity))
    return (
        f"{len(issues)} issue(s) ({counts}); first: {worst.description}; "
        f"adjusted confidence {adjusted:.2f}"
    )
