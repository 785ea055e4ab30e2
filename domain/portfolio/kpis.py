"""KPIs against targets (the agent's own, its effectiveness, the business) and the ROI ledger.

Status of a KPI from its attainment (value / target, or target / value when lower is better):
above 1 ``exceeded``; from the warning ratio (0.8) up to 1 ``on_track``; below it ``at_risk``,
with severity ``warning`` down to the critical ratio (0.5) and ``critical`` under it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from domain.portfolio.model import (
    AgentRecords,
    CampaignAnalysis,
    KpiResult,
    KpiStatus,
    PortfolioPolicy,
    RoiLedger,
    RunRecord,
)

Direction = Literal["at_least", "at_most"]
AUTO_APPROVAL_REVIEWER = "auto-approval-policy"  # domain.lifecycle's auto-approval reviewer
# A net result within this share of the costs counts as breaking even.
BREAK_EVEN_SHARE = 0.01


def attainment(value: float, target: float, direction: Direction) -> float:
    if direction == "at_least":
        return value / target if target else math.inf
    if value == 0:
        return math.inf if target > 0 else 1.0
    return target / value


def kpi_status(
    value: float | None,
    target: float | None,
    direction: Direction,
    *,
    warning: float = 0.8,
    critical: float = 0.5,
) -> tuple[float | None, KpiStatus, Literal["warning", "critical"] | None]:
    """(attainment, status, severity) of one KPI."""
    if value is None:
        return None, KpiStatus.no_data, None
    if target is None:
        return None, KpiStatus.no_target, None
    ratio = attainment(value, target, direction)
    if ratio > 1:
        return ratio, KpiStatus.exceeded, None
    if ratio >= warning:
        return ratio, KpiStatus.on_track, None
    return ratio, KpiStatus.at_risk, "warning" if ratio >= critical else "critical"


def _kpi(
    group: Literal["operational", "effectiveness", "business"],
    name: str,
    label: str,
    value: float | None,
    target: float | None,
    direction: Direction,
    policy: PortfolioPolicy,
    *,
    unit: str = "",
    basis: str = "",
) -> KpiResult:
    ratio, status, severity = kpi_status(
        value, target, direction, warning=policy.warning_ratio, critical=policy.critical_ratio
    )
    return KpiResult(
        group=group,
        name=name,
        label=label,
        value=value,
        target=target,
        direction=direction,
        unit=unit,
        attainment=None if ratio is None or math.isinf(ratio) else ratio,
        status=status,
        severity=severity,
        basis=basis,
    )


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0-100): a value that occurred, not an interpolation."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def agent_kpis(records: AgentRecords, policy: PortfolioPolicy) -> list[KpiResult]:
    """Operational and effectiveness KPIs, from the runs in our store."""
    t = policy.targets
    runs = records.runs
    attempted = [r for r in runs if r.execution is not None]
    applied = sum(1 for r in attempted if r.execution)
    latencies = [r.latency_seconds for r in runs if r.latency_seconds is not None]
    decided = [r for r in runs if r.decision is not None]
    human = [r for r in decided if not is_auto(r)]
    approved = sum(1 for r in decided if r.decision == "approved")
    violations = sum(1 for r in runs if r.policy_violation)
    outcomes = [r.outcome for r in runs if r.outcome is not None]
    conclusive = [o for o in outcomes if o.verdict != "inconclusive"]
    ages = list(records.snapshot_ages_hours.values())
    return [
        _kpi(
            "operational",
            "execution_success_rate",
            "Execution success rate",
            _share(applied, len(attempted)),
            t.execution_success_rate,
            "at_least",
            policy,
            unit="share",
            basis=f"{applied} of {len(attempted)} approved changes applied",
        ),
        _kpi(
            "operational",
            "analysis_latency_p95_seconds",
            "Analysis latency (p95)",
            percentile(latencies, 95),
            t.analysis_latency_p95_seconds,
            "at_most",
            policy,
            unit="s",
            basis=f"{len(latencies)} analyses, first step to the validated draft",
        ),
        _kpi(
            "operational",
            "human_review_rate",
            "Human review rate",
            _share(len(human), len(decided)),
            t.human_review_rate,
            "at_most",
            policy,
            unit="share",
            basis=f"{len(human)} of {len(decided)} decisions taken by a person",
        ),
        _kpi(
            "operational",
            "policy_violations",
            "Policy violations",
            float(violations),
            t.policy_violations,
            "at_most",
            policy,
            unit="count",
            basis=f"runs stopped by a guardrail violation, of {len(runs)} runs",
        ),
        _kpi(
            "operational",
            "data_freshness_hours",
            "Data freshness (stalest campaign)",
            max(ages) if ages else None,
            t.data_freshness_hours,
            "at_most",
            policy,
            unit="h",
            basis=f"hours since our last snapshot, {len(ages)} campaign(s) ever analysed",
        ),
        _kpi(
            "effectiveness",
            "acceptance_rate",
            "Recommendation acceptance",
            _share(approved, len(decided)),
            t.acceptance_rate,
            "at_least",
            policy,
            unit="share",
            basis=f"{approved} of {len(decided)} decided recommendations approved",
        ),
        _kpi(
            "effectiveness",
            "outcome_success_rate",
            "Outcome success rate",
            _share(sum(1 for o in conclusive if o.success), len(conclusive)),
            t.outcome_success_rate,
            "at_least",
            policy,
            unit="share",
            basis=f"{len(conclusive)} conclusive outcomes of {len(outcomes)} measured",
        ),
    ]


def business_kpis(
    campaigns: Sequence[CampaignAnalysis], policy: PortfolioPolicy
) -> list[KpiResult]:
    """Account CPA and ROAS against the account's targets (the baseline CPA when none is set)."""
    spend = sum(c.spend for c in campaigns)
    conversions = sum(c.conversions for c in campaigns)
    cpa = spend / conversions if conversions else None
    target_cpa, basis = policy.account_target_cpa, "the account's target CPA"
    if target_cpa is None:
        target_cpa, basis = _baseline_cpa(campaigns)
    values = [c.estimated_value for c in campaigns if c.spend > 0]
    value = sum(v for v in values if v is not None) if values and None not in values else None
    roas = value / spend if value is not None and spend else None
    return [
        _kpi(
            "business",
            "account_cpa",
            "Account CPA",
            cpa,
            target_cpa,
            "at_most",
            policy,
            unit="$",
            basis=f"${spend:,.2f} spend / {conversions:,.0f} conversions; target: {basis}",
        ),
        _kpi(
            "business",
            "roas",
            "Return on ad spend",
            roas,
            policy.target_roas,
            "at_least",
            policy,
            unit="x",
            basis="estimated value / spend"
            + ("" if value is not None else " (no value per conversion set)"),
        ),
    ]


def _baseline_cpa(campaigns: Sequence[CampaignAnalysis]) -> tuple[float | None, str]:
    """Spend-weighted baseline CPA of the campaigns measured against their baseline."""
    baselines = [c for c in campaigns if c.target is not None and c.kpi == "cpa" and c.spend > 0]
    if not baselines:
        return None, "none"
    spend = sum(c.spend for c in baselines)
    expected = sum(c.spend / c.target for c in baselines if c.target)
    return spend / expected, "the campaigns' targets (or baselines), spend-weighted"


def is_auto(run: RunRecord) -> bool:
    return run.auto_approved or run.reviewer == AUTO_APPROVAL_REVIEWER


# ----------------------------------------------------------------------------- ROI


def roi_ledger(
    campaigns: Sequence[CampaignAnalysis], records: AgentRecords, policy: PortfolioPolicy
) -> RoiLedger:
    spend = sum(c.spend for c in campaigns)
    conversions = sum(c.conversions for c in campaigns)
    priced = [c for c in campaigns if c.conversions > 0]
    unpriced = [c.campaign_id for c in priced if c.estimated_value is None]
    value = None if unpriced else sum(c.estimated_value or 0.0 for c in campaigns)
    if value is None:
        basis = f"no value per conversion for {', '.join(unpriced)}"
    elif policy.campaign_values:
        basis = "value per conversion set per campaign"
    else:
        basis = f"${policy.value_per_conversion or 0:,.2f} per conversion (assumed)"
    llm_cost = sum(r.llm_cost_usd for r in records.runs)
    llm_calls = sum(r.llm_calls for r in records.runs)
    reviews = sum(1 for r in records.runs if r.decision is not None and not is_auto(r))
    human_cost = reviews * policy.review_minutes / 60 * policy.reviewer_hourly_rate
    agent_cost = llm_cost + human_cost
    total = spend + agent_cost
    net = None if value is None else value - total
    net_roi = None if net is None or not total else net / total
    savings, counted = measured_savings(records)
    agent_roi = None if savings is None or not agent_cost else (savings - agent_cost) / agent_cost
    return RoiLedger(
        media_spend=spend,
        conversions=conversions,
        estimated_value=value,
        value_basis=basis,
        llm_cost_usd=llm_cost,
        llm_calls=llm_calls,
        human_reviews=reviews,
        review_minutes=policy.review_minutes,
        reviewer_hourly_rate=policy.reviewer_hourly_rate,
        human_review_cost=human_cost,
        agent_cost=agent_cost,
        total_cost=total,
        net=net,
        net_roi=net_roi,
        status=_roi_status(net, total),
        measured_savings=savings,
        outcomes_counted=counted,
        agent_roi=agent_roi,
        agent_status=(
            "unknown"
            if savings is None
            else "paying_for_itself"
            if savings >= agent_cost
            else "not_yet"
        ),
    )


def measured_savings(records: AgentRecords) -> tuple[float | None, int]:
    """What the measured CPA outcomes saved: the after window's conversions bought at the CPA
    expected without the action minus at the CPA measured (negative when CPA rose). The
    expected CPA is the outcome's ``before_value``: the no-action forecast when the outcome was
    judged against one, else the CPA before. None without such outcomes."""
    total, counted = 0.0, 0
    for run in records.runs:
        o = run.outcome
        if o is None or o.metric != "cpa" or o.before_value is None or o.after_value is None:
            continue
        if o.after_conversions is None:
            continue
        total += o.after_conversions * (o.before_value - o.after_value)
        counted += 1
    return (total if counted else None), counted


def _roi_status(
    net: float | None, total: float
) -> Literal["profitable", "break_even", "loss", "unknown"]:
    if net is None:
        return "unknown"
    if abs(net) <= BREAK_EVEN_SHARE * total:
        return "break_even"
    return "profitable" if net > 0 else "loss"
