"""The whole lifecycle against a bare Temporal workflow of its shape, on one dev server.

    make bench                      # N = 100, then N = 1,000
    BENCH_N=100 make bench          # one quick size (BENCH_N=100,5000 for several)

For each N, on one Temporal dev server (on-disk SQLite, WAL):

- **bare**: `bench.bare.BareLifecycle` (5 parallel no-op activities, 3 sequential, a signal, 2
  more) on its own task queue, in a worker inside this process on the SDK's defaults; each run
  is started and signalled through the Temporal client.
- **lifecycle**: our real stack as separate processes (worker, API, simulator holding N
  generated campaigns; rules reasoner, outcome delay 0), one analysis per campaign started
  with `POST /api/v1/recommendations/analyze`, each approved with `POST .../decision` as soon as
  the list endpoint shows it `pending_review`; a run is done when the list shows it `completed`.

Latency is start-to-completion as the client sees it (from before the start call to the poll
that sees it done; the lifecycle's polls are every BENCH_POLL_SECONDS, 0.5 s). Peak RSS and CPU
seconds are sampled with psutil for the dev server, the worker and the API. Prints a progress
line while it runs, a table at the end, and writes `bench/results/latest.json` (BENCH_OUT).
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
from temporalio.client import Client
from temporalio.worker import Worker

from bench.bare import BareLifecycle, noop
from bench.harness import (
    Progress,
    Sampler,
    dev_server,
    env_int,
    latency_summary,
    machine,
    temporal_server_pid,
    write_results,
)
from tests.e2e.conftest import KEYS, launch_stack

CLIENT = {"X-API-Key": KEYS["client"]}
REVIEWER = {"X-API-Key": KEYS["reviewer"]}
FINAL_OTHER = ("failed", "rejected", "expired", "superseded", "manual")
PAGE = 200


def sizes() -> list[int]:
    raw = os.environ.get("BENCH_N", "100,1000")
    return [int(part) for part in raw.replace(" ", "").split(",") if part]


def concurrency() -> int:
    """Start (and approval) requests in flight at once, the same for both sides."""
    return env_int("BENCH_CONCURRENCY", 32)


def timeout_for(n: int) -> float:
    return float(os.environ.get("BENCH_TIMEOUT_SECONDS") or max(120.0, n * 1.5))


async def run_bare(client: Client, n: int, server_pid: int) -> dict:
    task_queue = f"bench-bare-{uuid.uuid4().hex[:8]}"
    progress = Progress()
    latencies: list[float] = []
    started = 0
    gate = asyncio.Semaphore(concurrency())

    async def one(i: int) -> None:
        nonlocal started
        async with gate:
            t0 = time.monotonic()
            handle = await client.start_workflow(
                BareLifecycle.run, id=f"{task_queue}-{i}", task_queue=task_queue
            )
            await handle.signal(BareLifecycle.approve)
            started += 1
        await handle.result()
        latencies.append(time.monotonic() - t0)

    async with Worker(client, task_queue=task_queue, workflows=[BareLifecycle], activities=[noop]):
        sampler = Sampler({"temporal": server_pid, "worker": os.getpid()})
        async with sampler.span():
            t_begin = time.monotonic()
            tasks = [asyncio.create_task(one(i)) for i in range(n)]
            deadline = t_begin + timeout_for(n)
            while not all(task.done() for task in tasks) and time.monotonic() < deadline:
                progress.show(
                    f"  bare      N={n}: started {started}, completed {len(latencies)} "
                    f"({time.monotonic() - t_begin:.0f} s)"
                )
                await asyncio.wait(tasks, timeout=0.5)
            wall = time.monotonic() - t_begin
            for task in tasks:
                task.cancel()
            progress.show(f"  bare      N={n}: completed {len(latencies)} in {wall:.1f} s", True)
            progress.done()
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception():
            raise task.exception()
    return {**latency_summary(latencies, wall, n), "processes": sampler.report()}


async def list_all(api: httpx.AsyncClient, status: str) -> list[dict]:
    items: list[dict] = []
    offset = 0
    while True:
        response = await api.get(
            "/api/v1/recommendations",
            params={"status": status, "limit": PAGE, "offset": offset},
            headers=CLIENT,
        )
        response.raise_for_status()
        body = response.json()
        items.extend(body["items"])
        offset += PAGE
        if offset >= body["total"]:
            return items


async def run_lifecycle(env, n: int, tmp: Path, server_pid: int) -> dict:
    extra = {
        "SIMULATOR_CAMPAIGNS": str(n),
        "SIMULATOR_SEED": "7",
        "REASONER": "rules",
        "OUTCOME_DELAY_SECONDS": "0",
        # Each campaign's change queue then ends after its change instead of waiting out the
        # 72 h cooldown, so the stack stops clean (nothing left open to terminate).
        "CHANGE_COOLDOWN_SECONDS": "0",
        "RATE_LIMIT": "1000000/minute",
    }
    poll_every = float(os.environ.get("BENCH_POLL_SECONDS", "0.5"))
    task_queue = f"bench-lifecycle-{uuid.uuid4().hex[:8]}"
    async with (
        launch_stack(env, tmp, extra_env=extra, task_queue=task_queue) as stack,
        httpx.AsyncClient(base_url=stack.api_url, timeout=60) as api,
    ):
        campaigns = (await api.get(f"{stack.simulator_url}/campaigns")).json()
        ids = [c["campaign_id"] for c in campaigns][-n:]  # the generated ones, N distinct
        pids = {p.name: p.popen.pid for p in stack.processes if p.popen is not None}
        sampler = Sampler(
            {
                "temporal": server_pid,
                "worker": stack.worker.popen.pid,
                "api": pids["api"],
                "simulator": pids["simulator"],
            }
        )
        progress = Progress()
        started_at: dict[str, float] = {}
        approved: set[str] = set()
        done_at: dict[str, float] = {}
        other: dict[str, str] = {}
        errors: list[str] = []
        retries: dict[int, int] = {}
        gate = asyncio.Semaphore(concurrency())

        async def start(campaign_id: str) -> None:
            async with gate:
                t0 = time.monotonic()
                response = await api.post(
                    "/api/v1/recommendations/analyze",
                    json={"campaign_id": campaign_id, "force_refresh": True},
                    headers=CLIENT,
                )
                if response.status_code not in (200, 202):
                    errors.append(f"analyze {campaign_id}: {response.status_code}")
                    return
                started_at[response.json()["recommendation_id"]] = t0

        async def approve(item: dict) -> None:
            async with gate:
                try:
                    response = await api.post(
                        f"/api/v1/recommendations/{item['recommendation_id']}/decision",
                        json={
                            "decision": "approved",
                            "feedback": "bench",
                            "revision": item["revision"],
                        },
                        headers=REVIEWER,
                    )
                except httpx.HTTPError:  # no answer in time: read it again and retry
                    retries[0] = retries.get(0, 0) + 1
                    approved.discard(item["recommendation_id"])
                    return
                if response.status_code == 202 or (
                    response.status_code == 409 and "already_decided" in response.text
                ):
                    return
                # 503: the workflow did not answer in time (a busy worker); a stale revision:
                # a new draft. Either way the next poll reads it again and retries, as a
                # reviewer would (README: "read the recommendation again before retrying").
                retries[response.status_code] = retries.get(response.status_code, 0) + 1
                approved.discard(item["recommendation_id"])

        async with sampler.span():
            t_begin = time.monotonic()
            starter = asyncio.ensure_future(asyncio.gather(*(start(c) for c in ids)))
            deadline = t_begin + timeout_for(n)
            approvals: set[asyncio.Task] = set()
            rounds = 0
            while time.monotonic() < deadline:
                for item in await list_all(api, "pending_review"):
                    rec_id = item["recommendation_id"]
                    if rec_id in started_at and rec_id not in approved:
                        approved.add(rec_id)
                        task = asyncio.create_task(approve(item))
                        approvals.add(task)
                        task.add_done_callback(approvals.discard)
                now = time.monotonic()
                for item in await list_all(api, "completed"):
                    done_at.setdefault(item["recommendation_id"], now)
                if rounds % 10 == 0:  # runs that ended some other way (rarely polled: cheap)
                    for status in FINAL_OTHER:
                        for item in await list_all(api, status):
                            other.setdefault(item["recommendation_id"], status)
                rounds += 1
                progress.show(
                    f"  lifecycle N={n}: started {len(started_at)}, approved {len(approved)}, "
                    f"completed {len(done_at)}, other {len(other)}, errors {len(errors)}, "
                    f"decisions retried {sum(retries.values())} "
                    f"({time.monotonic() - t_begin:.0f} s)"
                )
                if starter.done() and len(done_at) + len(other) >= len(started_at):
                    break
                await asyncio.sleep(poll_every)
            wall = max(done_at.values(), default=time.monotonic()) - t_begin
            progress.show(
                f"  lifecycle N={n}: completed {len(done_at)} in {wall:.1f} s, "
                f"other {len(other)}, errors {len(errors)}",
                True,
            )
            progress.done()
            await starter
    latencies = [done_at[r] - started_at[r] for r in done_at if r in started_at]
    statuses: dict[str, int] = {}
    for status in other.values():
        statuses[status] = statuses.get(status, 0) + 1
    return {
        **latency_summary(latencies, wall, n),
        "other_final": statuses,
        "http_errors": len(errors),
        "decision_retries": {str(code): count for code, count in sorted(retries.items())},
        "first_errors": errors[:5],
        "processes": sampler.report(),
    }


def table(results: list[dict]) -> str:
    head = (
        f"{'N':>6} {'side':<10} {'done':>6} {'wall s':>8} {'runs/s':>8} {'p50 s':>7} "
        f"{'p95 s':>7} {'p99 s':>7}  {'temporal MB/cpu s':>18} {'worker MB/cpu s':>16} "
        f"{'api MB/cpu s':>14} {'sim MB/cpu s':>14}"
    )
    lines = [head, "-" * len(head)]
    for result in results:
        for side in ("bare", "lifecycle"):
            row = result[side]
            procs = row["processes"]

            def cell(name: str, procs=procs) -> str:
                if name not in procs:
                    return "-"
                return f"{procs[name]['peak_rss_mb']:.0f}/{procs[name]['cpu_s']:.1f}"

            lines.append(
                f"{result['n']:>6} {side:<10} {row['completed']:>6} {row['wall_s']:>8.1f} "
                f"{row['runs_per_s']:>8.2f} {row['p50_s'] or 0:>7.2f} {row['p95_s'] or 0:>7.2f} "
                f"{row['p99_s'] or 0:>7.2f}  {cell('temporal'):>18} {cell('worker'):>16} "
                f"{cell('api'):>14} {cell('simulator'):>14}"
            )
        lines.append(
            f"{result['n']:>6} lifecycle/bare throughput: {result['lifecycle_vs_bare_throughput']}"
        )
    return "\n".join(lines)


async def bench() -> dict:
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-lifecycle-") as tmp_dir:
        tmp = Path(tmp_dir)
        async with dev_server(tmp / "temporal.db") as env:
            server_pid = temporal_server_pid()
            for n in sizes():
                print(f"N = {n}", file=sys.stderr)
                bare = await run_bare(env.client, n, server_pid)
                (tmp / f"stack-{n}").mkdir()
                lifecycle = await run_lifecycle(env, n, tmp / f"stack-{n}", server_pid)
                ratio = (
                    round(lifecycle["runs_per_s"] / bare["runs_per_s"], 3)
                    if lifecycle["runs_per_s"] and bare["runs_per_s"]
                    else None
                )
                results.append(
                    {
                        "n": n,
                        "bare": bare,
                        "lifecycle": lifecycle,
                        "lifecycle_vs_bare_throughput": ratio,
                        "worker_peak_rss_mb": lifecycle["processes"]["worker"]["peak_rss_mb"],
                    }
                )
    largest = results[-1]
    info = machine()
    return {
        # The largest N's figures at the top level; every size under "sizes".
        "n": largest["n"],
        "bare": largest["bare"],
        "lifecycle": largest["lifecycle"],
        "lifecycle_vs_bare_throughput": largest["lifecycle_vs_bare_throughput"],
        "worker_peak_rss_mb": largest["worker_peak_rss_mb"],
        "cpu_count": info["cpu_count"],
        "machine": info,
        "settings": {
            "concurrency": concurrency(),
            "reasoner": "rules",
            "outcome_delay_s": 0,
            "change_cooldown_s": 0,
        },
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "sizes": results,
    }


def main() -> None:
    payload = asyncio.run(bench())
    print(table(payload["sizes"]))
    path = write_results("latest", payload)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
