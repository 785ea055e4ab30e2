"""Action drafts: the concrete action, parameters, expected impact and success metrics.

One draft builder per action type (``_DRAFTS``); ``magnitude`` (0-1] scales the change down
on a more cautious attempt. ``is_actionable`` says whether a cause's action can be built
from the context at all.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from domain.budget import BudgetAllocation, BudgetArm, decision_seed, thompson_allocation
from domain.context import AudienceSegment, CampaignMetrics, CreativeMetrics
from domain.recommendation import ActionParameters, ActionType, ExpectedImpact, RootCause
from domain.rules.facts import Facts, segment_cpa
from domain.rules.text import (
    current_bid_of,
    describe_audience_expansion,
    describe_bid_change,
    describe_budget_shift,
    fmt_money,
    fmt_share,
    moved,
    new_bid_for,
)
from domain.stats import floor_to, pct_change, round_half_up
from domain.thresholds import Guardrails

# The window the expected impact is stated for; matches LifecyclePolicy.outcome_delay's default.
IMPACT_TIMEFRAME_DAYS = 3
# A change above this share of its guardrail maximum counts as large (one risk level up).
_LARGE_SHARE_OF_MAX = 2 / 3
# Share of a segment's average efficiency assumed for extra budget (diminishing returns).
_MARGINAL_EFFICIENCY = 0.75


@dataclass(frozen=True)
class ActionDraft:
    specific_action: str
    parameters: ActionParameters
    impact: ExpectedImpact
    success_metrics: list[str]
    risk_factors: list[str]
    large: bool = False  # a big change for its kind: one risk level up
    allocation: BudgetAllocation | None = None  # a reallocation's optimiser decision


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


def segment_allocation(f: Facts) -> BudgetAllocation:
    """Thompson sampling over the campaign's segments (``domain.budget``), each at its current
    daily spend. The seed is fixed by the campaign and the data window, so a regenerated draft
    of the same data (and a replayed decision) gets the same allocation."""
    arms = [
        BudgetArm(
            arm_id=s.segment_id,
            name=s.name,
            current=s.spend / f.period_days,
            spend=s.spend,
            conversions=s.conversions,
        )
        for s in f.segments
    ]
    c = f.campaign
    return thompson_allocation(arms, decision_seed(c.campaign_id, c.period_end, "segments"))


def _reallocation_pair(
    f: Facts, allocation: BudgetAllocation
) -> tuple[AudienceSegment, AudienceSegment, float]:
    """The optimiser's largest single move; without one, worst to best CPA, half the source."""
    by_id = {s.segment_id: s for s in f.segments}
    move = allocation.move
    if move is not None:
        return by_id[move.from_arm], by_id[move.to_arm], move.amount
    source, target = f.worst_segment, f.best_segment
    assert source is not None and target is not None  # guaranteed by is_actionable
    return source, target, 0.5 * source.spend / f.period_days


def _reallocation_draft(f: Facts, g: Guardrails, magnitude: float) -> ActionDraft:
    c = f.campaign
    allocation = segment_allocation(f)
    source, target, wanted = _reallocation_pair(f, allocation)
    cap = g.max_budget_shift_fraction * c.daily_budget
    source_daily = source.spend / f.period_days
    amount = floor_to(min(cap, wanted) * magnitude, 0)
    if amount < 1:
        amount = floor_to(min(cap, wanted, source_daily) * magnitude, 2)
    change = reallocation_cpa_change(f, source, target, amount)
    change = -1.0 if change is None else change
    worst = segment_cpa(source)
    worst_text = "no conversions" if math.isinf(worst) else f"CPA {fmt_money(worst)}"
    odds = (
        f"; {allocation.move.p_better:.0%} probability '{target.name}' converts more per "
        f"dollar (Thompson sampling, {allocation.volatility_cap:.0%} volatility cap)"
        if allocation.move is not None
        else ""
    )
    specific = (
        f"{describe_budget_shift(amount, source, target)} ({worst_text} vs "
        f"{fmt_money(segment_cpa(target))}; at most {fmt_share(g.max_budget_shift_fraction)} of "
        f"the {fmt_money(c.daily_budget)} daily budget{odds})"
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
        allocation=allocation,
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
