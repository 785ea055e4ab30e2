"""Fault injection: each kind, the matching rule, count and rate limits, and reset."""

from __future__ import annotations

import json
import time

import pytest

from simulator.faults import path_matches
from tests.simulator.conftest import act, advance

METRICS = "/campaigns/cmp-steady-01/metrics"


async def add_fault(sim, **fault) -> dict:
    response = await sim.post("/admin/faults", json=fault)
    assert response.status_code == 201, response.text
    return response.json()


async def test_error_fault_answers_503_on_matching_endpoint_only(sim):
    await add_fault(sim, endpoint="metrics", kind="error")

    failed = await sim.get(METRICS)
    assert failed.status_code == 503
    assert "injected fault: error" in failed.json()["detail"]
    assert (await sim.get("/campaigns/cmp-steady-01/creatives")).status_code == 200


async def test_latency_fault_delays_then_answers_normally(sim):
    expected = (await sim.get(METRICS)).json()
    await add_fault(sim, endpoint="/campaigns/*/metrics", kind="latency", latency_seconds=0.2)

    started = time.perf_counter()
    response = await sim.get(METRICS)

    assert time.perf_counter() - started >= 0.2
    assert response.status_code == 200 and response.json() == expected


async def test_timeout_fault_hangs_then_answers_504(sim):
    # The fixture's app hangs 0.2 s by default (production: 30 s); a fault may set its own.
    await add_fault(sim, endpoint="audience", kind="timeout")
    await add_fault(sim, endpoint="history", kind="timeout", timeout_seconds=0.05)

    started = time.perf_counter()
    response = await sim.get("/campaigns/cmp-steady-01/audience")
    assert time.perf_counter() - started >= 0.2
    assert response.status_code == 504
    assert (await sim.get("/campaigns/cmp-steady-01/history")).status_code == 504


async def test_malformed_fault_answers_200_with_a_body_that_is_not_json(sim):
    await add_fault(sim, endpoint="competitors", kind="malformed")

    response = await sim.get("/campaigns/cmp-steady-01/competitors")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


async def test_count_limits_the_injections(sim):
    await add_fault(sim, endpoint="metrics", kind="error", count=2)

    statuses = [(await sim.get(METRICS)).status_code for _ in range(4)]

    assert statuses == [503, 503, 200, 200]
    assert (await sim.get("/admin/faults")).json()[0]["injected"] == 2


async def test_rate_zero_never_fires_and_partial_rate_is_reproducible(sim):
    await add_fault(sim, endpoint="creatives", kind="error", rate=0)
    assert (await sim.get("/campaigns/cmp-steady-01/creatives")).status_code == 200

    async def run() -> list[int]:
        await sim.post("/admin/reset")
        await add_fault(sim, endpoint="metrics", kind="error", rate=0.5)
        return [(await sim.get(METRICS)).status_code for _ in range(20)]

    first = await run()
    assert 0 < first.count(503) < 20
    assert await run() == first


async def test_action_endpoint_can_fail_without_applying_anything(sim):
    await add_fault(sim, endpoint="actions", kind="error", count=1)

    failed = await act(sim, "cmp-tracking-01", "Campaign Pause", key="k")
    retried = await act(sim, "cmp-tracking-01", "Campaign Pause", key="k")

    assert failed.status_code == 503 and retried.status_code == 200
    assert len((await sim.get("/admin/mutations")).json()) == 1


async def test_admin_endpoints_are_never_faulted_and_delete_clears(sim):
    await add_fault(sim, endpoint="*", kind="error")

    assert (await sim.get("/campaigns")).status_code == 503
    assert (await sim.get("/admin/clock")).status_code == 200
    assert (await sim.delete("/admin/faults")).status_code == 204
    assert (await sim.get("/admin/faults")).json() == []
    assert (await sim.get("/campaigns")).status_code == 200


async def test_reset_restores_seeded_state_and_clears_faults(sim):
    seeded = (await sim.get(METRICS)).json()
    await act(sim, "cmp-steady-01", "Campaign Pause")
    await advance(sim, 5)
    await add_fault(sim, endpoint="creatives", kind="error")

    assert (await sim.post("/admin/reset")).status_code == 200

    assert (await sim.get("/admin/clock")).json()["today"] == "2025-06-01"
    assert (await sim.get("/admin/mutations")).json() == []
    assert (await sim.get("/admin/faults")).json() == []
    assert (await sim.get(METRICS)).json() == seeded
    assert (await sim.get("/campaigns/cmp-steady-01/settings")).json()["status"] == "active"
    # Idempotency keys are forgotten too: the same key applies again after a reset.
    assert (await act(sim, "cmp-steady-01", "Campaign Pause")).json()["already_applied"] is False


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("metrics", "/campaigns/cmp-a/metrics", True),
        ("metrics", "/campaigns/cmp-a/creatives", False),
        ("campaigns", "/campaigns", True),
        ("campaigns", "/campaigns/cmp-a/metrics", False),
        ("/campaigns/*/creatives", "/campaigns/cmp-a/creatives", True),
        ("/campaigns/*/creatives", "/campaigns/cmp-a/b/creatives", False),
        ("/campaigns/cmp-a/*", "/campaigns/cmp-a/history", True),
        ("/campaigns/cmp-a/*", "/campaigns/cmp-b/history", False),
        ("*", "/campaigns/cmp-a/actions", True),
    ],
)
def test_endpoint_matching_rule(pattern, path, matches):
    assert path_matches(pattern, path) is matches


@pytest.mark.parametrize(
    "fault",
    [
        {"endpoint": "metrics", "kind": "explode"},
        {"endpoint": "metrics", "kind": "error", "rate": 1.5},
        {"endpoint": "", "kind": "error"},
        {"endpoint": "metrics", "kind": "error", "count": 0},
    ],
)
async def test_invalid_fault_is_422(sim, fault):
    assert (await sim.post("/admin/faults", json=fault)).status_code == 422
