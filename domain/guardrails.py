"""Guardrails and the auto-approval policy: the last pure check before a human or the platform.

``apply_guardrails`` clamps what can be clamped (bid change, budget shift, audience expansion)
and rejects what cannot (an executable action without its parameters, a budget move naming
segments the context does not have, unknown creatives). Every clamp is recorded both as an
adjustment and as a risk factor, so reviewers see what the guardrail changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from domain.context import CampaignContext
from domain.recommendation import ActionParameters, ActionType, Recommendation
from domain.rules import (
    current_bid_of,
    describe_audience_expansion,
    describe_bid_change,
    describe_budget_shift,
    fmt_money,
    fmt_share,
    new_bid_for,
)
from domain.stats import floor_to, round_half_up
from domain.thresholds import AutoApprovalPolicy, Guardrails

# The reviewer named on decisions the auto-approval policy takes (not a person).
AUTO_APPROVAL_REVIEWER = "auto-approval-policy"


class GuardrailViolation(ValueError):
    """The recommendation cannot be made safe by clamping; it must not be executed."""


class GuardrailResult(BaseModel):
    recommendation: Recommendation
    adjustments: list[str] = Field(default_factory=list)


# The parameter fields each action uses; anything else set on the parameters is dropped.
_FIELDS_FOR_ACTION: dict[ActionType, set[str]] = {
    ActionType.bid_adjustment: {"bid_change_pct", "current_bid", "new_bid"},
    ActionType.budget_reallocation: {"budget_shift_amount", "from_segment_id", "to_segment_id"},
    ActionType.audience_expansion: {"audience_expansion_pct"},
    ActionType.creative_refresh: {"creative_ids"},
    ActionType.campaign_pause: set(),
    ActionType.continue_monitoring: set(),
}


@dataclass
class _Change:
    parameters: ActionParameters
    specific_action: str
    impact_scale: float = 1.0  # how much of the proposed change survives the clamp
    adjustments: list[str] = field(default_factory=list)


def _guard_bid(rec: Recommendation, context: CampaignContext, g: Guardrails) -> _Change:
    p = rec.parameters
    if not p.bid_change_pct:
        raise GuardrailViolation("Bid Adjustment needs a non-zero bid_change_pct")
    current = p.current_bid if p.current_bid is not None else current_bid_of(context.campaign)
    if current is not None and current <= 0:
        raise GuardrailViolation(f"current bid must be positive, got {current}")
    limit = g.max_bid_change_pct
    pct = max(-limit, min(limit, p.bid_change_pct))
    new = new_bid_for(current, pct) if current is not None else None
    change = _Change(
        p.model_copy(update={"bid_change_pct": pct, "current_bid": current, "new_bid": new}),
        rec.specific_action,
    )
    if pct != p.bid_change_pct:
        change.impact_scale = pct / p.bid_change_pct
        change.adjustments.append(
            f"bid change clamped from {p.bid_change_pct:+g} % to {pct:+g} % (limit ±{limit:g} %)"
        )
        change.specific_action = (
            f"{describe_bid_change(pct, current, new)} "
            f"(guardrail: clamped from {p.bid_change_pct:+g} %)"
        )
    elif p.new_bid is not None and new is not None and abs(p.new_bid - new) >= 0.005:
        change.adjustments.append(
            f"new bid corrected from {fmt_money(p.new_bid)} to {fmt_money(new)}"
        )
        change.specific_action = describe_bid_change(pct, current, new)
    return change


def _guard_budget(rec: Recommendation, context: CampaignContext, g: Guardrails) -> _Change:
    p = rec.parameters
    if not (p.budget_shift_amount and p.from_segment_id and p.to_segment_id):
        raise GuardrailViolation(
            "Budget Reallocation needs budget_shift_amount, from_segment_id and to_segment_id"
        )
    if p.from_segment_id == p.to_segment_id:
        raise GuardrailViolation(
            f"Budget Reallocation moves money from '{p.from_segment_id}' to itself"
        )
    if context.audience is None:
        raise GuardrailViolation(
            "cannot verify the segments of a Budget Reallocation: audience data is missing"
        )
    segments = {s.segment_id: s for s in context.audience.segments}
    unknown = [s for s in (p.from_segment_id, p.to_segment_id) if s not in segments]
    if unknown:
        raise GuardrailViolation(
            f"Budget Reallocation names segments not in the campaign: {', '.join(unknown)}"
        )
    daily_budget = context.campaign.daily_budget
    if daily_budget <= 0:
        raise GuardrailViolation("Budget Reallocation on a campaign without a daily budget")
    cap = floor_to(g.max_budget_shift_fraction * daily_budget, 2)
    change = _Change(p, rec.specific_action)
    if p.budget_shift_amount > cap:
        change.parameters = p.model_copy(update={"budget_shift_amount": cap})
        change.impact_scale = cap / p.budget_shift_amount
        change.adjustments.append(
            f"budget shift clamped from {fmt_money(p.budget_shift_amount)} to "
            f"{fmt_money(cap)}/day ({fmt_share(g.max_budget_shift_fraction)} of the "
            f"{fmt_money(daily_budget)} daily budget)"
        )
        source, target = segments[p.from_segment_id], segments[p.to_segment_id]
        change.specific_action = (
            f"{describe_budget_shift(cap, source, target)} (guardrail: clamped from "
            f"{fmt_money(p.budget_shift_amount)}/day)"
        )
    return change


def _guard_audience(rec: Recommendation, context: CampaignContext, g: Guardrails) -> _Change:
    p = rec.parameters
    if not p.audience_expansion_pct:
        raise GuardrailViolation("Audience Expansion needs a positive audience_expansion_pct")
    change = _Change(p, rec.specific_action)
    limit = g.max_audience_expansion_pct
    if p.audience_expansion_pct > limit:
        change.parameters = p.model_copy(update={"audience_expansion_pct": limit})
        change.impact_scale = limit / p.audience_expansion_pct
        change.adjustments.append(
            f"audience expansion clamped from {p.audience_expansion_pct:g} % to {limit:g} %"
        )
        size = context.audience.audience_size if context.audience else None
        change.specific_action = (
            f"{describe_audience_expansion(limit, size)} "
            f"(guardrail: clamped from {p.audience_expansion_pct:g} %)"
        )
    return change


def _guard_creatives(rec: Recommendation, context: CampaignContext, g: Guardrails) -> _Change:
    p = rec.parameters
    ids = list(dict.fromkeys(p.creative_ids))  # keep order, drop duplicates
    change = _Change(p.model_copy(update={"creative_ids": ids}), rec.specific_action)
    if context.creatives is None:
        if not ids:
            # Without creative data nothing can be singled out; execution refreshes them all.
            change.adjustments.append(
                "no creative data: the refresh applies to all active creatives"
            )
        return change
    if not ids:
        raise GuardrailViolation("Creative Refresh must name the creatives to replace")
    known = {c.creative_id for c in context.creatives}
    unknown = [cid for cid in ids if cid not in known]
    if unknown:
        raise GuardrailViolation(
            f"Creative Refresh names creatives not in the campaign: {', '.join(unknown)}"
        )
    if len(ids) != len(p.creative_ids):
        change.adjustments.append("duplicate creative ids removed")
    return change


def _no_parameters(rec: Recommendation, context: CampaignContext, g: Guardrails) -> _Change:
    return _Change(rec.parameters, rec.specific_action)


_GUARDS = {
    ActionType.bid_adjustment: _guard_bid,
    ActionType.budget_reallocation: _guard_budget,
    ActionType.audience_expansion: _guard_audience,
    ActionType.creative_refresh: _guard_creatives,
    ActionType.campaign_pause: _no_parameters,
    ActionType.continue_monitoring: _no_parameters,
}


def _drop_unused(
    action: ActionType, parameters: ActionParameters
) -> tuple[ActionParameters, list[str]]:
    """Parameters for another action must not reach the ad platform."""
    used = _FIELDS_FOR_ACTION[action]
    defaults = ActionParameters()
    unused = {
        name: getattr(defaults, name)
        for name in ActionParameters.model_fields
        if name not in used and getattr(parameters, name) != getattr(defaults, name)
    }
    if not unused:
        return parameters, []
    note = f"ignored parameters not used by {action.value}: {', '.join(sorted(unused))}"
    return parameters.model_copy(update=unused), [note]


def apply_guardrails(
    rec: Recommendation, context: CampaignContext, guardrails: Guardrails
) -> GuardrailResult:
    """Clamp the recommendation into the guardrails or raise GuardrailViolation."""
    change = _GUARDS[rec.recommended_action](rec, context, guardrails)
    parameters, dropped = _drop_unused(rec.recommended_action, change.parameters)
    adjustments = change.adjustments + dropped
    impact = rec.expected_impact
    if change.impact_scale != 1.0:
        scaled = round_half_up(impact.change_pct * change.impact_scale, 1)
        impact = impact.model_copy(update={"change_pct": scaled})
        adjustments.append(f"expected {impact.metric} change scaled to {scaled:+g} %")
    guarded = rec.model_copy(
        update={
            "parameters": parameters,
            "specific_action": change.specific_action,
            "expected_impact": impact,
            "risk_factors": rec.risk_factors + [f"guardrail: {a}" for a in adjustments],
        }
    )
    return GuardrailResult(recommendation=guarded, adjustments=adjustments)


def auto_approval_applies(rec: Recommendation, policy: AutoApprovalPolicy) -> bool:
    """Approve without a human only for confident, low-risk, fully informed, reversible actions."""
    allowed = {level.lower() for level in policy.allowed_risk_levels}
    return (
        policy.enabled
        and not rec.degraded
        and rec.recommended_action is not ActionType.campaign_pause
        and rec.confidence >= policy.min_confidence
        and rec.risk_level.value in allowed
    )
