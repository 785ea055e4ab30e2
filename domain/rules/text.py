"""Formatting helpers: money, shares, KPI moves and action descriptions.

Shared with ``domain.guardrails`` so an action the guardrails rewrite reads the same as one
the reasoner wrote.
"""

from __future__ import annotations

from domain.context import AudienceSegment, CampaignMetrics
from domain.recommendation import RootCause
from domain.stats import round_half_up

CAUSE_LABELS: dict[RootCause, str] = {
    RootCause.creative_fatigue: "creative fatigue",
    RootCause.audience_saturation: "audience saturation",
    RootCause.competitive_pressure: "competitive pressure",
    RootCause.fundamental_problem: "a fundamental problem (spend without conversions)",
    RootCause.uneven_efficiency: "uneven efficiency across segments",
    RootCause.normal_variance: "normal variance",
}


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
