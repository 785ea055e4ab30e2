"""Root-cause assessments: weighted indicators per cause, a hallmark, and a score.

One builder per cause (``_fatigue``, ``_saturation``, ``_competition``, ``_fundamental``,
``_uneven``, ``_variance``) returns its indicators and hallmark credit; ``_assess`` turns them
into a score with supporting and counter-evidence (the scoring rule is described in the
``domain.rules`` package docstring); ``assess_causes`` ranks all six.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from domain.context import FrequencyTrend
from domain.recommendation import RootCause
from domain.rules.facts import Facts, SegmentGap, _best_of, _both, _weakest_of, segment_cpa
from domain.rules.text import cause_label, fmt_money, fmt_share, moved
from domain.stats import clamp, grade, weighted_share
from domain.thresholds import SignalThresholds

# Ties between equal scores are broken in the order RootCause declares the causes.
_CAUSE_ORDER = list(RootCause)
# Impression share this far under the saturation threshold still earns partial credit.
_SATURATION_BAND = 0.05
# Below this hallmark credit an action's defining signal counts as absent.
_HALLMARK_PRESENT = 0.15


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
    # A CTR dip alone is not fatigue: when fresh, rarely seen creatives lose CTR while CPA holds,
    # the clicks got fewer but better (a mix change, nothing worn out). So the dip counts only as
    # far as wear on the creatives (impression share of those above fatigue_frequency or older
    # than fatigue_creative_age_days) or a rising CPA corroborates it; without creative data only
    # the CPA can.
    ctr_dip = _best_of(ctr_fall, declining_share)
    if not ctr_dip:
        return indicators, ctr_dip  # no dip (0) or no way to tell (None)
    corroboration = _best_of(f.creative_share("worn"), f.rise(c.cpa_change_pct))
    return indicators, None if corroboration is None else ctr_dip * corroboration


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
        _rise_indicator(f, 0.10, "CPA", c.cpa_change_pct),
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
        _rise_indicator(f, 0.15, "CPM", c.cpm_change_pct),
        _rise_indicator(f, 0.10, "CPA", c.cpa_change_pct),
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
    gap, t = f.segment_gap, f.thresholds
    if gap is not None and not gap.supported and spread >= _even_ratio(t):
        return support, _unsupported_gap_text(f, ratio, gap)
    return support, f"segments within {spread:.1f}x of each other on CPA"


def _even_ratio(t: SignalThresholds) -> float:
    # Misconfigured (even >= spread) ratios degrade to a hard threshold instead of failing.
    return min(t.segment_cpa_even_ratio, t.segment_cpa_spread_ratio)


def _unsupported_gap_text(f: Facts, ratio: str, gap: SegmentGap) -> str:
    """Why a segment CPA gap is not evidence: the small sample, named for the reviewer."""
    best, worst, t = f.segments[0], f.segments[-1], f.thresholds
    if not gap.enough_volume:
        why = (
            f"too few to compare segments (their spend is worth {gap.best_expected:.1f} and "
            f"{gap.worst_expected:.1f} conversions at the pair's pooled CPA; each needs "
            f"{t.segment_min_conversions:g}+)"
        )
    else:
        p_value = "n/a" if gap.p_value is None else f"{gap.p_value:.2f}"
        why = (
            f"within counting noise (p = {p_value}; significant at "
            f"{fmt_share(t.segment_gap_confidence)} needs p <= {1 - t.segment_gap_confidence:.2f})"
        )
    return (
        f"small sample: the segment CPA gap ({ratio}) rests on {best.conversions:,.0f} "
        f"('{best.name}') and {worst.conversions:,.0f} ('{worst.name}') conversions, {why}"
    )


def _uneven(f: Facts) -> tuple[list[Indicator], float | None]:
    c, t = f.campaign, f.thresholds
    spread_credit = None
    if f.context.audience is not None:
        even = _even_ratio(t)
        spread = f.segment_spread
        spread_credit = 0.0 if spread is None else grade(spread, even, t.segment_cpa_spread_ratio)
        # A gap that rests on too few conversions is counting noise, not uneven efficiency.
        if f.segment_gap is not None and not f.segment_gap.supported:
            spread_credit = 0.0
    support, against = _segment_texts(f)
    indicators = [
        Indicator(0.50, spread_credit, "audience", support, against),
        _rise_indicator(f, 0.20, "CPA", c.cpa_change_pct),
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


def _rise_indicator(f: Facts, weight: float, label: str, change: float | None) -> Indicator:
    return Indicator(
        weight,
        f.rise(change),
        "campaign",
        moved(label, change),
        f"{label} not rising ({moved(label, change)})",
    )


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


def _yield_to_evidence(found: list[Assessment], t: SignalThresholds) -> list[Assessment]:
    """Normal variance claims nothing is going on: it cannot outscore a cause with evidence (its
    hallmark present and a score of ``evidence_score`` or more); its score is capped at that
    cause's, and ties go to the cause."""
    with_evidence = [
        a
        for a in found
        if a.cause is not RootCause.normal_variance
        and (a.hallmark or 0.0) >= _HALLMARK_PRESENT
        and a.score >= t.evidence_score
    ]
    variance = next(a for a in found if a.cause is RootCause.normal_variance)
    if not with_evidence:
        return found
    rival = max(with_evidence, key=lambda a: (a.score, -_CAUSE_ORDER.index(a.cause)))
    if variance.score <= rival.score:
        return found
    capped = replace(
        variance,
        score=rival.score,
        counter=[
            *variance.counter,
            f"{cause_label(rival.cause)} has evidence (score {rival.score:.2f}, "
            f"{t.evidence_score:g}+ counts): not nothing",
        ],
    )
    return [capped if a is variance else a for a in found]


def assess_causes(facts: Facts) -> list[Assessment]:
    """Every root cause assessed, best first (ties broken by the RootCause order)."""
    found = [_assess(cause, facts) for cause in _CAUSE_ORDER]
    found = _yield_to_evidence(found, facts.thresholds)
    return sorted(found, key=lambda a: (-a.score, _CAUSE_ORDER.index(a.cause)))
