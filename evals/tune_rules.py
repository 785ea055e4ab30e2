"""Tune the rules reasoner on seeded worlds from the tuning range (seeds 1-99 only).

    python -m evals.tune_rules --seeds 1 2 3 --campaigns 300            # report per seed + pooled
    python -m evals.tune_rules --seeds 1 2 3 --campaigns 300 --fit      # + the calibration table

The oracle's valuation of a world is slow to build and does not depend on the reasoner, so each
seed's cases are cached under ``evals/reports/tune/`` (git-ignored). Seeds 9000 and up are refused:
they are the never-tuned range the CI gate and the reported "untuned" figures come from.

``--fit`` prints the acceptable rate of each recommended action per confidence band on the
pooled tuning cases: the table ``domain.rules.calibration`` holds, with its provenance.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import defaultdict
from pathlib import Path

from activities.reasoning import RulesReasoner
from domain.lifecycle import LifecyclePolicy
from domain.recommendation import ActionType
from domain.rules.calibration import CONVERSION_BANDS, PRIOR_WEIGHT, conversion_band
from evals.dataset import EvalCase
from evals.datasets.build_world_sample import load_sample, render
from evals.harness import run_cases
from evals.world import ACTIONS, WorldCase, build_cases, score

CACHE = Path(__file__).resolve().parent / "reports" / "tune"
TUNING_SEEDS = range(1, 100)


def cases_for(seed: int, campaigns: int) -> list[WorldCase]:
    if seed not in TUNING_SEEDS:
        raise SystemExit(f"seed {seed} is outside the tuning range 1-99")
    path = CACHE / f"seed{seed}_{campaigns}.jsonl"
    if not path.exists():
        cases, _ = asyncio.run(build_cases(seed, campaigns))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(cases), encoding="utf-8")
    return load_sample(path)


def run(cases: list[WorldCase]):
    labelled = [EvalCase(id=c.id, context=c.context, expected_action=c.best) for c in cases]
    return asyncio.run(run_cases(labelled, RulesReasoner(), LifecyclePolicy()))


def describe(name: str, cases: list[WorldCase], results) -> None:
    summary = score(cases, [(r.predicted_action, r.confidence) for r in results])
    print(
        f"{name}: acceptable {summary.acceptable_agreement:.3f}  best {summary.best_agreement:.3f}"
        f"  regret ratio {summary.regret_ratio}  ECE {summary.ece}  Brier {summary.brier}"
    )


def detail(cases: list[WorldCase], results) -> None:
    short = {a: "".join(w[0] for w in a.split()) for a in ACTIONS}
    print("\nconfusion (rows oracle best, cols chosen):", " ".join(short[a] for a in ACTIONS))
    for best in ACTIONS:
        row = [
            sum(
                1
                for c, r in zip(cases, results, strict=True)
                if c.best == best and r.predicted_action == a
            )
            for a in ACTIONS
        ]
        print(f"  {short[best]:>3} {row}")
    print("\nper chosen action: n, acceptable rate, mean confidence, total regret")
    for action in ACTIONS:
        pairs = [
            (c, r) for c, r in zip(cases, results, strict=True) if r.predicted_action == action
        ]
        if not pairs:
            continue
        ok = sum(action in c.acceptable for c, _ in pairs) / len(pairs)
        conf = sum(r.confidence for _, r in pairs) / len(pairs)
        regret = sum(c.regret_of(action) for c, _ in pairs)
        print(f"  {action:20} {len(pairs):4d} {ok:.2f} {conf:.2f} {regret:12.0f}")
    print("\nwhere each action is acceptable (share of all cases):")
    for action in ACTIONS:
        share = sum(action in c.acceptable for c in cases) / len(cases)
        print(f"  {action:20} {share:.2f}")


def fit(cases: list[WorldCase], results) -> dict[str, list[float]]:
    """P(acceptable) per recommended action and conversions band (``CONVERSION_BANDS``), each
    cell shrunk toward its action's pooled rate by ``PRIOR_WEIGHT`` pseudo-cases."""
    cells: dict[tuple[str, int], list[bool]] = defaultdict(list)
    for case, result in zip(cases, results, strict=True):
        if result.predicted_action is None:
            continue
        band = conversion_band(case.context.campaign.conversions)
        cells[(result.predicted_action, band)].append(result.predicted_action in case.acceptable)
    table = {}
    print(f"\ncalibration fit over {len(cases)} campaigns (cases, acceptable, fitted):")
    for action in ACTIONS:
        pooled = [ok for (a, _), oks in cells.items() if a == action for ok in oks]
        prior = sum(pooled) / len(pooled) if pooled else 0.5
        rates = []
        for band in range(len(CONVERSION_BANDS) + 1):
            oks = cells.get((action, band), [])
            rates.append(round((sum(oks) + PRIOR_WEIGHT * prior) / (len(oks) + PRIOR_WEIGHT), 2))
            print(f"  {action:20} band {band}: {len(oks):4d} {sum(oks):4d} -> {rates[-1]:.2f}")
        table[action] = rates
    print("\nCALIBRATION = {")
    for action, rates in table.items():
        print(f"    ActionType.{ActionType(action).name}: {tuple(rates)},")
    print("}")
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.tune_rules")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--campaigns", type=int, default=300)
    parser.add_argument("--detail", action="store_true")
    parser.add_argument("--fit", action="store_true")
    args = parser.parse_args(argv)
    pooled_cases, pooled_results = [], []
    for seed in args.seeds:
        cases = cases_for(seed, args.campaigns)
        results = run(cases)
        describe(f"seed {seed}", cases, results)
        pooled_cases += cases
        pooled_results += results
    if len(args.seeds) > 1:
        describe("pooled", pooled_cases, pooled_results)
    if args.detail:
        detail(pooled_cases, pooled_results)
    if args.fit:
        fit(pooled_cases, pooled_results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
