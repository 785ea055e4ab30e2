"""evaluation_runs: every eval run is stored with its headline numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.harness import CaseResult
from evals.storage import list_runs, save_run
from tests.evals.conftest import make_report


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'evals.db'}"


async def test_a_run_is_stored_with_its_headline_numbers(
    db_url: str, rules_results: list[CaseResult]
) -> None:
    report = make_report(rules_results)
    saved = await save_run(db_url, report, "evals/reports/x/report.md")
    assert saved.stored and saved.message == "evaluation_runs: stored run eval-test-run"

    (row,) = await list_runs(db_url)
    assert row.run_id == "eval-test-run"
    assert row.agreement == pytest.approx(report.summary.agreement)
    assert row.kappa == pytest.approx(report.summary.kappa)
    assert row.gate_passed is report.gate_passed
    assert row.cases == report.summary.cases and row.models == ["rules"]
    assert row.summary["per_action"][0]["action"] == "Creative Refresh"
    assert row.started_at == report.meta.started_at  # timezone-aware UTC round trip
    assert row.report_path == "evals/reports/x/report.md"
