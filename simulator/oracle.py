"""The counterfactual oracle: what each action would earn, simulated, with common random numbers.

``evaluate`` forks a campaign's state on the simulated today, applies each candidate plan to its
own fork and simulates the outcome window (``horizon_days``, default 3: the window the outcome is
judged on) ``replications`` times. Replication r draws the same day noise for every plan (common
random numbers), so differences between plans are paired and need few replications.

Value of a plan = expected profit over the window = value per conversion x true conversions -
spend. True conversions, not recorded ones: a sale happens whether or not the pixel fires, so
pausing a campaign whose tracking broke loses real sales unless the traffic stopped converting.
Profit, not CPA: cheaper conversions are worth little if there are far fewer of them, and a
campaign converting at a CPA above what a conversion is worth loses money on every day it runs.

- best: the plan with the highest mean value;
- acceptable: every plan whose shortfall from the best is within noise, i.e. at most
  max(1.96 x the standard error of the paired difference, 1 % of the window's spend when
  nothing is done): a difference smaller than that is not one a marketer could act on;
- regret of a plan: the best's mean value minus the plan's.

Canonical plans, one per action: Continue Monitoring; Campaign Pause; Bid Adjustment +15 %;
Audience Expansion +20 %; Creative Refresh of every running creative; Budget Reallocation of
20 % of the daily budget from the segment with the highest CPA over the last 14 reported days to
the one with the lowest (as an analyst would pick them from the report; unavailable with fewer
than two segments with conversions). Extra plans (e.g. an agent's own parameters) can be added.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from simulator.actions import InvalidAction, plan_action
from simulator.contract import Action, ActionBody, ActionParameters
from simulator.mechanics import CampaignState, simulate_day

DEFAULT_HORIZON_DAYS = 3
DEFAULT_REPLICATIONS = 20
Z_95 = 1.96
MATERIAL_SHARE_OF_SPEND = 0.01
BID_STEP_PCT = 15.0
EXPANSION_PCT = 20.0
REALLOCATION_SHARE = 0.20
SEGMENT_LOOKBACK_DAYS = 14


@dataclass(frozen=True)
class Plan:
    label: str
    body: ActionBody


@dataclass
class PlanValue:
    label: str
    action: str
    parameters: dict
    mean: float
    se: float
    spend: float
    true_conversions: float
    regret: float = 0.0
    regret_se: float = 0.0
    acceptable: bool = False
    available: bool = True
    note: str = ""


@dataclass
class OracleResult:
    campaign_id: str
    today: date
    horizon_days: int
    replications: int
    value_per_conversion: float
    tolerance: float
    plans: list[PlanValue] = field(default_factory=list)

    @property
    def best(self) -> PlanValue:
        return max((p for p in self.plans if p.available), key=lambda p: p.mean)

    @property
    def acceptable_actions(self) -> list[str]:
        return [p.action for p in self.plans if p.acceptable and p.label == p.action]

    def by_label(self, label: str) -> PlanValue:
        return next(p for p in self.plans if p.label == label)

    def by_action(self, action: str) -> PlanValue:
        """The canonical plan of an action."""
        return self.by_label(action)


def fork(state: CampaignState) -> CampaignState:
    """An independent copy for a counterfactual: reported days are shared (immutable)."""
    twin = copy.copy(state)
    twin.creatives = [copy.copy(c) for c in state.creatives]
    twin.expansions = list(state.expansions)
    twin.budget_changes = list(state.budget_changes)
    twin.applied = list(state.applied)
    twin.segment_budgets = dict(state.segment_budgets)
    twin.days = list(state.days)
    return twin


def canonical_plans(state: CampaignState, today: date) -> list[Plan]:
    plans = [
        Plan(Action.continue_monitoring.value, ActionBody(action=Action.continue_monitoring)),
        Plan(Action.campaign_pause.value, ActionBody(action=Action.campaign_pause)),
        Plan(
            Action.bid_adjustment.value,
            ActionBody(
                action=Action.bid_adjustment,
                parameters=ActionParameters(bid_change_pct=BID_STEP_PCT),
            ),
        ),
        Plan(
            Action.audience_expansion.value,
            ActionBody(
                action=Action.audience_expansion,
                parameters=ActionParameters(audience_expansion_pct=EXPANSION_PCT),
            ),
        ),
        Plan(Action.creative_refresh.value, ActionBody(action=Action.creative_refresh)),
    ]
    shift = reallocation_parameters(state, today)
    plans.append(
        Plan(
            Action.budget_reallocation.value,
            ActionBody(action=Action.budget_reallocation, parameters=shift or ActionParameters()),
        )
    )
    return plans


def reallocation_parameters(state: CampaignState, today: date) -> ActionParameters | None:
    """From the worst-CPA to the best-CPA segment (recorded conversions, last 14 days)."""
    records = state.records_between(today - timedelta(days=SEGMENT_LOOKBACK_DAYS), today)
    cpas = {}
    for segment in state.segments:
        spend = sum(r.segments[segment.segment_id].spend for r in records)
        conversions = sum(r.segments[segment.segment_id].conversions for r in records)
        if conversions > 0 and state.segment_budgets.get(segment.segment_id, 0) > 0:
            cpas[segment.segment_id] = spend / conversions
    if len(cpas) < 2:
        return None
    worst, best = max(cpas, key=cpas.__getitem__), min(cpas, key=cpas.__getitem__)
    amount = min(state.segment_budgets[worst], round(REALLOCATION_SHARE * state.daily_budget, 2))
    return ActionParameters(from_segment_id=worst, to_segment_id=best, budget_shift_amount=amount)


def evaluate(
    state: CampaignState,
    today: date,
    *,
    extra: list[Plan] | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    replications: int = DEFAULT_REPLICATIONS,
) -> OracleResult:
    """Value every canonical plan (and `extra`) over the window starting on `today`."""
    if horizon_days < 1 or replications < 2:
        raise ValueError("horizon_days must be >= 1 and replications >= 2")
    plans = canonical_plans(state, today) + list(extra or [])
    runs: dict[str, list[tuple[float, float, float]]] = {}
    notes: dict[str, str] = {}
    for plan in plans:
        try:
            change = (
                None
                if plan.body.action is Action.continue_monitoring
                else plan_action(state, plan.body, today)
            )
        except InvalidAction as error:
            notes[plan.label] = str(error)
            continue
        runs[plan.label] = [
            _simulate(state, today, change, horizon_days, r) for r in range(1, replications + 1)
        ]
    baseline = runs[Action.continue_monitoring.value]
    baseline_spend = sum(spend for _, spend, _ in baseline) / replications
    tolerance = MATERIAL_SHARE_OF_SPEND * baseline_spend
    result = OracleResult(
        campaign_id=state.campaign_id,
        today=today,
        horizon_days=horizon_days,
        replications=replications,
        value_per_conversion=state.mechanisms.value_per_conversion,
        tolerance=round(tolerance, 2),
    )
    for plan in plans:
        values = runs.get(plan.label)
        if values is None:
            result.plans.append(_unavailable(plan, notes[plan.label]))
            continue
        profits = [p for p, _, _ in values]
        result.plans.append(
            PlanValue(
                label=plan.label,
                action=plan.body.action.value,
                parameters=plan.body.parameters.model_dump(
                    exclude_none=True, exclude_defaults=True
                ),
                mean=round(_mean(profits), 2),
                se=round(_se(profits), 2),
                spend=round(_mean([s for _, s, _ in values]), 2),
                true_conversions=round(_mean([c for _, _, c in values]), 2),
            )
        )
    _score(result, runs, tolerance)
    return result


def _simulate(state, today, change, horizon_days, replication) -> tuple[float, float, float]:  # noqa: ANN001
    twin = fork(state)
    if change is not None:
        change.apply(twin)
    profit = spend = conversions = 0.0
    for offset in range(horizon_days):
        record = simulate_day(twin, today + timedelta(days=offset), replication)
        profit += record.profit
        spend += record.spend
        conversions += record.true_conversions
    return profit, spend, conversions


def _score(
    result: OracleResult, runs: dict[str, list[tuple[float, float, float]]], tolerance: float
) -> None:
    canonical = [p for p in result.plans if p.available and p.label == p.action]
    best = max(canonical, key=lambda p: p.mean)
    best_profits = [p for p, _, _ in runs[best.label]]
    for plan in result.plans:
        if not plan.available:
            continue
        diffs = [b - p for b, (p, _, _) in zip(best_profits, runs[plan.label], strict=True)]
        plan.regret = round(max(0.0, _mean(diffs)), 2)
        plan.regret_se = round(_se(diffs), 2)
        plan.acceptable = _mean(diffs) <= max(Z_95 * _se(diffs), tolerance)


def _unavailable(plan: Plan, why: str) -> PlanValue:
    return PlanValue(
        label=plan.label,
        action=plan.body.action.value,
        parameters=plan.body.parameters.model_dump(exclude_none=True, exclude_defaults=True),
        mean=-math.inf,
        se=0.0,
        spend=0.0,
        true_conversions=0.0,
        available=False,
        note=why,
    )


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _se(values: list[float]) -> float:
    mean = _mean(values)
    variance = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return math.sqrt(variance / len(values))
