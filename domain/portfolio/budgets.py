"""The optimiser on the portfolio: budget across campaigns, and across each campaign's segments.

Arms leave out campaigns with a critical risk (their recorded conversions cannot be trusted to
measure efficiency: tracking may be broken). Delayed rewards: the measured outcome of every
executed Budget Reallocation of a campaign (its after window, from our store) is evidence for
that campaign's arm when the window ended before the data window starts (no day counted twice).
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.budget import (
    AllocationPolicy,
    ArmEvidence,
    BudgetAllocation,
    BudgetArm,
    InfeasibleAllocation,
    decision_seed,
    thompson_allocation,
)
from domain.portfolio.model import (
    AgentRecords,
    CampaignSnapshot,
    PortfolioPolicy,
    SegmentAllocation,
)


def campaign_allocation(
    snapshots: Sequence[CampaignSnapshot],
    records: AgentRecords,
    policy: PortfolioPolicy,
    seed: int,
    excluded: set[str],
) -> tuple[BudgetAllocation | None, str]:
    """The account's daily budget split across campaigns, and a note on what was left out."""
    values = {policy.value_of(s.campaign_id) for s in snapshots}
    if len(values) > 1:
        return None, (
            "not computed: conversions are worth different amounts in different campaigns "
            "(campaign values set), and the optimiser compares conversions per dollar"
        )
    arms, left_out = [], []
    for s in snapshots:
        m = s.metrics
        budget = (s.settings.daily_budget if s.settings else None) or (m.daily_budget if m else 0)
        if s.campaign_id in excluded:
            left_out.append(f"{s.campaign_id} (critical risk)")
        elif m is None or s.status.lower() != "active" or not budget or m.spend <= 0:
            left_out.append(f"{s.campaign_id} (not delivering)")
        else:
            arms.append(
                BudgetArm(
                    arm_id=s.campaign_id,
                    name=s.campaign_name,
                    current=budget,
                    spend=m.spend,
                    conversions=m.conversions,
                    floor=policy.campaign_floor_share * budget,
                )
            )
    note = f"left out: {', '.join(left_out)}" if left_out else ""
    if len(arms) < 2:
        return None, "fewer than two campaigns to compare" + (f"; {note}" if note else "")
    evidence = outcome_evidence(snapshots, records)
    try:
        allocation = thompson_allocation(
            arms, decision_seed(seed, "campaigns"), policy.allocation, evidence
        )
    except InfeasibleAllocation as err:
        return None, f"not computed: {err}"
    return allocation, note


def outcome_evidence(
    snapshots: Sequence[CampaignSnapshot], records: AgentRecords
) -> list[ArmEvidence]:
    """Measured after-windows of executed reallocations that end before the data window."""
    starts = {s.campaign_id: s.metrics.period_start for s in snapshots if s.metrics}
    evidence = []
    for o in records.reallocation_outcomes:
        start = starts.get(o.campaign_id)
        if start is None or o.after_spend is None or o.after_conversions is None:
            continue
        if o.after_period_end is None or o.after_period_end >= start:
            continue
        evidence.append(
            ArmEvidence(
                arm_id=o.campaign_id,
                spend=o.after_spend,
                conversions=o.after_conversions,
                source=f"outcome of {o.recommendation_id}",
            )
        )
    return evidence


def segment_allocations(
    snapshots: Sequence[CampaignSnapshot], policy: PortfolioPolicy, seed: int, excluded: set[str]
) -> list[SegmentAllocation]:
    """Per campaign, its daily budget split across its segments (those with a budget)."""
    found = []
    for s in snapshots:
        budgets = s.settings.segment_budgets if s.settings else {}
        if s.campaign_id in excluded or s.metrics is None or not budgets:
            continue
        arms = [
            BudgetArm(
                arm_id=seg.segment_id,
                name=seg.name,
                current=budgets[seg.segment_id],
                spend=seg.spend,
                conversions=seg.conversions,
            )
            for seg in s.segments
            if seg.segment_id in budgets and budgets[seg.segment_id] > 0
        ]
        if len(arms) < 2:
            continue
        allocation_policy = AllocationPolicy.model_validate(
            policy.allocation.model_dump() | {"total": None}
        )
        try:
            allocation = thompson_allocation(
                arms, decision_seed(seed, s.campaign_id), allocation_policy
            )
        except InfeasibleAllocation:
            continue
        found.append(SegmentAllocation(campaign_id=s.campaign_id, allocation=allocation))
    return found
