"""Comparison: side by side, the agreement difference, McNemar and the disagreeing cases."""

from __future__ import annotations

import pytest

from activities.reasoning import RulesReasoner
from domain.lifecycle import LifecyclePolicy
from evals import metrics
from evals.compare import compare_results, render_comparison
from evals.harness import run_cases
from tests.evals.fakes import AlwaysMonitor, small_set


async def test_compare_prints_mcnemar_and_the_disagreements() -> None:
    cases = small_set(per_action=2)
    rules = await run_cases(cases, RulesReasoner(), LifecyclePolicy())
    lazy = await run_cases(cases, AlwaysMonitor(), LifecyclePolicy())

    cmp = compare_results("small.jsonl", "rules", rules, "always-monitor", lazy)
    expected = metrics.mcnemar([r.correct for r in rules], [r.correct for r in lazy])
    assert (cmp.mcnemar.only_a, cmp.mcnemar.only_b) == (expected.only_a, expected.only_b)
    assert cmp.mcnemar.p_value == pytest.approx(expected.p_value)
    assert cmp.agreement_difference == pytest.approx(
        cmp.summary_b.agreement - cmp.summary_a.agreement
    )

    text = render_comparison(cmp)
    assert "A = `rules`, B = `always-monitor`" in text
    assert "## Side by side" in text and "| agreement" in text
    assert f"Only A right: {expected.only_a} case(s); only B right: {expected.only_b}" in text
    assert f"p = {expected.p_value:.4f}" in text and "exact test" in text
    differing = [
        a.case_id
        for a, b in zip(rules, lazy, strict=True)
        if a.predicted_action != b.predicted_action
    ]
    assert differing and all(f"| {case_id}" in text for case_id in differing)
    assert f"## Cases where A and B disagree ({len(differing)})" in text
    assert "Continue Monitoring ✓" in text or "Continue Monitoring ✗" in text


async def test_compare_needs_the_same_cases() -> None:
    cases = small_set()
    a = await run_cases(cases, RulesReasoner(), LifecyclePolicy())
    with pytest.raises(ValueError, match="same cases"):
        compare_results("x", "a", a, "b", a[:-1])
