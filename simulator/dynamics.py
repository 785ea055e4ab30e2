"""How each root cause unfolds over time, and how creatives age.

A scenario has a *pressure* that rises from 0 to 1 over a few days after its onset; each delivery
channel (CPM, CTR, conversion rate ...) moves from its normal level (factor 1) towards the
scenario's *degraded* factor as the pressure rises. The numbers are tuned so that, on the seeded
history, the last 7 days against the 7 before show the signatures in docs/SCENARIOS.md.

Creative fatigue is not a campaign pressure: it emerges from the creatives' age (old creatives
wear out), so a Creative Refresh fixes it by replacing them, exactly as on a real platform.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from domain.recommendation import RootCause


class Channel(StrEnum):
    spend = "spend"  # share of the daily budget actually spent
    cpm = "cpm"
    ctr = "ctr"
    cvr = "cvr"  # conversions per click
    impression_share = "impression_share"
    frequency = "frequency"
    # Market channels describe the competitors; our own actions never relieve them.
    competitor_activity = "competitor_activity"
    competitor_bid = "competitor_bid"


MARKET_CHANNELS = frozenset({Channel.competitor_activity, Channel.competitor_bid})


@dataclass(frozen=True)
class ScenarioDynamics:
    impression_share: float  # share of eligible impressions won on a normal day
    frequency: float  # average times a reached person saw the ads (weekly)
    budget_utilization: float  # share of the daily budget spent on a normal day
    audience_penetration: float  # weekly reach / audience size
    degraded: Mapping[Channel, float] = field(default_factory=dict)
    onset_days: int | None = None  # days before the seeded "today" the pressure starts rising
    ramp_days: int = 1  # days from onset to full pressure
    # Days before the seeded "today" on which new competitors enter the auction.
    competitor_entries: tuple[int, ...] = ()
    # Uneven efficiency: how much the blended CPA rises at full pressure because the least
    # efficient segments lose conversion rate (0.3 = +30 %).
    segment_cpa_rise: float = 0.0

    def pressure(self, days_since_onset: int | None) -> float:
        """0 before the onset, rising linearly to 1 after ramp_days, then staying there."""
        if days_since_onset is None or days_since_onset <= 0:
            return 0.0
        return min(1.0, days_since_onset / self.ramp_days)


def _frozen(factors: dict[Channel, float]) -> Mapping[Channel, float]:
    return MappingProxyType(factors)


# A 12-day ramp starting 12 days before "today" puts about 12 % of the pressure into the
# comparison week and 67 % into the current week: the change between the weeks is what shows.
RAMP_ONSET_DAYS = 12
RAMP_DAYS = 12

SCENARIOS: Mapping[RootCause, ScenarioDynamics] = MappingProxyType(
    {
        RootCause.creative_fatigue: ScenarioDynamics(
            impression_share=0.72,
            frequency=5.8,
            budget_utilization=0.93,
            audience_penetration=0.35,
        ),
        RootCause.audience_saturation: ScenarioDynamics(
            impression_share=0.93,
            frequency=3.4,
            budget_utilization=0.95,
            audience_penetration=0.85,
            degraded=_frozen(
                {
                    Channel.cpm: 1.30,
                    Channel.ctr: 0.97,
                    Channel.cvr: 0.95,
                    Channel.frequency: 1.25,
                    Channel.impression_share: 1.03,
                }
            ),
            onset_days=RAMP_ONSET_DAYS,
            ramp_days=RAMP_DAYS,
        ),
        RootCause.competitive_pressure: ScenarioDynamics(
            impression_share=0.78,
            frequency=2.2,
            budget_utilization=0.85,
            audience_penetration=0.30,
            degraded=_frozen(
                {
                    Channel.cpm: 1.35,
                    Channel.ctr: 0.97,
                    # Pushed to lower positions, the ad reaches less ready buyers.
                    Channel.cvr: 0.90,
                    Channel.impression_share: 0.70,
                    # Dearer auctions exhaust more of the budget.
                    Channel.spend: 1.12,
                    Channel.frequency: 0.95,
                    Channel.competitor_activity: 1.15,
                    Channel.competitor_bid: 1.30,
                }
            ),
            onset_days=RAMP_ONSET_DAYS,
            ramp_days=RAMP_DAYS,
            competitor_entries=(6, 3),
        ),
        RootCause.fundamental_problem: ScenarioDynamics(
            impression_share=0.70,
            frequency=2.0,
            budget_utilization=0.92,
            audience_penetration=0.30,
            # Broken conversion tracking: clicks keep coming, no conversion is recorded.
            degraded=_frozen({Channel.cvr: 0.0}),
            onset_days=10,
            ramp_days=1,
        ),
        RootCause.uneven_efficiency: ScenarioDynamics(
            impression_share=0.75,
            frequency=2.4,
            budget_utilization=0.92,
            audience_penetration=0.35,
            onset_days=RAMP_ONSET_DAYS,
            ramp_days=RAMP_DAYS,
            segment_cpa_rise=0.30,
        ),
        RootCause.normal_variance: ScenarioDynamics(
            impression_share=0.80,
            frequency=2.6,
            budget_utilization=0.92,
            audience_penetration=0.35,
        ),
    }
)


def channel_factor(degraded: float, pressure: float) -> float:
    """Interpolate from the normal level (1) to the degraded factor."""
    return 1.0 + (degraded - 1.0) * pressure


# --- creative lifecycle -------------------------------------------------------------------------

LEARNING_DAYS = 3  # a new creative's CTR settles over its first days
LEARNING_CTR = 0.8
FREQUENCY_BUILD_DAYS = 7  # people need a week to see a new creative as often as the old one
NEW_CREATIVE_FREQUENCY = 0.6
WEAR_ONSET_DAYS = 35  # after this age a creative starts wearing out...
WEAR_FULL_DAYS = 15  # ...and is fully worn this many days later
WORN_CTR_LOSS = 0.5  # a fully worn creative has half its original CTR


def creative_ctr_factor(age_days: int) -> float:
    learning = LEARNING_CTR + (1 - LEARNING_CTR) * min(1.0, (age_days + 1) / LEARNING_DAYS)
    wear = min(1.0, max(0.0, (age_days - WEAR_ONSET_DAYS) / WEAR_FULL_DAYS))
    return learning * (1 - WORN_CTR_LOSS * wear)


def creative_frequency_factor(age_days: int) -> float:
    build = min(1.0, age_days / FREQUENCY_BUILD_DAYS)
    return NEW_CREATIVE_FREQUENCY + (1 - NEW_CREATIVE_FREQUENCY) * build
