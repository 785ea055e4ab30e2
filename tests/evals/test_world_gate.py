"""The CI gate on an honest world: the rules reasoner against the oracle, on an untuned seed.

The committed sample (evals/datasets/world_sample.jsonl, seed 9001) holds the contexts the
collectors read and the oracle's valuation of every action. The gate fails when acceptable-set
agreement falls under, or the regret ratio (agent / always Continue Monitoring) rises over, the
committed thresholds (evals/datasets/world_gate.json). A second test checks the sample is what
the simulator generates, so the labels cannot drift from the world.
"""

from __future__ import annotations

import json

from activities.reasoning import RulesReasoner
from domain.lifecycle import LifecyclePolicy
from evals.dataset import EvalCase
from evals.datasets.build_world_sample import GATE_SEED, THRESHOLDS, load_sample
from evals.harness import run_cases
from evals.world import build_cases, score


async def test_rules_reasoner_passes_the_world_gate() -> None:
    cases = load_sample()
    thresholds = json.loads(THRESHOLDS.read_text(encoding="utf-8"))
    labelled = [EvalCase(id=c.id, context=c.context, expected_action=c.best) for c in cases]

    results = await run_cases(labelled, RulesReasoner(), LifecyclePolicy())
    summary = score(cases, [(r.predicted_action, r.confidence) for r in results])

    assert summary.failed == 0
    assert summary.acceptable_agreement >= thresholds["min_acceptable_agreement"], summary
    assert summary.regret_ratio <= thresholds["max_regret_ratio"], summary


async def test_the_committed_sample_is_what_the_world_generates() -> None:
    committed = load_sample()[:8]
    fresh, _ = await build_cases(GATE_SEED, 8)

    assert [c.model_dump() for c in fresh] == [c.model_dump() for c in committed]
