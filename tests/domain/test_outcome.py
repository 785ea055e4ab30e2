"""judge_outcome: did the metric move as expected, three days later?"""

from __future__ import annotations

import pytest

from domain.context import CampaignMetrics
from domain.outcome import ImpactMetric, is_measurable, judge_outcome, metric_name
from domain.recommendation import ActionType, ExpectedImpact, Recommendation
from domain.thresholds import SignalThresholds
from tests.domain import scenarios as s

BEFORE = s.campaign(daily_spend=1500.0, cpa=30.0, ctr=1.6, impression_share=0.62)


def metrics(**values) -> CampaignMetrics:
    return BEFORE.model_copy(update=values)


def rec_for(action: ActionType, metric: str, change: float) -> Recommendation:
    _, rec = s.recommend(s.creative_fatigue(0))
    return rec.model_copy(
        update={
            "recommended_action": action,
            "expected_impact": ExpectedImpact(metric=metric, change_pct=change),
        }
    )


REALLOCATE = ActionType.budget_reallocation


@pytest.mark.parametrize(
    ("cpa_after", "actual", "success"),
    [
        (25.5, -15.0, True),  # as expected
        (27.75, -7.5, True),  # exactly half the expected -15 %
        (28.5, -5.0, False),  # right direction, too small
        (33.0, 10.0, False),  # wrong direction
    ],
)
def test_cpa_reduction_needs_half_the_expected_drop(
    cpa_after: float, actual: float, success: bool
) -> None:
    outcome = judge_outcome(
        rec_for(REALLOCATE, "cpa", -15.0), BEFORE, metrics(cpa=cpa_after), s.NOW
    )

    assert outcome.metric == "cpa"
    assert outcome.before_value == 30.0 and outcome.after_value == cpa_after
    assert outcome.actual_change_pct == actual
    assert outcome.expected_change_pct == -15.0
    assert outcome.success is success
    assert outcome.measured_at == s.NOW


def test_ctr_recovery_is_judged_upwards() -> None:
    rec = rec_for(ActionType.creative_refresh, "ctr", 16.8)

    recovered = judge_outcome(rec, BEFORE, metrics(ctr=1.9), s.NOW)
    stalled = judge_outcome(rec, BEFORE, metrics(ctr=1.7), s.NOW)

    assert recovered.success and recovered.actual_change_pct == 18.75
    assert recovered.summary == (
        "Creative Refresh: success: ctr changed: 1.60 % -> 1.90 % (expected +16.8 %, needed +8.4 %)"
    )
    assert not stalled.success and stalled.actual_change_pct == 6.25
    assert stalled.summary.startswith("Creative Refresh: failure:")


def test_impression_share_recovery_after_a_bid_change() -> None:
    rec = rec_for(ActionType.bid_adjustment, "impression_share", 7.5)

    outcome = judge_outcome(rec, BEFORE, metrics(impression_share=0.66), s.NOW)

    assert outcome.success
    assert outcome.actual_change_pct == 6.45  # 0.62 -> 0.66
    assert "impression_share changed: 62 % -> 66 %" in outcome.summary


def test_metric_names_are_forgiving() -> None:
    rec = rec_for(ActionType.bid_adjustment, "Impression Share", 7.5)

    assert judge_outcome(rec, BEFORE, metrics(impression_share=0.66), s.NOW).metric == (
        "impression_share"
    )


@pytest.mark.parametrize(
    ("spelled", "name"),
    [
        ("CPA", "cpa"),
        ("CPA (cost per acquisition)", "cpa"),
        ("Cost per acquisition (CPA)", "cpa"),
        ("cost-per-conversion", "cpa"),
        ("CTR %", "ctr"),
        ("Click-through rate", "ctr"),
        ("Conversion Rate", "conversion_rate"),
        ("conversion_rate", "conversion_rate"),
        ("Impression Share", "impression_share"),
        ("CPM (cost per thousand impressions)", "cpm"),
        ("Conversions", "conversions"),
        ("ROAS", "roas"),
        ("Return on ad spend (ROAS)", "return_on_ad_spend"),
    ],
)
def test_metric_names_are_normalised_in_one_place(spelled: str, name: str) -> None:
    assert metric_name(spelled) == name
    assert is_measurable(spelled) is (name in set(ImpactMetric))


def test_every_impact_metric_is_a_number_of_the_campaign_metrics() -> None:
    for metric in ImpactMetric:
        assert isinstance(getattr(BEFORE, metric.value), int | float), metric


def test_a_metric_with_its_name_spelled_out_is_judged() -> None:
    rec = rec_for(REALLOCATE, "CPA (cost per acquisition)", -15.0)

    outcome = judge_outcome(rec, BEFORE, metrics(cpa=25.5), s.NOW)

    assert outcome.success and outcome.metric == "cpa" and outcome.actual_change_pct == -15.0


def test_a_number_that_is_not_an_impact_metric_is_not_measured() -> None:
    rec = rec_for(REALLOCATE, "cpa_trend_days", -50.0)

    outcome = judge_outcome(rec, metrics(cpa_trend_days=4), metrics(cpa_trend_days=1), s.NOW)

    assert not outcome.success and "not measurable" in outcome.summary


def test_rising_from_zero_counts_as_up_without_a_percentage() -> None:
    rec = rec_for(ActionType.bid_adjustment, "conversions", 10.0)

    outcome = judge_outcome(rec, metrics(conversions=0.0), metrics(conversions=40.0), s.NOW)

    assert outcome.success
    assert outcome.actual_change_pct is None
    assert "rose from nothing" in outcome.summary


def test_a_cpa_that_vanishes_because_conversions_stopped_is_a_failure() -> None:
    rec = rec_for(REALLOCATE, "cpa", -10.0)
    after = metrics(cpa=None, conversions=0.0, conversion_rate=0.0)

    outcome = judge_outcome(rec, BEFORE, after, s.NOW)

    assert not outcome.success
    assert outcome.after_value is None and outcome.actual_change_pct is None
    assert "lost (no conversions after)" in outcome.summary


def test_no_value_on_either_side_is_not_measurable() -> None:
    rec = rec_for(REALLOCATE, "cpa", -10.0)
    empty = metrics(cpa=None, conversions=0.0, spend=0.0)

    outcome = judge_outcome(rec, empty, empty, s.NOW)

    assert not outcome.success and "not measurable" in outcome.summary


def test_an_unknown_metric_is_not_measurable() -> None:
    outcome = judge_outcome(rec_for(REALLOCATE, "roas", 10.0), BEFORE, BEFORE, s.NOW)

    assert not outcome.success
    assert outcome.before_value is None and outcome.actual_change_pct is None


# -- Campaign Pause ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spend_after", "success"),
    [(0.0, True), (50.0, True), (3000.0, False)],  # 50 of 10,500 is under 1 %: a late click
)
def test_a_pause_succeeds_when_spend_stops(spend_after: float, success: bool) -> None:
    rec = rec_for(ActionType.campaign_pause, "spend", -100.0)

    outcome = judge_outcome(rec, BEFORE, metrics(spend=spend_after), s.NOW)

    assert outcome.metric == "spend"
    assert outcome.success is success
    assert ("spend stopped" in outcome.summary) is success


# -- Continue Monitoring -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cpa_after", "success"),
    [(27.0, True), (32.4, True), (33.0, True), (33.6, False)],  # +10 % is the limit
)
def test_monitoring_succeeds_while_cpa_does_not_worsen(cpa_after: float, success: bool) -> None:
    rec = rec_for(ActionType.continue_monitoring, "cpa", 0.0)

    outcome = judge_outcome(rec, BEFORE, metrics(cpa=cpa_after), s.NOW)

    assert outcome.metric == "cpa"
    assert outcome.success is success


def test_monitoring_limit_comes_from_the_thresholds() -> None:
    rec = rec_for(ActionType.continue_monitoring, "cpa", 0.0)
    relaxed = SignalThresholds(significant_change_pct=15.0)

    outcome = judge_outcome(rec, BEFORE, metrics(cpa=33.6), s.NOW, relaxed)

    assert outcome.success and outcome.actual_change_pct == 12.0
    assert "limit +15 %" in outcome.summary


def test_monitoring_fails_when_conversions_stop() -> None:
    rec = rec_for(ActionType.continue_monitoring, "cpa", 0.0)

    outcome = judge_outcome(rec, BEFORE, metrics(cpa=None, conversions=0.0), s.NOW)

    assert not outcome.success
    assert "no conversions after" in outcome.summary


def test_monitoring_succeeds_when_conversions_resume() -> None:
    rec = rec_for(ActionType.continue_monitoring, "cpa", 0.0)

    outcome = judge_outcome(rec, metrics(cpa=None, conversions=0.0), BEFORE, s.NOW)

    assert outcome.success and outcome.actual_change_pct is None


def test_outcome_of_a_real_recommendation_end_to_end() -> None:
    _, rec = s.recommend(s.uneven_efficiency(0))  # expects CPA -6.9 %
    before = s.uneven_efficiency(0).campaign
    after = before.model_copy(update={"cpa": round(before.cpa * 0.95, 2)})  # -5 %

    outcome = judge_outcome(rec, before, after, s.NOW)

    assert outcome.success  # -5 % reaches half of -6.9 %
    assert outcome.campaign_id == "cmp-uneven-0"
