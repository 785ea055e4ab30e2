"""Build campaigns: the 12 named demo campaigns and N generated ones (``SIMULATOR_CAMPAIGNS``).

A campaign is calibrated so that, on the first day of its history, it delivers the levels of
one slice of the public data (``simulator/data/figures.json``): its CPM, CTR, conversion rate
and daily spend, with the slice's segment split. Then its latent mechanisms (``Mechanisms``)
play out over HISTORY_DAYS days. Named campaigns have hand-set mechanisms (a label, kept out of
what collectors read, says what each was designed to show); generated ones draw them at random
from their seed: several at once, most campaigns with at most one strong issue.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from statistics import NormalDist

from simulator.figures import DeliveryLevels, Figures, SegmentLevel
from simulator.mechanics import (
    AUCTION_SPREAD,
    FREE_FREQUENCY,
    POSITION_CTR,
    SATURATION_CPM,
    SATURATION_CTR,
    CampaignState,
    Creative,
    Depletion,
    Jump,
    Levels,
    Mechanisms,
    Segment,
    SegmentShock,
    TrackingBreak,
    advance_to,
    learning,
    price_units,
    wear,
    win_rate,
)

HISTORY_DAYS = 60
GROSS_MARGIN = 0.25  # profit share of revenue: value of a conversion = margin x revenue
BID_HEADROOM = 1.6  # max CPC over the average CPC at the operating point
SLOT_WEIGHTS = (0.45, 0.35, 0.20)
_NORMAL = NormalDist()


@dataclass(frozen=True)
class CreativePlan:
    name: str
    age_days: int  # on the seeded "today"


@dataclass(frozen=True)
class CampaignPlan:
    """What a campaign is built from: a data slice, its size, its operating point, mechanisms."""

    campaign_id: str
    campaign_name: str
    platform: str
    delivery: str
    segments: str
    spend_scale: float
    creatives: tuple[CreativePlan, ...]
    full_bid_share: float = 0.78  # impression share at the full bid
    operating_share: float | None = None  # below full: budget-bound, the pacer shades the bid
    margin: float = 1.8  # value of a conversion / the slice's CPA
    wear_half: float = 40.0  # cumulative per-person views at half wear
    wear_width: float = 2.5
    wear_max: float = 0.5
    opportunities_per_person: float = 0.45  # retargeting-like audiences see the ads more often
    jumps: tuple[tuple[int, float, int], ...] = ()  # (days before today, size, entrants)
    depletions: tuple[tuple[int, float, int], ...] = ()  # (days before today, share, ramp days)
    tracking: tuple[int, float, float] | None = None  # (days before today, loss, drift per day)
    shocks: tuple[tuple[str, int, float], ...] = ()  # (segment id, days before today, factor)
    keep_segment_spread: bool = False
    max_segment_spread: float = 1.25  # CPA ratio segments stay within unless the spread is kept
    competitors: int = 6
    bid: float | None = None  # the max CPC (default: BID_HEADROOM x average CPC)
    cpm_factor: float = 1.0
    ctr_factor: float = 1.0
    cvr_factor: float = 1.0
    label: str = ""  # what a named campaign was designed to show (admin only)
    strengths: dict[str, float] = field(default_factory=dict)  # generated: issue -> strength


def build_campaign(plan: CampaignPlan, figures: Figures, today: date, seed: str) -> CampaignState:
    """Calibrate to the slice at the first history day, then play out the history."""
    first_day = today - timedelta(days=HISTORY_DAYS)
    slice_ = figures.delivery[plan.delivery]
    levels = replace(
        slice_,
        daily_spend=slice_.daily_spend * plan.spend_scale,
        cpm=slice_.cpm * plan.cpm_factor,
        ctr_pct=slice_.ctr_pct * plan.ctr_factor,
        cvr_pct=slice_.cvr_pct * plan.cvr_factor,
    )
    full_units = math.exp(AUCTION_SPREAD * _NORMAL.inv_cdf(plan.full_bid_share))
    operating_share = plan.operating_share or plan.full_bid_share
    operating_units = math.exp(AUCTION_SPREAD * _NORMAL.inv_cdf(operating_share))
    win = win_rate(operating_units, 1.0)
    daily_impressions = levels.daily_spend * 1000 / levels.cpm
    reachable = daily_impressions / (win * plan.opportunities_per_person)
    weekly_frequency = 7 * daily_impressions / reachable
    markup = 1 + SATURATION_CPM * max(0.0, weekly_frequency - FREE_FREQUENCY)
    price_scale = levels.cpm / (price_units(operating_units, 1.0) * markup)
    budget_bound = plan.operating_share is not None and plan.operating_share < plan.full_bid_share
    # A budget-bound campaign spends all its budget; one whose bid binds leaves some unspent.
    daily_budget = round(levels.daily_spend / (0.995 if budget_bound else 0.9), 2)
    mechanisms = _mechanisms(plan, levels, today, figures, seed)
    creatives = _creatives(plan, today, first_day, win, seed)
    mix = _mix_at(creatives, first_day, mechanisms)
    position = (1 - POSITION_CTR) + POSITION_CTR * win
    average_cpc = levels.cpm / 1000 / (levels.ctr_pct / 100)
    bid = plan.bid or round(round(average_cpc * BID_HEADROOM / 0.05) * 0.05, 2) or 0.05
    segments, budgets = _segments(plan, figures.segments[plan.segments], daily_budget)
    state = CampaignState(
        campaign_id=plan.campaign_id,
        name=plan.campaign_name,
        platform=plan.platform,
        first_day=first_day,
        seed=f"{seed}/{plan.campaign_id}",
        levels=Levels(
            cpm=levels.cpm,
            ctr=levels.ctr_pct
            / 100
            / (
                mix
                * position
                * math.exp(-SATURATION_CTR * max(0.0, weekly_frequency - FREE_FREQUENCY))
            ),
            cvr=levels.cvr_pct / 100,
            price_scale=price_scale,
            bid_per_unit=full_units / (bid * mix**0.5),
            opportunities_per_person=plan.opportunities_per_person,
        ),
        mechanisms=mechanisms,
        bid=bid,
        daily_budget=daily_budget,
        audience_size=int(round(reachable, -2)) or 100,
        segments=segments,
        segment_budgets=budgets,
        creatives=creatives,
        slot_weights=SLOT_WEIGHTS[: len(plan.creatives)],
        competitors=plan.competitors,
        weekday_factors=figures.weekday_factors,
        recent_impressions=7 * daily_impressions,
    )
    state.creative_serial = len(plan.creatives)
    advance_to(state, today)
    return state


def _mechanisms(
    plan: CampaignPlan, levels: DeliveryLevels, today: date, figures: Figures, seed: str
) -> Mechanisms:
    slice_cpa = levels.cpm / 1000 / (levels.ctr_pct / 100 * levels.cvr_pct / 100)
    daily = figures.daily_spread
    tracking = None
    if plan.tracking is not None:
        days, loss, drift = plan.tracking
        tracking = TrackingBreak(today - timedelta(days=days), loss, drift)
    return Mechanisms(
        value_per_conversion=round(slice_cpa * plan.margin, 2),
        wear_half_exposure=plan.wear_half,
        wear_width=plan.wear_width,
        wear_max=plan.wear_max,
        jumps=tuple(Jump(today - timedelta(days=d), s, e) for d, s, e in plan.jumps),
        depletions=tuple(
            Depletion(today - timedelta(days=d), s, ramp) for d, s, ramp in plan.depletions
        ),
        tracking=tracking,
        shocks=tuple(SegmentShock(s, today - timedelta(days=d), f) for s, d, f in plan.shocks),
        # The A/B test's day-to-day spreads include its own interventions: a third of them.
        noise_sd=daily["spend"].log_sd / 3,
        rate_noise_sd=min(daily["ctr"].log_sd, daily["cvr"].log_sd) / 8,
    )


def _creatives(
    plan: CampaignPlan,
    today: date,
    first_day: date,
    win: float,
    seed: str,
) -> list[Creative]:
    """The plan's creatives, and in each slot a predecessor that ran until its launch."""
    rng = random.Random(f"{seed}/{plan.campaign_id}/creatives")
    weights = SLOT_WEIGHTS[: len(plan.creatives)]
    total = sum(weights)
    creatives: list[Creative] = []
    for slot, (spec, weight) in enumerate(zip(plan.creatives, weights, strict=False)):
        launched = today - timedelta(days=spec.age_days)
        per_day = win * plan.opportunities_per_person * weight / total
        quality = 1 + rng.uniform(-0.08, 0.08)
        if launched > first_day:
            creatives.append(
                Creative(
                    creative_id=_creative_id(plan.campaign_id, f"p{slot + 1}"),
                    name=f"{spec.name} (previous)",
                    slot=slot,
                    launched=first_day - timedelta(days=10),
                    quality=quality,
                    exposure=per_day * 10,
                    retired=launched,
                )
            )
        before_history = max(0, (first_day - launched).days)
        creatives.append(
            Creative(
                creative_id=_creative_id(plan.campaign_id, slot + 1),
                name=spec.name,
                slot=slot,
                launched=launched,
                quality=quality,
                exposure=per_day * before_history,
            )
        )
    return creatives


def _creative_id(campaign_id: str, number: int | str) -> str:
    """cmp-fatigue-01, 4 -> cr-fatigue-01-4"""
    return f"cr-{campaign_id.removeprefix('cmp-')}-{number}"


def _mix_at(creatives: list[Creative], day: date, mechanisms: Mechanisms) -> float:
    live = [c for c in creatives if c.is_live(day)]
    weights = [SLOT_WEIGHTS[c.slot] for c in live]
    total = sum(weights) or 1.0
    return sum(
        w / total * c.quality * learning(c.age_on(day)) * wear(mechanisms, c.exposure)
        for c, w in zip(live, weights, strict=True)
    )


def _segments(
    plan: CampaignPlan, levels: tuple[SegmentLevel, ...], daily_budget: float
) -> tuple[tuple[Segment, ...], dict[str, float]]:
    efficiency = {level.segment_id: 1 / level.relative_cpa for level in levels}
    if not plan.keep_segment_spread:
        spread = max(efficiency.values()) / min(efficiency.values())
        if spread > plan.max_segment_spread:
            exponent = math.log(plan.max_segment_spread) / math.log(spread)
            efficiency = {k: v**exponent for k, v in efficiency.items()}
    blended = sum(level.spend_share * efficiency[level.segment_id] for level in levels)
    segments = tuple(
        Segment(
            level.segment_id, level.name, efficiency[level.segment_id] / blended, level.spend_share
        )
        for level in levels
    )
    budgets = {level.segment_id: round(daily_budget * level.spend_share, 2) for level in levels}
    largest = max(budgets, key=budgets.__getitem__)
    budgets[largest] = round(budgets[largest] + daily_budget - sum(budgets.values()), 2)
    return segments, budgets
