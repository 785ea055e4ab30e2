"""The KPI watch's verdicts, and what notifications say (and never say)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.changes import LastChange
from domain.lifecycle import Decision, DecisionKind, LifecycleState, RecommendationStatus
from domain.notifications import (
    NotificationKind,
    halt_notification,
    lifecycle_notifications,
    pacing_notification,
    review_reminder,
)
from domain.pacing import PacingAction, PacingAssessment, Severity
from domain.recommendation import ActionType
from domain.thresholds import SignalThresholds
from domain.watch import OpenRecommendation, WatchVerdict, kpi_moves, watch_verdict
from tests.workflows.doubles import campaign_metrics, recommendation

NOW = datetime(2026, 12, 3, 10, tzinfo=UTC)
THRESHOLDS = SignalThresholds()
URL = "https://agent.example.com"


def test_kpi_moves_are_the_worse_ones_beyond_the_threshold() -> None:
    metrics = campaign_metrics(
        cpa_change_pct=35.0,  # worse, critical
        ctr_change_pct=12.0,  # better: not a move
        cpm_change_pct=9.9,  # worse but under 10 %
        impression_share_change_pct=-11.0,  # worse
        cpa_trend_days=3,
    )
    moves = kpi_moves(metrics, THRESHOLDS)
    assert [m.kpi for m in moves] == ["CPA", "impression share", "CPA trend"]
    assert moves[0].critical and not moves[1].critical


def test_spending_without_converting_is_a_move() -> None:
    metrics = campaign_metrics(conversions=0, cpa=None, cpa_change_pct=None, clicks=400)
    moves = {m.kpi: m for m in kpi_moves(metrics, THRESHOLDS)}
    assert moves["conversions"].critical and "400 clicks" in moves["conversions"].detail
    few_clicks = metrics.model_copy(update={"clicks": 40})
    assert "conversions" not in {m.kpi for m in kpi_moves(few_clicks, THRESHOLDS)}


def test_steady_kpis_are_no_move() -> None:
    steady = campaign_metrics(
        cpa_change_pct=-8.7,
        ctr_change_pct=-0.1,
        cpm_change_pct=-0.5,
        impression_share_change_pct=5.9,
        cpa_trend_days=0,
    )
    assert kpi_moves(steady, THRESHOLDS) == []


def verdict(moves, **kwargs):
    options = {"open_recommendation": None, "last_change": None}
    options.update(kwargs)
    return watch_verdict("cmp-1", "Search", moves, cooldown=timedelta(hours=72), now=NOW, **options)


def test_the_watch_starts_only_campaigns_that_moved_and_are_free() -> None:
    moves = kpi_moves(campaign_metrics(cpa_change_pct=35.0), THRESHOLDS)
    assert verdict([]).verdict is WatchVerdict.no_move
    assert verdict(moves).verdict is WatchVerdict.started
    pending = verdict(
        moves,
        open_recommendation=OpenRecommendation(recommendation_id="rec-1", status="pending_review"),
    )
    assert pending.verdict is WatchVerdict.pending and "rec-1 is pending review" in pending.reason
    recent = LastChange(recommendation_id="rec-0", action=ActionType.bid_adjustment, at=NOW)
    cooling = verdict(moves, last_change=recent.model_copy(update={"at": NOW - timedelta(days=1)}))
    assert cooling.verdict is WatchVerdict.cooling_down and "Bid Adjustment" in cooling.reason
    old = recent.model_copy(update={"at": NOW - timedelta(days=4)})
    assert verdict(moves, last_change=old).verdict is WatchVerdict.started


def state(status: RecommendationStatus, **fields) -> LifecycleState:
    return LifecycleState(
        recommendation_id="rec-cmp-1-abc",
        campaign_id="cmp-1",
        status=status,
        revision=2,
        recommendation=recommendation(),
        **fields,
    )


def test_a_pending_review_notification_links_to_the_console() -> None:
    [n] = lifecycle_notifications(state(RecommendationStatus.pending_review), URL)
    assert n.kind is NotificationKind.review_pending
    assert n.key == "rec:rec-cmp-1-abc:r2:pending"
    assert n.link == f"{URL}/console/recommendations/rec-cmp-1-abc"
    assert "cmp-1" in n.message and "Next:" in n.message


def test_states_that_need_no_one_notify_no_one() -> None:
    for status in (RecommendationStatus.analyzing, RecommendationStatus.executed,
                   RecommendationStatus.rejected, RecommendationStatus.approved):  # fmt: skip
        assert lifecycle_notifications(state(status), URL) == []
    # A failed analysis is not an execution failure: only failures after approval notify.
    assert lifecycle_notifications(state(RecommendationStatus.failed, error="x"), URL) == []


def test_failed_and_superseded_executions_notify_with_the_reason() -> None:
    approved = Decision(decision=DecisionKind.approved, reviewer="ann", revision=2)
    [failed] = lifecycle_notifications(
        state(RecommendationStatus.failed, decision=approved, error="ActionRejected: 422"), URL
    )
    assert failed.kind is NotificationKind.execution_failed and "ActionRejected" in failed.message
    [superseded] = lifecycle_notifications(
        state(RecommendationStatus.superseded, status_reason="the bid is 2.80 now"), URL
    )
    assert "the bid is 2.80 now" in superseded.message


def test_the_reminder_is_only_for_the_revision_still_pending() -> None:
    reminder = review_reminder(state(RecommendationStatus.pending_review), NOW, URL)
    assert reminder.kind is NotificationKind.review_expiring
    assert reminder.only_if_pending is not None and reminder.only_if_pending.revision == 2
    assert "2026-12-03 10:00 UTC" in reminder.message


def test_pacing_notifications_name_the_campaign_and_the_next_step() -> None:
    assessment = PacingAssessment(
        line_id="L1",
        plan_campaign_name="Lookalikes",
        campaign_id="cmp-9",
        campaign_name="Lookalike Prospecting",
        flight_start=NOW.date(),
        flight_end=NOW.date(),
        target_spend=10,
        expected_spend=100,
        actual_spend=140,
        variance_pct=39.0,
        confidence=0.95,
        severity=Severity.critical,
        action=PacingAction.recommend_halt,
        reason="critically over plan",
        mitigation=["set the daily budget to 10.00"],
    )
    n = pacing_notification(assessment, "pacing:cmp-9:critical:2026-12-03", URL)
    assert n is not None and n.kind is NotificationKind.pacing_critical
    assert "Lookalike Prospecting (cmp-9)" in n.message and "test mode paused nothing" in n.message
    assert (n.pacing_severity, n.pacing_action) == ("critical", "recommend_halt")
    healthy = assessment.model_copy(update={"action": PacingAction.none})
    assert pacing_notification(healthy, "k", URL) is None
    halted = halt_notification("k", "cmp-9", "Lookalike Prospecting", "executed", "", URL)
    assert halted.key == "k:halt:executed" and "release the halt" in halted.message
