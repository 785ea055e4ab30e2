"""Test doubles for eval tests: reasoners built on the rules reasoner, with one twist each."""

from __future__ import annotations

from functools import cache

from activities.reasoning import RulesReasoner
from domain.lifecycle import AnalysisInput, CritiqueInput, ReasoningStep
from domain.recommendation import (
    ActionParameters,
    ActionType,
    Critique,
    CritiqueIssue,
    Recommendation,
    RootCause,
    Severity,
    SignalAnalysis,
)
from evals.cli import DEFAULT_DATASET
from evals.dataset import EvalCase, load_dataset
from evals.usage import record_usage

GOLDEN = DEFAULT_DATASET


@cache
def _golden() -> tuple[EvalCase, ...]:
    return tuple(load_dataset(GOLDEN))


def golden_cases() -> list[EvalCase]:
    """The golden set as committed: labelled by the oracle (expected_action = its best)."""
    return list(_golden())


def analyst_cases() -> list[EvalCase]:
    """The golden cases labelled with the analyst's call (``analyst_action``): textbook scenarios
    for tests of the harness, reports and CLI, which need one case per action the rules give."""
    return [
        case.model_copy(
            update={
                "expected_action": case.analyst_action or case.expected_action,
                "acceptable_actions": None,
                "analyst_action": None,
            }
        )
        for case in _golden()
    ]


def small_set(per_action: int = 1) -> list[EvalCase]:
    """The first analyst-labelled cases of each action, each with its campaign id = its case id."""
    picked: list[EvalCase] = []
    for action in ActionType:
        of_action = [c for c in analyst_cases() if c.expected_action is action][:per_action]
        picked.extend(of_action)
    return [with_campaign_id(case, case.id) for case in picked]


def with_campaign_id(case: EvalCase, campaign_id: str) -> EvalCase:
    campaign = case.context.campaign.model_copy(update={"campaign_id": campaign_id})
    context = case.context.model_copy(update={"campaign": campaign})
    return case.model_copy(update={"context": context})


class AlwaysMonitor(RulesReasoner):
    """Recommends Continue Monitoring everywhere; its critique accepts anything."""

    name = "always-monitor"

    async def recommend(self, step: ReasoningStep) -> Recommendation:
        rec = await super().recommend(step)
        return rec.model_copy(
            update={
                "recommended_action": ActionType.continue_monitoring,
                "root_cause": RootCause.normal_variance,
                "parameters": ActionParameters(),
                "confidence": 0.5,
            }
        )

    async def critique(self, inp: CritiqueInput) -> Critique:
        return Critique(adjusted_confidence=inp.recommendation.confidence, summary="accepted")


class FailsOn(RulesReasoner):
    """The rules reasoner, except that analysing one campaign raises."""

    name = "fails-on"

    def __init__(self, campaign_id: str) -> None:
        super().__init__()
        self.campaign_id = campaign_id

    async def analyze(self, inp: AnalysisInput) -> SignalAnalysis:
        if inp.context.campaign.campaign_id == self.campaign_id:
            raise RuntimeError("provider timed out")
        return await super().analyze(inp)


class NeverSatisfied(RulesReasoner):
    """Its critique always finds a CRITICAL issue: every case uses all its regenerations."""

    name = "never-satisfied"

    def __init__(self) -> None:
        super().__init__()
        self.drafts = 0

    async def recommend(self, step: ReasoningStep) -> Recommendation:
        self.drafts += 1
        return await super().recommend(step)

    async def critique(self, inp: CritiqueInput) -> Critique:
        issue = CritiqueIssue(severity=Severity.critical, description="never good enough")
        return Critique(issues=[issue], adjusted_confidence=0.9, summary="rejected")


class Metered(RulesReasoner):
    """Reports a model call per step, with token counts that depend on the campaign."""

    name = "metered"

    async def analyze(self, inp: AnalysisInput) -> SignalAnalysis:
        record_usage(len(inp.context.campaign.campaign_id), 10, cost_usd=0.001)
        return await super().analyze(inp)
