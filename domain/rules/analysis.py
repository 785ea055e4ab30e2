"""``analyze_signals``: the signals shown to reviewers, the ranked causes and a summary.

Also ``complexity_score`` (used to route hard cases to a stronger model) and ``headline``,
the one-line account of what moved that recommendations reuse.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from domain.context import OPTIONAL_SOURCES, CampaignContext
from domain.recommendation import RootCauseScore, Signal, SignalAnalysis
from domain.rules.causes import Assessment, _competitor_text, _segment_texts, assess_causes
from domain.rules.facts import Facts, build_facts
from domain.rules.text import cause_label, fmt_money, fmt_share, moved
from domain.stats import clamp, grade, pct_change
from domain.thresholds import SignalThresholds

# The model name analyses and recommendations from this reasoner carry.
MODEL_NAME = "rules"


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
        # A wide spread on too few conversions is not a significant signal (the text says why).
        wide = spread >= ratio and (f.segment_gap is None or f.segment_gap.supported)
        signals.append(
            Signal(
                name="segment_cpa_spread",
                value=None if math.isinf(spread) else round(spread, 2),
                threshold=ratio,
                significant=wide,
                description=support if wide else against,
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
