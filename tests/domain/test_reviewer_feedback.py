"""A reviewer's feedback reaches the rules reasoner: what they ruled out stays ruled out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.feedback import ruled_out_actions
from domain.lifecycle import LifecyclePolicy, ReasoningStep, ReviewerFeedback
from domain.reasoning_loop import draft_until_accepted
from domain.recommendation import ActionType
from domain.rules import critique_recommendation, generate_recommendation
from tests.domain.scenarios import analyze as analyze_signals
from tests.domain.scenarios import competitive_pressure, fundamental_problem

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


def said(text: str, reviewer: str = "carol", revision: int = 1) -> ReviewerFeedback:
    return ReviewerFeedback(reviewer=reviewer, revision=revision, feedback=text)


@pytest.mark.parametrize(
    ("text", "ruled_out"),
    [
        ("Don't pause, the tracking fix ships tomorrow", {ActionType.campaign_pause}),
        ("not a bid problem, look at the creatives", {ActionType.bid_adjustment}),
        ("Rather than bids, refresh the creatives", {ActionType.bid_adjustment}),
        (
            "Do not touch the budget. Avoid any audience expansion.",
            {ActionType.budget_reallocation, ActionType.audience_expansion},
        ),
        ("don't pause it but raise the bid", {ActionType.campaign_pause}),
        ("new creative went live today", set()),
        ("Pause it if conversions stay at zero", set()),
    ],
)
def test_negated_actions_are_ruled_out_and_nothing_else(text: str, ruled_out: set) -> None:
    assert set(ruled_out_actions([said(text)])) == ruled_out


def _draft(context, feedback: list[ReviewerFeedback]):  # noqa: ANN001, ANN202
    analysis = analyze_signals(context)

    async def generate(step: ReasoningStep):  # noqa: ANN202
        return generate_recommendation(step, NOW)

    async def critique(inp, _iteration):  # noqa: ANN001, ANN202
        return critique_recommendation(inp)

    return draft_until_accepted(
        context, analysis, LifecyclePolicy(), generate, critique, reviewer_feedback=feedback
    )


async def test_a_ruled_out_pause_is_not_recommended_again_and_the_revision_says_why() -> None:
    context = fundamental_problem()
    first = (await _draft(context, [])).recommendation
    assert first.recommended_action is ActionType.campaign_pause  # what the reviewer sent back

    feedback = [said("Don't pause: the tracking fix ships tomorrow", revision=1)]
    second = (await _draft(context, feedback)).recommendation

    assert second.recommended_action is not ActionType.campaign_pause
    [response] = second.feedback_response
    assert response.startswith("carol on revision 1: \"Don't pause: the tracking fix")
    assert "ruled out Campaign Pause" in response
    assert f"recommending {second.recommended_action.value} instead" in response
    assert "Reviewer feedback:" in second.reasoning
    pause = next(a for a in second.alternatives_considered if a.action is ActionType.campaign_pause)
    assert pause.why_not.startswith("ruled out by carol")


async def test_feedback_that_rules_nothing_out_is_acknowledged_and_changes_no_action() -> None:
    context = competitive_pressure()
    before = (await _draft(context, [])).recommendation
    feedback = [said("audience data looked stale, please re-check")]

    after = (await _draft(context, feedback)).recommendation

    assert after.recommended_action is before.recommended_action
    assert after.feedback_response == [
        'carol on revision 1: "audience data looked stale, please re-check" names no action to '
        "rule out; the context was collected again and re-analysed"
    ]


def test_the_critique_flags_a_draft_that_ignores_the_reviewer() -> None:
    context = fundamental_problem()
    analysis = analyze_signals(context)
    from domain.lifecycle import CritiqueInput

    step = ReasoningStep(context=context, analysis=analysis)
    pause = generate_recommendation(step, NOW)
    assert pause.recommended_action is ActionType.campaign_pause

    critique = critique_recommendation(
        CritiqueInput(
            context=context,
            analysis=analysis,
            recommendation=pause,
            reviewer_feedback=[said("no pausing please")],
        )
    )

    [issue] = [i for i in critique.issues if i.code == "ruled_out_by_reviewer"]
    assert issue.severity.value == "CRITICAL"
    assert "ruled out by carol on revision 1" in issue.description
