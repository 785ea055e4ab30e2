"""``generate_recommendation``: confidence, risk, evidence, alternatives and reasoning text.

Builds the facts, plans the attempt (``planning``), drafts the action (``drafts``) and
explains it, all from the same assessments the analysis used.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from domain.feedback import quote, ruled_out_actions
from domain.lifecycle import ReasoningStep, ReviewerFeedback
from domain.reasoning_loop import flag_partial_context
from domain.recommendation import (
    ACTION_FOR_ROOT_CAUSE,
    ActionType,
    Alternative,
    Recommendation,
    RiskLevel,
    RootCause,
    SignalAnalysis,
)
from domain.rules.analysis import MODEL_NAME, headline
from domain.rules.calibration import calibrated
from domain.rules.causes import _CAUSE_ORDER, Assessment, assess_causes
from domain.rules.drafts import _DRAFTS, ActionDraft, is_actionable
from domain.rules.facts import Facts, build_facts
from domain.rules.planning import AttemptPlan, _ranking, _scores, plan_attempt
from domain.rules.text import cause_label
from domain.stats import clamp

_RISK_ORDER = [RiskLevel.low, RiskLevel.medium, RiskLevel.high]
_BASE_RISK: dict[ActionType, RiskLevel] = {
    ActionType.creative_refresh: RiskLevel.low,
    ActionType.audience_expansion: RiskLevel.medium,
    ActionType.bid_adjustment: RiskLevel.medium,
    ActionType.campaign_pause: RiskLevel.high,
    ActionType.budget_reallocation: RiskLevel.low,
    ActionType.continue_monitoring: RiskLevel.low,
}
# A recommendation built on partial context never claims more than this.
PARTIAL_CONTEXT_MAX_CONFIDENCE = 0.85


def _dedupe(items: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    return [x for x in items if x and not (x in seen or seen.add(x))]


def _past_failure(f: Facts, action: ActionType) -> str | None:
    history = f.context.history
    if history is None:
        return None
    for past in sorted(history.past_actions, key=lambda p: p.applied_at, reverse=True):
        if (
            past.action == action.value
            and past.cpa_change_pct is not None
            and past.cpa_change_pct > 0
        ):
            return (
                f"{action.value} on {past.applied_at.isoformat()} did not help "
                f"(CPA {past.cpa_change_pct:+.1f} % after)"
            )
    return None


def _small_sample(f: Facts, cause: RootCause) -> float:
    """0 with enough conversions, up to 1 with none (a zero-conversion cause is exempt)."""
    minimum = f.thresholds.min_conversions
    if cause is RootCause.fundamental_problem or minimum <= 0:
        return 0.0
    return clamp(1.0 - f.campaign.conversions / minimum)


def _confidence(
    cause: RootCause,
    action: ActionType,
    scores: dict[RootCause, float],
    assessment: Assessment,
    f: Facts,
) -> tuple[float, str]:
    """The probability that the action is acceptable (``domain.rules.calibration``: measured on
    seeded worlds per action and conversions band), lowered for what the worlds did not test:
    missing sources and an action that failed here before."""
    fit = scores[cause]
    rival = max(
        (c for c in scores if c != cause), key=lambda c: (scores[c], -_CAUSE_ORDER.index(c))
    )
    margin = fit - scores[rival]
    conversions = f.campaign.conversions
    value = calibrated(action, conversions)
    notes = [
        f"fit {fit:.2f} for {cause_label(cause)}",
        f"lead over {cause_label(rival)} {margin:+.2f}",
        f"{action.value} on {conversions:,.0f} conversions was acceptable "
        f"{value:.0%} of the time on seeded worlds",
    ]
    penalties: list[tuple[float, str]] = []
    if f.missing:
        penalty = 0.03 * len(f.missing) + 0.1 * assessment.missing_weight
        penalties.append((penalty, f"{', '.join(f.missing)} missing"))
    if _past_failure(f, action):
        penalties.append((0.05, f"{action.value} failed here before"))
    for penalty, note in penalties:
        value -= penalty
        notes.append(f"-{penalty:.2f} {note}")
    if f.missing and value > PARTIAL_CONTEXT_MAX_CONFIDENCE:
        value = PARTIAL_CONTEXT_MAX_CONFIDENCE
        notes.append(f"capped at {PARTIAL_CONTEXT_MAX_CONFIDENCE:.2f} for partial context")
    value = round(clamp(value, 0.05, 0.95), 2)
    return value, "; ".join(notes) + f" -> {value:.2f}"


def _risk(
    action: ActionType, draft: ActionDraft, f: Facts, cause: RootCause
) -> tuple[RiskLevel, list[str]]:
    index = _RISK_ORDER.index(_BASE_RISK[action])
    factors = list(draft.risk_factors)
    if draft.large and action is not ActionType.campaign_pause:
        index += 1
        factors.append("large change relative to its guardrail maximum")
    if f.missing:
        index += 1  # acting on partial evidence
        factors.append(f"partial context: {', '.join(f.missing)} unavailable")
    if _small_sample(f, cause) > 0:
        factors.append(f"small sample: {f.campaign.conversions:,.0f} conversions")
    cpa_change = f.campaign.cpa_change_pct
    if cpa_change is not None and abs(cpa_change) > f.thresholds.critical_change_pct:
        factors.append(
            f"critical CPA move ({cpa_change:+.1f} %): the situation may still be shifting"
        )
    failure = _past_failure(f, action)
    if failure:
        factors.append(failure)
    return _RISK_ORDER[min(index, len(_RISK_ORDER) - 1)], factors


def _supporting(
    plan: AttemptPlan, analysis: SignalAnalysis, assessment: Assessment, f: Facts
) -> list[str]:
    given = next((rc.evidence for rc in analysis.root_causes if rc.root_cause == plan.cause), [])
    items = _dedupe([*given, *assessment.supporting])
    if plan.more_evidence or len(items) < 2:
        signals = [s.description for s in analysis.signals if s.significant]
        items = _dedupe(items + signals)
    return items or [headline(f)]


def _contradictory(
    cause: RootCause,
    ranking: list[RootCause],
    scores: dict[RootCause, float],
    analysis: SignalAnalysis,
    assessments: dict[RootCause, Assessment],
) -> list[str]:
    given = next((rc.counter_evidence for rc in analysis.root_causes if rc.root_cause == cause), [])
    items = [*given, *assessments[cause].counter]
    rival = next(c for c in ranking if c != cause)
    rival_evidence = assessments[rival].supporting
    # A close runner-up is itself evidence against being sure of this diagnosis.
    if scores[cause] - scores[rival] < 0.2 and rival_evidence:
        items.append(f"{cause_label(rival)} also fits ({scores[rival]:.2f}): {rival_evidence[0]}")
    return _dedupe(items)


def _allowed(ranking: list[RootCause], ruled_out: dict[ActionType, Any]) -> list[RootCause]:
    """The ranking without the causes whose action a reviewer ruled out (doing nothing stays
    possible when everything else is)."""
    allowed = [c for c in ranking if ACTION_FOR_ROOT_CAUSE[c] not in ruled_out]
    return allowed or [RootCause.normal_variance]


def _feedback_response(
    step: ReasoningStep, action: ActionType, ruled_out: dict[ActionType, ReviewerFeedback]
) -> list[str]:
    """One line per piece of feedback: what it changed, in the reviewer's terms."""
    lines = []
    for item in step.reviewer_feedback:
        excluded = [a.value for a, source in ruled_out.items() if source is item]
        said = f"{item.reviewer} on revision {item.revision}: {quote(item)}"
        if excluded:
            lines.append(
                f"{said} ruled out {', '.join(excluded)}; recommending {action.value} instead"
            )
        else:
            lines.append(
                f"{said} names no action to rule out; the context was collected again and "
                "re-analysed"
            )
    return lines


def _alternatives(
    chosen: RootCause,
    ranking: list[RootCause],
    scores: dict[RootCause, float],
    assessments: dict[RootCause, Assessment],
    f: Facts,
    ruled_out: dict[ActionType, ReviewerFeedback],
) -> list[Alternative]:
    alternatives = []
    for cause in ranking:
        if cause == chosen:
            continue
        action = ACTION_FOR_ROOT_CAUSE[cause]
        if action in ruled_out:
            feedback = ruled_out[action]
            why = f"ruled out by {feedback.reviewer}: {quote(feedback)}"
            alternatives.append(Alternative(action=action, why_not=why))
            continue
        score, mine = scores[cause], scores[chosen]
        if score > mine:
            why = (
                f"{cause_label(cause)} ranked higher ({score:.2f} vs {mine:.2f}) "
                "but was rejected on review"
            )
        else:
            why = f"{cause_label(cause)} fits less ({score:.2f} vs {mine:.2f})"
        if not is_actionable(cause, f):
            why += "; no segment data to choose where budget moves"
        elif assessments[cause].counter:
            why += f": {assessments[cause].counter[0]}"
        alternatives.append(Alternative(action=ACTION_FOR_ROOT_CAUSE[cause], why_not=why))
    return alternatives


def _reasoning(
    f: Facts,
    step: ReasoningStep,
    plan: AttemptPlan,
    draft: ActionDraft,
    supporting: list[str],
    contradictory: list[str],
    scores: dict[RootCause, float],
    ranking: list[RootCause],
) -> str:
    action = ACTION_FOR_ROOT_CAUSE[plan.cause]
    rival = next(c for c in ranking if c != plan.cause)
    parts = [
        f"{headline(f)}.",
        f"Diagnosis: {cause_label(plan.cause)} (score {scores[plan.cause]:.2f}; next "
        f"{cause_label(rival)} {scores[rival]:.2f}).",
        f"Evidence: {'; '.join(supporting[:3])}.",
    ]
    if contradictory:
        parts.append(f"Against: {contradictory[0]}.")
    if f.missing:
        parts.append(f"Not checked ({', '.join(f.missing)} unavailable), so confidence is lower.")
    parts.append(f"Action: {action.value}: {draft.specific_action}.")
    if step.critique is not None:
        parts.append(f"Revision {max(step.iteration, 1)} after critique: {'; '.join(plan.notes)}.")
    elif plan.notes:
        parts.append(f"Note: {'; '.join(plan.notes)}.")
    return " ".join(parts)


def generate_recommendation(step: ReasoningStep, now: datetime) -> Recommendation:
    """Turn an analysis into a concrete, guarded, explained recommendation.

    With ``step.critique`` set (a regeneration) the attempt addresses it: a critical "not
    supported" finding moves down the ranking to the next supported cause, "too large" or low
    confidence halves the change per iteration, weak evidence lists every significant signal.
    """
    f = build_facts(step.context, step.thresholds)
    assessments = {a.cause: a for a in assess_causes(f)}
    ranking = _ranking(step.analysis, assessments)
    scores = _scores(step.analysis, assessments)
    ruled_out = ruled_out_actions(step.reviewer_feedback)
    plan = plan_attempt(step, _allowed(ranking, ruled_out), assessments, f)
    action = ACTION_FOR_ROOT_CAUSE[plan.cause]
    draft = _DRAFTS[action](f, step.guardrails, plan.magnitude)
    confidence, confidence_reasoning = _confidence(
        plan.cause, action, scores, assessments[plan.cause], f
    )
    risk_level, risk_factors = _risk(action, draft, f, plan.cause)
    supporting = _supporting(plan, step.analysis, assessments[plan.cause], f)
    contradictory = _contradictory(plan.cause, ranking, scores, step.analysis, assessments)
    feedback_response = _feedback_response(step, action, ruled_out)
    reasoning = _reasoning(f, step, plan, draft, supporting, contradictory, scores, ranking)
    if feedback_response:
        reasoning += " Reviewer feedback: " + "; ".join(feedback_response) + "."
    recommendation = Recommendation(
        campaign_id=f.campaign.campaign_id,
        recommended_action=action,
        specific_action=draft.specific_action,
        parameters=draft.parameters,
        reasoning=reasoning,
        signal_analysis=step.analysis.summary,
        root_cause=plan.cause,
        supporting_evidence=supporting,
        contradictory_evidence=contradictory,
        expected_impact=draft.impact,
        risk_level=risk_level,
        risk_factors=risk_factors,
        alternatives_considered=_alternatives(
            plan.cause, ranking, scores, assessments, f, ruled_out
        ),
        success_metrics=draft.success_metrics,
        confidence=confidence,
        confidence_reasoning=confidence_reasoning,
        generated_at=now,
        model=MODEL_NAME,
        feedback_response=feedback_response,
        budget_allocation=draft.allocation,
    )
    # Degraded for partial context with the same wording whoever reasoned (rules or LLM).
    return flag_partial_context(recommendation, step.context)
