"""Actions act on the mechanisms, whatever the campaign: the metrics follow over the next days."""

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


async def test_a_binding_bid_raised_buys_share_at_a_higher_price(sim):
    """Competitors outbid us: a higher bid wins back impression share, and each costs more."""
    await act(sim, "cmp-competition-01", "Bid Adjustment", {"bid_change_pct": 20})
    await advance(sim, 3)
    m = await metrics(sim, "cmp-competition-01")

    assert m.impression_share_change_pct > 10
    assert m.cpm_change_pct > 0
    assert m.spend_change_pct > 10


async def test_a_bid_that_does_not_bind_changes_nothing(sim):
    """A budget-bound campaign is already shaded below its bid: raising it buys nothing."""
    untouched = await sim.post("/admin/oracle", json={"campaign_id": "cmp-steady-02"})
    values = {p["label"]: p for p in untouched.json()["plans"]}

    assert values["Bid Adjustment"]["mean"] == values["Continue Monitoring"]["mean"]


async def test_without_action_the_competitors_keep_cpa_up(sim):
    await advance(sim, 3)
    assert (await metrics(sim, "cmp-competition-01", days=7)).cpa_change_pct > 10


async def test_creative_refresh_restores_ctr_after_a_learning_period(sim):
    await act(sim, "cmp-fatigue-01", "Creative Refresh")
    await advance(sim, 4)
    days = await daily(sim, "cmp-fatigue-01", 5)
    ctr = [day["clicks"] / day["impressions"] for day in days]

    # The day before, then the learning days, then CTR well above the worn creatives'.
    assert ctr[-1] > ctr[0] * 1.3
    assert ctr[1] < ctr[-1]


async def test_audience_expansion_relieves_a_saturated_campaign(sim):
    frequency = (await sim.get("/campaigns/cmp-saturation-02/audience?days=3")).json()
    await act(sim, "cmp-saturation-02", "Audience Expansion", {"audience_expansion_pct": 30})
    await advance(sim, 3)
    m = await metrics(sim, "cmp-saturation-02")
    audience = (await sim.get("/campaigns/cmp-saturation-02/audience?days=3")).json()

    assert m.cpm_change_pct < -5 and m.impression_share_change_pct < 0
    assert audience["average_frequency"] < frequency["average_frequency"]


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

    assert m.cpa_change_pct < -10
    assert abs(m.spend_change_pct) <= 5  # the same money, spent better
    before = {segment["segment_id"]: segment for segment in segments}
    assert after[best]["spend"] / 3 > before[best]["spend"] / 7  # per day
    assert after[worst]["spend"] / 3 < before[worst]["spend"] / 7


async def test_the_same_action_can_help_one_campaign_and_hurt_another(sim):
    """No action is right by its name: a refresh pays on worn creatives and costs on fresh ones."""
    worn = (await sim.post("/admin/oracle", json={"campaign_id": "cmp-fatigue-01"})).json()
    fresh = (await sim.post("/admin/oracle", json={"campaign_id": "cmp-uneven-02"})).json()

    def gain(answer: dict) -> float:
        values = {p["label"]: p["mean"] for p in answer["plans"]}
        return values["Creative Refresh"] - values["Continue Monitoring"]

    assert gain(worn) > 0 > gain(fresh)
