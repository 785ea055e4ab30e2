"""Validate an action against one campaign and describe the change it would make.

`plan_action` never changes anything: it returns the settings before and after and a function
that applies the change. The caller (simulator.state) decides whether to apply it (dry runs and
idempotent replays do not), so validation has a single home and dry runs show exactly what a
real run would do.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from domain.recommendation import ActionParameters, ActionType
from domain.stats import round_half_up
from simulator.effects import audience_effect, bid_effect
from simulator.model import PAUSED, BudgetChange, Campaign, Creative, creative_id

# No single action moves a bid or an audience by more than this: larger numbers are typos or
# garbage, and refusing them keeps every later computation (cents, head counts) finite.
MAX_CHANGE_PCT = 1000.0


class ActionBody(BaseModel):
    """Body of POST /campaigns/{id}/actions."""

    action: ActionType
    parameters: ActionParameters = Field(default_factory=ActionParameters)


class InvalidAction(ValueError):
    """The action is not valid for this campaign (answered with 422 and this message)."""


@dataclass(frozen=True)
class PlannedChange:
    before: dict[str, Any]
    after: dict[str, Any]
    message: str
    apply: Callable[[], None]


def plan_action(campaign: Campaign, body: ActionBody, today: date) -> PlannedChange:
    planner = _PLANNERS.get(body.action)
    if planner is None:
        raise InvalidAction(
            f"'{body.action}' changes nothing on the ad platform: there is nothing to execute"
        )
    return planner(campaign, body.parameters, today)


def _finite(value: float, name: str) -> float:
    if not math.isfinite(value):
        raise InvalidAction(f"parameters.{name} must be a finite number")
    return value


def _check_limit(change_pct: float, what: str) -> None:
    if abs(change_pct) > MAX_CHANGE_PCT:
        raise InvalidAction(
            f"{what} of {change_pct:+.4g} % is beyond the ±{MAX_CHANGE_PCT:g} % one action may make"
        )


def _amount(value: float) -> str:
    """Cents for a real amount, scientific notation for an absurd one (not 300 digits)."""
    return f"{value:.2f}" if abs(value) < 1e12 else f"{value:.4g}"


def _plan_bid(campaign: Campaign, parameters: ActionParameters, today: date) -> PlannedChange:
    current = campaign.bid
    if parameters.bid_change_pct is not None:
        change_pct = _finite(parameters.bid_change_pct, "bid_change_pct")
    elif parameters.new_bid is not None:
        change_pct = 100 * (_finite(parameters.new_bid, "new_bid") / current - 1)
    else:
        raise InvalidAction(
            "Bid Adjustment needs parameters.bid_change_pct (e.g. 15.0) or parameters.new_bid"
        )
    _check_limit(change_pct, "a bid change")
    if change_pct <= -100:
        raise InvalidAction(f"a bid change of {change_pct:.1f} % would take the bid to zero")
    new_bid = round_half_up(current * (1 + change_pct / 100))
    if new_bid == current:
        raise InvalidAction(f"a bid change of {change_pct:.2f} % leaves the bid at {current:.2f}")

    def apply() -> None:
        campaign.bid = new_bid
        campaign.effects.append(bid_effect(change_pct, campaign.spec.scenario, today))

    direction = "raised" if change_pct > 0 else "lowered"
    return PlannedChange(
        before={"bid": current},
        after={"bid": new_bid, "bid_change_pct": round(change_pct, 2)},
        message=f"bid {direction} {abs(change_pct):.1f} % from {current:.2f} to {new_bid:.2f}",
        apply=apply,
    )


def _plan_audience(campaign: Campaign, parameters: ActionParameters, today: date) -> PlannedChange:
    expansion_pct = parameters.audience_expansion_pct
    if expansion_pct is None:
        raise InvalidAction("Audience Expansion needs parameters.audience_expansion_pct")
    if _finite(expansion_pct, "audience_expansion_pct") <= 0:
        raise InvalidAction("parameters.audience_expansion_pct must be greater than 0")
    _check_limit(expansion_pct, "an audience expansion")
    current = campaign.audience_size
    new_size = round(current * (1 + expansion_pct / 100))

    def apply() -> None:
        campaign.audience_size = new_size
        campaign.effects.append(audience_effect(expansion_pct, campaign.spec.scenario, today))

    return PlannedChange(
        before={"audience_size": current},
        after={"audience_size": new_size, "audience_expansion_pct": expansion_pct},
        message=f"audience widened {expansion_pct:.1f} % from {current:,} to {new_size:,} people",
        apply=apply,
    )


def _plan_creative_refresh(
    campaign: Campaign, parameters: ActionParameters, today: date
) -> PlannedChange:
    live = {creative.creative_id: creative for creative in campaign.live_creatives(today)}
    # No ids means "refresh the whole rotation"; order is kept and duplicates dropped.
    requested = list(dict.fromkeys(parameters.creative_ids)) or list(live)
    unknown = [creative_id for creative_id in requested if creative_id not in live]
    if unknown:
        raise InvalidAction(
            f"unknown creative(s) {', '.join(unknown)} for campaign '{campaign.campaign_id}'; "
            f"running creatives: {', '.join(live)}"
        )
    replacements = {
        old_id: _replacement(campaign, live[old_id], number, today)
        for number, old_id in enumerate(requested, start=len(campaign.creatives) + 1)
    }

    def apply() -> None:
        for old_id, new in replacements.items():
            live[old_id].retired = today
            campaign.creatives.append(new)

    after_ids = [replacements[c].creative_id if c in replacements else c for c in live]
    return PlannedChange(
        before={"creative_ids": list(live)},
        after={
            "creative_ids": after_ids,
            "replaced": {k: v.creative_id for k, v in replacements.items()},
        },
        message=f"replaced {len(replacements)} creative(s) with fresh ones",
        apply=apply,
    )


_REFRESH_SUFFIX = re.compile(r" \(refreshed [0-9-]+\)$")


def _replacement(campaign: Campaign, old: Creative, number: int, today: date) -> Creative:
    return Creative(
        creative_id=creative_id(campaign.campaign_id, number),
        name=f"{_REFRESH_SUFFIX.sub('', old.name)} (refreshed {today.isoformat()})",
        slot=old.slot,
        launched=today,
        quality=1.0,
    )


def _plan_pause(campaign: Campaign, parameters: ActionParameters, today: date) -> PlannedChange:
    if campaign.status == PAUSED:
        raise InvalidAction(f"campaign '{campaign.campaign_id}' is already paused")
    before = campaign.status

    def apply() -> None:
        campaign.status = PAUSED
        campaign.paused_on = today

    return PlannedChange(
        before={"status": before},
        after={"status": PAUSED},
        message="campaign paused: no spend from today",
        apply=apply,
    )


def _plan_reallocation(
    campaign: Campaign, parameters: ActionParameters, today: date
) -> PlannedChange:
    budgets = dict(campaign.segment_budgets)
    source, target = parameters.from_segment_id, parameters.to_segment_id
    amount = parameters.budget_shift_amount
    if source is None or target is None or amount is None:
        raise InvalidAction(
            "Budget Reallocation needs parameters.from_segment_id, parameters.to_segment_id "
            "and parameters.budget_shift_amount"
        )
    _check_segments(campaign, budgets, source, target)
    # Checked before rounding to cents: an absurd amount cannot be rounded at all.
    if _finite(amount, "budget_shift_amount") > budgets[source]:
        raise InvalidAction(
            f"cannot shift {_amount(amount)}: segment '{source}' has a daily budget of "
            f"{budgets[source]:.2f}"
        )
    amount = round_half_up(amount)
    if amount <= 0:
        raise InvalidAction("parameters.budget_shift_amount must be greater than 0")
    after = {
        **budgets,
        source: round_half_up(budgets[source] - amount),
        target: round_half_up(budgets[target] + amount),
    }

    def apply() -> None:
        campaign.budget_changes.append(BudgetChange(today, budgets, after))
        campaign.segment_budgets = after

    return PlannedChange(
        before={"segment_budgets": budgets},
        after={"segment_budgets": after},
        message=f"moved {amount:.2f} of daily budget from '{source}' to '{target}'",
        apply=apply,
    )


def _check_segments(campaign: Campaign, budgets: dict[str, float], *segment_ids: str) -> None:
    unknown = [segment_id for segment_id in segment_ids if segment_id not in budgets]
    if unknown:
        raise InvalidAction(
            f"unknown segment(s) {', '.join(unknown)} for campaign '{campaign.campaign_id}'; "
            f"segments: {', '.join(budgets)}"
        )
    if len(set(segment_ids)) < len(segment_ids):
        raise InvalidAction("from_segment_id and to_segment_id must be different segments")


_PLANNERS: dict[ActionType, Callable[[Campaign, ActionParameters, date], PlannedChange]] = {
    ActionType.bid_adjustment: _plan_bid,
    ActionType.audience_expansion: _plan_audience,
    ActionType.creative_refresh: _plan_creative_refresh,
    ActionType.campaign_pause: _plan_pause,
    ActionType.budget_reallocation: _plan_reallocation,
}
