"""What every benchmark here shares: a Temporal dev server on disk, resource sampling of the
processes under test (psutil), latency percentiles, and the results file."""

from __future__ import annotations

import asyncio
import json
import math
import os
import platform
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from tests.e2e.conftest import free_port
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
SAMPLE_SECONDS = 0.25


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(latencies: list[float], wall_s: float, n: int) -> dict:
    done = len(latencies)
    return {
        "runs": n,
        "completed": done,
        "wall_s": round(wall_s, 3),
        "runs_per_s": round(done / wall_s, 3) if wall_s > 0 else None,
        "p50_s": _round(percentile(latencies, 50)),
        "p95_s": _round(percentile(latencies, 95)),
        "p99_s": _round(percentile(latencies, 99)),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def machine() -> dict:
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        # Other processes share the machine: the load average when the figures were taken.
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


@dataclass
class Watched:
    name: str
    process: psutil.Process
    cpu_start: float = 0.0
    cpu_end: float = 0.0
    peak_rss: int = 0

    def cpu(self) -> float:
        try:
            times = self.process.cpu_times()
            return times.user + times.system
        except psutil.Error:
            return self.cpu_end

    def sample(self) -> None:
        try:
            self.peak_rss = max(self.peak_rss, self.process.memory_info().rss)
        except psutil.Error:
            pass


@dataclass
class Sampler:
    """Peak RSS and CPU seconds of each watched process over the sampled span."""

    processes: dict[str, int]
    watched: list[Watched] = field(default_factory=list)

    @asynccontextmanager
    async def span(self) -> AsyncIterator[Sampler]:
        self.watched = [Watched(name, psutil.Process(pid)) for name, pid in self.processes.items()]
        for item in self.watched:
            item.cpu_start = item.cpu()
            item.sample()
        task = asyncio.create_task(self._loop())
        try:
            yield self
        finally:
            task.cancel()
            for item in self.watched:
                item.sample()
                item.cpu_end = item.cpu()

    async def _loop(self) -> None:
        while True:
            for item in self.watched:
                item.sample()
            await asyncio.sleep(SAMPLE_SECONDS)

    def report(self) -> dict:
        return {
            item.name: {
                "peak_rss_mb": round(item.peak_rss / 2**20, 1),
                "cpu_s": round(item.cpu_end - item.cpu_start, 2),
            }
            for item in self.watched
        }


def temporal_server_pid() -> int:
    """The dev server that `WorkflowEnvironment.start_local` started: our child `temporal`."""
    for child in psutil.Process().children(recursive=True):
        try:
            if "temporal" in child.name():
                return child.pid
        except psutil.Error:
            continue
    raise RuntimeError("no temporal dev server among this process's children")


@asynccontextmanager
async def dev_server(db_file: Path) -> AsyncIterator[WorkflowEnvironment]:
    """One Temporal dev server with its history in an on-disk SQLite file in WAL mode (as
    `make demo` runs it), on BENCH_TEMPORAL_PORT or a free port. `db_file` is in a fresh
    directory: every benchmark starts from an empty history."""
    env = await WorkflowEnvironment.start_local(
        port=env_int("BENCH_TEMPORAL_PORT", 0) or free_port(),
        dev_server_existing_path=str(BIN / "temporal"),
        dev_server_database_filename=str(db_file),
        search_attributes=ALL_SEARCH_ATTRIBUTES,
        data_converter=pydantic_data_converter,
        dev_server_log_level="warn",
        dev_server_extra_args=[
            "--sqlite-pragma", "journal_mode=wal",
            "--sqlite-pragma", "synchronous=normal",
        ],
    )  # fmt: skip
    try:
        yield env
    finally:
        await env.shutdown()


class Progress:
    """One progress line, rewritten in place on a terminal, printed every few seconds otherwise."""

    def __init__(self, every: float = 2.0) -> None:
        self.tty = sys.stderr.isatty()
        self.every = every if self.tty else max(every, 5.0)
        self.last = 0.0

    def show(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < self.every:
            return
        self.last = now
        if self.tty:
            sys.stderr.write(f"\r\033[K{text}")
        else:
            sys.stderr.write(f"{text}\n")
        sys.stderr.flush()

    def done(self) -> None:
        if self.tty:
            sys.stderr.write("\n")
            sys.stderr.flush()


def write_results(name: str, payload: dict) -> Path:
    """bench/results/<name>.json (or BENCH_OUT), pretty-printed and stable."""
    out = Path(os.environ.get("BENCH_OUT") or RESULTS / f"{name}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n")
    return out
