"""The golden set's oracle labels: a simulated twin per case, valued by the counterfactual oracle.

A golden case is a week of public data with scenario moves; nothing in it says what acting would
earn. So each case gets a twin in the simulator (``twin_plan``): the same platform's data slice
at the case's daily spend, its creatives' ages, its impression share as the auction operating
point, the world's median value per conversion, and the mechanism behind the analyst's
diagnosis at a strength that follows the case's tags (0.8 for a clear case, 0.45 for a hard one:
contradictory, partial context, small sample, several causes; none for normal variance or
noise), drawn exactly as the seeded worlds draw it (``simulator.catalog``). The oracle
(``simulator.oracle.evaluate``, 20 replications, the 3-day outcome window) then values the six
actions on the twin; its best action becomes ``expected_action`` and its acceptable set
``acceptable_actions``, while the analyst's action stays in ``analyst_action`` and the
``human_reasoning`` text is kept as written.

What this label is, honestly: the right action for a campaign run by the same mechanism at the
case's scale, not a valuation of the case's exact numbers (the simulator cannot replay a public
CSV week). Deterministic: the twin's draws are seeded by the case id.
"""

from __future__ import annotations

import random
from datetime import date

from domain.recommendation import ActionType, RootCause
from evals.dataset import EvalCase
from simulator.catalog import _with_issues
from simulator.figures import Figures, load_figures
from simulator.oracle import evaluate
from simulator.world import GROSS_MARGIN, CampaignPlan, CreativePlan, build_campaign

TWIN_TODAY = date(2025, 6, 1)
REPLICATIONS = 20
CLEAR_STRENGTH, HARD_STRENGTH = 0.8, 0.45
HARD_TAGS = {"contradictory", "partial_context", "small_sample", "multi_cause"}
ISSUE_FOR_CAUSE = {
    RootCause.creative_fatigue: "wear",
    RootCause.audience_saturation: "saturation",
    RootCause.competitive_pressure: "competition",
    RootCause.fundamental_problem: "tracking",
    RootCause.uneven_efficiency: "segments",
}


def strengths_for(case: EvalCase) -> dict[str, float]:
    issue = ISSUE_FOR_CAUSE.get(case.expected_root_cause) if case.expected_root_cause else None
    if issue is None or "noise" in case.tags:
        return {}
    hard = bool(HARD_TAGS & set(case.tags))
    # A broken measurement is modelled only when strong (as in the seeded worlds).
    if issue == "tracking":
        return {issue: CLEAR_STRENGTH}
    return {issue: HARD_STRENGTH if hard else CLEAR_STRENGTH}


def twin_plan(case: EvalCase, figures: Figures) -> CampaignPlan:
    c = case.context.campaign
    google = c.platform.startswith("google")
    delivery = "google_desktop" if google else "ab_control"
    days = max(1, (c.period_end - c.period_start).days + 1)
    daily_spend = max(c.spend, c.daily_budget * days * 0.5, 15.0 * days) / days
    ages = sorted(
        (max(1, cr.creative_age_days) for cr in (case.context.creatives or [])), reverse=True
    )[:3] or [30]
    share = c.impression_share if c.impression_share is not None else 0.78
    strengths = strengths_for(case)
    plan = CampaignPlan(
        campaign_id=f"cmp-golden-{case.id}",
        campaign_name=c.campaign_name,
        platform="google" if google else "meta",
        delivery=delivery,
        segments="google_device" if google else "kag_1178_age",
        spend_scale=daily_spend / figures.delivery[delivery].daily_spend,
        creatives=tuple(CreativePlan(f"Creative {chr(65 + i)}", a) for i, a in enumerate(ages)),
        full_bid_share=min(0.97, max(0.55, share)),
        margin=figures.revenue_per_cost.median * GROSS_MARGIN,
        strengths=strengths,
    )
    rng = random.Random(f"golden/{case.id}")
    return _with_issues(plan, strengths, rng, figures) if strengths else plan


def oracle_label(case: EvalCase, figures: Figures) -> EvalCase:
    plan = twin_plan(case, figures)
    state = build_campaign(plan, figures, TWIN_TODAY, f"golden/{case.id}")
    result = evaluate(state, TWIN_TODAY, replications=REPLICATIONS)
    best = ActionType(result.best.action)
    acceptable = [ActionType(a) for a in result.acceptable_actions]
    order = list(ActionType)
    return case.model_copy(
        update={
            "analyst_action": case.analyst_action or case.expected_action,
            "expected_action": best,
            "acceptable_actions": sorted(set(acceptable), key=order.index),
        }
    )


def relabel(cases: list[EvalCase], figures: Figures | None = None) -> list[EvalCase]:
    figures = figures or load_figures()
    return [oracle_label(case, figures) for case in cases]


__all__ = ["oracle_label", "relabel", "twin_plan"]
