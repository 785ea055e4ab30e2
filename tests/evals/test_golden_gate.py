"""The CI gate: the golden set through the rules reasoner agrees with the analysts >= 85 %."""

from __future__ import annotations

from activities.reasoning import RulesReasoner
from domain.lifecycle import LifecyclePolicy
from evals.harness import run_cases
from evals.summary import summarize
from tests.evals.fakes import golden_cases

GATE = 0.85


async def test_rules_reasoner_agrees_with_the_golden_set() -> None:
    results = await run_cases(golden_cases(), RulesReasoner(), LifecyclePolicy())
    summary = summarize(results)
    misses = "\n".join(
        f"  {m.case_id}: expected {m.expected}, got {m.predicted or m.error}"
        for m in summary.misses
    )
    assert summary.failed == 0, misses
    assert summary.agreement >= GATE, (
        f"agreement {summary.agreement:.1%} < {GATE:.0%} on {summary.cases} golden cases:\n{misses}"
    )
