"""The analysis-and-recommendation part of the lifecycle, outside Temporal.

``reason_about`` runs what ``RecommendationWorkflow`` runs before the review, with the same
shared code (``domain.reasoning_loop``): analyze → (recommend → critique) until the critique
passes or ``policy.max_regenerations`` more attempts are spent → guardrails → degraded flag for
partial context. There is no human wait and no execution: evals judge the reasoning only.
"""

from __future__ import annotations

from dataclasses import dataclass

from activities.reasoning import Reasoner
from domain.context import CampaignContext
from domain.guardrails import apply_guardrails
from domain.lifecycle import AnalysisInput, CritiqueInput, LifecyclePolicy
from domain.reasoning_loop import draft_until_accepted, flag_partial_context
from domain.recommendation import Critique, Recommendation, SignalAnalysis
from domain.usage import total_cost


@dataclass(frozen=True)
class ReasoningResult:
    analysis: SignalAnalysis
    recommendation: Recommendation  # after guardrails: what a reviewer would see
    critique: Critique  # the last critique
    attempts: int  # recommendations generated (1 + regenerations)
    guardrail_adjustments: list[str]

    @property
    def regenerations(self) -> int:
        return self.attempts - 1


async def reason_about(
    context: CampaignContext, reasoner: Reasoner, policy: LifecyclePolicy
) -> ReasoningResult:
    """Raises whatever the reasoner or the guardrails raise (GuardrailViolation included)."""
    analysis = await reasoner.analyze(AnalysisInput(context=context, thresholds=policy.thresholds))

    async def critique(inp: CritiqueInput, _iteration: int) -> Critique:
        return await reasoner.critique(inp)

    drafted = await draft_until_accepted(
        context,
        analysis,
        policy,
        reasoner.recommend,
        critique,
        spent_usd=total_cost(analysis.usage),
    )
    guarded = apply_guardrails(drafted.recommendation, context, policy.guardrails)
    return ReasoningResult(
        analysis=analysis,
        recommendation=flag_partial_context(guarded.recommendation, context),
        critique=drafted.critique,
        attempts=drafted.attempts,
        guardrail_adjustments=guarded.adjustments,
    )
