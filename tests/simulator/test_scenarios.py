"""The named demo campaigns show what they were designed to show, from mechanisms alone.

Each campaign's label (admin only) names a situation; its numbers come from latent mechanisms,
and the counterfactual oracle, not the label, says which action pays. These tests hold the demo
to its story: the numbers a reviewer reads carry the situation's signature, and the action the
situation classically calls for is one the oracle finds acceptable.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from domain.context import AudienceData, CampaignMetrics, CompetitorSignals, CreativeMetrics
from simulator.catalog import NAMED

CLASSIC_ACTION = {
    "creative_fatigue": "Creative Refresh",
    "audience_saturation": "Audience Expansion",
    "competitive_pressure": "Bid Adjustment",
    "fundamental_problem": "Campaign Pause",
    "uneven_efficiency": "Budget Reallocation",
    "normal_variance": "Continue Monitoring",
}


@dataclass
class Context:
    campaign: CampaignMetrics
    creatives: list[CreativeMetrics]
    competitors: CompetitorSignals
    audience: AudienceData

    @property
    def segment_cpa_spread(self) -> float:
        cpas = [s.cpa for s in self.audience.segments if s.cpa is not None]
        return max(cpas) / min(cpas)


async def context_of(sim, campaign_id: str) -> Context:
    base = f"/campaigns/{campaign_id}"
    return Context(
        campaign=CampaignMetrics.model_validate((await sim.get(f"{base}/metrics")).json()),
        creatives=[
            CreativeMetrics.model_validate(c)
            for c in (await sim.get(f"{base}/creatives")).json()["creatives"]
        ],
        competitors=CompetitorSignals.model_validate((await sim.get(f"{base}/competitors")).json()),
        audience=AudienceData.model_validate((await sim.get(f"{base}/audience")).json()),
    )


def ids_for(label: str) -> list[str]:
    return [plan.campaign_id for plan in NAMED if plan.label == label]


def within(change: float | None, limit: float) -> bool:
    return change is not None and abs(change) <= limit


def test_two_named_campaigns_per_situation():
    assert all(len(ids_for(label)) == 2 for label in CLASSIC_ACTION)


@pytest.mark.parametrize("campaign_id", ids_for("creative_fatigue"))
async def test_worn_creatives_lose_ctr(sim, campaign_id):
    ctx = await context_of(sim, campaign_id)

    assert ctx.campaign.ctr_change_pct < -10
    assert any(c.ctr_trend == "declining" for c in ctx.creatives)
    assert max(c.average_frequency for c in ctx.creatives) > 5
    assert min(c.creative_age_days for c in ctx.creatives) > 30
    assert ctx.competitors.new_competitors_count == 0


@pytest.mark.parametrize("campaign_id", ids_for("audience_saturation"))
async def test_depleted_audience_saturates(sim, campaign_id):
    ctx = await context_of(sim, campaign_id)
    c = ctx.campaign

    assert c.impression_share > 0.90
    assert c.cpm_change_pct > 10 and c.cpa_change_pct > 10
    assert within(c.ctr_change_pct, 10)
    assert ctx.audience.reach_change_pct < 0
    assert ctx.competitors.new_competitors_count == 0


@pytest.mark.parametrize("campaign_id", ids_for("competitive_pressure"))
async def test_new_competitors_cost_us_share(sim, campaign_id):
    ctx = await context_of(sim, campaign_id)
    c = ctx.campaign

    assert c.cpm_change_pct > 10 and c.impression_share_change_pct < -10
    assert ctx.competitors.new_competitors_count >= 1
    assert ctx.competitors.avg_bid_increase_pct > 10
    assert all(creative.ctr_trend != "declining" for creative in ctx.creatives)


@pytest.mark.parametrize("campaign_id", ids_for("fundamental_problem"))
async def test_broken_measurement_records_no_conversions(sim, campaign_id):
    ctx = await context_of(sim, campaign_id)
    c = ctx.campaign

    assert c.spend > 0 and c.clicks > 100
    assert within(c.ctr_change_pct, 10)  # the clicks go on
    assert c.conversions == 0 and c.cpa is None


@pytest.mark.parametrize("campaign_id", ids_for("uneven_efficiency"))
async def test_segments_drift_apart(sim, campaign_id):
    ctx = await context_of(sim, campaign_id)
    c = ctx.campaign

    assert c.cpa_change_pct > 5
    assert within(c.cpm_change_pct, 10) and within(c.ctr_change_pct, 10)
    assert ctx.segment_cpa_spread >= 2


@pytest.mark.parametrize("campaign_id", ids_for("normal_variance"))
async def test_steady_campaigns_only_show_noise(sim, campaign_id):
    ctx = await context_of(sim, campaign_id)
    c = ctx.campaign

    for change in (c.cpa_change_pct, c.cpm_change_pct, c.ctr_change_pct, c.spend_change_pct):
        assert within(change, 10)
    assert ctx.segment_cpa_spread <= 1.5


@pytest.mark.parametrize("plan", NAMED, ids=lambda plan: plan.campaign_id)
async def test_the_oracle_accepts_the_action_each_situation_classically_calls_for(sim, plan):
    answer = (await sim.post("/admin/oracle", json={"campaign_id": plan.campaign_id})).json()

    assert CLASSIC_ACTION[plan.label] in answer["acceptable"], answer
