"""generate_recommendation: concrete actions, numbers, risk, confidence and degraded mode."""

from __future__ import annotations

from datetime import date

import pytest

from domain.context import PastAction
from domain.lifecycle import ReasoningStep
from domain.recommendation import ActionType, Recommendation, RiskLevel, RootCause
from domain.rules import generate_recommendation
from domain.thresholds import Guardrails
from tests.domain import scenarios as s


def test_bid_adjustment_names_the_bid_before_and_after() -> None:
    # Competitors raised bids 15 %; the campaign's current bid is $2.50.
    _, rec = s.recommend(s.competitive_pressure(0))

    assert rec.specific_action.startswith("increase bid 15 % from $2.50 to $2.88")
    assert rec.parameters.bid_change_pct == 15.0
    assert rec.parameters.current_bid == 2.50
    assert rec.parameters.new_bid == 2.88  # 2.50 x 1.15 = 2.875, rounded half up
    assert rec.expected_impact.metric == "impression_share"
    assert rec.expected_impact.change_pct == 7.5  # half the bid change
    assert rec.risk_level == RiskLevel.medium


def test_bid_adjustment_without_a_known_bid_is_relative() -> None:
    context = s.competitive_pressure(0)
    del context.campaign.__pydantic_extra__["current_bid"]

    _, rec = s.recommend(context)

    assert rec.specific_action.startswith("increase bids 15 % (current bid not reported)")
    assert rec.parameters.current_bid is None and rec.parameters.new_bid is None


def test_bid_adjustment_stays_inside_the_guardrail() -> None:
    # Competitors raised bids 22 %; a 10 % guardrail caps the proposal.
    _, rec = s.recommend(s.competitive_pressure(1), guardrails=Guardrails(max_bid_change_pct=10))

    assert rec.parameters.bid_change_pct == 10.0
    assert rec.parameters.new_bid == 0.88  # $0.80 x 1.10


def test_large_bid_change_is_high_risk() -> None:
    _, rec = s.recommend(s.competitive_pressure(1))  # +22 % of a 30 % maximum

    assert rec.parameters.bid_change_pct == 22.0
    assert rec.risk_level == RiskLevel.high
    assert "large change relative to its guardrail maximum" in rec.risk_factors


def test_budget_reallocation_moves_money_from_worst_to_best_segment() -> None:
    _, rec = s.recommend(s.uneven_efficiency(0))

    p = rec.parameters
    assert (p.from_segment_id, p.to_segment_id) == ("seg-broad", "seg-retarget")
    # The Thompson-sampling allocation gives 'Site visitors 30d' the budget (it is best in
    # every draw); 'Broad 45+' spends 2,625 / 7 days = 375/day and may lose at most the 25 %
    # volatility cap in one change: 93.75, under the guardrail's 25 % x 1,575 = 393.75,
    # rounded down to whole currency.
    assert p.budget_shift_amount == 93.0
    assert rec.specific_action.startswith(
        "move $93.00/day from 'Broad 45+' (seg-broad) to 'Site visitors 30d' (seg-retarget)"
    )
    allocation = rec.budget_allocation
    assert allocation is not None and allocation.move is not None
    assert allocation.arm("seg-retarget").p_best == 1.0 and allocation.move.amount == 93.75
    # 453 conversions on 10,500: moving 651 loses 651/47.73 = 13.6 and gains
    # 651/16.03 x 0.75 = 30.5 -> 469.9 conversions, CPA -3.6 %.
    assert rec.expected_impact.metric == "cpa"
    assert rec.expected_impact.change_pct == -3.6
    assert rec.risk_level == RiskLevel.low


def test_budget_reallocation_is_capped_by_the_budget_guardrail() -> None:
    # 'Open targeting' spends 3,000 x 7 x 0.25 / 7 = 750/day; the optimiser's 25 % volatility
    # cap moves 187.50 of it, under the guardrail of 25 % of the 3,150 daily budget = 787.50,
    # so 187 stands. A 5 % guardrail gives 157.50 -> 157.
    _, default = s.recommend(s.uneven_efficiency(1))
    _, capped = s.recommend(
        s.uneven_efficiency(1), guardrails=Guardrails(max_budget_shift_fraction=0.05)
    )

    assert default.parameters.budget_shift_amount == 187.0
    assert capped.parameters.budget_shift_amount == 157.0


def test_creative_refresh_lists_the_fatigued_creatives() -> None:
    _, rec = s.recommend(s.creative_fatigue(0))

    assert rec.parameters.creative_ids == ["cr-101", "cr-102"]
    assert "cr-103" not in rec.specific_action
    assert "cr-101 'Creative CR-101' (CTR 1.40 % -31 %, frequency 6.8, 46 days old)" in (
        rec.specific_action
    )
    assert rec.expected_impact.metric == "ctr"
    assert rec.expected_impact.change_pct == 16.8  # 60 % of the 28 % CTR drop
    assert rec.risk_level == RiskLevel.low


def test_audience_expansion_gives_a_percentage_and_the_new_size() -> None:
    _, rec = s.recommend(s.audience_saturation(0))  # CPM +16 %, audience 450,000

    # (16 + 10) rounded to the nearest 5 = 25 %.
    assert rec.parameters.audience_expansion_pct == 25.0
    assert rec.specific_action.startswith("expand the audience 25 % from 450,000 to 562,500 people")
    assert rec.expected_impact.metric == "cpa"
    assert rec.expected_impact.change_pct == -7.0  # half the 14 % CPA rise
    assert rec.risk_level == RiskLevel.medium


def test_campaign_pause_is_high_risk_and_expects_spend_to_stop() -> None:
    _, rec = s.recommend(s.fundamental_problem(0))

    assert rec.recommended_action == ActionType.campaign_pause
    assert "$6,300.00 spent with 11,340 clicks and 0 conversions over 7 days" in rec.specific_action
    assert rec.expected_impact.metric == "spend"
    assert rec.expected_impact.change_pct == -100.0
    assert rec.risk_level == RiskLevel.high
    assert any("stops all delivery" in factor for factor in rec.risk_factors)


def test_conversions_that_stopped_mid_period_also_call_for_a_pause() -> None:
    analysis, rec = s.recommend(s.fundamental_problem(1))

    assert rec.recommended_action == ActionType.campaign_pause
    assert "no conversions on the last 4 days while spending" in rec.supporting_evidence


def test_continue_monitoring_changes_nothing() -> None:
    _, rec = s.recommend(s.normal_variance(0))

    assert rec.parameters.model_dump(exclude_defaults=True) == {}
    assert rec.specific_action.startswith("keep current settings and re-check in 3 days")
    assert rec.expected_impact.change_pct == 0.0
    assert rec.risk_level == RiskLevel.low


@pytest.mark.parametrize(("scenario", "variant"), s.all_cases())
def test_every_recommendation_is_complete(scenario: str, variant: int) -> None:
    _, rec = s.recommend(s.build(scenario, variant))

    assert rec.specific_action and any(ch.isdigit() for ch in rec.specific_action)
    assert len(rec.supporting_evidence) >= 2
    assert rec.reasoning.startswith("Over 7 days:")
    assert rec.recommended_action.value in rec.reasoning
    assert rec.signal_analysis.startswith("Over 7 days:")
    assert rec.success_metrics and rec.risk_factors
    assert rec.expected_impact.timeframe_days == 3
    # Confidence is the measured probability of being acceptable, and says where it comes from.
    assert f"was acceptable {rec.confidence:.0%} of the time on seeded worlds" in (
        rec.confidence_reasoning
    )
    assert rec.confidence_reasoning.startswith("fit ")
    assert rec.generated_at == s.NOW
    assert not rec.degraded and rec.degraded_reasons == []
    # The other five causes' actions, each with a reason.
    alternatives = [a.action for a in rec.alternatives_considered]
    assert len(alternatives) == 5 and rec.recommended_action not in alternatives
    assert all(a.why_not for a in rec.alternatives_considered)
    # Survives the trip across the workflow boundary.
    assert Recommendation.model_validate_json(rec.model_dump_json()) == rec


def test_alternatives_explain_why_not_with_the_data() -> None:
    _, rec = s.recommend(s.creative_fatigue(0))
    why = {a.action: a.why_not for a in rec.alternatives_considered}

    bid = why[ActionType.bid_adjustment]
    assert bid.startswith("competitive pressure fits less (0.04 vs 0.96)")
    assert why[ActionType.campaign_pause].endswith("conversions still recorded (328)")


def test_a_close_runner_up_is_listed_as_contradictory_evidence() -> None:
    _, rec = s.recommend(s.mixed_causes())

    assert any("also fits" in item for item in rec.contradictory_evidence)
    _, clear = s.recommend(s.creative_fatigue(0))
    assert rec.confidence < clear.confidence - 0.2


# -- partial context ---------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["creatives", "competitors", "audience", "history"])
@pytest.mark.parametrize("scenario", ["creative_fatigue", "competitive_pressure"])
def test_partial_context_is_degraded_with_lower_confidence_and_higher_risk(
    scenario: str, source: str
) -> None:
    _, full = s.recommend(s.build(scenario, 0))
    _, partial = s.recommend(s.without(s.build(scenario, 0), source))

    assert partial.degraded
    assert partial.degraded_reasons == [f"missing {source}: collector timed out"]
    assert partial.confidence < full.confidence
    assert partial.confidence <= 0.85
    order = [RiskLevel.low, RiskLevel.medium, RiskLevel.high]
    assert order.index(partial.risk_level) >= order.index(full.risk_level)
    assert f"partial context: {source} unavailable" in partial.risk_factors
    # The campaign-level signals still carry the diagnosis.
    assert partial.root_cause == full.root_cause
    assert f"{source} unavailable" in partial.reasoning


def test_missing_creatives_still_gives_a_creative_refresh_of_all_creatives() -> None:
    _, rec = s.recommend(s.without(s.creative_fatigue(0), "creatives"))

    assert rec.recommended_action == ActionType.creative_refresh
    assert rec.parameters.creative_ids == []
    assert rec.specific_action.startswith("refresh all active creatives")
    # Missing the very evidence for fatigue costs more than missing an unrelated source.
    _, no_history = s.recommend(s.without(s.creative_fatigue(0), "history"))
    assert rec.confidence < no_history.confidence


def test_without_segments_there_is_no_budget_reallocation() -> None:
    _, rec = s.recommend(s.without(s.uneven_efficiency(0), "audience"))

    assert rec.recommended_action != ActionType.budget_reallocation
    assert rec.degraded


def test_every_source_missing_still_gives_a_valid_recommendation() -> None:
    sources = ("creatives", "competitors", "audience", "history")
    _, rec = s.recommend(s.without(s.creative_fatigue(0), *sources))

    assert rec.degraded and len(rec.degraded_reasons) == 4
    assert rec.recommended_action == ActionType.creative_refresh
    assert rec.confidence < 0.6
    assert rec.risk_level in (RiskLevel.medium, RiskLevel.high)


def test_small_sample_lowers_confidence() -> None:
    context = s.creative_fatigue(1)
    _, full = s.recommend(context)
    context.campaign.conversions = 12.0

    _, small = s.recommend(context)

    assert small.confidence < full.confidence
    assert "small sample: 12 conversions" in small.risk_factors


def test_an_action_that_failed_here_before_lowers_confidence() -> None:
    context = s.creative_fatigue(0)
    _, first = s.recommend(context)
    context.history.past_actions.append(
        PastAction(action="Creative Refresh", applied_at=date(2024, 5, 20), cpa_change_pct=6.0)
    )

    _, again = s.recommend(context)

    assert again.confidence == round(first.confidence - 0.05, 2)
    assert "Creative Refresh on 2024-05-20 did not help (CPA +6.0 % after)" in again.risk_factors


def test_root_cause_follows_the_given_analysis() -> None:
    # A reasoner step given another analysis (e.g. from an LLM) acts on that analysis' primary.
    context = s.creative_fatigue(0)
    analysis = s.analyze(context)
    analysis.primary_root_cause = RootCause.normal_variance

    rec = generate_recommendation(ReasoningStep(context=context, analysis=analysis), s.NOW)

    assert rec.root_cause == RootCause.normal_variance
    assert rec.recommended_action == ActionType.continue_monitoring


def test_a_campaign_with_no_comparison_data_still_gets_a_recommendation() -> None:
    # First week of a campaign: no previous period, no optional sources, nothing spent yet.
    bare = s.campaign(
        cpa_change=None,
        cpm_change=None,
        ctr_change=None,
        spend_change=None,
        trend_days=0,
        impression_share=None,
        impression_share_change=None,
    ).model_copy(update={"spend": 0.0, "clicks": 0, "impressions": 0})
    context = s.without(
        s.normal_variance(0).model_copy(update={"campaign": bare}),
        "creatives",
        "competitors",
        "audience",
        "history",
    )

    analysis, rec = s.recommend(context)

    assert rec.recommended_action == ActionType.continue_monitoring
    assert rec.degraded and rec.confidence < 0.6
    assert analysis.complexity_score > 0.3
