"""Metrics respond to applied actions over the following simulated days, as a marketer expects."""

from __future__ import annotations

from domain.context import CampaignMetrics
from tests.simulator.conftest import act, advance


async def metrics(sim, campaign_id: str, days: int = 3) -> CampaignMetrics:
    """With days=3 right after advancing 3 days: the post-action days vs the 3 days before."""
    response = await sim.get(f"/campaigns/{campaign_id}/metrics", params={"days": days})
    return CampaignMetrics.model_validate(response.json())


async def daily(sim, campaign_id: str, days: int) -> list[dict]:
    response = await sim.get(f"/campaigns/{campaign_id}/history", params={"days": days})
    return response.json()["daily"]


async def test_clock_advance_reports_new_days_and_moves_the_periods(sim):
    clock = (await sim.post("/admin/clock/advance", json={"days": 2})).json()
    m = await metrics(sim, "cmp-steady-01", days=7)

    assert clock == {"today": "2025-06-03", "last_reported_day": "2025-06-02"}
    assert str(m.period_end) == "2025-06-02"
    assert (await sim.post("/admin/clock/advance", json={"days": 0})).status_code == 422


async def test_reported_days_never_change_when_an_action_is_applied(sim):
    before = await daily(sim, "cmp-competition-01", 30)
    await act(sim, "cmp-competition-01", "Bid Adjustment", {"bid_change_pct": 20})
    await advance(sim, 2)

    assert (await daily(sim, "cmp-competition-01", 32))[:30] == before


async def test_bid_increase_under_competitive_pressure_lowers_cpa_and_recovers_share(sim):
    await act(sim, "cmp-competition-01", "Bid Adjustment", {"bid_change_pct": 20})
    await advance(sim, 3)
    m = await metrics(sim, "cmp-competition-01")

    assert m.cpa_change_pct < -10
    assert m.impression_share_change_pct > 10


async def test_bid_effect_grows_over_three_days(sim):
    await act(sim, "cmp-competition-02", "Bid Adjustment", {"bid_change_pct": 20})
    await advance(sim, 3)
    days = await daily(sim, "cmp-competition-02", 4)

    cpas = [day["spend"] / day["conversions"] for day in days]
    # The day before the action, then a third, two thirds and the full effect.
    assert cpas[0] > cpas[1] > cpas[2] > cpas[3]


async def test_without_action_competitive_pressure_keeps_cpa_up(sim):
    await advance(sim, 3)
    assert (await metrics(sim, "cmp-competition-01")).cpa_change_pct > 0


async def test_creative_refresh_under_fatigue_restores_ctr_and_cuts_cpa_and_frequency(sim):
    frequency_before = (await sim.get("/campaigns/cmp-fatigue-01/audience")).json()
    await act(sim, "cmp-fatigue-01", "Creative Refresh")
    await advance(sim, 3)
    m = await metrics(sim, "cmp-fatigue-01")
    audience = (await sim.get("/campaigns/cmp-fatigue-01/audience?days=3")).json()

    assert m.ctr_change_pct > 30 and m.cpa_change_pct < -20
    assert audience["average_frequency"] < frequency_before["average_frequency"] - 1


async def test_audience_expansion_under_saturation_lowers_cpm_frequency_and_cpa(sim):
    await act(sim, "cmp-saturation-02", "Audience Expansion", {"audience_expansion_pct": 20})
    await advance(sim, 3)
    m = await metrics(sim, "cmp-saturation-02")
    audience = (await sim.get("/campaigns/cmp-saturation-02/audience?days=3")).json()

    assert m.cpm_change_pct < -5 and m.cpa_change_pct < -5
    assert audience["frequency_trend"] == "decreasing"


async def test_pause_stops_spend_and_delivery_entirely(sim):
    await act(sim, "cmp-tracking-01", "Campaign Pause")
    await advance(sim, 3)
    m = await metrics(sim, "cmp-tracking-01")

    assert (m.spend, m.impressions, m.clicks, m.conversions) == (0, 0, 0, 0)
    assert m.spend_change_pct == -100 and m.impression_share is None and m.cpa is None
    assert m.budget_utilization == 0


async def test_budget_moved_from_worst_to_best_segment_lowers_blended_cpa(sim):
    segments = (await sim.get("/campaigns/cmp-uneven-02/audience")).json()["segments"]
    worst = max(segments, key=lambda s: s["cpa"])["segment_id"]
    best = min(segments, key=lambda s: s["cpa"])["segment_id"]
    shift = {"from_segment_id": worst, "to_segment_id": best, "budget_shift_amount": 400.0}

    await act(sim, "cmp-uneven-02", "Budget Reallocation", shift)
    await advance(sim, 3)
    m = await metrics(sim, "cmp-uneven-02")
    audience = (await sim.get("/campaigns/cmp-uneven-02/audience?days=3")).json()
    after = {segment["segment_id"]: segment for segment in audience["segments"]}

    assert m.cpa_change_pct < -15
    assert within_pct(m.spend_change_pct, 5)  # the same money, spent better
    assert after[best]["spend"] > after[worst]["spend"] * 0.3


def within_pct(change: float | None, limit: float) -> bool:
    return change is not None and abs(change) <= limit


async def test_wrong_actions_help_little_or_hurt(sim):
    # A bid raise on a campaign without competitive pressure only makes impressions dearer...
    await act(sim, "cmp-steady-01", "Bid Adjustment", {"bid_change_pct": 20}, key="a")
    # ...and new creatives for a campaign whose problem is the auction do not fix the CPA.
    await act(sim, "cmp-competition-02", "Creative Refresh", key="b")
    await act(sim, "cmp-fatigue-02", "Audience Expansion", {"audience_expansion_pct": 20}, key="c")
    await advance(sim, 3)

    assert (await metrics(sim, "cmp-steady-01")).cpa_change_pct > 0
    assert (await metrics(sim, "cmp-competition-02")).cpa_change_pct > 0
    assert (await metrics(sim, "cmp-fatigue-02")).cpa_change_pct > 0
