"""The eval report: one JSON document for machines and a markdown page for people.

Markdown tables are padded so the same text reads well in a terminal, where ``run`` prints it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel

from domain.lifecycle import LifecyclePolicy
from evals.harness import CaseResult
from evals.judge import CRITERIA, JudgeSummary
from evals.summary import ACTIONS, ERROR_LABEL, EvalSummary

ABBREVIATIONS = {
    "Creative Refresh": "CR",
    "Audience Expansion": "AE",
    "Bid Adjustment": "BA",
    "Campaign Pause": "CP",
    "Budget Reallocation": "BR",
    "Continue Monitoring": "CM",
    ERROR_LABEL: "ERR",
}


class RunMeta(BaseModel):
    run_id: str
    dataset: str
    dataset_sha256: str
    reasoner: str
    prompt_version: str | None
    models: list[str]  # the model names the recommendations carry
    started_at: datetime
    finished_at: datetime
    concurrency: int
    min_agreement: float
    policy: LifecyclePolicy


class EvalReport(BaseModel):
    meta: RunMeta
    gate_passed: bool
    summary: EvalSummary
    judge: JudgeSummary | None = None
    judge_note: str = ""
    cases: list[CaseResult]


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def models_of(results: Sequence[CaseResult]) -> list[str]:
    return sorted({r.recommendation.model for r in results if r.recommendation is not None})


def write_report(report: EvalReport, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "report.json"
    md_path = out_dir / "report.md"
    json_path.write_text(report.model_dump_json(indent=2), encoding="utf-8")
    md_path.write_text(render_markdown(report), encoding="utf-8")
    return json_path, md_path


# --------------------------------------------------------------------------- formatting


def pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f} %"


def num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table padded to column width (numbers right-aligned)."""
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    numeric = [all(_looks_numeric(row[i]) for row in cells[1:]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        padded = [
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(row, widths, numeric, strict=True)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = [
        ("-" * (w - 1) + ":") if right else "-" * w
        for w, right in zip(widths, numeric, strict=True)
    ]
    return "\n".join([line(cells[0]), line(rule), *(line(row) for row in cells[1:])])


def _looks_numeric(cell: str) -> bool:
    stripped = cell.replace("%", "").replace("$", "").replace(",", "").strip()
    if stripped in ("–", ""):
        return True
    try:
        float(stripped)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- sections


def render_markdown(report: EvalReport, *, guide: bool = True) -> str:
    sections = [
        _title(report),
        _headline(report),
        _per_action(report.summary),
        _confusion(report.summary),
        _by_tag(report.summary),
        _calibration(report.summary),
        _misses(report.summary),
        _judge(report),
    ]
    if guide:
        sections.append(GUIDE)
    return "\n\n".join(sections) + "\n"


def _title(report: EvalReport) -> str:
    meta = report.meta
    version = f" · prompt version `{meta.prompt_version}`" if meta.prompt_version else ""
    models = ", ".join(meta.models) or "–"
    return (
        f"# Eval report: `{meta.reasoner}` on `{Path(meta.dataset).name}`\n\n"
        f"Run `{meta.run_id}` · {meta.started_at:%Y-%m-%d %H:%M:%S} UTC · "
        f"{(meta.finished_at - meta.started_at).total_seconds():.1f} s · "
        f"concurrency {meta.concurrency}\n\n"
        f"Dataset `{meta.dataset}` ({report.summary.cases} cases, sha256 "
        f"`{meta.dataset_sha256[:12]}`) · models: {models}{version}"
    )


def gate_line(report: EvalReport) -> str:
    s, meta = report.summary, report.meta
    verdict = "PASS" if report.gate_passed else "FAIL"
    relation = ">=" if report.gate_passed else "<"
    if s.acceptable_agreement is not None:
        figure = f"acceptable to the oracle {pct(s.acceptable_agreement)}"
    else:
        figure = f"agreement {pct(s.agreement)}"
    return f"gate: {verdict} ({figure} {relation} minimum {pct(meta.min_agreement)})"


def _headline(report: EvalReport) -> str:
    s = report.summary
    rows = [
        (
            "Agreement with the expected action",
            f"{pct(s.agreement)} ({s.agreed}/{s.cases}), 95 % CI "
            f"{pct(s.agreement_low)} – {pct(s.agreement_high)}",
        ),
        *(
            [
                (
                    "Acceptable to the oracle",
                    f"{pct(s.acceptable_agreement)} of {s.acceptable_cases} oracle-labelled cases",
                )
            ]
            if s.acceptable_agreement is not None
            else []
        ),
        ("Cohen's kappa", num(s.kappa)),
        ("Macro F1", num(s.macro_f1)),
        (
            "Root-cause agreement",
            f"{pct(s.root_cause_agreement)} of {s.root_cause_cases} labelled cases",
        ),
        ("Calibration: ECE / Brier", f"{num(s.ece, 3)} / {num(s.brier, 3)}"),
        (
            "Regeneration rate",
            f"{pct(s.regeneration_rate)} (mean {num(s.mean_regenerations)} per case)",
        ),
        (
            "Latency per case: mean / p50 / p95",
            f"{num(s.latency_ms_mean, 1)} / {num(s.latency_ms_p50, 1)} / "
            f"{num(s.latency_ms_p95, 1)} ms",
        ),
        ("Tokens / cost per case", _cost_text(s)),
        ("Failed cases", str(s.failed)),
    ]
    return "## Headline\n\n" + table(("metric", "value"), rows) + f"\n\n**{gate_line(report)}**"


def _cost_text(s: EvalSummary) -> str:
    if s.tokens_per_case is None:
        return "– (no model calls reported)"
    return f"{s.tokens_per_case:,.0f} tokens / ${s.cost_usd_per_case or 0:.4f}"


def _per_action(s: EvalSummary) -> str:
    rows = [
        (a.action, num(a.precision), num(a.recall), num(a.f1), a.support, a.predicted)
        for a in s.per_action
    ]
    header = ("action", "precision", "recall", "F1", "expected", "predicted")
    return "## Per action\n\n" + table(header, rows)


def _confusion(s: EvalSummary) -> str:
    columns = [ABBREVIATIONS[label] for label in s.confusion_labels]
    rows = [
        (f"{action} ({ABBREVIATIONS[action]})", *counts)
        for action, counts in zip(ACTIONS, s.confusion, strict=True)
    ]
    return (
        "## Confusion matrix\n\nRows: expected action; columns: predicted (ERR = the case "
        "failed).\n\n" + table(("expected \\ predicted", *columns), rows)
    )


def _by_tag(s: EvalSummary) -> str:
    rows = [(t.tag, t.cases, t.agreed, pct(t.agreement)) for t in s.by_tag]
    return "## Agreement by tag\n\n" + table(("tag", "cases", "agreed", "agreement"), rows)


def _calibration(s: EvalSummary) -> str:
    rows = [
        (
            f"{r.low:.1f}–{r.high:.1f}",
            r.count,
            num(r.mean_confidence),
            num(r.accuracy),
            num(None if r.accuracy is None else r.accuracy - (r.mean_confidence or 0)),
        )
        for r in s.reliability
        if r.count
    ]
    header = ("confidence", "cases", "mean confidence", "accuracy", "accuracy − confidence")
    return (
        f"## Calibration\n\nECE {num(s.ece, 3)} · Brier {num(s.brier, 3)}. A well calibrated "
        "reasoner is right about as often as it says: accuracy ≈ mean confidence in every "
        "row; negative gaps mean over-confidence.\n\n" + table(header, rows)
    )


def _misses(s: EvalSummary) -> str:
    if not s.misses:
        return "## Disagreements\n\nNone: every case got its expected action."
    rows = [
        (
            m.case_id,
            m.expected,
            m.predicted or f"ERROR: {m.error}",
            m.predicted_root_cause or "–",
            num(m.confidence),
            ", ".join(m.tags),
        )
        for m in s.misses
    ]
    header = ("case", "expected", "predicted", "predicted root cause", "confidence", "tags")
    return "## Disagreements\n\n" + table(header, rows)


def _judge(report: EvalReport) -> str:
    judge = report.judge
    if judge is None:
        return f"## LLM judge\n\n{report.judge_note}"
    rows = [(name, num(judge.mean_by_criterion.get(name))) for name in CRITERIA]
    rows.append(("overall", num(judge.mean_overall)))
    failed = f", {len(judge.failed)} failed" if judge.failed else ""
    return (
        f"## LLM judge\n\n`{judge.model}` ({judge.prompt_version}), {judge.judged} cases "
        f"judged{failed}; mean score 1-5.\n\n" + table(("criterion", "mean"), rows)
    )


GUIDE = """## How to read this report

- **Agreement** is the share of cases whose recommended action equals the expected one; the
  95 % interval (Wilson) shows how much it could move on another sample of the same size.
  The gate compares the point estimate with `--min-agreement`.
- **Kappa** discounts agreement a reasoner would get by chance from its label frequencies:
  above 0.8 is strong agreement. **Precision** of an action: when the reasoner says it, how
  often it is right; **recall**: of the cases that need it, how many get it.
- **Calibration**: ECE is the average gap between confidence and accuracy (0 is perfect);
  Brier is the mean squared error of confidence as a probability of being right.
- **Disagreements** are the cases to read first: open them in the dataset by id and compare
  the `human_reasoning` with the reasoner's answer in `report.json`.
- See `evals/README.md` for the metric definitions."""
