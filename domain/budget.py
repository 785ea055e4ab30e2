"""The budget optimiser: Thompson sampling over arms (segments, ad sets or campaigns).

Model: **Gamma-Poisson on conversions per dollar**. Each arm buys conversions at an unknown rate
per unit of spend; its conversions over a spend ``s`` are Poisson(rate x s) and the rate has a
Gamma prior, so the posterior after ``c`` conversions on ``s`` spend is Gamma(a0 + c, b0 + s).
Why per dollar and not Beta-Binomial per click: budget is what moves, so the question is where
the next dollar buys the most conversions; arms differ in cost per click as much as in
conversion rate, and a per-click model would move money to cheap clicks that convert well but
cost more per conversion. Segment reports carry spend and conversions, not always clicks.

The prior is pooled and weak: its mean is the arms' pooled rate and it weighs as much as
``prior_conversions`` conversions (default 1), so an arm with little data is pulled toward the
account's average instead of looking infinitely good or bad.

Allocation: each posterior draw is a guess at every arm's rate; for that guess the best
allocation within the constraints fills arms from the highest rate down (every arm at its
lower bound first, then the rest to the best arms up to their upper bounds). The recommended
allocation is the average of those over the draws: without constraints that is probability
matching, each arm getting the total times its probability of being the best (those
probabilities are recorded as the decision's propensities, so allocation policies can be
compared offline); with them, money a capped arm cannot take goes to the next best arms, never
to an arm because it is small. The bounds: every arm between its floor and ceiling, no arm
moving more than ``volatility_cap`` of its current amount in one change, the amounts summing to
the total. During burn-in (the arms together have fewer than ``min_conversions``) the target
is an equal split instead, and the allocation is the feasible one closest to it (least
squares: ``x_i = clip(equal + mu, low_i, high_i)``, ``mu`` by bisection).

Delayed rewards: the measured outcome of an executed change (the lifecycle's 3-day outcome) is
more evidence, ``ArmEvidence``, added to the arm's posterior on the next decision.

Deterministic: the draws come from ``numpy.random.default_rng(seed)`` with a seed fixed per
decision (``decision_seed``) and recorded in the allocation, so a decision can be replayed.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, Field

MODEL = "gamma-poisson conversions per dollar"
_CENTS = 2


class InfeasibleAllocation(ValueError):
    """The constraints admit no allocation (e.g. floors above the total); says which."""


class BudgetArm(BaseModel):
    """One arm: what it gets now and what it bought over the evidence window."""

    arm_id: str
    name: str = ""
    current: float = Field(ge=0, description="amount per day it gets now")
    spend: float = Field(default=0.0, ge=0, description="recorded spend over the window")
    conversions: float = Field(default=0.0, ge=0, description="recorded conversions over it")
    floor: float = Field(default=0.0, ge=0, description="it never gets less than this")
    ceiling: float | None = Field(default=None, ge=0, description="it never gets more")


class ArmEvidence(BaseModel):
    """A delayed reward: spend and conversions measured after an executed change."""

    arm_id: str
    spend: float = Field(ge=0)
    conversions: float = Field(ge=0)
    source: str = Field(default="", description="e.g. the outcome of rec-cmp-1-ab12cd34")


class AllocationPolicy(BaseModel):
    total: float | None = Field(default=None, ge=0, description="default: the current total")
    volatility_cap: float = Field(
        default=0.25, gt=0, le=1, description="most an arm moves per change, share of current"
    )
    min_conversions: float = Field(
        default=30.0, ge=0, description="below this (all arms together): burn-in, equal split"
    )
    prior_conversions: float = Field(default=1.0, gt=0, description="weight of the prior")
    draws: int = Field(default=4000, ge=100, le=200_000)
    credible_level: float = Field(default=0.9, gt=0, lt=1)


class ArmAllocation(BaseModel):
    arm_id: str
    name: str = ""
    current: float
    recommended: float
    change: float
    p_best: float = Field(description="posterior probability of being the best arm (propensity)")
    rate_mean: float = Field(description="posterior mean conversions per unit of spend")
    rate_low: float
    rate_high: float
    spend: float
    conversions: float
    evidence_spend: float = 0.0
    evidence_conversions: float = 0.0


class BudgetMove(BaseModel):
    """The largest single move of an allocation: what one pairwise change carries out."""

    from_arm: str
    to_arm: str
    amount: float
    propensity: float = Field(description="p_best of the receiving arm")
    p_better: float = Field(description="posterior probability the receiver beats the giver")


class BudgetAllocation(BaseModel):
    """A decision of the optimiser, with everything needed to replay or evaluate it."""

    model: str = MODEL
    seed: int
    draws: int
    total: float
    volatility_cap: float
    burn_in: bool
    arms: list[ArmAllocation]
    move: BudgetMove | None = None
    note: str = ""

    def arm(self, arm_id: str) -> ArmAllocation:
        return next(a for a in self.arms if a.arm_id == arm_id)

    @property
    def propensities(self) -> dict[str, float]:
        return {a.arm_id: a.p_best for a in self.arms}


def decision_seed(*parts: object) -> int:
    """A fixed seed for one decision, from what identifies it (campaign, window, attempt)."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()
    return int(digest[:8], 16)


def thompson_allocation(
    arms: Sequence[BudgetArm],
    seed: int,
    policy: AllocationPolicy | None = None,
    evidence: Sequence[ArmEvidence] = (),
) -> BudgetAllocation:
    """Split the total across ``arms`` by posterior sampling, within the constraints."""
    policy = policy or AllocationPolicy()
    if not arms:
        raise InfeasibleAllocation("no arms to allocate a budget to")
    ids = [a.arm_id for a in arms]
    if len(set(ids)) != len(ids):
        raise InfeasibleAllocation(f"arm ids must be unique: {ids}")
    current = np.array([a.current for a in arms], dtype=float)
    total = float(policy.total if policy.total is not None else current.sum())
    extra_spend, extra_conv = _evidence_by_arm(ids, evidence)
    spend = np.array([a.spend for a in arms]) + extra_spend
    conversions = np.array([a.conversions for a in arms]) + extra_conv
    shape, rate = _posterior(spend, conversions, policy.prior_conversions)
    draws = np.random.default_rng(seed).gamma(shape, 1 / rate, size=(policy.draws, len(arms)))
    p_best = np.bincount(draws.argmax(axis=1), minlength=len(arms)) / policy.draws
    burn_in = float(conversions.sum()) < policy.min_conversions
    low, high = _bounds(arms, current, total, policy.volatility_cap)
    if burn_in:
        allocation = _project(np.full(len(arms), total / len(arms)), low, high, total)
    else:
        allocation = _best_by_draw(draws, low, high, total).mean(axis=0)
    recommended = _round_to_total(allocation, low, high, total)
    tail = (1 - policy.credible_level) / 2
    lows, highs = np.quantile(draws, [tail, 1 - tail], axis=0)
    allocation = BudgetAllocation(
        seed=seed,
        draws=policy.draws,
        total=round(total, _CENTS),
        volatility_cap=policy.volatility_cap,
        burn_in=burn_in,
        arms=[
            ArmAllocation(
                arm_id=arm.arm_id,
                name=arm.name,
                current=arm.current,
                recommended=float(recommended[i]),
                change=round(float(recommended[i]) - arm.current, _CENTS),
                p_best=round(float(p_best[i]), 4),
                rate_mean=float(shape[i] / rate[i]),
                rate_low=float(lows[i]),
                rate_high=float(highs[i]),
                spend=arm.spend,
                conversions=arm.conversions,
                evidence_spend=float(extra_spend[i]),
                evidence_conversions=float(extra_conv[i]),
            )
            for i, arm in enumerate(arms)
        ],
        note=(
            f"burn-in: {conversions.sum():g} conversions in all, under {policy.min_conversions:g}"
            "; the target is an equal split"
            if burn_in
            else ""
        ),
    )
    move = largest_move(allocation, draws)
    return allocation.model_copy(update={"move": move})


def largest_move(allocation: BudgetAllocation, draws: np.ndarray) -> BudgetMove | None:
    """From the arm losing most to the arm gaining most: the one pairwise change that goes
    furthest toward the allocation (a platform change moves one amount between two arms)."""
    arms = allocation.arms
    giver = min(range(len(arms)), key=lambda i: (arms[i].change, arms[i].arm_id))
    taker = max(range(len(arms)), key=lambda i: (arms[i].change, arms[i].arm_id))
    amount = round(min(-arms[giver].change, arms[taker].change), _CENTS)
    if giver == taker or amount <= 0:
        return None
    return BudgetMove(
        from_arm=arms[giver].arm_id,
        to_arm=arms[taker].arm_id,
        amount=amount,
        propensity=arms[taker].p_best,
        p_better=round(float((draws[:, taker] > draws[:, giver]).mean()), 4),
    )


def _evidence_by_arm(
    ids: list[str], evidence: Sequence[ArmEvidence]
) -> tuple[np.ndarray, np.ndarray]:
    spend, conversions = np.zeros(len(ids)), np.zeros(len(ids))
    index = {arm_id: i for i, arm_id in enumerate(ids)}
    for item in evidence:
        if item.arm_id in index:  # evidence of an arm no longer allocated is not used
            spend[index[item.arm_id]] += item.spend
            conversions[index[item.arm_id]] += item.conversions
    return spend, conversions


def _posterior(
    spend: np.ndarray, conversions: np.ndarray, prior_conversions: float
) -> tuple[np.ndarray, np.ndarray]:
    """Gamma(shape, rate) per arm under the pooled prior."""
    total_spend = float(spend.sum())
    total_conversions = float(conversions.sum())
    if total_conversions > 0 and total_spend > 0:
        pooled = total_conversions / total_spend
    else:
        # Nothing converted (or nothing spent): half a conversion over everything spent (or
        # over one unit) keeps the prior proper and says "rare" rather than "impossible".
        pooled = 0.5 / max(total_spend, 1.0)
    prior_rate = prior_conversions / pooled
    return prior_conversions + conversions, prior_rate + spend


def _bounds(
    arms: Sequence[BudgetArm], current: np.ndarray, total: float, cap: float
) -> tuple[np.ndarray, np.ndarray]:
    # An arm at zero has no current amount for the cap to be a share of: it may get at most
    # the cap's share of an equal split in one change.
    equal = total / len(arms)
    low, high = np.zeros(len(arms)), np.zeros(len(arms))
    for i, arm in enumerate(arms):
        base = arm.current if arm.current > 0 else equal
        ceiling = math.inf if arm.ceiling is None else arm.ceiling
        low[i] = max(arm.floor, arm.current - cap * base, 0.0)
        high[i] = min(ceiling, arm.current + cap * base)
        if low[i] > high[i] + 1e-9:
            raise InfeasibleAllocation(
                f"arm {arm.arm_id}: its floor {arm.floor:g} and ceiling {ceiling:g} cannot be "
                f"reached from {arm.current:g} within a {cap:.0%} move"
            )
    if low.sum() > total + 1e-6 or high.sum() < total - 1e-6:
        raise InfeasibleAllocation(
            f"a total of {total:g} cannot be split: the arms take at least {low.sum():g} and "
            f"at most {high.sum():g} within their floors, ceilings and the {cap:.0%} cap"
        )
    return low, high


def _best_by_draw(draws: np.ndarray, low: np.ndarray, high: np.ndarray, total: float) -> np.ndarray:
    """For each draw, the feasible allocation that maximises its conversions: lower bounds,
    then what is left to the arms from the highest drawn rate down, each up to its bound."""
    order = np.argsort(-draws, axis=1, kind="stable")
    room = (high - low)[order]
    before = np.cumsum(room, axis=1) - room
    fill = np.clip(total - low.sum() - before, 0, room)
    allocation = np.empty_like(draws)
    np.put_along_axis(allocation, order, low[order] + fill, axis=1)
    return allocation


def _project(target: np.ndarray, low: np.ndarray, high: np.ndarray, total: float) -> np.ndarray:
    """The allocation within [low, high] summing to ``total`` closest to ``target``."""
    lo_mu = float((low - target).min()) - 1.0
    hi_mu = float((high - target).max()) + 1.0
    for _ in range(200):
        mu = (lo_mu + hi_mu) / 2
        if np.clip(target + mu, low, high).sum() > total:
            hi_mu = mu
        else:
            lo_mu = mu
    return np.clip(target + (lo_mu + hi_mu) / 2, low, high)


def _round_to_total(
    values: np.ndarray, low: np.ndarray, high: np.ndarray, total: float
) -> np.ndarray:
    """Cents, still within bounds, summing exactly to the total (in cents)."""
    cents = np.round(values * 100)
    low_c, high_c = np.ceil(low * 100 - 1e-6), np.floor(high * 100 + 1e-6)
    cents = np.clip(cents, low_c, high_c)
    residual = int(round(total * 100 - cents.sum()))
    # Hand the rounding residual, a cent at a time, to the arms with the most room.
    order = np.argsort(-(high_c - cents) if residual > 0 else -(cents - low_c), kind="stable")
    step = 1 if residual > 0 else -1
    while residual != 0:
        moved = False
        for i in order:
            room = high_c[i] - cents[i] if step > 0 else cents[i] - low_c[i]
            if room >= 1:
                cents[i] += step
                residual -= step
                moved = True
                if residual == 0:
                    break
        if not moved:
            break
    return cents / 100
