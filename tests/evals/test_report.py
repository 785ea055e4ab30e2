"""The markdown report reads well and holds every number the issue asks for."""

from __future__ import annotations

from pathlib import Path

from evals.harness import CaseResult
from evals.report import EvalReport, render_markdown, write_report
from tests.evals.conftest import make_report


def test_markdown_report_sections_and_numbers(results_with_failure: list[CaseResult]) -> None:
    report = make_report(results_with_failure)
    text = render_markdown(report)
    s = report.summary

    assert text.startswith("# Eval report: `rules` on `small.jsonl`")
    assert f"{s.agreement * 100:.1f} % ({s.agreed}/{s.cases}), 95 % CI" in text
    assert "| Cohen's kappa" in text and f"{s.kappa:.2f}" in text
    for heading in (
        "## Headline",
        "## Per action",
        "## Confusion matrix",
        "## Agreement by tag",
        "## Calibration",
        "## Disagreements",
        "## LLM judge",
        "## How to read this report",
    ):
        assert heading in text
    assert "| Creative Refresh    |" in text  # per-action rows are padded into columns
    assert "| CR | AE | BA | CP | BR | CM | ERR |" in text
    failed = results_with_failure[0]
    assert f"| {failed.case_id}" in text and "ERROR: RuntimeError: provider timed out" in text
    assert "judge: skipped (no judge model configured" in text
    assert "gate: PASS" in text or "gate: FAIL" in text


def test_gate_line_reflects_the_minimum(rules_results: list[CaseResult]) -> None:
    assert "**gate: PASS (agreement" in render_markdown(make_report(rules_results, 0.5))
    failing = render_markdown(make_report(rules_results, 1.01))
    assert "**gate: FAIL (agreement" in failing and "< minimum 101.0 %" in failing


def test_json_report_round_trips(rules_results: list[CaseResult], tmp_path: Path) -> None:
    report = make_report(rules_results)
    json_path, md_path = write_report(report, tmp_path / "out")
    assert md_path.read_text(encoding="utf-8") == render_markdown(report)
    loaded = EvalReport.model_validate_json(json_path.read_text(encoding="utf-8"))
    assert loaded.summary == report.summary
    assert [c.case_id for c in loaded.cases] == [c.case_id for c in report.cases]
    assert loaded.cases[0].recommendation is not None  # full answers kept for review
