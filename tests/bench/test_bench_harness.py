"""`make bench` cannot rot: the harness at N = 3 end to end (its own dev server, the real stack),
writing the JSON the README's Performance section quotes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e


def test_the_lifecycle_bench_runs_every_side_to_completion_and_writes_its_results(
    tmp_path: Path,
) -> None:
    out = tmp_path / "latest.json"
    env = {**os.environ, "BENCH_N": "3", "BENCH_OUT": str(out), "BENCH_TIMEOUT_SECONDS": "60"}
    run = subprocess.run(
        [sys.executable, "-m", "bench.lifecycle"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "lifecycle/bare throughput" in run.stdout  # the table
    assert "lifecycle N=3" in run.stderr  # the progress line
    result = json.loads(out.read_text())
    assert result["n"] == 3 and result["cpu_count"] == os.cpu_count()
    for side in ("bare", "lifecycle"):
        assert result[side]["completed"] == 3, result[side]
        assert result[side]["wall_s"] > 0 and result[side]["runs_per_s"] > 0
        assert 0 < result[side]["p50_s"] <= result[side]["p95_s"]
        assert result[side]["processes"]["worker"]["peak_rss_mb"] > 0
    assert result["lifecycle"]["http_errors"] == 0 and result["lifecycle"]["other_final"] == {}
    assert result["lifecycle_vs_bare_throughput"] > 0
    assert result["worker_peak_rss_mb"] == result["lifecycle"]["processes"]["worker"]["peak_rss_mb"]
    assert set(result["lifecycle"]["processes"]) == {"temporal", "worker", "api", "simulator"}
