"""The budget optimiser on a simulated bandit with delayed rewards, and its regret.

    python -m evals.bandit            # the default scenario, printed as a table
    python -m evals.bandit --json     # the same as JSON

Arms buy conversions at fixed true rates per dollar (unknown to the policy); each day the
budget is spent as allocated and conversions are drawn (Poisson). Like the lifecycle, a policy
sees a day's conversions only ``delay`` days later (the 3-day outcome), and changes the
allocation only every ``period`` days (one change per outcome window). Regret is the expected
conversions lost against always putting the whole budget on the best arm:
``sum over days of (best rate x total - sum_i rate_i x amount_i)``.

Policies compared: Thompson sampling (``domain.budget.thompson_allocation`` with its default
25 % volatility cap and burn-in), the equal split it starts from, and the oracle (regret 0).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from domain.budget import AllocationPolicy, BudgetArm, decision_seed, thompson_allocation

DEFAULT_RATES = (0.020, 0.030, 0.050, 0.040)  # conversions per dollar: CPA $50, $33, $20, $25
DEFAULT_TOTAL = 1000.0
DEFAULT_DAYS = 120
DEFAULT_DELAY = 3
DEFAULT_PERIOD = 3


@dataclass(frozen=True)
class BanditResult:
    rates: list[float]
    total: float
    days: int
    delay: int
    period: int
    seed: int
    regret: float  # Thompson sampling, expected conversions lost over all days
    equal_split_regret: float
    regret_first_half: float
    regret_second_half: float
    best_arm_share_last_30_days: float
    final_allocation: list[float]

    @property
    def regret_ratio(self) -> float:
        """Thompson sampling's regret as a share of the equal split's."""
        return self.regret / self.equal_split_regret


def simulate(
    rates: Sequence[float] = DEFAULT_RATES,
    *,
    total: float = DEFAULT_TOTAL,
    days: int = DEFAULT_DAYS,
    delay: int = DEFAULT_DELAY,
    period: int = DEFAULT_PERIOD,
    seed: int = 7,
    policy: AllocationPolicy | None = None,
) -> BanditResult:
    truth = np.array(rates, dtype=float)
    rng = np.random.default_rng(seed)
    arms = len(truth)
    allocation = np.full(arms, total / arms)
    spent = np.zeros((days, arms))
    converted = np.zeros((days, arms))
    daily_regret = np.zeros(days)
    best = truth.max() * total
    for day in range(days):
        if day > 0 and day % period == 0:
            allocation = _decide(allocation, spent, converted, day, delay, seed, policy)
        spent[day] = allocation
        converted[day] = rng.poisson(truth * allocation)
        daily_regret[day] = best - float(truth @ allocation)
    half = days // 2
    best_arm = int(truth.argmax())
    tail = spent[-30:]
    return BanditResult(
        rates=list(map(float, truth)),
        total=total,
        days=days,
        delay=delay,
        period=period,
        seed=seed,
        regret=round(float(daily_regret.sum()), 2),
        equal_split_regret=round(float((best - truth.mean() * total) * days), 2),
        regret_first_half=round(float(daily_regret[:half].sum()), 2),
        regret_second_half=round(float(daily_regret[half:].sum()), 2),
        best_arm_share_last_30_days=round(float(tail[:, best_arm].sum() / tail.sum()), 4),
        final_allocation=[round(float(x), 2) for x in allocation],
    )


def _decide(
    allocation: np.ndarray,
    spent: np.ndarray,
    converted: np.ndarray,
    day: int,
    delay: int,
    seed: int,
    policy: AllocationPolicy | None,
) -> np.ndarray:
    """Only the days whose outcome is in (older than ``delay``) inform the decision."""
    seen = max(day - delay, 0)
    arms = [
        BudgetArm(
            arm_id=f"arm-{i}",
            current=float(allocation[i]),
            spend=float(spent[:seen, i].sum()),
            conversions=float(converted[:seen, i].sum()),
        )
        for i in range(len(allocation))
    ]
    decision = thompson_allocation(arms, decision_seed("bandit", seed, day), policy)
    return np.array([arm.recommended for arm in decision.arms])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m evals.bandit", description=__doc__)
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS)
    parser.add_argument("--delay", type=int, default=DEFAULT_DELAY)
    parser.add_argument("--period", type=int, default=DEFAULT_PERIOD)
    parser.add_argument("--seeds", type=int, default=5, help="replications (seeds 0..N-1)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = [
        simulate(days=args.days, delay=args.delay, period=args.period, seed=seed)
        for seed in range(args.seeds)
    ]
    if args.json:
        print(json.dumps([asdict(r) | {"regret_ratio": r.regret_ratio} for r in results], indent=1))
        return
    first = results[0]
    print(
        f"arms (conversions per $): {first.rates}; ${first.total:,.0f}/day for {first.days} days; "
        f"rewards seen after {first.delay} days; a change every {first.period} days"
    )
    print(
        f"{'seed':>4} {'regret':>9} {'equal split':>12} {'ratio':>6} {'1st half':>9} "
        f"{'2nd half':>9} {'best-arm share, last 30 d':>26}"
    )
    for r in results:
        print(
            f"{r.seed:>4} {r.regret:>9.1f} {r.equal_split_regret:>12.1f} {r.regret_ratio:>6.3f} "
            f"{r.regret_first_half:>9.1f} {r.regret_second_half:>9.1f} "
            f"{r.best_arm_share_last_30_days:>26.1%}"
        )
    mean = sum(r.regret for r in results) / len(results)
    print(f"mean regret {mean:.1f} expected conversions ({mean / first.days:.2f}/day)")


if __name__ == "__main__":
    main()
