"""The reasoner seam: selection by settings, fallback, and the activities that delegate to it."""

from __future__ import annotations

import pytest
from temporalio.testing import ActivityEnvironment

from activities.reasoning import (
    REASONERS,
    FallbackReasoner,
    ReasoningActivities,
    RulesReasoner,
    UnknownReasonerError,
    build_reasoner,
)
from domain.context import CampaignContext
from domain.lifecycle import AnalysisInput, CritiqueInput, ReasoningStep
from settings import Settings
from tests.workflows.doubles import ScriptedReasoner, analysis, campaign_metrics, recommendation


def context() -> CampaignContext:
    return CampaignContext(campaign=campaign_metrics())


class BrokenReasoner(ScriptedReasoner):
    name = "llm"

    async def recommend(self, step: ReasoningStep):  # noqa: ANN201
        raise ConnectionError("provider down")

    async def analyze(self, inp: AnalysisInput):  # noqa: ANN201
        raise TimeoutError("provider slow")


def test_rules_is_the_default_reasoner() -> None:
    assert isinstance(build_reasoner(Settings()), RulesReasoner)
    assert "rules" in REASONERS


def test_unknown_reasoner_is_a_clear_startup_error() -> None:
    with pytest.raises(UnknownReasonerError, match=r"unknown reasoner 'gpt-9'.*rules"):
        build_reasoner(Settings(reasoner="gpt-9"))


async def test_fallback_answers_with_the_fallback_and_flags_degraded() -> None:
    reasoner = FallbackReasoner(BrokenReasoner(), ScriptedReasoner())
    step = ReasoningStep(context=context(), analysis=analysis())

    rec = await reasoner.recommend(step)
    analysed = await reasoner.analyze(AnalysisInput(context=context()))

    assert rec.degraded
    assert "llm failed (ConnectionError)" in rec.degraded_reasons[0]
    assert analysed.primary_root_cause == analysis().primary_root_cause
    assert reasoner.name == "llm+scripted"


async def test_reasoning_activities_delegate_to_the_reasoner() -> None:
    reasoner = ScriptedReasoner()
    activities = ReasoningActivities(reasoner)
    env = ActivityEnvironment()
    ctx = context()

    found = await env.run(activities.analyze_signals, AnalysisInput(context=ctx))
    rec = await env.run(
        activities.generate_recommendation, ReasoningStep(context=ctx, analysis=found)
    )
    critique = await env.run(
        activities.critique_recommendation,
        CritiqueInput(context=ctx, analysis=found, recommendation=recommendation()),
    )

    assert rec.recommended_action.value == "Bid Adjustment"
    assert not critique.needs_regeneration(0.6)
    assert dict(reasoner.calls) == {"analyze": 1, "recommend": 1, "critique": 1}
