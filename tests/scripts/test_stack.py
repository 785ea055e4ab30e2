"""`make demo` (scripts.stack up) restarts a worker that was killed, even while the Temporal
server still lists the dead worker's poller."""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest

from scripts import stack

# A stand-in process that logs the worker's ready line and waits to be stopped.
FAKE_WORKER = [
    sys.executable,
    "-c",
    "import time; print('Worker polling task queue t', flush=True); time.sleep(600)",
]


@pytest.fixture
def run_dirs(tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setattr(stack, "RUN_DIR", tmp_path / "run")
    monkeypatch.setattr(stack, "LOG_DIR", tmp_path / "log")
    (tmp_path / "run").mkdir()
    (tmp_path / "log").mkdir()
    return tmp_path


def worker(stale_poller: bool) -> stack.Service:
    return stack.Service(
        "worker",
        FAKE_WORKER,
        ready=lambda env: stale_poller,  # what the server says: a poller was seen lately
        adopt=False,
        ready_line="Worker polling task queue",
    )


def test_a_killed_worker_is_started_again_although_its_poller_is_still_listed(run_dirs) -> None:
    service = worker(stale_poller=True)
    stack.start(service, {})
    first = service.pid()
    assert first is not None
    os.killpg(first, signal.SIGKILL)  # a crash: the pid file stays behind
    deadline = time.monotonic() + 10
    while service.pid() is not None and time.monotonic() < deadline:
        time.sleep(0.05)

    stack.start(service, {})
    second = service.pid()

    try:
        assert second is not None and second != first
    finally:
        stack.stop(service)
    assert service.pid() is None


def test_a_running_worker_is_left_alone(run_dirs, capsys) -> None:
    service = worker(stale_poller=False)
    stack.start(service, {})
    pid = service.pid()
    try:
        stack.start(service, {})
        assert service.pid() == pid
        assert f"already running (pid {pid})" in capsys.readouterr().out
    finally:
        stack.stop(service)
