"""The review as markdown: headline table first, then each section, charts and provenance."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from domain.portfolio.model import KpiResult, PortfolioReport

# Chart name -> title: the charts the report embeds (rendered to PNG by the activities).
CHARTS = {
    "spend_value": "Spend and estimated value by campaign",
    "experiment_lift": "Experiment lift with 95 % confidence interval",
    "kpi_status": "KPIs against target",
}


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(" --- " for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _money(value: float | None) -> str:
    return "–" if value is None else money(value)


def money(value: float) -> str:
    """$1,234.50 and -$1,234.50 (the sign before the currency)."""
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def _pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}%}"


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def kpi_value(kpi: KpiResult, value: float | None) -> str:
    if value is None:
        return "–"
    if kpi.unit == "share":
        return _pct(value)
    if kpi.unit == "$":
        return _money(value)
    if kpi.unit == "count":
        return f"{value:,.0f}"
    return f"{value:,.2f} {kpi.unit}".strip()


def render_markdown(report: PortfolioReport, chart_url: str = "charts/{name}.png") -> str:
    p = report.provenance
    window = (
        f"{p.data_window_start} to {p.data_window_end}"
        if p.data_window_start
        else "no campaign data"
    )
    out = [
        f"# Portfolio review {report.review_id}",
        "",
        f"As of {report.as_of:%Y-%m-%d %H:%M} UTC; campaign data {window}.",
        "",
        "## Headline",
        "",
        _table(["", "value", "status"], [(r.label, r.value, r.status) for r in report.headline]),
        "",
    ]
    if report.executive_summary:
        out += ["## Executive summary", "", report.executive_summary, ""]
    if report.summary_note:
        out += [f"_Executive summary: {report.summary_note}_", ""]
    out += _recommendations(report) + _campaigns(report) + _experiments(report)
    out += _kpis(report) + _roi(report) + _risks(report) + _budget(report)
    if report.charts:
        out += ["## Charts", ""]
        out += [f"![{c.title}]({chart_url.format(name=c.name)})\n" for c in report.charts]
    out += _provenance(report)
    return "\n".join(out).rstrip() + "\n"


def _recommendations(report: PortfolioReport) -> list[str]:
    out = ["## Recommendations", ""]
    if not report.recommendations:
        return out + ["Nothing calls for action.", ""]
    out.append(
        _table(
            [
                "#",
                "priority",
                "category",
                "action",
                "target",
                "expected impact",
                "confidence",
                "current → recommended",
                "lifecycle",
            ],
            [
                (
                    r.number,
                    r.priority,
                    r.category,
                    r.action,
                    r.target,
                    r.expected_impact,
                    f"{r.confidence:.2f}",
                    f"{r.current_value} → {r.recommended_value}",
                    "one API call" if r.lifecycle else "manual",
                )
                for r in report.recommendations
            ],
        )
    )
    out.append("")
    for r in report.recommendations:
        out += [f"**{r.number}. {r.action} ({r.target})**: {r.rationale}.", ""]
        out += [f"{i}. {step}" for i, step in enumerate(r.steps, start=1)]
        if r.manual_reason:
            out.append(f"\n_Manual: {r.manual_reason}._")
        out.append("")
    return out


def _campaigns(report: PortfolioReport) -> list[str]:
    rows = [
        (
            c.campaign_id,
            c.campaign_name,
            _money(c.spend),
            f"{c.conversions:,.0f}",
            _money(c.cpa),
            c.kpi.value,
            _num(c.target),
            _num(c.actual),
            _pct(c.attainment),
            c.band.value,
        )
        for c in report.campaigns
    ]
    sources = sorted({c.target_source for c in report.campaigns})
    return [
        "## Campaigns against target",
        "",
        _table(
            [
                "campaign",
                "name",
                "spend",
                "conversions",
                "CPA",
                "KPI",
                "target",
                "actual",
                "of target",
                "band",
            ],
            rows,
        ),
        "",
        f"Bands: exceeding above {report.provenance.thresholds['exceeding_ratio']:.0%} of "
        f"target, below under {report.provenance.thresholds['below_ratio']:.0%}. Targets: "
        + "; ".join(sources)
        + ".",
        "",
    ]


def _experiments(report: PortfolioReport) -> list[str]:
    evaluations = report.experiments.evaluations
    out = ["## Experiments", ""]
    if not evaluations:
        return out + ["No experiments imported or served by the platform.", ""]
    rows = [
        (
            e.experiment_id,
            e.metric,
            f"{e.control_conversions:,}/{e.control_samples:,} ({_pct(e.control_rate, 2)})",
            f"{e.variant_conversions:,}/{e.variant_samples:,} ({_pct(e.variant_rate, 2)})",
            _pct(e.lift),
            f"{_pct(e.lift_ci_low)} to {_pct(e.lift_ci_high)}"
            if e.lift_ci_low is not None
            else "–",
            _num(e.z),
            "–" if e.p_value is None else f"{e.p_value:.2g}",
            "–" if e.p_adjusted is None else f"{e.p_adjusted:.2g}",
            "–" if e.srm_p_value is None else f"{e.srm_p_value:.2g}" + (" SRM" if e.srm else ""),
            e.decision.value,
        )
        for e in evaluations
    ]
    out += [
        _table(
            [
                "experiment",
                "metric",
                "control",
                "variant",
                "lift",
                "95 % CI",
                "z",
                "p",
                "adjusted p",
                "SRM p",
                "decision",
            ],
            rows,
        ),
        "",
        f"Two-proportion z-test (pooled); multiple-testing correction: "
        f"{report.experiments.correction}. Minimum "
        f"{report.experiments.policy.min_samples} samples per arm, lift threshold "
        f"{report.experiments.policy.lift_threshold:.0%}, sample-ratio mismatch at p < "
        f"{report.experiments.policy.srm_alpha:g} (only with a planned split).",
        "",
    ]
    out += [f"- {e.experiment_id}: {e.reason}" for e in evaluations]
    return out + [""]


def _kpis(report: PortfolioReport) -> list[str]:
    rows = [
        (
            k.group,
            k.label,
            kpi_value(k, k.value),
            ("≥ " if k.direction == "at_least" else "≤ ") + kpi_value(k, k.target)
            if k.target is not None
            else "–",
            k.status.value + (f" ({k.severity})" if k.severity else ""),
            k.basis,
        )
        for k in report.kpis
    ]
    t = report.provenance.thresholds
    return [
        "## KPIs",
        "",
        _table(["group", "KPI", "value", "target", "status", "basis"], rows),
        "",
        f"Attainment = value / target (target / value when lower is better): above 100 % "
        f"exceeded, from {t['warning_ratio']:.0%} on track, below it at risk (critical under "
        f"{t['critical_ratio']:.0%}).",
        "",
    ]


def _roi(report: PortfolioReport) -> list[str]:
    r = report.roi
    rows = [
        ("Media spend", _money(r.media_spend)),
        ("Conversions", f"{r.conversions:,.0f}"),
        ("Estimated value", f"{_money(r.estimated_value)} ({r.value_basis})"),
        ("LLM cost", f"{_money(r.llm_cost_usd)} ({r.llm_calls} calls)"),
        (
            "Human review cost",
            f"{_money(r.human_review_cost)} ({r.human_reviews} decisions × "
            f"{r.review_minutes:g} min × ${r.reviewer_hourly_rate:,.2f}/h)",
        ),
        ("Agent cost", _money(r.agent_cost)),
        ("Total cost", _money(r.total_cost)),
        ("Net", _money(r.net)),
        ("Net ROI", f"{_pct(r.net_roi)} ({r.status})"),
        (
            "Measured savings",
            f"{_money(r.measured_savings)} ({r.outcomes_counted} CPA outcome(s))",
        ),
        ("Agent ROI", f"{_pct(r.agent_roi)} ({r.agent_status})"),
    ]
    return [
        "## ROI ledger",
        "",
        _table(["line", "amount"], rows),
        "",
        "Net = estimated value − media spend − agent cost; net ROI = net / total cost. "
        "Measured savings: each measured CPA outcome's after-window conversions × (the CPA "
        "expected without the action − the CPA measured after it), the expected CPA being the "
        "no-action forecast when the outcome has one, else the CPA before; negative when CPA "
        "rose. Agent ROI = (savings − agent cost) / agent cost.",
        "",
    ]


def _risks(report: PortfolioReport) -> list[str]:
    out = ["## Risk signals", ""]
    if not report.risks:
        return out + ["None.", ""]
    rows = [(r.severity.value, r.campaign_id, r.kind, r.detail) for r in report.risks]
    return out + [_table(["severity", "campaign", "kind", "detail"], rows), ""]


def _budget(report: PortfolioReport) -> list[str]:
    out = ["## Budget (Thompson sampling)", ""]
    budget = report.budget
    if budget is None:
        out += [f"Across campaigns: {report.budget_note}.", ""]
    else:
        rows = [
            (
                a.arm_id,
                _money(a.current),
                _money(a.recommended),
                f"{a.change:+,.2f}",
                f"{a.p_best:.3f}",
                f"${1 / a.rate_mean:,.2f}" if a.rate_mean else "–",
                f"{a.evidence_conversions:,.0f} on {_money(a.evidence_spend)}"
                if a.evidence_spend
                else "–",
            )
            for a in budget.arms
        ]
        out += [
            _table(
                [
                    "campaign",
                    "daily budget",
                    "recommended",
                    "change",
                    "P(best)",
                    "posterior CPA",
                    "outcome evidence",
                ],
                rows,
            ),
            "",
            f"Model: {budget.model}; seed {budget.seed}, {budget.draws:,} draws; at most "
            f"{budget.volatility_cap:.0%} per campaign per change"
            + (f"; {budget.note}" if budget.note else "")
            + (f"; {report.budget_note}" if report.budget_note else "")
            + ".",
            "",
        ]
    if report.segment_budgets:
        rows = []
        for s in report.segment_budgets:
            move = s.allocation.move
            rows.append(
                (
                    s.campaign_id,
                    f"{move.from_arm} → {move.to_arm}" if move else "–",
                    _money(move.amount) if move else "–",
                    f"{move.p_better:.3f}" if move else "–",
                    f"{move.propensity:.3f}" if move else "–",
                    s.allocation.seed,
                )
            )
        out += [
            "Within campaigns (segments), the largest single move toward each allocation:",
            "",
            _table(["campaign", "move", "amount/day", "P(better)", "propensity", "seed"], rows),
            "",
        ]
    return out


def _provenance(report: PortfolioReport) -> list[str]:
    p = report.provenance
    thresholds = ", ".join(
        f"{key} {value}" for key, value in p.thresholds.items() if not isinstance(value, dict)
    )
    versions = ", ".join(f"{k} {v}" for k, v in sorted(p.versions.items()))
    return [
        "## Provenance",
        "",
        f"- Review {p.review_id}, format {p.format}, as of {p.as_of:%Y-%m-%d %H:%M:%S} UTC",
        f"- Campaign data window: {p.data_window_start} to {p.data_window_end}",
        f"- Our records: {p.records_since:%Y-%m-%d %H:%M} to {p.records_until:%Y-%m-%d %H:%M} UTC",
        *[f"- Source: {s}" for s in p.sources],
        f"- Versions: {versions}",
        f"- Optimiser seed: {p.seed}",
        f"- Multiple-testing correction: {p.correction}",
        f"- Thresholds: {thresholds}",
        "",
    ]
