"""Build the seeded campaigns from the catalog and the dataset levels, with their history."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from datetime import date, timedelta

from domain.stats import round_half_up
from simulator.catalog import CATALOG, CampaignSpec
from simulator.datasets import DatasetLevels, DeliveryLevels, SegmentLevel
from simulator.dynamics import SCENARIOS, ScenarioDynamics
from simulator.generator import generate_day
from simulator.model import Campaign, Creative, Segment, creative_id

HISTORY_DAYS = 60
# Outside the uneven-efficiency scenario, segments stay within this CPA ratio of each other
# (the scenarios ask for "within 1.5x"); the datasets' spread keeps its shape, compressed.
MAX_SEGMENT_SPREAD = 1.35
# The least efficient segments of an uneven campaign never fall below this relative efficiency.
MIN_DEGRADED_EFFICIENCY = 0.15
BID_OVER_CPC = 1.6  # a max-CPC bid leaves headroom above the average cost per click
CREATIVE_QUALITY_SPREAD = 0.08


def build_campaigns(levels: DatasetLevels, today: date) -> dict[str, Campaign]:
    """Every catalog campaign with HISTORY_DAYS of reported days ending the day before `today`."""
    return {spec.campaign_id: build_campaign(spec, levels, today) for spec in CATALOG}


def build_campaign(spec: CampaignSpec, levels: DatasetLevels, today: date) -> Campaign:
    dynamics = SCENARIOS[spec.scenario]
    delivery = replace(
        levels.delivery[spec.delivery],
        daily_spend=levels.delivery[spec.delivery].daily_spend * spec.spend_scale,
    )
    daily_budget = round_half_up(delivery.daily_spend / dynamics.budget_utilization)
    segments = build_segments(levels.segments[spec.segments], dynamics.segment_cpa_rise)
    shares = {level.segment_id: level.spend_share for level in levels.segments[spec.segments]}
    first_day = today - timedelta(days=HISTORY_DAYS)
    onset_days = spec.onset_days if spec.onset_days is not None else dynamics.onset_days
    campaign = Campaign(
        spec=spec,
        dynamics=dynamics,
        levels=delivery,
        first_day=first_day,
        onset=None if onset_days is None else today - timedelta(days=onset_days),
        daily_budget=daily_budget,
        bid=_initial_bid(delivery),
        audience_size=_audience_size(delivery, dynamics),
        segments=segments,
        segment_budgets=split_budget(daily_budget, shares),
        creatives=_seed_creatives(spec, today),
        slot_weights=tuple(creative.weight for creative in spec.creatives),
        competitor_entries=tuple(today - timedelta(days=d) for d in dynamics.competitor_entries),
    )
    for offset in range(HISTORY_DAYS):
        campaign.days.append(generate_day(campaign, first_day + timedelta(days=offset)))
    return campaign


def build_segments(levels: tuple[SegmentLevel, ...], cpa_rise: float) -> tuple[Segment, ...]:
    """Segment efficiencies (conversion rate relative to the campaign) from the dataset CPAs."""
    efficiency = {level.segment_id: 1 / level.relative_cpa for level in levels}
    if not cpa_rise:
        efficiency = _compressed(efficiency, MAX_SEGMENT_SPREAD)
    # Normalise so the spend-weighted efficiency is 1: the campaign keeps its dataset CPA.
    blended = sum(level.spend_share * efficiency[level.segment_id] for level in levels)
    efficiency = {segment_id: value / blended for segment_id, value in efficiency.items()}
    degraded = _degraded_efficiency(levels, efficiency, cpa_rise)
    return tuple(
        Segment(
            level.segment_id,
            level.name,
            efficiency[level.segment_id],
            degraded.get(level.segment_id, 1.0),
        )
        for level in levels
    )


def _compressed(efficiency: dict[str, float], max_spread: float) -> dict[str, float]:
    spread = max(efficiency.values()) / min(efficiency.values())
    if spread <= max_spread:
        return efficiency
    exponent = math.log(max_spread) / math.log(spread)
    return {segment_id: value**exponent for segment_id, value in efficiency.items()}


def _degraded_efficiency(
    levels: tuple[SegmentLevel, ...], efficiency: dict[str, float], cpa_rise: float
) -> dict[str, float]:
    """How far the two least efficient segments fall so the blended CPA rises by cpa_rise."""
    if not cpa_rise:
        return {}
    worst = sorted(levels, key=lambda level: efficiency[level.segment_id])[:2]
    worst_weight = sum(level.spend_share * efficiency[level.segment_id] for level in worst)
    target = 1 / (1 + cpa_rise)  # blended efficiency at full pressure
    factor = (target - (1 - worst_weight)) / worst_weight
    factor = min(1.0, max(MIN_DEGRADED_EFFICIENCY, factor))
    return {level.segment_id: factor for level in worst}


def split_budget(daily_budget: float, shares: dict[str, float]) -> dict[str, float]:
    """Cents per segment; the rounding remainder goes to the largest segment."""
    budgets = {
        segment_id: round_half_up(daily_budget * share) for segment_id, share in shares.items()
    }
    largest = max(budgets, key=budgets.__getitem__)
    budgets[largest] = round_half_up(budgets[largest] + daily_budget - sum(budgets.values()))
    return budgets


def _initial_bid(delivery: DeliveryLevels) -> float:
    cost_per_click = delivery.cpm / 1000 / (delivery.ctr_pct / 100)
    return round(round(cost_per_click * BID_OVER_CPC / 0.05) * 0.05, 2)


def _audience_size(delivery: DeliveryLevels, dynamics: ScenarioDynamics) -> int:
    weekly_impressions = 7 * delivery.daily_spend / delivery.cpm * 1000
    weekly_reach = weekly_impressions / dynamics.frequency
    return int(round(weekly_reach / dynamics.audience_penetration, -2))


def _seed_creatives(spec: CampaignSpec, today: date) -> list[Creative]:
    rng = random.Random(f"{spec.campaign_id}/creatives")
    qualities = [1 + rng.uniform(-1, 1) * CREATIVE_QUALITY_SPREAD for _ in spec.creatives]
    # Normalise so the rotation as a whole delivers the dataset's CTR.
    mean_quality = sum(q * c.weight for q, c in zip(qualities, spec.creatives, strict=True))
    return [
        Creative(
            creative_id=creative_id(spec.campaign_id, slot + 1),
            name=creative.name,
            slot=slot,
            launched=today - timedelta(days=creative.age_days),
            quality=quality / mean_quality,
        )
        for slot, (creative, quality) in enumerate(zip(spec.creatives, qualities, strict=True))
    ]
