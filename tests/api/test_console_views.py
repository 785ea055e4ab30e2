"""What the console derives from stored records: charts, deadlines, progress and refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.console.charts import campaign_charts, digits_for
from api.console.views import (
    change_rows,
    impact_text,
    in_progress,
    revision_history,
    time_left,
    what_changed,
)
from domain.context import DailyPoint, HistoryData
from domain.lifecycle import (
    AuditEvent,
    Decision,
    DecisionKind,
    LifecycleState,
    RecommendationStatus,
    TraceStep,
)
from store.records import RecommendationRecord
from tests.domain import scenarios

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


def context_with_days(days: list[DailyPoint]):
    context = scenarios.competitive_pressure()
    context.history = HistoryData(baseline_cpa=20.0, daily=days)
    return context


def day(n: int, conversions: float = 40.0, **extra) -> DailyPoint:
    return DailyPoint(
        date=scenarios.PERIOD_END - timedelta(days=13 - n),
        spend=1000.0 + 10 * n,
        impressions=50_000,
        clicks=1_000 + n,
        conversions=conversions,
        **extra,
    )


def chart(charts, key: str):
    return next(c for c in charts if c.key == key)


def test_the_four_charts_mark_the_comparison_and_current_periods() -> None:
    context = context_with_days([day(n) for n in range(14)])
    charts = campaign_charts(context)

    assert [c.key for c in charts] == ["cpa", "ctr", "spend", "impression_share"]
    spend = chart(charts, "spend")
    before, now = spend.bands
    assert (before.label, now.label) == ("comparison", "current")
    # The two 7-day periods split the 14-day window in halves, the current one on the right.
    assert before.x < now.x and abs(before.width - now.width) < 1
    assert abs((now.x + now.width) - 312) < 0.5 and abs(before.x - 46) < 0.5
    assert len(spend.segments) == 1 and len(spend.segments[0].split()) == 14
    assert spend.rows[0] == (day(0).date.isoformat(), "1,000.00")
    assert "+1.0 % vs comparison period" in spend.headline
    assert spend.headline.startswith("current period total")


def test_a_day_without_conversions_breaks_the_cpa_line() -> None:
    days = [day(n, conversions=0.0 if n in (5, 7) else 40.0) for n in range(14)]
    cpa = chart(campaign_charts(context_with_days(days)), "cpa")

    assert [len(segment.split()) for segment in cpa.segments] == [5, 6]
    assert len(cpa.dots) == 1  # day 6 stands alone between two gaps
    assert cpa.rows[5][1] == "no data"


def test_impression_share_uses_daily_figures_when_the_platform_sends_them() -> None:
    daily = campaign_charts(
        context_with_days([day(n, impression_share=0.6 + n / 100) for n in range(14)])
    )
    share = chart(daily, "impression_share")
    assert share.note == "" and share.rows[-1][1] == "73.00 %"

    averaged = chart(
        campaign_charts(context_with_days([day(n) for n in range(14)])), "impression_share"
    )
    assert "each period's average" in averaged.note
    # The scenario: 62 % now, down 16 % on the comparison period (62 / 0.84 = 73.81 %).
    values = [value for _, value in averaged.rows]
    assert values == ["73.81 %"] * 7 + ["62.00 %"] * 7


def test_no_history_means_no_charts() -> None:
    context = scenarios.competitive_pressure()
    context.history = None
    assert campaign_charts(context) == []
    assert campaign_charts(None) == []


def test_axis_labels_have_the_decimals_that_tell_them_apart() -> None:
    assert digits_for(19.0, 30.0) == 0
    assert digits_for(2.0, 3.0) == 1
    assert digits_for(0.018, 0.023) == 4


def test_impact_and_time_left_read_naturally() -> None:
    assert impact_text({"metric": "cpa", "change_pct": -12.0, "timeframe_days": 3}) == (
        "CPA -12.0 % in 3 days"
    )
    assert impact_text({"metric": "impression_share", "change_pct": 7.5, "timeframe_days": 1}) == (
        "impression share +7.5 % in 1 day"
    )
    assert time_left(NOW + timedelta(hours=3, minutes=5), NOW) == "3 h 05 min left"
    assert time_left(NOW + timedelta(days=3), NOW) == "3 days left"
    assert time_left(NOW - timedelta(minutes=1), NOW) == "deadline passed"


def record(status=RecommendationStatus.pending_review, revision=2, decision=None):
    state = LifecycleState(
        recommendation_id="rec-1",
        campaign_id="cmp-1",
        status=status,
        revision=revision,
        decision=decision,
    )
    return RecommendationRecord(
        recommendation_id="rec-1",
        campaign_id="cmp-1",
        workflow_id="rec-1",
        status=status,
        revision=revision,
        requested_by="api",
        created_at=NOW,
        updated_at=NOW,
        state=state,
    )


def audit(event: str, revision: int, actor: str = "bob", at=NOW, **payload) -> AuditEvent:
    return AuditEvent(
        recommendation_id="rec-1",
        event=event,
        actor=actor,
        revision=revision,
        payload=payload,
        at=at,
    )


def test_a_decision_audited_before_the_sync_counts_as_in_progress() -> None:
    pending = record()
    assert in_progress(pending, []) is None
    assert in_progress(pending, [audit("approved", revision=1)]) is None  # an older revision
    assert "was approved by bob" in in_progress(pending, [audit("approved", revision=2)])
    assert "asked for a reanalysis" in in_progress(
        pending, [audit("reanalysis_requested", revision=2)]
    )
    assert "carried out" in in_progress(record(RecommendationStatus.approved), [])


def test_a_refusal_says_what_changed_since_the_page_was_opened() -> None:
    decided = record(
        RecommendationStatus.executed,
        revision=3,
        decision=Decision(decision=DecisionKind.approved, reviewer="bob", revision=3),
    )
    events = [
        audit("reanalysis_requested", 1, at=NOW - timedelta(minutes=5), feedback="x"),
        audit("approved", 3, at=NOW + timedelta(seconds=5), feedback="ship it"),
    ]

    lines = what_changed(1, "pending_review", NOW, decided, events)

    assert lines == [
        "You were looking at revision 1; revision 3 is the current one now.",
        "Its status went from pending_review to executed.",
        "It was already decided: approved by bob (revision 3).",
        "Approved by bob (revision 3): ship it (12:00:05 UTC).",
    ]


def test_revision_history_numbers_drafts_and_places_reanalysis_feedback() -> None:
    steps = [
        TraceStep(step=name, started_at=NOW, duration_ms=1, detail=detail)
        for name, detail in [
            ("generate_recommendation", "Bid Adjustment (0.55)"),
            ("critique_recommendation", "confidence too low"),
            ("generate_recommendation", "Bid Adjustment (0.72)"),
            ("generate_recommendation", "Creative Refresh (0.80)"),
        ]
    ]
    state = LifecycleState(recommendation_id="rec-1", campaign_id="c", revision=3, trace=steps)
    history = revision_history(
        state, [audit("reanalysis_requested", 2, actor="ann", feedback="CTR is the issue")]
    )

    assert [(e.revision, e.current) for e in history] == [(1, False), (2, False), (3, True)]
    assert history[0].notes == ["Critique: confidence too low"]
    assert history[1].notes == ["ann asked for a reanalysis: CTR is the issue"]


def test_the_change_table_lists_what_the_platform_reported_changed_first() -> None:
    rows = change_rows(
        {"status": "active", "bid": 2.5, "daily_budget": 100.0},
        {"bid": 2.9, "status": "active"},
    )
    assert rows == [("bid", "2.5", "2.9"), ("status", "active", "active")]
    assert change_rows({}, {}) == []
