"""`python -m simulator` explains itself and serves the API over a real socket."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_help_describes_the_options():
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    for text in (
        "--host",
        "--port",
        "--figures",
        "SIMULATOR_CAMPAIGNS",
        "SIMULATOR_SEED",
        "README",
    ):
        assert text in result.stdout


def test_serves_campaigns_on_the_requested_port():
    port = free_port()
    command = [sys.executable, "-m", "simulator", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            assert server.poll() is None, server.stderr.read()
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/campaigns", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the simulator did not start within 20 s"
                time.sleep(0.1)  # polling a starting process, with a deadline
        assert response.status_code == 200 and len(response.json()) >= 12
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_missing_figures_file_stops_start_up_naming_it(tmp_path):
    missing = tmp_path / "figures.json"
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "--figures", str(missing)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert f"cannot read the simulator figures {missing}" in result.stderr


def test_a_bad_campaign_count_stops_start_up_with_a_clear_error():
    result = subprocess.run(
        [sys.executable, "-m", "simulator"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "SIMULATOR_CAMPAIGNS": "many"},
    )
    assert result.returncode != 0
    assert "$SIMULATOR_CAMPAIGNS must be a whole number" in result.stderr
