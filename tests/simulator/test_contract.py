"""The campaigns exist and every endpoint answers the ad platform contract (ARCHITECTURE.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.context import (
    AudienceData,
    CampaignMetrics,
    CompetitorSignals,
    CreativeMetrics,
    HistoryData,
)
from simulator.app import create_app
from tests.simulator.conftest import SEEDED_TODAY

CONTEXT_ENDPOINTS = ["metrics", "creatives", "competitors", "audience", "history", "settings"]


async def test_twelve_named_campaigns_listed_without_ground_truth(sim):
    campaigns = (await sim.get("/campaigns")).json()

    assert len(campaigns) == 12
    assert len({c["campaign_id"] for c in campaigns}) == len(campaigns)
    for campaign in campaigns:
        # No label, no scenario: what a collector reads must not tell the agent the answer.
        assert set(campaign) == {"campaign_id", "campaign_name", "platform", "status"}
        assert campaign["status"] == "active"
        assert campaign["platform"] in {"google", "meta"}


async def test_every_context_endpoint_validates_against_the_domain_models(sim):
    for campaign in (await sim.get("/campaigns")).json():
        base = f"/campaigns/{campaign['campaign_id']}"
        metrics = CampaignMetrics.model_validate((await sim.get(f"{base}/metrics")).json())
        creatives = (await sim.get(f"{base}/creatives")).json()["creatives"]
        CompetitorSignals.model_validate((await sim.get(f"{base}/competitors")).json())
        audience = AudienceData.model_validate((await sim.get(f"{base}/audience")).json())
        history = HistoryData.model_validate((await sim.get(f"{base}/history")).json())

        assert metrics.campaign_id == campaign["campaign_id"]
        assert metrics.campaign_name == campaign["campaign_name"]
        assert [CreativeMetrics.model_validate(c) for c in creatives]
        assert audience.segments and audience.audience_size > audience.reach > 0
        assert len(history.daily) == 30


async def test_metrics_periods_end_the_day_before_the_simulated_today(sim):
    clock = (await sim.get("/admin/clock")).json()
    metrics = CampaignMetrics.model_validate(
        (await sim.get("/campaigns/cmp-steady-01/metrics", params={"days": 14})).json()
    )

    assert clock == {"today": "2025-06-01", "last_reported_day": "2025-05-31"}
    assert metrics.period_end == SEEDED_TODAY - timedelta(days=1)
    assert metrics.period_start == SEEDED_TODAY - timedelta(days=14)
    assert metrics.comparison_period_end == SEEDED_TODAY - timedelta(days=15)
    assert metrics.comparison_period_start == SEEDED_TODAY - timedelta(days=28)


async def test_metrics_units_follow_the_contract(sim):
    body = (await sim.get("/campaigns/cmp-steady-02/metrics")).json()
    m = CampaignMetrics.model_validate(body)

    assert m.ctr == pytest.approx(100 * m.clicks / m.impressions, abs=1e-4)  # percent
    assert m.conversion_rate == pytest.approx(100 * m.conversions / m.clicks, abs=1e-4)
    assert m.cpm == pytest.approx(1000 * m.spend / m.impressions, abs=1e-3)
    assert m.cpa == pytest.approx(m.spend / m.conversions, abs=0.01)
    assert 0 < m.impression_share < 1 and 0.8 < m.budget_utilization <= 1
    assert m.spend == pytest.approx(m.budget_utilization * m.daily_budget * 7, rel=1e-3)
    assert body["current_bid"] > 0  # an extra the rules reasoner quotes


async def test_history_sums_to_the_metrics_of_the_same_days(sim):
    history = HistoryData.model_validate(
        (await sim.get("/campaigns/cmp-uneven-01/history", params={"days": 7})).json()
    )
    metrics = CampaignMetrics.model_validate(
        (await sim.get("/campaigns/cmp-uneven-01/metrics")).json()
    )

    assert [p.date for p in history.daily] == [
        SEEDED_TODAY - timedelta(days=n) for n in range(7, 0, -1)
    ]
    assert sum(p.spend for p in history.daily) == pytest.approx(metrics.spend, abs=0.05)
    assert sum(p.clicks for p in history.daily) == metrics.clicks
    assert history.baseline_cpa is not None and history.past_actions == []


async def test_settings_expose_what_actions_change(sim):
    settings = (await sim.get("/campaigns/cmp-uneven-01/settings")).json()
    creatives = (await sim.get("/campaigns/cmp-uneven-01/creatives")).json()["creatives"]

    assert settings["status"] == "active" and settings["bid"] > 0
    assert sum(settings["segment_budgets"].values()) == pytest.approx(settings["daily_budget"])
    assert settings["creative_ids"] == [c["creative_id"] for c in creatives]
    audience = (await sim.get("/campaigns/cmp-uneven-01/audience")).json()
    assert list(settings["segment_budgets"]) == [s["segment_id"] for s in audience["segments"]]
    assert settings["audience_size"] == audience["audience_size"]


@pytest.mark.parametrize("endpoint", CONTEXT_ENDPOINTS)
async def test_unknown_campaign_is_404_with_a_clear_detail(sim, endpoint):
    response = await sim.get(f"/campaigns/cmp-nope/{endpoint}")

    assert response.status_code == 404
    assert response.json() == {"detail": "campaign 'cmp-nope' not found"}


async def test_unknown_campaign_action_is_404(sim):
    response = await sim.post(
        "/campaigns/cmp-nope/actions",
        json={"action": "Campaign Pause", "parameters": {}},
        headers={"Idempotency-Key": "k"},
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "campaign 'cmp-nope' not found"}


@pytest.mark.parametrize("days", [0, 31, -1])
async def test_out_of_range_period_is_422(sim, days):
    response = await sim.get("/campaigns/cmp-steady-01/metrics", params={"days": days})
    assert response.status_code == 422


async def test_the_same_seed_gives_the_same_numbers():
    first, second = create_app(today=SEEDED_TODAY), create_app(today=SEEDED_TODAY)
    a = first.state.simulator.campaign("cmp-fatigue-01").days
    b = second.state.simulator.campaign("cmp-fatigue-01").days

    assert [(d.spend, d.clicks, d.conversions) for d in a] == [
        (d.spend, d.clicks, d.conversions) for d in b
    ]
