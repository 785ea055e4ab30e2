"""An approved plan is re-validated against the campaign as it stands before execution."""

from __future__ import annotations

from domain.platform import CampaignSettings, premise_changes
from domain.recommendation import ActionParameters, ActionType

RUNNING = CampaignSettings(
    status="active",
    bid=2.50,
    daily_budget=100.0,
    audience_size=50_000,
    creative_ids=["cr-1", "cr-2"],
    segment_budgets={"seg-a": 60.0, "seg-b": 40.0},
)


def test_unchanged_campaign_keeps_every_plan() -> None:
    plans = {
        ActionType.bid_adjustment: ActionParameters(bid_change_pct=16, current_bid=2.5),
        ActionType.creative_refresh: ActionParameters(creative_ids=["cr-1"]),
        ActionType.budget_reallocation: ActionParameters(
            from_segment_id="seg-a", to_segment_id="seg-b", budget_shift_amount=15
        ),
        ActionType.campaign_pause: ActionParameters(),
        ActionType.audience_expansion: ActionParameters(audience_expansion_pct=20),
    }
    for action, parameters in plans.items():
        assert premise_changes(action, parameters, RUNNING) == [], action


def test_a_bid_already_raised_supersedes_the_second_raise() -> None:
    raised = RUNNING.model_copy(update={"bid": 2.90})
    reasons = premise_changes(
        ActionType.bid_adjustment, ActionParameters(bid_change_pct=16, current_bid=2.5), raised
    )
    assert reasons == ["the bid is 2.90 now; the plan starts from 2.50"]


def test_rotated_creatives_supersede_a_refresh() -> None:
    rotated = RUNNING.model_copy(update={"creative_ids": ["cr-3", "cr-2"]})
    [reason] = premise_changes(
        ActionType.creative_refresh, ActionParameters(creative_ids=["cr-1"]), rotated
    )
    assert "cr-1 no longer run" in reason and "cr-3" in reason


def test_a_moved_budget_supersedes_a_reallocation() -> None:
    moved = RUNNING.model_copy(update={"segment_budgets": {"seg-a": 10.0, "seg-b": 90.0}})
    plan = ActionParameters(from_segment_id="seg-a", to_segment_id="seg-b", budget_shift_amount=15)
    [reason] = premise_changes(ActionType.budget_reallocation, plan, moved)
    assert "seg-a has 10.00 a day now" in reason
    gone = RUNNING.model_copy(update={"segment_budgets": {"seg-b": 100.0}})
    assert premise_changes(ActionType.budget_reallocation, plan, gone) == [
        "segment seg-a no longer has a budget"
    ]


def test_a_paused_campaign_supersedes_any_change() -> None:
    paused = RUNNING.model_copy(update={"status": "paused"})
    for action in (ActionType.campaign_pause, ActionType.audience_expansion):
        assert premise_changes(action, ActionParameters(audience_expansion_pct=10), paused) == [
            "the campaign is paused now; the plan assumed it was running"
        ]
