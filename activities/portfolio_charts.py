"""The portfolio report's charts as PNG bytes (matplotlib, no display): spend against
estimated value by campaign, each experiment's lift with its confidence interval, and each
KPI's attainment against its target. Every chart's numbers are also in the report's tables."""

from __future__ import annotations

import io
from collections.abc import Callable

from domain.portfolio.model import KpiStatus, PortfolioReport
from domain.portfolio.report import CHARTS

_STATUS_COLOURS = {
    KpiStatus.exceeded: "#1b7f3b",
    KpiStatus.on_track: "#5b8def",
    KpiStatus.at_risk: "#d64545",
}
_DECISION_COLOURS = {"scale_variant": "#1b7f3b", "stop": "#d64545", "continue": "#8a8a8a"}


class _Figures:
    """``plt.subplots`` without pyplot's global state: each chart is its own Figure on its own
    Agg canvas, so charts can be drawn in worker threads."""

    @staticmethod
    def subplots(figsize: tuple[float, float]):
        from matplotlib.figure import Figure

        figure = Figure(figsize=figsize)
        return figure, figure.subplots()


def render_charts(report: PortfolioReport) -> dict[str, tuple[str, bytes]]:
    """name -> (title, PNG) for the charts the report has data for."""
    plt = _Figures()
    drawers: dict[str, Callable] = {
        "spend_value": _spend_value,
        "experiment_lift": _experiment_lift,
        "kpi_status": _kpi_status,
    }
    charts = {}
    for name, draw in drawers.items():
        figure = draw(plt, report)
        if figure is None:
            continue
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
        charts[name] = (CHARTS[name], buffer.getvalue())
    return charts


def _spend_value(plt, report: PortfolioReport):
    campaigns = [c for c in report.campaigns if c.spend > 0]
    if not campaigns:
        return None
    campaigns.sort(key=lambda c: c.spend)
    labels = [c.campaign_id for c in campaigns]
    figure, axis = plt.subplots(figsize=(8, 0.42 * len(campaigns) + 1.4))
    rows = range(len(campaigns))
    spend = [c.spend for c in campaigns]
    has_value = all(c.estimated_value is not None for c in campaigns)
    if has_value:
        axis.barh([r + 0.2 for r in rows], spend, height=0.4, label="spend", color="#5b8def")
        axis.barh(
            [r - 0.2 for r in rows],
            [c.estimated_value for c in campaigns],
            height=0.4,
            label="estimated value",
            color="#1b7f3b",
        )
    else:
        axis.barh(list(rows), spend, height=0.6, label="spend", color="#5b8def")
    axis.set_yticks(list(rows), labels)
    axis.set_xlabel("$ over the review window")
    axis.set_title(CHARTS["spend_value"] + ("" if has_value else " (no value per conversion)"))
    axis.legend(loc="lower right")
    axis.grid(axis="x", alpha=0.3)
    return figure


# The lift axis, in %: an interval wider than this (a handful of samples) is cut at the edge.
_LIFT_AXIS = (-100.0, 200.0)


def _experiment_lift(plt, report: PortfolioReport):
    # Experiments still short of the minimum sample have intervals too wide to read.
    shown = [e for e in report.experiments.evaluations if e.lift is not None and e.enough_samples]
    if not shown:
        return None
    figure, axis = plt.subplots(figsize=(8, 0.6 * len(shown) + 1.4))
    threshold = report.experiments.policy.lift_threshold * 100
    edges = [x for e in shown for x in (e.lift_ci_low, e.lift_ci_high, e.lift) if x is not None]
    low_edge = max(_LIFT_AXIS[0], min(-2 * threshold, *(100 * x for x in edges)) - 5)
    high_edge = min(_LIFT_AXIS[1], max(2 * threshold, *(100 * x for x in edges)) + 5)
    for row, e in enumerate(shown):
        lift = e.lift * 100
        colour = "#8a5cd6" if e.srm else _DECISION_COLOURS.get(e.decision.value, "#8a8a8a")
        if e.lift_ci_low is not None and e.lift_ci_high is not None:
            low, high = e.lift_ci_low * 100, e.lift_ci_high * 100
            axis.errorbar(
                lift, row, xerr=[[lift - low], [high - lift]], fmt="o", color=colour, capsize=4
            )
        else:
            axis.plot(lift, row, "o", color=colour)
        label = e.decision.value + (" (SRM)" if e.srm else "")
        axis.annotate(label, (lift, row), textcoords="offset points", xytext=(0, 8), ha="center")
    axis.axvline(0, color="black", linewidth=0.8)
    axis.axvline(threshold, color="#1b7f3b", linestyle="--", linewidth=0.8, label="lift threshold")
    axis.set_yticks(range(len(shown)), [e.experiment_id for e in shown])
    axis.set_xlabel("relative lift of the variant, % (95 % CI)")
    axis.set_title(CHARTS["experiment_lift"])
    axis.set_ylim(-0.7, len(shown) - 0.3)
    axis.set_xlim(low_edge, high_edge)
    axis.legend(loc="lower right")
    axis.grid(axis="x", alpha=0.3)
    return figure


def _kpi_status(plt, report: PortfolioReport):
    shown = [k for k in report.kpis if k.attainment is not None]
    if not shown:
        return None
    figure, axis = plt.subplots(figsize=(8, 0.42 * len(shown) + 1.4))
    cap = 2.0
    values = [min(k.attainment or 0.0, cap) * 100 for k in shown]
    colours = [_STATUS_COLOURS.get(k.status, "#8a8a8a") for k in shown]
    axis.barh(range(len(shown)), values, color=colours)
    t = report.provenance.thresholds
    axis.axvline(100, color="black", linewidth=0.8, label="target")
    axis.axvline(t["warning_ratio"] * 100, color="#e0a000", linestyle="--", label="warning")
    axis.axvline(t["critical_ratio"] * 100, color="#d64545", linestyle="--", label="critical")
    axis.set_yticks(range(len(shown)), [k.label for k in shown])
    axis.set_xlabel(f"% of target (capped at {cap:.0%})")
    axis.set_title(CHARTS["kpi_status"])
    axis.legend(loc="lower right")
    axis.grid(axis="x", alpha=0.3)
    return figure
