"""The prioritised, quantified recommendation list, and the lifecycle proposals behind it.

Each item says what to do, to what, why, what it is expected to bring (per week, in
conversions or dollars), how sure the review is, the current and recommended value and the
steps. Items that are one of the six actions on one campaign carry a ``LifecycleEntry``: one API
call starts a recommendation run for the campaign whose first draft is the proposal (critique,
guardrails, review, execution and the 3-day outcome as for any run). The others (experiment
calls, budget moves between campaigns) say why a person carries them out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from domain.budget import BudgetAllocation
from domain.portfolio.experiments import ExperimentDecision, ExperimentEvaluation
from domain.portfolio.model import (
    Band,
    CampaignAnalysis,
    CampaignSnapshot,
    LifecycleEntry,
    PortfolioPolicy,
    PortfolioRecommendation,
    RiskSignal,
    SegmentAllocation,
    Severity,
    TargetKpi,
)
from domain.recommendation import (
    ActionParameters,
    ActionType,
    Alternative,
    ExpectedImpact,
    Recommendation,
    RiskLevel,
    RootCause,
)

PROPOSAL_MODEL = "portfolio-review"
_PRIORITY_RANK = {"high": 0, "medium": 1, "low": 2}
_PAUSE_KINDS = ("zero_conversions", "tracking_gap")
_NO_EXPERIMENT_ACTION = (
    "an experiment is rolled out or stopped in the testing tool: none of the agent's six "
    "ad-platform actions does it"
)
_NO_CAMPAIGN_BUDGET_ACTION = (
    "the ad-platform port has no action that sets a campaign's daily budget: change both "
    "budgets in the platform"
)


class _Draft:
    """A recommendation before it is numbered."""

    def __init__(self, priority: str, **fields: object) -> None:
        self.priority = priority
        self.fields = fields


def recommendations(
    *,
    review_id: str,
    as_of: datetime,
    snapshots: Sequence[CampaignSnapshot],
    campaigns: Sequence[CampaignAnalysis],
    risks: Sequence[RiskSignal],
    experiments: Sequence[ExperimentEvaluation],
    budget: BudgetAllocation | None,
    segments: Sequence[SegmentAllocation],
    policy: PortfolioPolicy,
) -> list[PortfolioRecommendation]:
    by_id = {s.campaign_id: s for s in snapshots}
    drafts: list[_Draft] = []
    paused = set()
    # Zero conversions first: it carries the spend the pause stops.
    stopping = sorted(
        (r for r in risks if r.severity is Severity.critical and r.kind in _PAUSE_KINDS),
        key=lambda r: (r.campaign_id, _PAUSE_KINDS.index(r.kind)),
    )
    for risk in stopping:
        if risk.campaign_id not in paused:
            paused.add(risk.campaign_id)
            drafts.append(_pause(by_id[risk.campaign_id], risk, review_id, as_of, policy))
    for analysis in campaigns:
        active = analysis.status.lower() != "paused"
        if analysis.band is Band.below and analysis.campaign_id not in paused and active:
            drafts.append(_below_target(analysis, policy))
    drafts.extend(_experiment(e) for e in experiments if _is_called(e))
    if budget is not None and budget.move is not None:
        draft = _campaign_move(budget, policy)
        if draft is not None:
            drafts.append(draft)
    for segment in segments:
        draft = _segment_move(
            by_id[segment.campaign_id], segment.allocation, review_id, as_of, policy
        )
        if draft is not None:
            drafts.append(draft)
    drafts.sort(
        key=lambda d: (
            _PRIORITY_RANK[d.priority],
            -(d.fields.get("expected_value_per_week") or 0.0),
            -float(d.fields["confidence"]),  # type: ignore[arg-type]
        )
    )
    numbered = []
    for number, draft in enumerate(drafts, start=1):
        fields = dict(draft.fields)
        lifecycle = fields.get("lifecycle")
        if isinstance(lifecycle, LifecycleEntry) and lifecycle.proposal is not None:
            proposal = lifecycle.proposal
            note = f" Proposed by portfolio review {review_id}, recommendation {number}."
            fields["lifecycle"] = lifecycle.model_copy(
                update={
                    "proposal": proposal.model_copy(update={"reasoning": proposal.reasoning + note})
                }
            )
        numbered.append(
            PortfolioRecommendation(number=number, priority=draft.priority, **fields)  # type: ignore[arg-type]
        )
    return numbered


def _per_week(amount_per_window: float, policy: PortfolioPolicy) -> float:
    return amount_per_window * 7 / policy.window_days


def _pause(
    snapshot: CampaignSnapshot,
    risk: RiskSignal,
    review_id: str,
    as_of: datetime,
    policy: PortfolioPolicy,
) -> _Draft:
    m = snapshot.metrics
    assert m is not None
    weekly = _per_week(m.spend, policy)
    confident = m.clicks >= policy.zero_conversion_min_clicks
    confidence = 0.9 if confident else 0.6
    rationale = (
        f"{risk.detail} in the last {policy.window_days} reported days: that money buys "
        "nothing the account can see, whether tracking or the landing page is broken"
    )
    proposal = Recommendation(
        campaign_id=snapshot.campaign_id,
        recommended_action=ActionType.campaign_pause,
        specific_action=(
            f"pause campaign '{snapshot.campaign_name}' ({snapshot.campaign_id}) until "
            f"conversion tracking and the landing page are verified: ${m.spend:,.2f} spent with "
            f"{m.clicks:,} clicks and {m.conversions:,.0f} conversions over "
            f"{policy.window_days} days"
        ),
        parameters=ActionParameters(),
        reasoning=rationale + ".",
        signal_analysis=(
            f"Portfolio review {review_id}: {risk.kind.replace('_', ' ')} ({risk.detail})."
        ),
        root_cause=RootCause.fundamental_problem,
        supporting_evidence=[risk.detail],
        expected_impact=ExpectedImpact(
            metric="spend",
            change_pct=-100.0,
            timeframe_days=3,
            description="spend stops: no more budget without conversions",
        ),
        risk_level=RiskLevel.high,
        risk_factors=[
            "pausing stops all delivery, including conversions the tracking may be missing"
        ],
        alternatives_considered=[
            Alternative(
                action=ActionType.continue_monitoring,
                why_not=f"waiting spends about ${weekly:,.0f} a week with nothing to show for it",
            )
        ],
        success_metrics=[
            "spend stops within 1 day",
            "a test conversion is recorded before resuming",
        ],
        confidence=confidence,
        confidence_reasoning=(
            f"{m.clicks:,} clicks without a conversion"
            + ("" if confident else f", fewer than {policy.zero_conversion_min_clicks}")
        ),
        generated_at=as_of,
        model=PROPOSAL_MODEL,
    )
    return _Draft(
        "high",
        category="risk",
        action=ActionType.campaign_pause.value,
        target=snapshot.campaign_id,
        rationale=rationale,
        expected_impact=f"stops about ${weekly:,.2f} a week of spend without conversions",
        impact_value=-weekly,
        impact_unit="$ spend per week",
        expected_value_per_week=weekly,
        confidence=confidence,
        current_value=f"{snapshot.status}, ${m.daily_budget:,.2f}/day",
        recommended_value="paused",
        steps=[
            "send it into the lifecycle: a reviewer approves the pause",
            "check conversion tracking (pixel or tag fires on the thank-you page)",
            "check the landing page loads and its form submits",
            "resume once a test conversion is recorded",
        ],
        lifecycle=LifecycleEntry(campaign_id=snapshot.campaign_id, proposal=proposal),
    )


def _below_target(analysis: CampaignAnalysis, policy: PortfolioPolicy) -> _Draft:
    attainment = analysis.attainment or 0.0
    priority = "high" if attainment < policy.critical_ratio else "medium"
    shown = _kpi_text(analysis.kpi, analysis.actual)
    target = _kpi_text(analysis.kpi, analysis.target)
    value_per_week = None
    impact = f"back to the {target} target"
    if analysis.kpi is TargetKpi.cpa and analysis.cpa and analysis.target:
        saved = _per_week(analysis.conversions * (analysis.cpa - analysis.target), policy)
        impact = (
            f"reaching the {target} target would save about ${saved:,.2f} a week at the "
            "current conversions"
        )
        value_per_week = saved
    return _Draft(
        priority,
        category="campaign",
        action="Analyse the campaign",
        target=analysis.campaign_id,
        rationale=(
            f"{analysis.kpi.value.upper()} {shown} against a target of {target} "
            f"({attainment:.1%} of target, below {policy.below_ratio:.0%}); target: "
            f"{analysis.target_source}"
        ),
        expected_impact=impact,
        impact_value=value_per_week,
        impact_unit="$ per week" if value_per_week is not None else "",
        expected_value_per_week=value_per_week,
        confidence=0.6,
        current_value=shown,
        recommended_value=target,
        steps=[
            "send it into the lifecycle: the agent collects the campaign's context, finds the "
            "root cause and drafts one of the six actions",
            "review the draft in the console",
        ],
        lifecycle=LifecycleEntry(campaign_id=analysis.campaign_id),
    )


def _kpi_text(kpi: TargetKpi, value: float | None) -> str:
    if value is None:
        return "none"
    if kpi is TargetKpi.cpa:
        return f"${value:,.2f}"
    if kpi is TargetKpi.roas:
        return f"{value:.2f}x"
    if kpi in (TargetKpi.ctr, TargetKpi.conversion_rate):
        return f"{value:.2f} %"
    return f"{value:,.0f}"


def _is_called(e: ExperimentEvaluation) -> bool:
    return e.decision is ExperimentDecision.scale_variant or e.decision is ExperimentDecision.stop


def _experiment(e: ExperimentEvaluation) -> _Draft:
    gap = (e.variant_rate or 0.0) - (e.control_rate or 0.0)
    per_thousand = gap * 1000
    if e.srm:
        action, recommended = "Fix the assignment and restart the experiment", "restarted"
        impact = "a result that can be trusted (this one cannot)"
        confidence = 1 - (e.srm_p_value or 0.0)
        value: float | None = None
    elif e.decision is ExperimentDecision.scale_variant:
        action, recommended = "Scale the variant", f"100 % to '{e.variant_name}'"
        impact = f"{per_thousand:+.1f} {e.metric.split(' per ')[0]} per 1,000 samples"
        confidence = 1 - (e.p_adjusted or 0.0)
        value = per_thousand
    else:
        action, recommended = (
            "Stop the experiment, keep the control",
            f"100 % to '{e.control_name}'",
        )
        impact = (
            f"avoids losing {-per_thousand:.1f} {e.metric.split(' per ')[0]} per 1,000 samples"
            if gap < 0
            else f"{per_thousand:+.1f} per 1,000 samples is too small to be worth a change"
        )
        confidence = 1 - (e.p_adjusted or 0.0)
        value = -per_thousand if gap < 0 else None
    share = e.planned_variant_share
    split = f"{1 - share:.0%} / {share:.0%} split" if share is not None else "both arms running"
    return _Draft(
        "medium",
        category="experiment",
        action=action,
        target=e.experiment_id,
        rationale=f"{e.name}: {e.reason}",
        expected_impact=impact,
        impact_value=value,
        impact_unit=f"{e.metric.split(' per ')[0]} per 1,000 samples" if value is not None else "",
        expected_value_per_week=None,
        confidence=round(min(confidence, 0.999), 3),
        current_value=split,
        recommended_value=recommended,
        steps=[
            f"in the testing tool, {action.lower()}",
            "record the decision with the experiment id in the change log",
        ],
        manual_reason=_NO_EXPERIMENT_ACTION,
    )


def _campaign_move(budget: BudgetAllocation, policy: PortfolioPolicy) -> _Draft | None:
    move = budget.move
    assert move is not None
    if move.p_better < policy.min_p_better or move.amount < 1:
        return None
    giver, taker = budget.arm(move.from_arm), budget.arm(move.to_arm)
    per_day = move.amount * (policy.marginal_efficiency * taker.rate_mean - giver.rate_mean)
    if per_day <= 0:
        return None  # better on average, but not by enough to pay for diminishing returns
    per_week = per_day * 7
    value = policy.value_of(taker.arm_id)
    return _Draft(
        "medium",
        category="budget",
        action="Move daily budget between campaigns",
        target=f"{giver.arm_id} -> {taker.arm_id}",
        rationale=(
            f"'{taker.name}' pays ${1 / taker.rate_mean:,.2f} per conversion against "
            f"${1 / giver.rate_mean:,.2f} for '{giver.name}' (posterior means); Thompson "
            f"sampling gives a {move.p_better:.1%} probability that it is the better of the two "
            f"(seed {budget.seed}, {budget.draws:,} draws)"
        ),
        expected_impact=(
            f"{per_week:+,.1f} conversions a week (the receiving campaign assumed to convert "
            f"extra budget at {policy.marginal_efficiency:.0%} of its average)"
        ),
        impact_value=per_week,
        impact_unit="conversions per week",
        expected_value_per_week=None if value is None else per_week * value,
        confidence=round(move.p_better, 3),
        current_value=f"${giver.current:,.2f} / ${taker.current:,.2f} a day",
        recommended_value=(
            f"${giver.current - move.amount:,.2f} / ${taker.current + move.amount:,.2f} a day"
        ),
        steps=[
            f"lower the daily budget of {giver.arm_id} by ${move.amount:,.2f}",
            f"raise the daily budget of {taker.arm_id} by ${move.amount:,.2f}",
            "compare both campaigns' CPA after 3 days (the next review does)",
        ],
        manual_reason=_NO_CAMPAIGN_BUDGET_ACTION,
    )


def _segment_move(
    snapshot: CampaignSnapshot,
    allocation: BudgetAllocation,
    review_id: str,
    as_of: datetime,
    policy: PortfolioPolicy,
) -> _Draft | None:
    move = allocation.move
    m = snapshot.metrics
    if move is None or m is None or move.p_better < policy.min_p_better or move.amount < 1:
        return None
    giver, taker = allocation.arm(move.from_arm), allocation.arm(move.to_arm)
    days = policy.window_days
    per_day = move.amount * (policy.marginal_efficiency * taker.rate_mean - giver.rate_mean)
    conversions = m.conversions
    if per_day <= 0 or conversions <= 0:
        return None
    cpa_change = round((conversions / (conversions + per_day * days) - 1) * 100, 1)
    if -cpa_change < policy.min_segment_cpa_gain_pct:
        return None  # real, but too small to be worth a change and a review
    giver_cpa = giver.spend / giver.conversions if giver.conversions else None
    taker_cpa = taker.spend / taker.conversions if taker.conversions else None
    evidence = [
        f"'{giver.name}' ({giver.arm_id}): ${giver.spend:,.2f} for {giver.conversions:,.0f} "
        f"conversions" + (f", CPA ${giver_cpa:,.2f}" if giver_cpa else ""),
        f"'{taker.name}' ({taker.arm_id}): ${taker.spend:,.2f} for {taker.conversions:,.0f} "
        f"conversions" + (f", CPA ${taker_cpa:,.2f}" if taker_cpa else ""),
        f"posterior probability that '{taker.name}' converts more per dollar: "
        f"{move.p_better:.1%} (seed {allocation.seed})",
    ]
    specific = (
        f"move ${move.amount:,.2f}/day from '{giver.name}' ({giver.arm_id}) to '{taker.name}' "
        f"({taker.arm_id}), the largest single step toward the Thompson-sampling allocation"
    )
    rationale = (
        f"on {snapshot.campaign_id}, '{taker.name}' converts more per dollar than "
        f"'{giver.name}' with {move.p_better:.1%} posterior probability"
    )
    proposal = Recommendation(
        campaign_id=snapshot.campaign_id,
        recommended_action=ActionType.budget_reallocation,
        specific_action=specific,
        parameters=ActionParameters(
            budget_shift_amount=move.amount,
            from_segment_id=giver.arm_id,
            to_segment_id=taker.arm_id,
        ),
        reasoning=rationale[0].upper() + rationale[1:] + ".",
        signal_analysis=f"Portfolio review {review_id}: segment efficiency differs.",
        root_cause=RootCause.uneven_efficiency,
        supporting_evidence=evidence,
        expected_impact=ExpectedImpact(
            metric="cpa",
            change_pct=cpa_change,
            timeframe_days=3,
            description=f"blended CPA falls {-cpa_change:g} % as spend moves to the better segment",
        ),
        risk_level=RiskLevel.low,
        risk_factors=["the receiving segment's marginal CPA is higher than its average"],
        alternatives_considered=[
            Alternative(
                action=ActionType.continue_monitoring,
                why_not="the efficiency gap is already clear in the posterior",
            )
        ],
        success_metrics=[f"campaign CPA down {-cpa_change:g} % or more within 3 days"],
        confidence=round(min(move.p_better, 0.95), 3),
        confidence_reasoning=f"posterior probability {move.p_better:.1%} that the move helps",
        generated_at=as_of,
        model=PROPOSAL_MODEL,
        budget_allocation=allocation,
    )
    value = policy.value_of(snapshot.campaign_id)
    return _Draft(
        "medium",
        category="budget",
        action=ActionType.budget_reallocation.value,
        target=snapshot.campaign_id,
        rationale=rationale,
        expected_impact=f"{per_day * 7:+,.1f} conversions a week (CPA {cpa_change:+g} %)",
        impact_value=per_day * 7,
        impact_unit="conversions per week",
        expected_value_per_week=None if value is None else per_day * 7 * value,
        confidence=round(move.p_better, 3),
        current_value=f"${giver.current:,.2f} / ${taker.current:,.2f} a day",
        recommended_value=(
            f"${giver.current - move.amount:,.2f} / ${taker.current + move.amount:,.2f} a day"
        ),
        steps=[
            "send it into the lifecycle: critique, guardrails and a reviewer check it",
            "the change queue applies it; the 3-day outcome updates the optimiser",
        ],
        lifecycle=LifecycleEntry(campaign_id=snapshot.campaign_id, proposal=proposal),
    )
