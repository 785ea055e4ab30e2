"""``review_portfolio``: everything the review computes, from what the activities collected."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from domain.portfolio.budgets import campaign_allocation, segment_allocations
from domain.portfolio.campaigns import analyse_campaign, risk_signals
from domain.portfolio.experiments import ExperimentDecision, evaluate_experiments
from domain.portfolio.kpis import agent_kpis, business_kpis, roi_ledger
from domain.portfolio.model import (
    AgentRecords,
    Band,
    HeadlineRow,
    KpiStatus,
    PlatformData,
    PortfolioPolicy,
    PortfolioReport,
    Provenance,
    Severity,
)
from domain.portfolio.recommend import recommendations
from domain.portfolio.report import money


class ReviewInput(BaseModel):
    """The ``analyze_portfolio`` activity's input: the seed is drawn by the workflow and kept
    in its history, so the optimiser's decision is replayable."""

    review_id: str
    as_of: datetime
    seed: int
    policy: PortfolioPolicy = Field(default_factory=PortfolioPolicy)
    platform: PlatformData
    records: AgentRecords
    versions: dict[str, str] = Field(default_factory=dict)


def review_portfolio(inp: ReviewInput) -> PortfolioReport:
    policy, platform, records = inp.policy, inp.platform, inp.records
    today = inp.as_of.date()
    snapshots = platform.campaigns
    campaigns = [analyse_campaign(s, policy) for s in snapshots]
    risks = [risk for s in snapshots for risk in risk_signals(s, policy, today)]
    risks.sort(key=lambda r: (_SEVERITY_RANK[r.severity], r.campaign_id, r.kind))
    experiments = evaluate_experiments(
        _unique_experiments(records.experiments + platform.experiments), policy.experiments
    )
    kpis = agent_kpis(records, policy) + business_kpis(campaigns, policy)
    roi = roi_ledger(campaigns, records, policy)
    critical = {r.campaign_id for r in risks if r.severity is Severity.critical}
    budget, budget_note = campaign_allocation(snapshots, records, policy, inp.seed, critical)
    segments = segment_allocations(snapshots, policy, inp.seed, critical)
    items = recommendations(
        review_id=inp.review_id,
        as_of=inp.as_of,
        snapshots=snapshots,
        campaigns=campaigns,
        risks=risks,
        experiments=experiments.evaluations,
        budget=budget,
        segments=segments,
        policy=policy,
    )
    starts = [s.metrics.period_start for s in snapshots if s.metrics]
    ends = [s.metrics.period_end for s in snapshots if s.metrics]
    report = PortfolioReport(
        review_id=inp.review_id,
        as_of=inp.as_of,
        headline=[],
        campaigns=campaigns,
        experiments=experiments,
        kpis=kpis,
        roi=roi,
        risks=risks,
        budget=budget,
        budget_note=budget_note,
        segment_budgets=segments,
        recommendations=items,
        provenance=Provenance(
            review_id=inp.review_id,
            as_of=inp.as_of,
            data_window_start=min(starts) if starts else None,
            data_window_end=max(ends) if ends else None,
            records_since=records.since,
            records_until=records.until,
            sources=_sources(platform, records),
            versions=inp.versions,
            seed=inp.seed,
            thresholds=policy.model_dump(
                mode="json", exclude={"campaign_targets", "campaign_values"}
            ),
            correction=experiments.correction,
        ),
    )
    return report.model_copy(update={"headline": headline(report)})


_SEVERITY_RANK = {Severity.critical: 0, Severity.warning: 1, Severity.info: 2}


def _unique_experiments(experiments):
    """Imported experiments win over the platform's copy of the same id."""
    seen, unique = set(), []
    for e in experiments:
        if e.experiment_id not in seen:
            seen.add(e.experiment_id)
            unique.append(e)
    return unique


def _sources(platform: PlatformData, records: AgentRecords) -> list[str]:
    read = sum(1 for s in platform.campaigns if s.metrics is not None)
    imported = len(records.experiments)
    sources = [
        f"ad platform '{platform.platform}': {read} of {len(platform.campaigns)} campaigns' "
        f"metrics over the last {platform.window_days} reported days, segments, settings, "
        "30-day history",
        f"ad platform experiments: {len(platform.experiments)}"
        + (
            f" (unavailable: {platform.experiments_problem})"
            if platform.experiments_problem
            else ""
        ),
        f"imported experiments: {imported}",
        f"our store: {len(records.runs)} recommendation runs created since "
        f"{records.since:%Y-%m-%d %H:%M} UTC (decisions, executions, outcomes, LLM usage), "
        f"{len(records.reallocation_outcomes)} measured reallocation outcomes, campaign snapshots",
    ]
    return sources


def headline(report: PortfolioReport) -> list[HeadlineRow]:
    """The table a lead reads first."""
    bands = {band: sum(1 for c in report.campaigns if c.band is band) for band in Band}
    roi = report.roi
    cpa = roi.media_spend / roi.conversions if roi.conversions else None
    decisions = [e.decision for e in report.experiments.evaluations]
    statuses = [k.status for k in report.kpis]
    critical = sum(1 for r in report.risks if r.severity is Severity.critical)
    warnings = sum(1 for r in report.risks if r.severity is Severity.warning)
    rows = [
        HeadlineRow(
            label="Campaigns",
            value=(
                f"{len(report.campaigns)}: {bands[Band.exceeding]} exceeding, "
                f"{bands[Band.meeting]} meeting, {bands[Band.below]} below target"
                + (f", {bands[Band.unknown]} unknown" if bands[Band.unknown] else "")
            ),
            status="below target" if bands[Band.below] else "ok",
        ),
        HeadlineRow(
            label="Spend and conversions",
            value=f"${roi.media_spend:,.2f}, {roi.conversions:,.0f} conversions"
            + (f", CPA ${cpa:,.2f}" if cpa else ""),
        ),
        HeadlineRow(
            label="Estimated value and net ROI",
            value=(
                f"${roi.estimated_value:,.2f}, net ROI {roi.net_roi:+.1%}"
                if roi.estimated_value is not None and roi.net_roi is not None
                else f"unknown ({roi.value_basis})"
            ),
            status=roi.status,
        ),
        HeadlineRow(
            label="Agent cost and measured savings",
            value=(
                f"${roi.agent_cost:,.2f} (LLM ${roi.llm_cost_usd:,.2f}, reviews "
                f"${roi.human_review_cost:,.2f}); savings "
                + (
                    f"{money(roi.measured_savings)} from {roi.outcomes_counted} outcome(s)"
                    if roi.measured_savings is not None
                    else "not measured yet"
                )
            ),
            status=roi.agent_status,
        ),
        HeadlineRow(
            label="Experiments",
            value=(
                f"{len(decisions)}: {decisions.count(ExperimentDecision.scale_variant)} to scale, "
                f"{decisions.count(ExperimentDecision.stop)} to stop, "
                f"{decisions.count(ExperimentDecision.continue_)} to continue"
            ),
        ),
        HeadlineRow(
            label="KPIs",
            value=(
                f"{len(statuses)}: {statuses.count(KpiStatus.exceeded)} exceeded, "
                f"{statuses.count(KpiStatus.on_track)} on track, "
                f"{statuses.count(KpiStatus.at_risk)} at risk, "
                f"{statuses.count(KpiStatus.no_data) + statuses.count(KpiStatus.no_target)} "
                "without data or target"
            ),
            status="at risk" if KpiStatus.at_risk in statuses else "ok",
        ),
        HeadlineRow(
            label="Risk signals",
            value=f"{critical} critical, {warnings} warning(s)",
            status="critical" if critical else "ok",
        ),
        HeadlineRow(label="Budget", value=_budget_line(report)),
    ]
    if report.recommendations:
        top = report.recommendations[0]
        rows.append(
            HeadlineRow(
                label="Top recommendation",
                value=f"#{top.number} {top.action} on {top.target}: {top.expected_impact}",
                status=top.priority,
            )
        )
    return rows


def _budget_line(report: PortfolioReport) -> str:
    budget = report.budget
    if budget is None:
        return f"across campaigns: {report.budget_note}"
    move = budget.move
    if move is None or move.amount < 1:
        return "across campaigns: the current split is what the optimiser would keep"
    return (
        f"across campaigns: move ${move.amount:,.2f}/day {move.from_arm} -> {move.to_arm} "
        f"(P(better) {move.p_better:.1%})"
    )
