"""The reasoner seam: selection by settings and the activities that delegate to it."""

from __future__ import annotations

import pytest
from temporalio.testing import ActivityEnvironment

from activities.reasoning import (
    REASONERS,
    ReasoningActivities,
    RulesReasoner,
    UnknownReasonerError,
    build_reasoner,
)
from domain.context import CampaignContext
from domain.lifecycle import AnalysisInput, CritiqueInput, ReasoningStep
from settings import Settings
from tests.workflows.doubles import ScriptedReasoner, campaign_metrics, recommendation


def context() -> CampaignContext:
    return CampaignContext(campaign=campaign_metrics())


def test_rules_is_the_default_reasoner() -> None:
    assert isinstance(build_reasoner(Settings()), RulesReasoner)
    assert "rules" in REASONERS


def test_unknown_reasoner_is_a_clear_startup_error() -> None:
    with pytest.raises(UnknownReasonerError, match=r"unknown reasoner 'gpt-9'.*rules"):
        build_reasoner(Settings(reasoner="gpt-9"))


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
