"""Memory at rest: the worker's RSS with N runs waiting for review.

    python -m bench.memory                  # 5,000 runs (BENCH_WAITING)
    BENCH_WAITING=1000 python -m bench.memory

Starts the real stack on a fresh dev server (the simulator holding N generated campaigns, rules
reasoner), starts one analysis per campaign through the API, waits until every run is
`pending_review`, then samples the worker's RSS for BENCH_SETTLE_SECONDS (10) while nothing
happens. Reports the worker's RSS at rest and its peak while the runs were analysed, the
sticky cache size (MAX_CACHED_WORKFLOWS) the worker ran with, and the size of one waiting run's
state (the `state` query's JSON, which is what every save sends to the store activity).
Writes `bench/results/memory.json` (BENCH_OUT).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psutil

from bench.harness import Progress, Sampler, dev_server, env_int, machine, write_results
from bench.lifecycle import CLIENT, concurrency, list_all
from settings import Settings
from tests.e2e.conftest import launch_stack


async def bench() -> dict:
    n = env_int("BENCH_WAITING", 5000)
    settle = float(os.environ.get("BENCH_SETTLE_SECONDS", "10"))
    cache = int(os.environ.get("MAX_CACHED_WORKFLOWS", Settings().max_cached_workflows))
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp_dir:
        tmp = Path(tmp_dir)
        async with dev_server(tmp / "temporal.db") as env:
            extra = {
                "SIMULATOR_CAMPAIGNS": str(n),
                "SIMULATOR_SEED": "7",
                "REASONER": "rules",
                "RATE_LIMIT": "1000000/minute",
            }
            async with (
                launch_stack(
                    env, tmp, extra_env=extra, task_queue=f"bench-mem-{uuid.uuid4().hex[:8]}"
                ) as stack,
                httpx.AsyncClient(base_url=stack.api_url, timeout=60) as api,
            ):
                campaigns = (await api.get(f"{stack.simulator_url}/campaigns")).json()
                ids = [c["campaign_id"] for c in campaigns][-n:]
                worker = psutil.Process(stack.worker.popen.pid)
                gate = asyncio.Semaphore(concurrency())
                progress = Progress()
                started: list[str] = []

                async def start(campaign_id: str) -> None:
                    async with gate:
                        response = await api.post(
                            "/api/v1/recommendations/analyze",
                            json={"campaign_id": campaign_id, "force_refresh": True},
                            headers=CLIENT,
                        )
                        response.raise_for_status()
                        started.append(response.json()["recommendation_id"])

                analysing = Sampler({"worker": worker.pid})
                t0 = time.monotonic()
                async with analysing.span():
                    starter = asyncio.ensure_future(asyncio.gather(*(start(c) for c in ids)))
                    waiting = 0
                    while time.monotonic() - t0 < max(300, n * 1.0):
                        response = await api.get(
                            "/api/v1/recommendations",
                            params={"status": "pending_review", "limit": 1},
                            headers=CLIENT,
                        )
                        waiting = response.json()["total"]
                        progress.show(
                            f"  memory: started {len(started)}/{n}, waiting for review {waiting}, "
                            f"worker RSS {worker.memory_info().rss / 2**20:.0f} MB "
                            f"({time.monotonic() - t0:.0f} s)"
                        )
                        if starter.done() and waiting >= n:
                            break
                        await asyncio.sleep(1.0)
                    await starter
                    analyse_s = time.monotonic() - t0
                progress.show(f"  memory: {waiting} waiting after {analyse_s:.0f} s", True)
                progress.done()
                resting = Sampler({"worker": worker.pid})
                async with resting.span():
                    await asyncio.sleep(settle)
                rest_rss = worker.memory_info().rss
                one = (await list_all(api, "pending_review"))[0]["recommendation_id"]
                live = await api.get(
                    f"/api/v1/recommendations/{one}", params={"live": "true"}, headers=CLIENT
                )
                state_bytes = len(live.content)
    return {
        "waiting": waiting,
        "runs_started": n,
        "analyse_s": round(analyse_s, 1),
        "worker_rss_at_rest_mb": round(rest_rss / 2**20, 1),
        "worker_peak_rss_mb": max(
            analysing.report()["worker"]["peak_rss_mb"], resting.report()["worker"]["peak_rss_mb"]
        ),
        "worker_cpu_s_while_analysing": analysing.report()["worker"]["cpu_s"],
        "worker_cpu_s_at_rest": resting.report()["worker"]["cpu_s"],
        "max_cached_workflows": cache,
        "one_state_json_bytes": state_bytes,
        "cpu_count": os.cpu_count(),
        "machine": machine(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def main() -> None:
    payload = asyncio.run(bench())
    for key in (
        "waiting",
        "worker_rss_at_rest_mb",
        "worker_peak_rss_mb",
        "max_cached_workflows",
        "one_state_json_bytes",
        "analyse_s",
    ):
        print(f"{key:<24} {payload[key]}")
    print(f"wrote {write_results('memory', payload)}", file=sys.stdout)


if __name__ == "__main__":
    main()
