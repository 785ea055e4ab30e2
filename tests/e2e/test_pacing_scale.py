"""A pacing pass over 1,000 plan lines, on the real stack, finishes within its 4-hour schedule
interval by a wide margin (a tenth of it, well over: see the time it prints).

The simulator holds its 12 named campaigns and 988 generated ones; the plan is its demo plan
(one line per campaign), imported through the API; the pass is started by the schedule.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest

from tests.e2e.conftest import Stack, launch_stack
from tests.e2e.test_always_watching import ADMIN, import_plan, next_pass, passes_so_far, trigger
from tests.e2e.test_lifecycle import CLIENT

pytestmark = pytest.mark.e2e

LINES = 1_000
INTERVAL = timedelta(hours=4)
WIDE_MARGIN = INTERVAL / 10


@pytest.fixture(scope="module")
async def big_stack(dev_server, tmp_path_factory) -> AsyncIterator[Stack]:
    extra = {"SIMULATOR_CAMPAIGNS": str(LINES - 12), "SIMULATOR_SEED": "7"}
    async with launch_stack(
        dev_server, tmp_path_factory.mktemp("scale"), extra_env=extra, task_queue="e2e-scale"
    ) as stack:
        yield stack


async def test_a_pass_over_a_thousand_plan_lines_takes_a_fraction_of_its_interval(
    big_stack: Stack,
) -> None:
    async with (
        httpx.AsyncClient(base_url=big_stack.api_url, timeout=60) as api,
        httpx.AsyncClient(base_url=big_stack.simulator_url, timeout=60) as sim,
    ):
        plan = await import_plan(api, (await sim.get("/admin/media-plan?format=csv")).text)
        assert plan["lines"] == LINES
        seen = await passes_so_far(api, "/api/v1/pacing/passes")
        await trigger(api, "pacing-monitor")
        done = await next_pass(
            api, "/api/v1/pacing/passes", seen, within=WIDE_MARGIN.total_seconds()
        )
        took = datetime.fromisoformat(done["finished_at"]) - datetime.fromisoformat(
            done["started_at"]
        )
        view = await api.get(
            f"/api/v1/pacing/passes/{done['pass_id']}", params={"limit": 1}, headers=CLIENT
        )
        schedules = (await api.get("/api/v1/admin/schedules", headers=ADMIN)).json()
    print(
        f"\npacing pass over {LINES} plan lines: {took.total_seconds():.1f} s "
        f"(schedule interval {INTERVAL}); counts {done['counts']}"
    )
    assert view.json()["total"] == LINES  # every line assessed and recorded
    assert done["counts"]["lines"] == LINES
    assert took < WIDE_MARGIN
    [pacing] = [s for s in schedules if s["name"] == "pacing-monitor"]
    assert pacing["interval_seconds"] == INTERVAL.total_seconds()
