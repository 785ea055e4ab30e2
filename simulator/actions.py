"""Validate an action against one campaign and describe the change it would make.

`plan_action` never changes anything: it returns the settings before and after and a function
that applies the change to the campaign's state. The caller decides whether to apply it (dry
runs and idempotent replays do not; the oracle applies it to forked copies), so validation has
a single home and dry runs show exactly what a real run would do. What a change then does to
delivery is the mechanics' business (simulator.mechanics), not this module's.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from simulator.contract import Action, ActionBody, ActionParameters
from simulator.mechanics import BudgetChange, CampaignState, Creative, Expansion

# No single action moves a bid or an audience by more than this: larger numbers are typos or
# garbage, and refusing them keeps every later computation (cents, head counts) finite.
MAX_CHANGE_PCT = 1000.0
PAUSED = "paused"
# People added by an expansion click a little less and convert clearly less than the core
# audience: they were left out of the targeting for a reason.
EXPANSION_CTR_QUALITY = 0.9
EXPANSION_CVR_QUALITY = 0.6
NEW_CREATIVE_QUALITY_SD = 0.1


class InvalidAction(ValueError):
    """The action is not valid for this campaign (answered with 422 and this message)."""


@dataclass(frozen=True)
class PlannedChange:
    before: dict[str, Any]
    after: dict[str, Any]
    message: str
    apply: Callable[[CampaignState], None]


def round_half_up(value: float, places: int = 2) -> float:
    quantum = Decimal(1).scaleb(-places)
    return float(Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def plan_action(campaign: CampaignState, body: ActionBody, today: date) -> PlannedChange:
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
    return f"{value:.2f}" if abs(value) < 1e12 else f"{value:.4g}"


def _plan_bid(campaign: CampaignState, parameters: ActionParameters, today: date) -> PlannedChange:
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

    def apply(state: CampaignState) -> None:
        state.bid = new_bid

    direction = "raised" if change_pct > 0 else "lowered"
    return PlannedChange(
        before={"bid": current},
        after={"bid": new_bid, "bid_change_pct": round(change_pct, 2)},
        message=f"bid {direction} {abs(change_pct):.1f} % from {current:.2f} to {new_bid:.2f}",
        apply=apply,
    )


def _plan_audience(
    campaign: CampaignState, parameters: ActionParameters, today: date
) -> PlannedChange:
    expansion_pct = parameters.audience_expansion_pct
    if expansion_pct is None:
        raise InvalidAction("Audience Expansion needs parameters.audience_expansion_pct")
    if _finite(expansion_pct, "audience_expansion_pct") <= 0:
        raise InvalidAction("parameters.audience_expansion_pct must be greater than 0")
    _check_limit(expansion_pct, "an audience expansion")
    current = campaign.audience_size
    new_size = round(current * (1 + expansion_pct / 100))

    def apply(state: CampaignState) -> None:
        added = new_size - state.audience_size
        state.expansions.append(
            Expansion(today, added, EXPANSION_CTR_QUALITY, EXPANSION_CVR_QUALITY)
        )
        state.audience_size = new_size

    return PlannedChange(
        before={"audience_size": current},
        after={"audience_size": new_size, "audience_expansion_pct": expansion_pct},
        message=f"audience widened {expansion_pct:.1f} % from {current:,} to {new_size:,} people",
        apply=apply,
    )


def _plan_creative_refresh(
    campaign: CampaignState, parameters: ActionParameters, today: date
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
    numbers = range(campaign.creative_serial + 1, campaign.creative_serial + 1 + len(requested))
    new_ids = {
        old: _creative_id(campaign.campaign_id, n)
        for old, n in zip(requested, numbers, strict=True)
    }

    def apply(state: CampaignState) -> None:
        running = {c.creative_id: c for c in state.live_creatives(today)}
        for old_id, new_id in new_ids.items():
            old = running[old_id]
            old.retired = today
            state.creatives.append(_replacement(state, old, new_id, today))
        state.creative_serial += len(new_ids)

    after_ids = [new_ids.get(c, c) for c in live]
    return PlannedChange(
        before={"creative_ids": list(live)},
        after={"creative_ids": after_ids, "replaced": dict(new_ids)},
        message=f"replaced {len(new_ids)} creative(s) with fresh ones",
        apply=apply,
    )


def _creative_id(campaign_id: str, number: int) -> str:
    return f"cr-{campaign_id.removeprefix('cmp-')}-{number}"


_REFRESH_SUFFIX = re.compile(r" \((refreshed [0-9-]+|previous)\)$")


def _replacement(state: CampaignState, old: Creative, new_id: str, today: date) -> Creative:
    # A new creative is not a copy: it may land better or worse than the one it replaces.
    rng = random.Random(f"{state.seed}/{new_id}")
    return Creative(
        creative_id=new_id,
        name=f"{_REFRESH_SUFFIX.sub('', old.name)} (refreshed {today.isoformat()})",
        slot=old.slot,
        launched=today,
        quality=max(0.5, rng.gauss(1.0, NEW_CREATIVE_QUALITY_SD)),
    )


def _plan_pause(
    campaign: CampaignState, parameters: ActionParameters, today: date
) -> PlannedChange:
    if campaign.status == PAUSED:
        raise InvalidAction(f"campaign '{campaign.campaign_id}' is already paused")
    before = campaign.status

    def apply(state: CampaignState) -> None:
        state.status = PAUSED
        state.paused_on = today

    return PlannedChange(
        before={"status": before},
        after={"status": PAUSED},
        message="campaign paused: no spend from today",
        apply=apply,
    )


def _plan_reallocation(
    campaign: CampaignState, parameters: ActionParameters, today: date
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

    def apply(state: CampaignState) -> None:
        state.budget_changes.append(BudgetChange(today, state.budgets_on(today), dict(after)))
        state.segment_budgets = dict(after)

    return PlannedChange(
        before={"segment_budgets": budgets},
        after={"segment_budgets": after},
        message=f"moved {amount:.2f} of daily budget from '{source}' to '{target}'",
        apply=apply,
    )


def _check_segments(campaign: CampaignState, budgets: dict[str, float], *segment_ids: str) -> None:
    unknown = [segment_id for segment_id in segment_ids if segment_id not in budgets]
    if unknown:
        raise InvalidAction(
            f"unknown segment(s) {', '.join(unknown)} for campaign '{campaign.campaign_id}'; "
            f"segments: {', '.join(budgets)}"
        )
    if len(set(segment_ids)) < len(segment_ids):
        raise InvalidAction("from_segment_id and to_segment_id must be different segments")


_PLANNERS: dict[Action, Callable[[CampaignState, ActionParameters, date], PlannedChange]] = {
    Action.bid_adjustment: _plan_bid,
    Action.audience_expansion: _plan_audience,
    Action.creative_refresh: _plan_creative_refresh,
    Action.campaign_pause: _plan_pause,
    Action.budget_reallocation: _plan_reallocation,
}
