"""Actions: dry runs change nothing, keys apply once, invalid changes are refused with a reason."""

from __future__ import annotations

import asyncio

import pytest

from tests.simulator.conftest import act

# One valid request per executable action: (campaign, action, parameters, settings key it changes)
VALID = [
    ("cmp-competition-01", "Bid Adjustment", {"bid_change_pct": 15.0}, "bid"),
    ("cmp-saturation-01", "Audience Expansion", {"audience_expansion_pct": 20.0}, "audience_size"),
    ("cmp-fatigue-01", "Creative Refresh", {"creative_ids": ["cr-fatigue-01-1"]}, "creative_ids"),
    ("cmp-tracking-01", "Campaign Pause", {}, "status"),
    (
        "cmp-uneven-01",
        "Budget Reallocation",
        {
            "from_segment_id": "age-45-49",
            "to_segment_id": "age-30-34",
            "budget_shift_amount": 300.0,
        },
        "segment_budgets",
    ),
]


async def snapshot(sim, campaign_id: str) -> dict:
    base = f"/campaigns/{campaign_id}"
    return {
        "settings": (await sim.get(f"{base}/settings")).json(),
        "metrics": (await sim.get(f"{base}/metrics")).json(),
        "creatives": (await sim.get(f"{base}/creatives")).json(),
        "mutations": (await sim.get("/admin/mutations")).json(),
    }


@pytest.mark.parametrize(("campaign_id", "action", "parameters", "setting"), VALID)
async def test_dry_run_reports_the_change_and_changes_nothing(
    sim, campaign_id, action, parameters, setting
):
    before = await snapshot(sim, campaign_id)

    response = await act(sim, campaign_id, action, parameters, key=None, dry_run=True)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["applied"], body["dry_run"], body["already_applied"]) == (False, True, False)
    assert body["before"][setting] == before["settings"][setting]
    assert body["after"][setting] != body["before"][setting]
    assert await snapshot(sim, campaign_id) == before


@pytest.mark.parametrize(("campaign_id", "action", "parameters", "setting"), VALID)
async def test_applied_action_changes_the_setting_and_is_logged_once(
    sim, campaign_id, action, parameters, setting
):
    response = await act(sim, campaign_id, action, parameters, key=f"{campaign_id}-1")

    body = response.json()
    assert response.status_code == 200 and body["applied"] and not body["dry_run"]
    settings = (await sim.get(f"/campaigns/{campaign_id}/settings")).json()
    assert settings[setting] == body["after"][setting]
    mutations = (await sim.get("/admin/mutations")).json()
    assert [(m["campaign_id"], m["action"], m["before"]) for m in mutations] == [
        (campaign_id, action, body["before"])
    ]


async def test_bid_adjustment_reports_the_bid_before_and_after(sim):
    body = (await act(sim, "cmp-competition-01", "Bid Adjustment", {"bid_change_pct": 15})).json()

    assert body["before"] == {"bid": 2.5}
    assert body["after"] == {"bid": 2.88, "bid_change_pct": 15.0}
    assert body["message"] == "bid raised 15.0 % from 2.50 to 2.88"


async def test_repeated_idempotency_key_returns_the_first_result_and_applies_once(sim):
    first = await act(sim, "cmp-competition-01", "Bid Adjustment", {"bid_change_pct": 10})
    again = await act(sim, "cmp-competition-01", "Bid Adjustment", {"bid_change_pct": 10})

    assert first.json()["already_applied"] is False
    assert again.status_code == 200
    assert again.json() == {**first.json(), "already_applied": True}
    settings = (await sim.get("/campaigns/cmp-competition-01/settings")).json()
    assert settings["bid"] == 2.75  # +10 % once, not twice
    assert len((await sim.get("/admin/mutations")).json()) == 1


async def test_concurrent_requests_with_one_key_apply_once(sim):
    request = ("cmp-tracking-02", "Campaign Pause", {})
    answers = await asyncio.gather(*(act(sim, *request, key="same") for _ in range(10)))

    assert all(answer.status_code == 200 for answer in answers)
    assert sum(not answer.json()["already_applied"] for answer in answers) == 1
    assert len((await sim.get("/admin/mutations")).json()) == 1


async def test_a_key_reused_for_another_request_is_a_conflict(sim):
    await act(sim, "cmp-competition-01", "Bid Adjustment", {"bid_change_pct": 10}, key="k")
    other = await act(sim, "cmp-competition-01", "Bid Adjustment", {"bid_change_pct": 20}, key="k")

    assert other.status_code == 409
    assert "already used" in other.json()["detail"]


async def test_idempotency_key_is_required_for_a_real_write(sim):
    response = await act(sim, "cmp-tracking-01", "Campaign Pause", key=None)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]
    assert (await sim.get("/admin/mutations")).json() == []


@pytest.mark.parametrize(
    ("campaign_id", "action", "parameters", "reason"),
    [
        ("cmp-steady-01", "Continue Monitoring", {}, "changes nothing"),
        ("cmp-competition-01", "Bid Adjustment", {}, "bid_change_pct"),
        ("cmp-competition-01", "Bid Adjustment", {"bid_change_pct": -100}, "zero"),
        ("cmp-saturation-01", "Audience Expansion", {}, "audience_expansion_pct"),
        ("cmp-saturation-01", "Audience Expansion", {"audience_expansion_pct": 0}, "greater"),
        ("cmp-fatigue-01", "Creative Refresh", {"creative_ids": ["cr-nope"]}, "cr-nope"),
        (
            "cmp-uneven-01",
            "Budget Reallocation",
            {"from_segment_id": "age-99", "to_segment_id": "age-30-34", "budget_shift_amount": 1},
            "unknown segment(s) age-99",
        ),
        (
            "cmp-uneven-01",
            "Budget Reallocation",
            {
                "from_segment_id": "age-45-49",
                "to_segment_id": "age-30-34",
                "budget_shift_amount": 100000,
            },
            "cannot shift 100000.00",
        ),
        (
            "cmp-uneven-01",
            "Budget Reallocation",
            {
                "from_segment_id": "age-45-49",
                "to_segment_id": "age-45-49",
                "budget_shift_amount": 1,
            },
            "different",
        ),
        ("cmp-uneven-01", "Budget Reallocation", {"from_segment_id": "age-45-49"}, "needs"),
    ],
)
async def test_invalid_change_is_422_with_the_reason(sim, campaign_id, action, parameters, reason):
    for dry_run in (True, False):
        response = await act(sim, campaign_id, action, parameters, dry_run=dry_run)

        assert response.status_code == 422, response.text
        assert reason in response.json()["detail"]
    assert (await sim.get("/admin/mutations")).json() == []


async def test_unknown_action_name_is_422(sim):
    response = await act(sim, "cmp-steady-01", "Delete Everything")
    assert response.status_code == 422


async def test_pausing_a_paused_campaign_is_refused_but_its_replay_is_not(sim):
    first = await act(sim, "cmp-tracking-01", "Campaign Pause", key="pause-1")
    replay = await act(sim, "cmp-tracking-01", "Campaign Pause", key="pause-1")
    fresh = await act(sim, "cmp-tracking-01", "Campaign Pause", key="pause-2")

    assert first.status_code == replay.status_code == 200
    assert replay.json()["already_applied"] is True
    assert fresh.status_code == 422 and "already paused" in fresh.json()["detail"]
    campaigns = {c["campaign_id"]: c for c in (await sim.get("/campaigns")).json()}
    assert campaigns["cmp-tracking-01"]["status"] == "paused"


async def test_creative_refresh_without_ids_replaces_the_whole_rotation(sim):
    body = (await act(sim, "cmp-fatigue-02", "Creative Refresh")).json()

    assert body["before"]["creative_ids"] == ["cr-fatigue-02-1", "cr-fatigue-02-2"]
    assert body["after"]["creative_ids"] == ["cr-fatigue-02-3", "cr-fatigue-02-4"]
    creatives = (await sim.get("/campaigns/cmp-fatigue-02/creatives")).json()["creatives"]
    assert [c["creative_id"] for c in creatives] == ["cr-fatigue-02-3", "cr-fatigue-02-4"]
    assert all(c["creative_age_days"] == 0 for c in creatives)


async def test_applied_action_appears_in_history_once_reported_days_follow(sim):
    await act(sim, "cmp-competition-02", "Bid Adjustment", {"bid_change_pct": 20})
    before = (await sim.get("/campaigns/cmp-competition-02/history")).json()["past_actions"]
    await sim.post("/admin/clock/advance", json={"days": 3})
    after = (await sim.get("/campaigns/cmp-competition-02/history")).json()["past_actions"]

    assert before == [
        {"action": "Bid Adjustment", "applied_at": "2025-06-01", "cpa_change_pct": None}
    ]
    assert after[0]["cpa_change_pct"] is not None  # measured once days after it are reported
