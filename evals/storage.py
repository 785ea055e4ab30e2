"""Store and list eval runs in the ``evaluation_runs`` table (``store.models.EvaluationRunRow``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from evals.report import EvalReport
from store import open_store
from store.models import EvaluationRunRow, utcnow


@dataclass(frozen=True)
class SaveResult:
    stored: bool
    message: str


def row_for(report: EvalReport, report_path: str | None) -> EvaluationRunRow:
    meta, s = report.meta, report.summary
    return EvaluationRunRow(
        run_id=meta.run_id,
        dataset=meta.dataset,
        dataset_sha256=meta.dataset_sha256,
        cases=s.cases,
        failed_cases=s.failed,
        reasoner=meta.reasoner,
        prompt_version=meta.prompt_version,
        models=meta.models,
        agreement=s.agreement,
        agreement_low=s.agreement_low,
        agreement_high=s.agreement_high,
        kappa=s.kappa,
        macro_f1=s.macro_f1,
        root_cause_agreement=s.root_cause_agreement,
        ece=s.ece,
        brier=s.brier,
        regeneration_rate=s.regeneration_rate,
        latency_ms_p50=s.latency_ms_p50,
        latency_ms_p95=s.latency_ms_p95,
        tokens_total=s.tokens_total,
        cost_usd_total=s.cost_usd_total,
        min_agreement=meta.min_agreement,
        gate_passed=report.gate_passed,
        summary=s.model_dump(mode="json"),
        report_path=report_path,
        started_at=meta.started_at,
        finished_at=meta.finished_at,
        created_at=utcnow(),
    )


async def save_run(url: str, report: EvalReport, report_path: str | None = None) -> SaveResult:
    """Insert the run (the JSON and markdown reports are already written by then)."""
    store = await open_store(url)  # brings the schema to head, as the API and worker do
    try:
        async with AsyncSession(store.engine) as session, session.begin():
            session.add(row_for(report, report_path))
        return SaveResult(True, f"evaluation_runs: stored run {report.meta.run_id}")
    finally:
        await store.close()


async def list_runs(url: str, limit: int = 20) -> list[EvaluationRunRow]:
    """Newest first (for tests and a quick look at the history of runs)."""
    store = await open_store(url, migrate=False)
    try:
        async with AsyncSession(store.engine, expire_on_commit=False) as session:
            query = select(EvaluationRunRow).order_by(EvaluationRunRow.started_at.desc())
            return list(await session.scalars(query.limit(limit)))
    finally:
        await store.close()
