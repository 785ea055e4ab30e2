"""What an applied bid or audience change does to delivery over the following days.

Every action takes effect on its action date (the simulated "today" when it was applied, a day not
yet reported) and grows to full strength over RAMP_DAYS, so history already reported never changes.
An effect has two parts:

- *relief*: the share of the scenario's pressure it removes, only when the action is the one the
  root cause calls for (domain.recommendation.ACTION_FOR_ROOT_CAUSE);
- *side factors*: what it does to delivery whatever the scenario (a higher bid always makes
  impressions dearer). The wrong action therefore helps little or hurts.

Pause, creative refresh and budget reallocation act through the campaign's settings instead
(status, the creatives in rotation, the segment budgets): see simulator.generator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from domain.recommendation import ACTION_FOR_ROOT_CAUSE, ActionType, RootCause
from simulator.dynamics import Channel

RAMP_DAYS = 3
# A bid raise of a fifth matches most of what the competitors added (+30 % at full pressure).
BID_FOR_FULL_RELIEF_PCT = 20.0
BID_MAX_RELIEF = 0.9
# Widening the audience by a fifth gives a saturated campaign fresh people to reach.
EXPANSION_FOR_FULL_RELIEF_PCT = 20.0
EXPANSION_MAX_RELIEF = 0.9
MIN_FACTOR = 0.05


@dataclass(frozen=True)
class Effect:
    action: ActionType
    starts_on: date
    relief: float = 0.0
    side_factors: Mapping[Channel, float] = field(default_factory=dict)

    def strength(self, day: date) -> float:
        """0 before the action date, then 1/3, 2/3 and full strength."""
        days_in = (day - self.starts_on).days + 1
        return 0.0 if days_in <= 0 else min(1.0, days_in / RAMP_DAYS)


def bid_effect(bid_change_pct: float, scenario: RootCause, starts_on: date) -> Effect:
    change = bid_change_pct / 100
    side = {
        Channel.cpm: 1 + 0.45 * change,  # we pay closer to our higher bid
        Channel.impression_share: 1 + 0.5 * change,
        Channel.spend: 1 + 0.3 * change,
        Channel.cvr: 1 + 0.05 * change,  # better positions convert a little better
    }
    relieves = ACTION_FOR_ROOT_CAUSE[scenario] is ActionType.bid_adjustment and change > 0
    share = min(1.0, bid_change_pct / BID_FOR_FULL_RELIEF_PCT)
    relief = BID_MAX_RELIEF * share if relieves else 0.0
    return Effect(ActionType.bid_adjustment, starts_on, relief, _bounded(side))


def audience_effect(expansion_pct: float, scenario: RootCause, starts_on: date) -> Effect:
    growth = expansion_pct / 100
    side = {
        Channel.cpm: 1 - 0.05 * growth,  # broader inventory is a little cheaper...
        Channel.cvr: 1 - 0.15 * growth,  # ...and a little less qualified
        Channel.impression_share: (1 + growth) ** -0.5,  # more eligible impressions to win
        Channel.frequency: 1 / (1 + 0.3 * growth),
    }
    relieves = ACTION_FOR_ROOT_CAUSE[scenario] is ActionType.audience_expansion
    share = min(1.0, expansion_pct / EXPANSION_FOR_FULL_RELIEF_PCT)
    relief = EXPANSION_MAX_RELIEF * share if relieves else 0.0
    return Effect(ActionType.audience_expansion, starts_on, relief, _bounded(side))


def _bounded(factors: dict[Channel, float]) -> Mapping[Channel, float]:
    return {channel: max(MIN_FACTOR, factor) for channel, factor in factors.items()}


def remaining_pressure(effects: list[Effect], day: date) -> float:
    """The share of the scenario's pressure left after the relief of every effect on `day`."""
    remaining = 1.0
    for effect in effects:
        remaining *= 1 - effect.relief * effect.strength(day)
    return remaining


def side_factor(effects: list[Effect], channel: Channel, day: date) -> float:
    factor = 1.0
    for effect in effects:
        full = effect.side_factors.get(channel)
        if full is not None:
            factor *= 1 + (full - 1) * effect.strength(day)
    return factor
