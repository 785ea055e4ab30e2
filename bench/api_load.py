"""Reads under a fixed-rate load: the API on a store of 10,000 recommendations.

    make bench-api                  # 200 requests/s for 30 s, on SQLite then PostgreSQL
    BENCH_SECONDS=10 make bench-api # shorter

Seeds a store (BENCH_RECOMMENDATIONS, 10,000) through the store's own API (`create_recommendation`
and `sync_state`, as the workflow saves them: most finished with execution and outcome, some
pending review; then analyzed, as autovacuum would), starts the API process against it, and
sends requests on a fixed schedule (BENCH_RATE per second for BENCH_SECONDS, open loop: a slow
answer does not delay the next request; latency is counted from the scheduled send time) — 80 %
`GET /api/v1/recommendations/{id}` of random seeded ids, 20 % the list endpoint (a random status
filter or none). PostgreSQL: a database `bench_api` on BENCH_POSTGRES_DSN
(postgresql://postgres@127.0.0.1:5432/postgres), recreated for the run; skipped, and said so,
when the server does not answer. Writes `bench/results/api_load.json` (BENCH_OUT).
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

from bench.harness import (
    Progress,
    Sampler,
    dev_server,
    env_int,
    machine,
    percentile,
    write_results,
)
from domain.lifecycle import RecommendationStatus
from store import Store, open_store
from tests.e2e.conftest import BIN, KEYS, Process, free_port, wait_until
from tests.store.conftest import Factory

CLIENT = {"X-API-Key": KEYS["client"]}
LIST_STATUSES = [None, "completed", "pending_review", "rejected"]
SEED_CONCURRENCY = 8


def status_for(i: int) -> tuple[RecommendationStatus, dict]:
    """Most finished and measured; some pending review, some rejected."""
    if i % 10 == 0:
        return RecommendationStatus.pending_review, {}
    if i % 10 == 1:
        return RecommendationStatus.rejected, {"decided": True}
    return RecommendationStatus.completed, {"measured": True}


async def seed(database_url: str, count: int) -> list[str]:
    make = Factory()
    store = await open_store(database_url)
    ids = [f"rec-cmp-bench-{i:05d}-{i:08x}" for i in range(count)]
    gate = asyncio.Semaphore(SEED_CONCURRENCY)
    progress = Progress()
    done = 0

    async def one(i: int, rec_id: str) -> None:
        nonlocal done
        campaign_id = f"cmp-bench-{i % 500:04d}"
        status, flags = status_for(i)
        async with gate:
            await store.create_recommendation(rec_id, campaign_id, "bench")
            await store.sync_state(make.state(rec_id, campaign_id, status, seq=1, **flags))
        done += 1
        progress.show(f"  seeding: {done}/{count}")

    try:
        await asyncio.gather(*(one(i, rec_id) for i, rec_id in enumerate(ids)))
        await settle(store)
    finally:
        await store.close()
    progress.show(f"  seeding: {done}/{count}", True)
    progress.done()
    return ids


async def load(api_url: str, ids: list[str], rate: float, seconds: float) -> dict:
    """Open loop: requests are due on a fixed schedule and queued for BENCH_CONNECTIONS (64)
    senders, one keep-alive connection each; latency counts from the due time, so time spent
    queued behind a slow API counts (no coordinated omission)."""
    total = int(rate * seconds)
    rng = random.Random(14)
    results: list[tuple[str, float, int]] = []  # (kind, latency s, status; 0 = no answer)
    queue: asyncio.Queue[tuple[str, str, dict, float] | None] = asyncio.Queue()
    progress = Progress()
    connections = env_int("BENCH_CONNECTIONS", 64)

    async def sender() -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=api_url, timeout=30, limits=limits) as client:
            while (job := await queue.get()) is not None:
                kind, url, params, due = job
                try:
                    response = await client.get(url, params=params, headers=CLIENT)
                    code = response.status_code
                except httpx.HTTPError:
                    code = 0
                results.append((kind, time.monotonic() - due, code))

    senders = [asyncio.create_task(sender()) for _ in range(connections)]
    t0 = time.monotonic()
    for i in range(total):
        due = t0 + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        if rng.random() < 0.8:
            job = ("get", f"/api/v1/recommendations/{rng.choice(ids)}", {}, due)
        else:
            status = rng.choice(LIST_STATUSES)
            params = {"limit": 50, **({"status": status} if status else {})}
            job = ("list", "/api/v1/recommendations", params, due)
        queue.put_nowait(job)
        progress.show(f"  load: due {i + 1}/{total}, answered {len(results)}")
    sent_s = time.monotonic() - t0
    for _ in senders:
        queue.put_nowait(None)
    while not all(task.done() for task in senders):
        progress.show(f"  load: all {total} due, answered {len(results)}")
        await asyncio.wait(senders, timeout=1.0)
    wall = time.monotonic() - t0
    progress.show(f"  load: {len(results)} answered in {wall:.1f} s", True)
    progress.done()

    def summary(rows: list[tuple[str, float, int]]) -> dict:
        latencies = [latency for _, latency, _ in rows]
        errors = sum(1 for _, _, code in rows if code != 200)
        return {
            "requests": len(rows),
            "errors": errors,
            "error_rate": round(errors / len(rows), 4) if rows else None,
            "p50_ms": _ms(percentile(latencies, 50)),
            "p95_ms": _ms(percentile(latencies, 95)),
            "p99_ms": _ms(percentile(latencies, 99)),
            "max_ms": _ms(max(latencies, default=None)),
        }

    return {
        "target_rate": rate,
        "seconds": seconds,
        "sent_in_s": round(sent_s, 2),
        "achieved_rate": round(len(results) / wall, 1),
        "all": summary(results),
        "get": summary([r for r in results if r[0] == "get"]),
        "list": summary([r for r in results if r[0] == "list"]),
    }


async def settle(store: Store) -> None:
    """PostgreSQL: what autovacuum would have done within a minute of 10,000 inserts (planner
    statistics, the visibility map for index-only counts). SQLite: ANALYZE, which a production
    file has only if someone runs it; the list's indexes (migration 0008) serve its pages in
    order without statistics."""
    statement = (
        "VACUUM ANALYZE recommendations" if store.engine.dialect.name == "postgresql" else "ANALYZE"
    )
    async with store.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.exec_driver_sql(statement)


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


async def postgres_url(dsn: str) -> str | None:
    """A fresh database `bench_api` on the server; None when the server does not answer."""
    try:
        admin = await asyncpg.connect(dsn, timeout=5)
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        print(f"PostgreSQL skipped: {error}", file=sys.stderr)
        return None
    try:
        await admin.execute("DROP DATABASE IF EXISTS bench_api WITH (FORCE)")
        await admin.execute("CREATE DATABASE bench_api")
    finally:
        await admin.close()
    server = dsn.removeprefix("postgresql://").rsplit("/", 1)[0]
    return f"postgresql+asyncpg://{server}/bench_api"


async def run_backend(name: str, database_url: str, temporal: str, tmp: Path) -> dict:
    count = env_int("BENCH_RECOMMENDATIONS", 10_000)
    rate = float(os.environ.get("BENCH_RATE", "200"))
    seconds = float(os.environ.get("BENCH_SECONDS", "30"))
    print(f"{name}: seeding {count} recommendations", file=sys.stderr)
    t0 = time.monotonic()
    ids = await seed(database_url, count)
    seed_s = time.monotonic() - t0
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TEMPORAL_ADDRESS": temporal,
        "API_PORT": str(port),
        "API_KEYS": ",".join(f"{key}:{role}:bench-{role}" for role, key in KEYS.items()),
        "RATE_LIMIT": "1000000/minute",
    }
    api = Process("api", [str(BIN / "python"), "-m", "api"], env, tmp / f"api-{name}.log").start()
    api_url = f"http://127.0.0.1:{port}"
    try:
        await asyncio.to_thread(wait_until, lambda: _ready(f"{api_url}/ready"), "API /ready", 60)
        print(f"{name}: {rate:g} requests/s for {seconds:g} s", file=sys.stderr)
        sampler = Sampler({"api": api.popen.pid})
        async with sampler.span():
            result = await load(api_url, ids, rate, seconds)
    finally:
        api.stop()
    return {
        "database": name,
        "recommendations": count,
        "seed_s": round(seed_s, 1),
        **result,
        "processes": sampler.report(),
    }


def _ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def table(runs: list[dict]) -> str:
    head = (
        f"{'database':<10} {'endpoint':<6} {'requests':>8} {'errors':>7} {'p50 ms':>8} "
        f"{'p95 ms':>8} {'p99 ms':>8} {'achieved/s':>10} {'api MB/cpu s':>13}"
    )
    lines = [head, "-" * len(head)]
    for run in runs:
        proc = run["processes"]["api"]
        usage = f"{proc['peak_rss_mb']:.0f}/{proc['cpu_s']:.1f}"
        for kind in ("all", "get", "list"):
            row = run[kind]
            lines.append(
                f"{run['database']:<10} {kind:<6} {row['requests']:>8} {row['errors']:>7} "
                f"{row['p50_ms'] or 0:>8.1f} {row['p95_ms'] or 0:>8.1f} {row['p99_ms'] or 0:>8.1f} "
                f"{run['achieved_rate'] if kind == 'all' else '':>10} "
                f"{usage if kind == 'all' else '':>13}"
            )
    return "\n".join(lines)


async def bench() -> dict:
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp_dir:
        tmp = Path(tmp_dir)
        async with dev_server(tmp / "temporal.db") as env:
            temporal = env.client.service_client.config.target_host
            backends = {"sqlite": f"sqlite+aiosqlite:///{tmp / 'agent.db'}"}
            dsn = os.environ.get(
                "BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
            )
            wanted = os.environ.get("BENCH_DATABASES", "sqlite,postgres").split(",")
            if "postgres" in wanted:
                url = await postgres_url(dsn)
                if url:
                    backends["postgres"] = url
            for name, url in backends.items():
                if name in wanted:
                    runs.append(await run_backend(name, url, temporal, tmp))
    return {
        "cpu_count": os.cpu_count(),
        "machine": machine(),
        "runs": runs,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def main() -> None:
    payload = asyncio.run(bench())
    print(table(payload["runs"]))
    print(f"wrote {write_results('api_load', payload)}")


if __name__ == "__main__":
    main()
