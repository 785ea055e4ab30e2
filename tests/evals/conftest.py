from __future__ import annotations

from datetime import UTC, datetime

import pytest

from activities.reasoning import RulesReasoner
from domain.lifecycle import LifecyclePolicy
from evals.harness import CaseResult, run_cases
from evals.report import EvalReport, RunMeta
from evals.summary import summarize
from tests.evals.fakes import FailsOn, small_set


def make_report(results: list[CaseResult], min_agreement: float = 0.7) -> EvalReport:
    summary = summarize(results)
    started = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    return EvalReport(
        meta=RunMeta(
            run_id="eval-test-run",
            dataset="evals/datasets/small.jsonl",
            dataset_sha256="ab" * 32,
            reasoner="rules",
            prompt_version=None,
            models=["rules"],
            started_at=started,
            finished_at=started,
            concurrency=4,
            min_agreement=min_agreement,
            policy=LifecyclePolicy(),
        ),
        gate_passed=summary.agreement >= min_agreement,
        summary=summary,
        judge_note="judge: skipped (no judge model configured; set JUDGE_MODEL=provider:model)",
        cases=results,
    )


@pytest.fixture
async def rules_results() -> list[CaseResult]:
    return await run_cases(small_set(per_action=2), RulesReasoner(), LifecyclePolicy())


@pytest.fixture
async def results_with_failure() -> list[CaseResult]:
    cases = small_set(per_action=2)
    return await run_cases(cases, FailsOn(cases[0].id), LifecyclePolicy())
