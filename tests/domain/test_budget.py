"""The Thompson-sampling budget optimiser: constraints on adversarial inputs, determinism,
delayed-reward updates, and convergence on a simulated bandit (evals/bandit.py)."""

from __future__ import annotations

import math

import pytest

from domain.budget import (
    AllocationPolicy,
    ArmEvidence,
    BudgetArm,
    InfeasibleAllocation,
    decision_seed,
    thompson_allocation,
)
from evals.bandit import simulate


def arm(arm_id: str, current: float, spend: float = 0.0, conversions: float = 0.0, **kw):
    return BudgetArm(arm_id=arm_id, current=current, spend=spend, conversions=conversions, **kw)


def assert_constraints(decision, arms, policy: AllocationPolicy) -> None:
    total = policy.total if policy.total is not None else sum(a.current for a in arms)
    assert sum(a.recommended for a in decision.arms) == pytest.approx(total, abs=0.005)
    for given, got in zip(arms, decision.arms, strict=True):
        base = given.current if given.current > 0 else total / len(arms)
        assert got.recommended >= given.floor - 0.005
        if given.ceiling is not None:
            assert got.recommended <= given.ceiling + 0.005
        assert abs(got.recommended - given.current) <= policy.volatility_cap * base + 0.011
        assert got.recommended >= 0
    assert sum(a.p_best for a in decision.arms) == pytest.approx(1.0, abs=1e-3)


ADVERSARIAL = {
    "one arm with all the data": [
        arm("a", 100, spend=50_000, conversions=2_000),
        arm("b", 100),
        arm("c", 100),
    ],
    "zero conversions everywhere": [
        arm("a", 300, spend=9_000),
        arm("b", 200, spend=6_000),
        arm("c", 100, spend=3_000),
    ],
    "a single arm": [arm("only", 250, spend=7_000, conversions=300)],
    "tight floors and ceilings": [
        arm("a", 100, spend=5_000, conversions=500, ceiling=105),
        arm("b", 100, spend=5_000, conversions=50, floor=95),
        arm("c", 100, spend=5_000, conversions=60),
    ],
    "an arm at zero": [arm("new", 0), arm("old", 400, spend=12_000, conversions=600)],
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
@pytest.mark.parametrize("policy", [AllocationPolicy(), AllocationPolicy(volatility_cap=0.1)])
def test_constraints_hold_on_adversarial_inputs(name: str, policy: AllocationPolicy) -> None:
    arms = ADVERSARIAL[name]
    decision = thompson_allocation(arms, seed=11, policy=policy)

    assert_constraints(decision, arms, policy)


def test_one_arm_with_all_the_data_does_not_take_everything_at_once() -> None:
    arms = ADVERSARIAL["one arm with all the data"]
    decision = thompson_allocation(arms, seed=1)

    # The data-rich arm (CPA 25 on $50,000) is known; the others are unknown, with a weak prior
    # at the pooled rate: each keeps a real chance of being better, so they are explored, not
    # starved, and the known arm gains only what its probability of being best earns it.
    assert 0.3 < decision.arm("b").p_best < 0.4 and 0.3 < decision.arm("c").p_best < 0.4
    assert 100 < decision.arm("a").recommended < 125
    assert decision.arm("b").recommended > 75 and decision.arm("c").recommended > 75


def test_zero_conversions_everywhere_is_a_burn_in_equal_split_within_the_cap() -> None:
    arms = ADVERSARIAL["zero conversions everywhere"]
    decision = thompson_allocation(arms, seed=3)

    assert decision.burn_in and "burn-in" in decision.note
    # Toward 200 each by at most 25 %: c can only reach 125, so the closest split of 600 is
    # 200 + 37.5 for the two others (a least-squares projection shares the shortfall).
    assert [a.recommended for a in decision.arms] == [237.5, 237.5, 125.0]


def test_a_single_arm_keeps_the_total() -> None:
    decision = thompson_allocation(ADVERSARIAL["a single arm"], seed=5)

    assert decision.arms[0].recommended == 250.0 and decision.arms[0].p_best == 1.0
    assert decision.move is None


def test_a_new_total_is_honoured_within_the_cap() -> None:
    arms = [arm("a", 100, 3000, 150), arm("b", 100, 3000, 60)]
    decision = thompson_allocation(arms, seed=2, policy=AllocationPolicy(total=240))

    assert decision.total == 240.0
    assert [a.recommended for a in decision.arms] == [125.0, 115.0]


def test_infeasible_constraints_are_refused_with_the_reason() -> None:
    arms = [arm("a", 100, floor=200), arm("b", 100)]
    with pytest.raises(InfeasibleAllocation, match="arm a: its floor 200"):
        thompson_allocation(arms, seed=1)
    with pytest.raises(InfeasibleAllocation, match="cannot be split"):
        thompson_allocation(
            [arm("a", 100), arm("b", 100)], seed=1, policy=AllocationPolicy(total=400)
        )
    with pytest.raises(InfeasibleAllocation, match="unique"):
        thompson_allocation([arm("a", 1), arm("a", 2)], seed=1)


def test_the_same_seed_gives_the_same_decision_and_another_seed_may_not() -> None:
    arms = [arm("a", 100, 2000, 40), arm("b", 100, 2000, 44), arm("c", 100, 2000, 38)]
    first = thompson_allocation(arms, seed=decision_seed("cmp-1", "2025-05-31", 0))

    assert thompson_allocation(arms, seed=first.seed) == first
    others = {thompson_allocation(arms, seed=s).arm("b").p_best for s in range(5)}
    assert len(others) > 1  # the draws do depend on the seed


def test_the_best_arm_by_conversions_per_dollar_gains_and_the_move_says_so() -> None:
    # b: CPA 20 on 4,000; a: CPA 50 on 4,000. Clicks play no part: per dollar is what counts.
    arms = [arm("a", 200, 4000, 80), arm("b", 200, 4000, 200)]
    decision = thompson_allocation(arms, seed=9)

    assert decision.arm("b").p_best > 0.99
    assert decision.move is not None
    assert (decision.move.from_arm, decision.move.to_arm, decision.move.amount) == ("a", "b", 50.0)
    assert decision.move.p_better > 0.99 and decision.move.propensity == decision.arm("b").p_best
    # Posterior means sit close to the observed rates, pulled slightly toward the pooled rate.
    assert decision.arm("b").rate_mean == pytest.approx(0.05, rel=0.01)
    assert decision.arm("a").rate_low < 0.02 < decision.arm("a").rate_high


def test_a_measured_outcome_updates_the_posterior() -> None:
    arms = [arm("a", 200, 1000, 30), arm("b", 200, 1000, 30)]
    before = thompson_allocation(arms, seed=4)
    # The 3-day outcome of a change: b bought 90 conversions on 900 more.
    evidence = [ArmEvidence(arm_id="b", spend=900, conversions=90, source="outcome of rec-x")]
    after = thompson_allocation(arms, seed=4, evidence=evidence)

    assert 0.3 < before.arm("b").p_best < 0.7
    assert after.arm("b").p_best > 0.99
    assert after.arm("b").evidence_conversions == 90 and after.arm("b").recommended == 250.0
    # Evidence about an arm that is not allocated any more is ignored, not an error.
    ignored = thompson_allocation(
        arms, seed=4, evidence=[ArmEvidence(arm_id="z", spend=1, conversions=1)]
    )
    assert ignored == before


def test_converges_to_the_best_arm_on_a_bandit_with_delayed_rewards() -> None:
    result = simulate(seed=0)

    # Rewards arrive 3 days late and the allocation moves at most 25 % per change, yet within
    # the first half the best arm takes the budget: regret stops growing.
    assert result.best_arm_share_last_30_days > 0.98
    assert result.regret_second_half < 0.05 * result.regret_first_half
    assert result.regret_ratio < 0.25  # of what an equal split loses
    assert math.isclose(sum(result.final_allocation), result.total, abs_tol=0.01)


def test_close_arms_still_converge_with_more_time() -> None:
    result = simulate(rates=(0.040, 0.045, 0.030), days=240, seed=1)

    assert result.best_arm_share_last_30_days > 0.8
    assert result.regret_second_half < result.regret_first_half
