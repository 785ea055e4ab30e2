"""The world eval's report: markdown, JSON, two PNG charts, and its evaluation_runs row."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel

from evals.world import WorldSummary


class WorldMeta(BaseModel):
    run_id: str
    seed: int
    campaigns: int
    replications: int
    reasoner: str
    prompt_version: str | None
    started_at: datetime
    finished_at: datetime


class WorldReport(BaseModel):
    meta: WorldMeta
    summary: WorldSummary
    cases: list[dict]  # per case: id, best, acceptable, predicted, confidence, regret


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def _num(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def _money(value: float) -> str:
    return f"${value:,.0f}"


def render_markdown(report: WorldReport) -> str:
    s, m = report.summary, report.meta
    lines = [
        f"# World eval: {m.reasoner} on {m.campaigns} campaigns of seed {m.seed}",
        "",
        f"Oracle: {m.replications} replications per action, profit over the 3-day outcome "
        "window (value per conversion x true conversions - spend).",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| acceptable-set agreement | {_pct(s.acceptable_agreement)} "
        f"(95 % {_pct(s.acceptable_low)}-{_pct(s.acceptable_high)}) |",
        f"| oracle-best agreement | {_pct(s.best_agreement)} |",
        f"| total regret (agent) | {_money(s.total_regret)} |",
        f"| mean regret per campaign | {_money(s.mean_regret)} |",
        f"| regret as % of the best's profit | {_num(s.regret_pct_of_best, '.1f')} % |",
        f"| total regret, always Continue Monitoring | {_money(s.continue_total_regret)} |",
        f"| total regret, random action (expected) | {_money(s.random_total_regret)} |",
        f"| regret ratio (agent / always-continue) | {_num(s.regret_ratio, '.3f')} |",
        f"| ECE (confidence vs acceptable) | {_num(s.ece, '.3f')} |",
        f"| Brier | {_num(s.brier, '.3f')} |",
        f"| failed cases | {s.failed} |",
    ]
    if s.outcome is not None:
        o = s.outcome
        lines.append(
            f"| outcome verdict agrees with the oracle | {_pct(o.agreement)} of {o.conclusive} "
            f"conclusive verdicts ({o.inconclusive} inconclusive of {o.measured}) |"
        )
    lines += ["", "## Confusion (rows: oracle best, columns: recommended)", ""]
    short = [label.split()[0] for label in s.confusion_labels]
    lines.append("| oracle best | " + " | ".join(short) + " |")
    lines.append("| --- " * (len(short) + 1) + "|")
    for label, row in zip(s.confusion_labels, s.confusion, strict=True):
        lines.append(f"| {label} | " + " | ".join(str(v) for v in row) + " |")
    lines += [
        "",
        "## Regret by recommended action",
        "",
        "| action | chosen | total regret | mean |",
        "| --- | --- | --- | --- |",
    ]
    for row in s.regret_by_action:
        if row.chosen:
            total, mean = _money(row.total_regret), _money(row.mean_regret or 0)
            lines.append(f"| {row.action} | {row.chosen} | {total} | {mean} |")
    lines += [
        "",
        "## Reliability (confidence vs acceptable)",
        "",
        "| bin | cases | mean confidence | acceptable |",
        "| --- | --- | --- | --- |",
    ]
    for row in s.reliability:
        if row.count:
            share, bounds = _pct(row.accuracy), f"{row.low:.1f}-{row.high:.1f}"
            lines.append(f"| {bounds} | {row.count} | {row.mean_confidence:.2f} | {share} |")
    lines += ["", "## Acceptable agreement by latent issue (strength >= 0.6)", ""]
    lines += [f"- {tag}: {_pct(value)}" for tag, value in s.acceptable_by_tag.items()]
    lines += ["", "Charts: reliability.png, regret_by_action.png."]
    return "\n".join(lines) + "\n"


def write_charts(summary: WorldSummary, out_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    paths = []
    rows = [r for r in summary.reliability if r.count]
    figure, axis = plt.subplots(figsize=(5, 5))
    axis.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    axis.plot(
        [r.mean_confidence for r in rows], [r.accuracy for r in rows], marker="o", label="agent"
    )
    for r in rows:
        axis.annotate(str(r.count), (r.mean_confidence, r.accuracy), fontsize=8)
    axis.set(
        xlim=(0, 1),
        ylim=(0, 1),
        xlabel="stated confidence",
        ylabel="share acceptable (oracle)",
        title=f"Reliability (ECE {summary.ece or 0:.3f})",
    )
    axis.legend(loc="upper left")
    paths.append(out_dir / "reliability.png")
    figure.savefig(paths[-1], dpi=100, bbox_inches="tight")
    plt.close(figure)

    chosen = [r for r in summary.regret_by_action if r.chosen]
    figure, axis = plt.subplots(figsize=(7, 4))
    axis.bar([r.action.replace(" ", "\n") for r in chosen], [r.total_regret for r in chosen])
    axis.axhline(
        summary.continue_total_regret, color="red", linestyle="--", label="always Continue (total)"
    )
    axis.set(ylabel="total regret (currency)", title="Regret by recommended action")
    axis.legend()
    paths.append(out_dir / "regret_by_action.png")
    figure.savefig(paths[-1], dpi=100, bbox_inches="tight")
    plt.close(figure)
    return paths


def write_report(report: WorldReport, out_dir: Path) -> tuple[Path, Path, list[Path]]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "report.json", out_dir / "report.md"
    json_path.write_text(report.model_dump_json(indent=2), encoding="utf-8")
    md_path.write_text(render_markdown(report), encoding="utf-8")
    return json_path, md_path, write_charts(report.summary, out_dir)


async def store_run(url: str, report: WorldReport, report_path: str, gate_passed: bool) -> str:
    """A row in evaluation_runs: acceptable agreement in the agreement columns, the world's
    figures (regret, ratio, outcome agreement) in the summary JSON."""
    from sqlalchemy.ext.asyncio import AsyncSession

    from store import open_store
    from store.models import EvaluationRunRow, utcnow

    m, s = report.meta, report.summary
    row = EvaluationRunRow(
        run_id=m.run_id,
        dataset=f"world:seed={m.seed},campaigns={m.campaigns}",
        dataset_sha256=hashlib.sha256(
            f"{m.seed}/{m.campaigns}/{m.replications}".encode()
        ).hexdigest(),
        cases=s.cases,
        failed_cases=s.failed,
        reasoner=m.reasoner,
        prompt_version=m.prompt_version,
        models=[],
        agreement=s.acceptable_agreement,
        agreement_low=s.acceptable_low,
        agreement_high=s.acceptable_high,
        kappa=None,
        macro_f1=None,
        root_cause_agreement=None,
        ece=s.ece,
        brier=s.brier,
        regeneration_rate=None,
        latency_ms_p50=None,
        latency_ms_p95=None,
        tokens_total=None,
        cost_usd_total=None,
        min_agreement=0.0,
        gate_passed=gate_passed,
        summary={"kind": "world", **s.model_dump(mode="json")},
        report_path=report_path,
        started_at=m.started_at,
        finished_at=m.finished_at,
        created_at=utcnow(),
    )
    store = await open_store(url)
    try:
        async with AsyncSession(store.engine) as session, session.begin():
            session.add(row)
    finally:
        await store.close()
    return f"evaluation_runs: stored run {m.run_id}"
