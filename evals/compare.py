"""Side-by-side comparison of two reasoners (or two prompt versions) on the same cases.

The significance test is McNemar's, which is the right one for paired answers: it only looks at
the cases where exactly one side is right. "Disagreements" lists every case where the two sides
recommended different actions (including cases both got wrong, differently).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from evals import metrics
from evals.harness import CaseResult
from evals.report import num, pct, table
from evals.summary import EvalSummary, summarize

SIGNIFICANCE_LEVEL = 0.05


class McNemar(BaseModel):
    only_a: int  # cases A got right and B wrong
    only_b: int
    statistic: float | None
    p_value: float
    method: str

    @property
    def significant(self) -> bool:
        return self.p_value < SIGNIFICANCE_LEVEL


class CaseDisagreement(BaseModel):
    case_id: str
    expected: str
    a: str | None
    b: str | None
    a_correct: bool
    b_correct: bool
    tags: list[str]


class Comparison(BaseModel):
    dataset: str
    label_a: str
    label_b: str
    summary_a: EvalSummary
    summary_b: EvalSummary
    mcnemar: McNemar
    disagreements: list[CaseDisagreement]

    @property
    def agreement_difference(self) -> float:
        """B minus A, in agreement-rate points (0.04 = four points better)."""
        return self.summary_b.agreement - self.summary_a.agreement


def compare_results(
    dataset: str,
    label_a: str,
    results_a: Sequence[CaseResult],
    label_b: str,
    results_b: Sequence[CaseResult],
) -> Comparison:
    ids_a = [r.case_id for r in results_a]
    if ids_a != [r.case_id for r in results_b]:
        raise ValueError("both runs must cover the same cases in the same order")
    test = metrics.mcnemar([r.correct for r in results_a], [r.correct for r in results_b])
    return Comparison(
        dataset=dataset,
        label_a=label_a,
        label_b=label_b,
        summary_a=summarize(results_a),
        summary_b=summarize(results_b),
        mcnemar=McNemar(**vars(test)),
        disagreements=[
            CaseDisagreement(
                case_id=a.case_id,
                expected=a.expected_action,
                a=a.predicted_action,
                b=b.predicted_action,
                a_correct=a.correct,
                b_correct=b.correct,
                tags=a.tags,
            )
            for a, b in zip(results_a, results_b, strict=True)
            if a.predicted_action != b.predicted_action
        ],
    )


def render_comparison(cmp: Comparison) -> str:
    return (
        "\n\n".join(
            [
                f"# Comparison on `{cmp.dataset}`: A = `{cmp.label_a}`, B = `{cmp.label_b}`",
                _side_by_side(cmp),
                _significance(cmp),
                _disagreements(cmp),
            ]
        )
        + "\n"
    )


def _side_by_side(cmp: Comparison) -> str:
    a, b = cmp.summary_a, cmp.summary_b

    def row(name: str, left: float | None, right: float | None, as_pct: bool) -> tuple:
        show = pct if as_pct else num
        delta = None if left is None or right is None else right - left
        sign = "" if delta is None or delta < 0 else "+"
        return (name, show(left), show(right), f"{sign}{show(delta)}")

    rows = [
        row("agreement", a.agreement, b.agreement, True),
        row("kappa", a.kappa, b.kappa, False),
        row("macro F1", a.macro_f1, b.macro_f1, False),
        row("root-cause agreement", a.root_cause_agreement, b.root_cause_agreement, True),
        row("ECE", a.ece, b.ece, False),
        row("Brier", a.brier, b.brier, False),
        row("regeneration rate", a.regeneration_rate, b.regeneration_rate, True),
        row("latency p50 (ms)", a.latency_ms_p50, b.latency_ms_p50, False),
        row("cost per case ($)", a.cost_usd_per_case, b.cost_usd_per_case, False),
        ("failed cases", a.failed, b.failed, b.failed - a.failed),
    ]
    per_action = [
        row(f"F1 {sa.action}", sa.f1, sb.f1, False)
        for sa, sb in zip(a.per_action, b.per_action, strict=True)
    ]
    header = ("metric", f"A {cmp.label_a}", f"B {cmp.label_b}", "B − A")
    return "## Side by side\n\n" + table(header, [*rows, *per_action])


def _significance(cmp: Comparison) -> str:
    test = cmp.mcnemar
    statistic = "" if test.statistic is None else f", χ² = {test.statistic:.3f}"
    verdict = (
        "significant" if test.significant else "not significant"
    ) + f" at {SIGNIFICANCE_LEVEL:g}"
    return (
        "## Paired significance (McNemar)\n\n"
        f"Agreement difference B − A: {cmp.agreement_difference * 100:+.1f} points. "
        f"Only A right: {test.only_a} case(s); only B right: {test.only_b} case(s). "
        f"{test.method} test{statistic}, p = {test.p_value:.4f}: {verdict}."
    )


def _disagreements(cmp: Comparison) -> str:
    if not cmp.disagreements:
        return (
            "## Cases where A and B disagree\n\nNone: both recommended the same action everywhere."
        )
    rows = [
        (
            d.case_id,
            d.expected,
            _mark(d.a, d.a_correct),
            _mark(d.b, d.b_correct),
            ", ".join(d.tags),
        )
        for d in cmp.disagreements
    ]
    header = ("case", "expected", f"A {cmp.label_a}", f"B {cmp.label_b}", "tags")
    return f"## Cases where A and B disagree ({len(rows)})\n\n" + table(header, rows)


def _mark(action: str | None, correct: bool) -> str:
    return f"{action or 'ERROR'} {'✓' if correct else '✗'}"
