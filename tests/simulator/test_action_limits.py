"""Absurd or non-finite numbers in an action are refused as 422 (never a 500) and change nothing."""

from __future__ import annotations

import pytest

from tests.simulator.conftest import act


def reallocation(amount: float) -> dict:
    return {
        "from_segment_id": "age-45-49",
        "to_segment_id": "age-30-34",
        "budget_shift_amount": amount,
    }


ABSURD = [
    ("cmp-competition-01", "Bid Adjustment", {"bid_change_pct": 1e300}, "1000 %"),
    ("cmp-competition-01", "Bid Adjustment", {"bid_change_pct": 1001}, "1000 %"),
    ("cmp-competition-01", "Bid Adjustment", {"bid_change_pct": -1e300}, "1000 %"),
    ("cmp-competition-01", "Bid Adjustment", {"new_bid": 1e300}, "1000 %"),
    ("cmp-competition-01", "Bid Adjustment", {"new_bid": 1e308}, "1000 %"),
    ("cmp-saturation-01", "Audience Expansion", {"audience_expansion_pct": 1e300}, "1000 %"),
    ("cmp-saturation-01", "Audience Expansion", {"audience_expansion_pct": 1e308}, "1000 %"),
    ("cmp-saturation-01", "Audience Expansion", {"audience_expansion_pct": 1001}, "1000 %"),
    ("cmp-uneven-01", "Budget Reallocation", reallocation(1e300), "cannot shift 1e+300"),
    ("cmp-uneven-01", "Budget Reallocation", reallocation(1e308), "cannot shift 1e+308"),
]


@pytest.mark.parametrize(("campaign_id", "action", "parameters", "reason"), ABSURD)
async def test_absurd_magnitude_is_422_with_the_reason_and_changes_nothing(
    sim, campaign_id, action, parameters, reason
):
    settings_before = (await sim.get(f"/campaigns/{campaign_id}/settings")).json()

    for dry_run in (True, False):
        response = await act(sim, campaign_id, action, parameters, dry_run=dry_run)

        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        assert reason in detail
        assert len(detail) < 200  # a readable sentence, not a 300-digit number
    assert (await sim.get(f"/campaigns/{campaign_id}/settings")).json() == settings_before
    assert (await sim.get("/admin/mutations")).json() == []


@pytest.mark.parametrize(
    ("campaign_id", "action", "parameters", "setting", "after"),
    [
        ("cmp-competition-01", "Bid Adjustment", {"bid_change_pct": 1000}, "bid", 27.5),
        ("cmp-competition-01", "Bid Adjustment", {"new_bid": 27.5}, "bid", 27.5),
    ],
)
async def test_the_largest_allowed_change_still_applies(
    sim, campaign_id, action, parameters, setting, after
):
    response = await act(sim, campaign_id, action, parameters)

    assert response.status_code == 200, response.text
    assert response.json()["after"][setting] == after


async def test_the_largest_allowed_audience_expansion_still_applies(sim):
    before = (await sim.get("/campaigns/cmp-saturation-01/settings")).json()["audience_size"]

    response = await act(
        sim, "cmp-saturation-01", "Audience Expansion", {"audience_expansion_pct": 1000}
    )

    assert response.status_code == 200, response.text
    assert response.json()["after"]["audience_size"] == 11 * before


async def test_shifting_a_segments_whole_budget_still_applies(sim):
    budgets = (await sim.get("/campaigns/cmp-uneven-01/settings")).json()["segment_budgets"]

    response = await act(
        sim, "cmp-uneven-01", "Budget Reallocation", reallocation(budgets["age-45-49"])
    )

    assert response.status_code == 200, response.text
    assert response.json()["after"]["segment_budgets"]["age-45-49"] == 0
