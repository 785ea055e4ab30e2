"""Generate one reported day of one campaign from its scenario, settings and applied actions.

Deterministic: the day-to-day noise is drawn from a random generator seeded with the campaign id
and the day's position in its history, so the same campaign yields the same numbers on every
run, and an applied action changes only what the action itself changes.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date

from simulator.dynamics import (
    MARKET_CHANNELS,
    Channel,
    channel_factor,
    creative_ctr_factor,
    creative_frequency_factor,
)
from simulator.effects import remaining_pressure, side_factor
from simulator.model import Campaign, CreativeDay, DayRecord, SegmentDay

# Day-to-day spread of each channel (standard deviation of a log-normal factor). Small on
# purpose: a week's average must show the scenario, not the noise.
NOISE_SPREAD = {
    Channel.spend: 0.02,
    Channel.cpm: 0.015,
    Channel.ctr: 0.015,
    Channel.cvr: 0.02,
    Channel.impression_share: 0.01,
    Channel.frequency: 0.01,
    Channel.competitor_activity: 0.02,
    Channel.competitor_bid: 0.01,
}
MAX_IMPRESSION_SHARE = 0.99


@dataclass(frozen=True)
class Pressure:
    scenario: float  # how far the root cause has developed
    delivered: float  # what is left of it after the relief of applied actions


@dataclass(frozen=True)
class RotationSlot:
    creative_id: str | None  # None: a creative that ran before the seeded ones (not reported)
    weight: float
    ctr_factor: float
    frequency_factor: float


def generate_day(campaign: Campaign, day: date) -> DayRecord:
    pressure = _pressure(campaign, day)
    factors = _channel_factors(campaign, day, pressure)
    dynamics = campaign.dynamics
    spend = 0.0
    if not campaign.is_paused_on(day):
        utilization = min(1.0, dynamics.budget_utilization * factors[Channel.spend])
        spend = campaign.daily_budget * utilization
    rotation = _rotation(campaign, day)
    ctr = campaign.levels.ctr_pct / 100 * factors[Channel.ctr] * _weighted(rotation, "ctr_factor")
    segments = _segment_days(
        campaign,
        day,
        spend=spend,
        cpm=campaign.levels.cpm * factors[Channel.cpm],
        ctr=ctr,
        cvr=campaign.levels.cvr_pct / 100 * factors[Channel.cvr],
        pressure=pressure.delivered,
    )
    impressions = sum(segment.impressions for segment in segments.values())
    clicks = sum(segment.clicks for segment in segments.values())
    audience_frequency = dynamics.frequency * factors[Channel.frequency]
    share = dynamics.impression_share * factors[Channel.impression_share]
    active_competitors = campaign.active_competitors_on(day)
    return DayRecord(
        day=day,
        spend=round(sum(segment.spend for segment in segments.values()), 2),
        impressions=impressions,
        clicks=clicks,
        conversions=round(sum(segment.conversions for segment in segments.values()), 2),
        frequency=audience_frequency * _weighted(rotation, "frequency_factor"),
        impression_share=min(MAX_IMPRESSION_SHARE, share) if impressions else 0.0,
        active_competitors=active_competitors,
        competitor_activity=active_competitors * factors[Channel.competitor_activity],
        competitor_bid_index=factors[Channel.competitor_bid],
        segments=segments,
        creatives=_creative_days(rotation, impressions, clicks, audience_frequency),
    )


def _pressure(campaign: Campaign, day: date) -> Pressure:
    since_onset = None if campaign.onset is None else (day - campaign.onset).days
    scenario = campaign.dynamics.pressure(since_onset)
    return Pressure(scenario, scenario * remaining_pressure(campaign.effects, day))


def _daily_noise(campaign: Campaign, day: date) -> dict[Channel, float]:
    # A string seed is hashed with SHA-512 by `random`, so it is stable across processes.
    rng = random.Random(f"{campaign.campaign_id}/{(day - campaign.first_day).days}")
    return {channel: math.exp(rng.gauss(0.0, spread)) for channel, spread in NOISE_SPREAD.items()}


def _channel_factors(campaign: Campaign, day: date, pressure: Pressure) -> dict[Channel, float]:
    noise = _daily_noise(campaign, day)
    factors = {}
    for channel in Channel:
        level = pressure.scenario if channel in MARKET_CHANNELS else pressure.delivered
        degraded = campaign.dynamics.degraded.get(channel, 1.0)
        factors[channel] = (
            channel_factor(degraded, level)
            * side_factor(campaign.effects, channel, day)
            * noise[channel]
        )
    return factors


def _rotation(campaign: Campaign, day: date) -> list[RotationSlot]:
    """The creative in each slot on `day`, with its age-driven CTR and frequency factors."""
    slots = []
    for slot, weight in enumerate(campaign.slot_weights):
        occupants = [c for c in campaign.creatives if c.slot == slot and c.is_live(day)]
        if not occupants:
            slots.append(RotationSlot(None, weight, 1.0, 1.0))
            continue
        creative = occupants[0]
        age = creative.age_on(day)
        slots.append(
            RotationSlot(
                creative.creative_id,
                weight,
                creative.quality * creative_ctr_factor(age),
                creative_frequency_factor(age),
            )
        )
    return slots


def _weighted(rotation: list[RotationSlot], attribute: str) -> float:
    return sum(slot.weight * getattr(slot, attribute) for slot in rotation)


def _segment_days(
    campaign: Campaign,
    day: date,
    *,
    spend: float,
    cpm: float,
    ctr: float,
    cvr: float,
    pressure: float,
) -> dict[str, SegmentDay]:
    shares = campaign.segment_shares_on(day)
    days = {}
    for segment in campaign.segments:
        segment_spend = round(spend * shares[segment.segment_id], 2)
        impressions = round(segment_spend / cpm * 1000) if cpm > 0 else 0
        clicks = round(impressions * ctr)
        efficiency = segment.efficiency * channel_factor(segment.degraded_efficiency, pressure)
        conversions = round(clicks * cvr * efficiency, 2)
        days[segment.segment_id] = SegmentDay(segment_spend, impressions, clicks, conversions)
    return days


def _creative_days(
    rotation: list[RotationSlot], impressions: int, clicks: int, audience_frequency: float
) -> dict[str, CreativeDay]:
    click_weight = _weighted(rotation, "ctr_factor")
    days = {}
    for slot in rotation:
        if slot.creative_id is None:
            continue
        click_share = slot.weight * slot.ctr_factor / click_weight if click_weight else 0.0
        days[slot.creative_id] = CreativeDay(
            impressions=round(impressions * slot.weight),
            clicks=round(clicks * click_share),
            frequency=audience_frequency * slot.frequency_factor,
        )
    return days
