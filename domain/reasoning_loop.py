"""The generate → critique loop, shared by the workflow and the eval harness.

The loop decides; the caller supplies how a draft is generated and critiqued (activities in the
workflow, direct reasoner calls in evals). Keeping one copy means an eval measures exactly the
reasoning a reviewer will see.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from domain.context import CampaignContext
from domain.lifecycle import CritiqueInput, LifecyclePolicy, ReasoningStep, ReviewerFeedback
from domain.recommendation import Critique, Recommendation, SignalAnalysis
from domain.usage import total_cost

Generate = Callable[[ReasoningStep], Awaitable[Recommendation]]
CritiqueDraft = Callable[[CritiqueInput, int], Awaitable[Critique]]


@dataclass(frozen=True)
class DraftResult:
    recommendation: Recommendation  # confidence = the critique's adjusted confidence
    critique: Critique  # the last critique
    attempts: int  # recommendations generated (1 + regenerations)


async def draft_until_accepted(
    context: CampaignContext,
    analysis: SignalAnalysis,
    policy: LifecyclePolicy,
    generate: Generate,
    critique: CritiqueDraft,
    spent_usd: float = 0.0,
    reviewer_feedback: list[ReviewerFeedback] | None = None,
) -> DraftResult:
    """Generate and critique until the critique passes, `max_regenerations` are spent or the
    run's LLM cost (``spent_usd`` before drafting, plus what drafts and critiques report)
    reaches ``policy.max_llm_cost_usd``. Every draft and critique gets the reviewers'
    feedback of earlier revisions, so what a reviewer ruled out stays ruled out."""
    feedback = list(reviewer_feedback or [])
    recommendation: Recommendation | None = None
    review: Critique | None = None
    max_attempts = 1 + policy.max_regenerations
    for iteration in range(max_attempts):
        step = ReasoningStep(
            thresholds=policy.thresholds,
            guardrails=policy.guardrails,
            context=context,
            analysis=analysis,
            previous=recommendation,
            critique=review,
            iteration=iteration,
            reviewer_feedback=feedback,
        )
        draft = await generate(step)
        review = await critique(
            CritiqueInput(
                thresholds=policy.thresholds,
                context=context,
                analysis=analysis,
                recommendation=draft,
                reviewer_feedback=feedback,
            ),
            iteration,
        )
        # The reviewer sees the critic's confidence, not the author's; a critic may lower it
        # but never raise it (an LLM critic's 0.95 must not lift a 0.6 draft past the
        # auto-approval bar).
        confidence = min(draft.confidence, review.adjusted_confidence)
        recommendation = draft.model_copy(update={"confidence": confidence})
        if not review.needs_regeneration(policy.thresholds.min_confidence):
            return DraftResult(recommendation, review, iteration + 1)
        spent_usd += total_cost([*draft.usage, *review.usage])
        budget = policy.max_llm_cost_usd
        if budget is not None and spent_usd >= budget and iteration + 1 < max_attempts:
            stopped = (
                f"LLM cost budget ${budget:.2f} reached (${spent_usd:.4f} spent): no further "
                f"regeneration after {iteration + 1} attempt(s); open critique: {review.summary}"
            )
            recommendation = recommendation.model_copy(
                update={"risk_factors": [*recommendation.risk_factors, stopped]}
            )
            return DraftResult(recommendation, review, iteration + 1)
    assert recommendation is not None and review is not None
    # Out of regenerations: keep the last attempt, but make the open critique visible.
    recommendation = recommendation.model_copy(
        update={
            "risk_factors": [
                *recommendation.risk_factors,
                _unresolved(review, max_attempts, policy.thresholds.min_confidence),
            ]
        }
    )
    return DraftResult(recommendation, review, max_attempts)


def _unresolved(review: Critique, attempts: int, min_confidence: float) -> str:
    """Why the reviewer gets a recommendation the critique did not accept, in their terms."""
    if review.issues:
        return f"Critique unresolved after {attempts} attempts: {review.summary}"
    # Nothing to fix, the evidence is just thin: say so rather than "unresolved: no issues".
    return (
        f"Low confidence: {review.adjusted_confidence:.2f} stayed under the "
        f"{min_confidence:.2f} minimum after {attempts} attempts; the evidence is weak"
    )


def flag_partial_context(rec: Recommendation, context: CampaignContext) -> Recommendation:
    """A recommendation reasoned over partial context is degraded, whoever produced it."""
    return rec.marked_degraded(
        [
            f"missing {source}: {context.source_errors.get(source, 'no data')}"
            for source in context.missing_sources
        ]
    )
