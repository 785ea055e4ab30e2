"""Each seeded campaign shows its root cause's signature (docs/SCENARIOS.md), last 7 vs prior 7."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from domain.context import AudienceData, CampaignMetrics, CompetitorSignals, CreativeMetrics
from domain.recommendation import RootCause
from simulator.catalog import CATALOG


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


def ids_for(cause: RootCause) -> list[str]:
    return [spec.campaign_id for spec in CATALOG if spec.scenario is cause]


def within(change: float | None, limit: float) -> bool:
    return change is not None and abs(change) <= limit


def assert_competitors_stable(competitors: CompetitorSignals) -> None:
    assert abs(competitors.activity_change_pct) < 10
    assert competitors.new_competitors_count == 0
    assert abs(competitors.avg_bid_increase_pct) < 10


def assert_creatives_young_and_stable(creatives: list[CreativeMetrics]) -> None:
    assert creatives
    for creative in creatives:
        assert creative.creative_age_days < 30
        assert creative.ctr_trend == "stable"


@pytest.mark.parametrize("campaign_id", ids_for(RootCause.creative_fatigue))
async def test_creative_fatigue(sim, campaign_id):
    ctx = await context_of(sim, campaign_id)
    c = ctx.campaign

    assert c.ctr_change_pct < -20 and c.cpa_change_pct > 15
    assert within(c.cpm_change_pct, 5)  # CPM roughly stable
    assert c.impression_share < 0.85
    for creative in ctx.creatives:
        assert creative.ctr_trend == "declining"
        assert creative.average_frequency > 5
        assert creative.creative_age_days > 30
    assert ctx.competitors.activity_change_pct < 10
    assert ctx.competitors.new_competitors_count == 0
    assert within(ctx.audience.reach_change_pct, 10)  # reach stable
    assert ctx.segment_cpa_spread <= 1.5


@pytest.mark.parametrize("campaign_id", ids_for(RootCause.audience_saturation))
async def test_audience_saturation(sim, campaign_id):
    ctx = await context_of(sim, campaign_id)
    c = ctx.campaign

    assert c.impression_share > 0.90
    assert c.cpm_change_pct > 10 and c.cpa_change_pct > 10
    assert within(c.ctr_change_pct, 10)
    assert_creatives_young_and_stable(ctx.creatives)
    assert all(3 <= creative.average_frequency <= 5 for creative in ctx.creatives)
    assert_competitors_stable(ctx.competitors)
    assert ctx.audience.reach_change_pct <= 0
    assert ctx.audience.frequency_trend == "increasing"


@pytest.mark.parametrize("campaign_id", ids_for(RootCause.competitive_pressure))
async def test_competitive_pressure(sim, campaign_id):
    ctx = await context_of(sim, campaign_id)
    c = ctx.campaign

    assert c.cpa_change_pct > 15 and c.cpm_change_pct > 15
    assert c.impression_share_change_pct < -10
    assert within(c.ctr_change_pct, 10)
    assert_creatives_young_and_stable(ctx.creatives)
    assert all(creative.average_frequency < 4 for creative in ctx.creatives)
    assert ctx.competitors.activity_change_pct > 20
    assert ctx.competitors.new_competitors_count >= 1
    assert ctx.competitors.avg_bid_increase_pct > 10
    assert within(ctx.audience.reach_change_pct, 10)
    assert ctx.audience.frequency_trend == "stable"


@pytest.mark.parametrize("campaign_id", ids_for(RootCause.fundamental_problem))
async def test_fundamental_problem(sim, campaign_id):
    ctx = await context_of(sim, campaign_id)
    c = ctx.campaign

    assert c.spend > 0 and c.clicks > 0
    assert within(c.ctr_change_pct, 10)  # clicks normal
    assert c.conversions == 0 and c.cpa is None and c.conversion_rate == 0
    assert c.cpa_change_pct is None
    assert all(creative.ctr_trend == "stable" for creative in ctx.creatives)
    assert_competitors_stable(ctx.competitors)
    assert all(segment.spend > 0 for segment in ctx.audience.segments)


@pytest.mark.parametrize("campaign_id", ids_for(RootCause.uneven_efficiency))
async def test_uneven_efficiency(sim, campaign_id):
    ctx = await context_of(sim, campaign_id)
    c = ctx.campaign

    assert 10 <= c.cpa_change_pct <= 25
    for change in (c.cpm_change_pct, c.ctr_change_pct, c.spend_change_pct):
        assert within(change, 10)
    assert within(c.impression_share_change_pct, 10)
    assert_creatives_young_and_stable(ctx.creatives)
    assert_competitors_stable(ctx.competitors)
    assert ctx.segment_cpa_spread >= 2
    assert all(segment.spend >= 0.1 * c.spend for segment in ctx.audience.segments)


@pytest.mark.parametrize("campaign_id", ids_for(RootCause.normal_variance))
async def test_normal_variance(sim, campaign_id):
    ctx = await context_of(sim, campaign_id)
    c = ctx.campaign

    for change in (
        c.cpa_change_pct,
        c.cpm_change_pct,
        c.ctr_change_pct,
        c.spend_change_pct,
        c.impression_share_change_pct,
    ):
        assert within(change, 10)
    assert_creatives_young_and_stable(ctx.creatives)
    assert_competitors_stable(ctx.competitors)
    assert ctx.segment_cpa_spread <= 1.5
