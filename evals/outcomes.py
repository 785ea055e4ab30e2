"""Outcome metrics over stored lifecycle runs, and the outcome-labelled dataset export.

Definitions (the seed's; also in evals/README.md):
- acceptance rate = approved / (approved + rejected); expired runs are counted apart.
- followed = approved and carried out (executed, or an approved Continue Monitoring), with the
  outcome measured 3 days later; positive-impact rate = successful outcomes / followed.
- improvement of one outcome = its measured change in the intended direction (a CPA that fell
  12 % when a fall was expected is +12); the average is over followed runs with a change, pauses
  excluded: a pause's outcome is its spend stopping (-100 %), which says the pause worked (the
  positive-impact rate counts it) but is not a 100 % improvement of anything.
- false positive = an action other than Continue Monitoring that the reviewer rejected or that,
  once executed, did not reach its expected impact; the rate is over every such action with a
  verdict (rejected, or executed and measured). The seed targets under 20 %.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel

from domain.context import CampaignContext
from domain.lifecycle import DecisionKind, LifecycleState, RecommendationStatus
from domain.recommendation import ActionType
from evals.dataset import CaseOutcome, EvalCase

if TYPE_CHECKING:
    from store import Store

FALSE_POSITIVE_TARGET = 0.20
PAGE_SIZE = 200


class OutcomeMetrics(BaseModel):
    runs: int
    approved: int
    rejected: int
    expired: int
    acceptance_rate: float | None
    followed: int  # approved, carried out and measured
    positive: int
    positive_impact_rate: float | None
    average_improvement_pct: float | None
    actionable_with_verdict: int
    false_positives: int
    false_positive_rate: float | None
    false_positive_target: float = FALSE_POSITIVE_TARGET

    @property
    def meets_target(self) -> bool | None:
        if self.false_positive_rate is None:
            return None
        return self.false_positive_rate < self.false_positive_target


def _approved(state: LifecycleState) -> bool:
    return state.decision is not None and state.decision.decision is DecisionKind.approved


def _rejected(state: LifecycleState) -> bool:
    return state.decision is not None and state.decision.decision is DecisionKind.rejected


def _followed(state: LifecycleState) -> bool:
    return _approved(state) and state.outcome is not None


def _pause(state: LifecycleState) -> bool:
    rec = state.recommendation
    return rec is not None and rec.recommended_action is ActionType.campaign_pause


def _actionable(state: LifecycleState) -> bool:
    rec = state.recommendation
    return rec is not None and rec.recommended_action is not ActionType.continue_monitoring


# Metrics where a fall is the good direction (used when a recommendation expected no change).
LOWER_IS_BETTER = {"cpa", "cpm", "cost", "spend"}


def improvement_pct(state: LifecycleState) -> float | None:
    """The measured change, signed so that moving the intended way is positive."""
    outcome = state.outcome
    if outcome is None or outcome.actual_change_pct is None:
        return None
    if outcome.expected_change_pct:
        direction = -1.0 if outcome.expected_change_pct < 0 else 1.0
    else:
        direction = -1.0 if outcome.metric.lower() in LOWER_IS_BETTER else 1.0
    return outcome.actual_change_pct * direction


def outcome_metrics(states: Iterable[LifecycleState]) -> OutcomeMetrics:
    states = list(states)
    approved = sum(_approved(s) for s in states)
    rejected = sum(_rejected(s) for s in states)
    followed = [s for s in states if _followed(s)]
    positive = sum(bool(s.outcome and s.outcome.success) for s in followed)
    measured = (improvement_pct(s) for s in followed if not _pause(s))
    improvements = [x for x in measured if x is not None]
    judged_actions = [s for s in states if _actionable(s) and (_rejected(s) or _followed(s))]
    false_positives = sum(
        _rejected(s) or not (s.outcome and s.outcome.success) for s in judged_actions
    )
    return OutcomeMetrics(
        runs=len(states),
        approved=approved,
        rejected=rejected,
        expired=sum(s.status is RecommendationStatus.expired for s in states),
        acceptance_rate=_share(approved, approved + rejected),
        followed=len(followed),
        positive=positive,
        positive_impact_rate=_share(positive, len(followed)),
        average_improvement_pct=sum(improvements) / len(improvements) if improvements else None,
        actionable_with_verdict=len(judged_actions),
        false_positives=false_positives,
        false_positive_rate=_share(false_positives, len(judged_actions)),
    )


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


async def load_states(store: Store) -> list[LifecycleState]:
    """Every stored run's state, page by page."""
    states: list[LifecycleState] = []
    offset = 0
    while True:
        records, total = await store.list_recommendations(limit=PAGE_SIZE, offset=offset)
        states.extend(r.state for r in records if r.state is not None)
        offset += len(records)
        if not records or offset >= total:
            return states


def render_outcomes(m: OutcomeMetrics) -> str:
    def share(value: float | None) -> str:
        return "–" if value is None else f"{value * 100:.1f} %"

    target = {None: "no verdicts yet", True: "meets", False: "MISSES"}[m.meets_target]
    improvement = (
        "–" if m.average_improvement_pct is None else f"{m.average_improvement_pct:+.1f} %"
    )
    return "\n".join(
        [
            f"runs: {m.runs} (approved {m.approved}, rejected {m.rejected}, expired {m.expired})",
            f"acceptance rate: {share(m.acceptance_rate)}",
            f"positive-impact rate when followed: {share(m.positive_impact_rate)} "
            f"({m.positive}/{m.followed} measured outcomes)",
            f"average improvement when followed (pauses excluded): {improvement}",
            f"false-positive rate: {share(m.false_positive_rate)} ({m.false_positives}/"
            f"{m.actionable_with_verdict} actions with a verdict); target < "
            f"{m.false_positive_target * 100:.0f} %: {target}",
        ]
    )


# --------------------------------------------------------------------------- export


class ExportResult(BaseModel):
    cases: list[EvalCase]
    without_context: int  # completed runs whose analysed context was not stored
    unsuccessful: int  # measured outcomes that failed: they say what was wrong, not what is right
    not_measured: int


def labelled_cases(states: Sequence[LifecycleState]) -> ExportResult:
    """Followed runs whose outcome succeeded become cases labelled with the action taken."""
    cases: list[EvalCase] = []
    without_context = unsuccessful = not_measured = 0
    for state in states:
        if not _approved(state) or state.recommendation is None:
            continue
        if state.outcome is None:
            not_measured += 1
            continue
        if not state.outcome.success:
            unsuccessful += 1
            continue
        context = state.context
        if context is None:
            without_context += 1
            continue
        cases.append(_case_from(state, context))
    return ExportResult(
        cases=cases,
        without_context=without_context,
        unsuccessful=unsuccessful,
        not_measured=not_measured,
    )


def _case_from(state: LifecycleState, context: CampaignContext) -> EvalCase:
    rec, outcome, decision = state.recommendation, state.outcome, state.decision
    assert rec is not None and outcome is not None and decision is not None
    return EvalCase(
        id=f"outcome-{state.recommendation_id}",
        context=context,
        expected_action=rec.recommended_action,
        expected_root_cause=rec.root_cause,
        human_reasoning=(
            f"Outcome-labelled: {rec.recommended_action.value} ({rec.specific_action}) was "
            f"approved by {decision.reviewer} and carried out; 3 days later: {outcome.summary}"
        ),
        outcome=CaseOutcome(
            action_taken=rec.recommended_action,
            success=outcome.success,
            metric=outcome.metric,
            actual_change_pct=outcome.actual_change_pct,
            expected_change_pct=outcome.expected_change_pct,
            summary=outcome.summary,
        ),
        tags=["outcome_labelled"],
    )
