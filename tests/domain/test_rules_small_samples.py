"""Small samples and uncorroborated signals: rules that keep the reasoner from acting on noise.

- Uneven efficiency needs a segment CPA gap that rests on enough conversions: each compared
  segment's spend must be worth ``segment_min_conversions`` at the pair's pooled CPA, and the gap
  must be significant at ``segment_gap_confidence`` (``domain.stats.rate_gap_p_value``).
- Creative fatigue needs more than a CTR dip: wear on the creatives (frequency or age above the
  fatigue thresholds) or a CPA rise must corroborate it.
"""

from __future__ import annotations

import pytest

from domain.context import AudienceSegment, CampaignContext, CreativeMetrics, Trend
from domain.lifecycle import CritiqueInput
from domain.recommendation import ActionType, RootCause, Severity, SignalAnalysis
from domain.rules import critique_recommendation
from domain.thresholds import SignalThresholds
from tests.domain import scenarios as s

# The segment rule switched off: how the reasoner judged segment gaps before it.
NO_SEGMENT_TEST = SignalThresholds(segment_min_conversions=0, segment_gap_confidence=0)


def segment_gap(
    best_conversions: float, worst_conversions: float, *, best_cpa: float, worst_cpa: float | None
) -> CampaignContext:
    """The uneven-efficiency signature (CPA up 18 %, CTR and CPM flat) on two segments with the
    given conversions and CPAs (None: the segment spent $600 and never converted)."""
    best = AudienceSegment(
        segment_id="seg-visitors",
        name="Site visitors",
        spend=best_conversions * best_cpa,
        conversions=best_conversions,
        cpa=best_cpa,
    )
    worst = AudienceSegment(
        segment_id="seg-broad",
        name="Broad 45+",
        spend=600.0 if worst_cpa is None else worst_conversions * worst_cpa,
        conversions=worst_conversions,
        cpa=worst_cpa,
    )
    spend = best.spend + worst.spend
    cpa = spend / (best_conversions + worst_conversions)
    campaign = s.campaign(
        campaign_id="cmp-gap",
        daily_spend=spend / s.DAYS,
        cpa=cpa,
        cpa_change=18.0,
        cpm_change=3.0,
        ctr_change=-4.0,
        trend_days=2,
        impression_share=0.71,
        impression_share_change=-2.0,
    )
    return s.uneven_efficiency(0).model_copy(
        update={
            "campaign": campaign,
            "audience": s.audience(segments=[best, worst]),
            "history": s.history(daily_spend=spend / s.DAYS, cpa=cpa / 1.18, baseline_cpa=cpa),
        }
    )


def uneven(analysis: SignalAnalysis):
    return next(rc for rc in analysis.root_causes if rc.root_cause == RootCause.uneven_efficiency)


def spread_signal(analysis: SignalAnalysis):
    return next(sig for sig in analysis.signals if sig.name == "segment_cpa_spread")


# -- uneven efficiency needs conversions behind the gap -----------------------------------------


def test_a_segment_gap_on_too_few_conversions_is_not_budget_reallocation() -> None:
    # 3x apart on CPA, but on 6 and 3 conversions: one conversion moves a CPA by 15-30 %.
    context = segment_gap(6, 3, best_cpa=10.0, worst_cpa=30.0)

    analysis, rec = s.recommend(context)

    assert rec.recommended_action != ActionType.budget_reallocation
    assert analysis.primary_root_cause != RootCause.uneven_efficiency
    assert uneven(analysis).score < 0.3
    # The small sample is named where a reviewer looks for why not.
    small = (
        "small sample: the segment CPA gap (3.0x) rests on 6 ('Site visitors') and 3 "
        "('Broad 45+') conversions, too few to compare segments"
    )
    assert any(text.startswith(small) for text in uneven(analysis).counter_evidence)
    why_not = next(
        a.why_not for a in rec.alternatives_considered if a.action == ActionType.budget_reallocation
    )
    assert small in why_not
    assert not spread_signal(analysis).significant


def test_the_same_gap_on_plenty_of_conversions_is_budget_reallocation() -> None:
    context = segment_gap(150, 75, best_cpa=10.0, worst_cpa=30.0)

    analysis, rec = s.recommend(context)

    assert rec.recommended_action == ActionType.budget_reallocation
    assert (rec.parameters.from_segment_id, rec.parameters.to_segment_id) == (
        "seg-broad",
        "seg-visitors",
    )
    assert uneven(analysis).score > 0.9
    assert spread_signal(analysis).significant


def test_a_gap_with_volume_but_within_counting_noise_is_not_budget_reallocation() -> None:
    # 2x apart on 14 and 7 conversions: enough spend in each, but p = 0.13 (> 0.05).
    context = segment_gap(14, 7, best_cpa=10.0, worst_cpa=20.0)

    analysis, rec = s.recommend(context)

    assert rec.recommended_action != ActionType.budget_reallocation
    assert any("within counting noise (p = 0.13" in t for t in uneven(analysis).counter_evidence)


def test_a_segment_that_never_converts_counts_by_the_spend_behind_it() -> None:
    # $600 without a conversion where the best segment pays $10 each: 0 where ~43 were due.
    context = segment_gap(150, 0, best_cpa=10.0, worst_cpa=None)

    _, rec = s.recommend(context)

    assert rec.recommended_action == ActionType.budget_reallocation
    assert rec.parameters.from_segment_id == "seg-broad"


def test_the_segment_test_follows_its_thresholds() -> None:
    context = segment_gap(6, 3, best_cpa=10.0, worst_cpa=30.0)

    _, rec = s.recommend(context, NO_SEGMENT_TEST)

    assert rec.recommended_action == ActionType.budget_reallocation


def test_critique_flags_a_reallocation_on_a_small_sample_gap() -> None:
    # E.g. a language model proposing to move budget on a 6-vs-3-conversion gap.
    context = segment_gap(6, 3, best_cpa=10.0, worst_cpa=30.0)
    _, rec = s.recommend(context, NO_SEGMENT_TEST)
    assert rec.recommended_action == ActionType.budget_reallocation

    critique = critique_recommendation(
        CritiqueInput(context=context, analysis=s.analyze(context), recommendation=rec)
    )

    issue = next(i for i in critique.issues if i.code == "contradicts_evidence")
    assert issue.severity == Severity.critical
    assert "small sample" in issue.description


# -- creative fatigue needs more than a CTR dip -------------------------------------------------


def ctr_dip(*, age: int, frequency: float, cpa_change: float) -> CampaignContext:
    """CTR down 18 % on two creatives whose CTR declines, with the given age and frequency;
    CPM flat, competitors calm, segments even."""
    creatives: list[CreativeMetrics] = [
        s.creative(
            "cr-1",
            ctr=1.6,
            ctr_change=-20.0,
            trend=Trend.declining,
            age=age,
            frequency=frequency,
            impressions=600_000,
        ),
        s.creative(
            "cr-2",
            ctr=1.8,
            ctr_change=-15.0,
            trend=Trend.declining,
            age=age + 8,
            frequency=frequency - 0.2,
            impressions=300_000,
        ),
    ]
    campaign = s.campaign(
        campaign_id="cmp-dip",
        daily_spend=1500.0,
        cpa=30.0,
        ctr=1.7,
        cpa_change=cpa_change,
        cpm_change=-2.0,
        ctr_change=-18.0,
        trend_days=1,
    )
    return s.normal_variance(0).model_copy(update={"campaign": campaign, "creatives": creatives})


def fatigue(analysis: SignalAnalysis):
    return next(rc for rc in analysis.root_causes if rc.root_cause == RootCause.creative_fatigue)


def test_a_ctr_dip_on_fresh_rarely_seen_creatives_with_flat_cpa_is_not_creative_refresh() -> None:
    # 11 and 19 days old, seen 1.8 and 1.6 times; CPA +1 %: fewer but better clicks.
    context = ctr_dip(age=11, frequency=1.8, cpa_change=1.0)

    analysis, rec = s.recommend(context)

    assert rec.recommended_action != ActionType.creative_refresh
    assert rec.recommended_action == ActionType.continue_monitoring
    assert fatigue(analysis).score < 0.3
    assert "creative frequency at most 1.8 (fatigue above 5)" in fatigue(analysis).counter_evidence
    assert any(t.startswith("creatives are young") for t in fatigue(analysis).counter_evidence)


def test_the_same_dip_on_worn_creatives_is_creative_refresh() -> None:
    # 45 and 53 days old, seen 6.5 and 6.3 times: the wear explains the dip.
    context = ctr_dip(age=45, frequency=6.5, cpa_change=1.0)

    _, rec = s.recommend(context)

    assert rec.recommended_action == ActionType.creative_refresh
    assert rec.parameters.creative_ids == ["cr-1", "cr-2"]


def test_the_same_dip_on_fresh_creatives_that_costs_conversions_is_creative_refresh() -> None:
    # CPA +20 %: the lost clicks cost conversions, so the creatives need replacing anyway.
    context = ctr_dip(age=11, frequency=1.8, cpa_change=20.0)

    _, rec = s.recommend(context)

    assert rec.recommended_action == ActionType.creative_refresh


@pytest.mark.parametrize("fatigue_frequency", [1.5, 5.0])
def test_the_fatigue_thresholds_decide_what_counts_as_worn(fatigue_frequency: float) -> None:
    context = ctr_dip(age=11, frequency=1.8, cpa_change=1.0)
    thresholds = SignalThresholds(fatigue_frequency=fatigue_frequency)

    _, rec = s.recommend(context, thresholds)

    refresh = rec.recommended_action == ActionType.creative_refresh
    assert refresh is (fatigue_frequency < 1.8)


def test_critique_flags_a_refresh_on_an_uncorroborated_ctr_dip() -> None:
    context = ctr_dip(age=11, frequency=1.8, cpa_change=1.0)
    worn = ctr_dip(age=45, frequency=6.5, cpa_change=1.0)
    _, refresh = s.recommend(worn)
    rec = refresh.model_copy(update={"campaign_id": context.campaign.campaign_id})

    critique = critique_recommendation(
        CritiqueInput(context=context, analysis=s.analyze(context), recommendation=rec)
    )

    issue = next(i for i in critique.issues if i.code == "contradicts_evidence")
    assert issue.severity == Severity.critical
    assert "no sign of creative fatigue" in issue.description
