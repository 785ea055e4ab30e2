"""Choosing the cause to act on: the first attempt, and what to change after a critique.

``critique_intents`` reads a critique (ours or a language model's) as intents: switch the
cause, shrink the change, show more evidence, or raise confidence; ``plan_attempt`` turns
them into an ``AttemptPlan``.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.lifecycle import ReasoningStep
from domain.recommendation import Critique, RootCause, Severity, SignalAnalysis
from domain.rules.analysis import MODEL_NAME
from domain.rules.causes import _CAUSE_ORDER, _HALLMARK_PRESENT, Assessment
from domain.rules.drafts import is_actionable
from domain.rules.facts import Facts
from domain.rules.text import cause_label


@dataclass(frozen=True)
class AttemptPlan:
    cause: RootCause
    magnitude: float = 1.0  # 1 = the full proposal; lower after "too large" or low confidence
    more_evidence: bool = False
    notes: tuple[str, ...] = ()


_INTENT_BY_CODE = {
    "contradicts_evidence": "switch",
    "unsupported_root_cause": "switch",
    "ruled_out_by_reviewer": "switch",
    "magnitude": "magnitude",
    "weak_evidence": "evidence",
    "unacknowledged_counter_evidence": "evidence",
    "empty_field": "evidence",
    "missing_alternatives": "evidence",
}
# For critiques written by a language model, which may not set codes.
_INTENT_KEYWORDS = (
    ("switch", ("contradict", "not supported", "unsupported", "wrong root cause", "mismatch")),
    ("magnitude", ("too large", "too aggressive", "magnitude", "smaller change")),
    ("evidence", ("evidence", "alternative")),
)


def critique_intents(critique: Critique, min_confidence: float) -> set[str]:
    """What a regeneration should do about a critique: switch, magnitude, evidence, confidence."""
    intents: set[str] = set()
    for issue in critique.issues:
        found = {_INTENT_BY_CODE[issue.code]} if issue.code in _INTENT_BY_CODE else set()
        if issue.code is None:
            text = issue.description.lower()
            found = {intent for intent, words in _INTENT_KEYWORDS if any(w in text for w in words)}
        if issue.severity is not Severity.critical:
            found.discard("switch")  # only a critical finding overturns the diagnosis
        intents |= found
    if critique.adjusted_confidence < min_confidence:
        intents.add("confidence")
    return intents


def _ranking(analysis: SignalAnalysis, assessments: dict[RootCause, Assessment]) -> list[RootCause]:
    order = [rc.root_cause for rc in analysis.root_causes]
    if analysis.primary_root_cause in order:
        order.remove(analysis.primary_root_cause)
    order.insert(0, analysis.primary_root_cause)
    rest = sorted(
        (c for c in assessments if c not in order),
        key=lambda c: (-assessments[c].score, _CAUSE_ORDER.index(c)),
    )
    return order + rest


def _scores(
    analysis: SignalAnalysis, assessments: dict[RootCause, Assessment]
) -> dict[RootCause, float]:
    scores = {cause: a.score for cause, a in assessments.items()}
    scores.update({rc.root_cause: rc.score for rc in analysis.root_causes})
    return scores


def _first_actionable(ranking: list[RootCause], f: Facts) -> RootCause:
    return next((c for c in ranking if is_actionable(c, f)), RootCause.normal_variance)


def _switch_cause(
    step: ReasoningStep, rejected: RootCause, ranking: list[RootCause], assessments, f: Facts
) -> RootCause:
    """The cause to try when the critique says ``rejected`` is not supported.

    Moving strictly down the ranking means the loop can never bounce back to a cause it already
    dropped, so it converges. A rejected proposal from another model falls back to our best.
    """
    best = _first_actionable(ranking, f)
    came_from_elsewhere = step.previous is not None and step.previous.model != MODEL_NAME
    if came_from_elsewhere and rejected != best:
        return best
    below = ranking[ranking.index(rejected) + 1 :] if rejected in ranking else ranking
    for cause in below:
        hallmark = assessments[cause].hallmark or 0.0
        if cause != rejected and is_actionable(cause, f) and hallmark >= _HALLMARK_PRESENT:
            return cause
    return RootCause.normal_variance


def plan_attempt(
    step: ReasoningStep,
    ranking: list[RootCause],
    assessments: dict[RootCause, Assessment],
    f: Facts,
) -> AttemptPlan:
    best = _first_actionable(ranking, f)
    if step.critique is None:
        notes = (
            ()
            if best == ranking[0]
            else (f"{cause_label(ranking[0])} has no segment data to act on",)
        )
        return AttemptPlan(cause=best, notes=notes)
    intents = critique_intents(step.critique, step.thresholds.min_confidence)
    previous = step.previous.root_cause if step.previous else best
    cause = previous if is_actionable(previous, f) else best
    notes: list[str] = []
    if "switch" in intents:
        cause = _switch_cause(step, previous, ranking, assessments, f)
        notes.append(
            f"switched from {cause_label(previous)} to {cause_label(cause)} because the critique "
            "found the first diagnosis unsupported by the data"
        )
    magnitude = 1.0
    if cause == previous and intents & {"magnitude", "confidence"}:
        magnitude = 0.5 ** max(step.iteration, 1)
        notes.append(f"scaled the change down to {magnitude:.0%} of the first proposal")
    more_evidence = "evidence" in intents
    if more_evidence:
        notes.append("listed every significant signal and the evidence against")
    if not notes:
        notes.append("re-derived the action from the root cause")
    return AttemptPlan(
        cause=cause, magnitude=magnitude, more_evidence=more_evidence, notes=tuple(notes)
    )
