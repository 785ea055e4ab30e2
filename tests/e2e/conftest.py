"""The real stack over real sockets: dev server, simulator, worker and API as separate processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from scripts.stack import http_ok
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
KEYS = {"client": "e2e-client-key", "reviewer": "e2e-reviewer-key", "admin": "e2e-admin-key"}
STARTUP_SECONDS = 60
# Generated simulator campaigns (cmp-w7-0000 ...) for tests that change a campaign: each takes
# fresh ones, so the one-change-per-cooldown rule never couples two tests.
GENERATED_CAMPAIGNS = 100

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], bool], what: str, timeout: float = STARTUP_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class Process:
    """A child process with its output captured in a log file shown when something fails."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen | None = None

    def start(self) -> Process:
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        self.popen = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        return self

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to clean up, like a crashed pod."""
        if self.alive():
            self.popen.kill()
            self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, lines: int = 40) -> str:
        return "".join(self.log_path.read_text(errors="replace").splitlines(True)[-lines:])


@dataclass
class Stack:
    env: WorkflowEnvironment
    api_url: str
    simulator_url: str
    base_env: dict[str, str]
    tmp: Path
    worker: Process
    processes: list[Process]

    @property
    def client(self):
        return self.env.client

    def start_worker(self) -> Process:
        worker = Process(
            "worker",
            [str(BIN / "python"), "-m", "workers.worker"],
            self.base_env,
            self.tmp / f"worker-{len(self.processes)}.log",
        ).start()
        self.processes.append(worker)
        wait_until(worker.alive, "worker process", timeout=5)
        self.worker = worker
        return worker


@pytest.fixture(scope="session")
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    """One real Temporal dev server for every stack of the session."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        search_attributes=ALL_SEARCH_ATTRIBUTES,
        data_converter=pydantic_data_converter,
        dev_server_extra_args=["--sqlite-pragma", "journal_mode=wal"],
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
async def stack(dev_server: WorkflowEnvironment, tmp_path_factory) -> AsyncIterator[Stack]:
    async with launch_stack(dev_server, tmp_path_factory.mktemp("e2e")) as stack:
        yield stack


@asynccontextmanager
async def launch_stack(
    env: WorkflowEnvironment,
    tmp: Path,
    *,
    extra_env: dict[str, str] | None = None,
    task_queue: str = "e2e-marketing-agent",
) -> AsyncIterator[Stack]:
    """Simulator, API and worker processes of their own (database, task queue) on ``env``."""
    target = env.client.service_client.config.target_host
    api_port, simulator_port = free_port(), free_port()
    base_env = {
        **os.environ,
        "TEMPORAL_ADDRESS": target,
        "TEMPORAL_TASK_QUEUE": task_queue,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'agent.db'}",
        "AD_PLATFORM_URL": f"http://127.0.0.1:{simulator_port}",
        "API_PORT": str(api_port),
        "API_KEYS": ",".join(f"{key}:{role}:e2e-{role}" for role, key in KEYS.items()),
        "OUTCOME_DELAY_SECONDS": "3",
        # Generated campaigns beside the 12 named ones: tests that change a campaign take a
        # fresh one, so the one-change-per-cooldown rule never couples two tests.
        "SIMULATOR_CAMPAIGNS": str(GENERATED_CAMPAIGNS),
        "SIMULATOR_SEED": "7",
        "RATE_LIMIT": "10000/minute",
        **(extra_env or {}),
    }
    python = str(BIN / "python")
    simulator = Process(
        "simulator",
        [python, "-m", "simulator", "--host", "127.0.0.1", "--port", str(simulator_port)],
        base_env,
        tmp / "simulator.log",
    ).start()
    api = Process("api", [python, "-m", "api"], base_env, tmp / "api.log").start()
    stack = Stack(
        env=env,
        api_url=f"http://127.0.0.1:{api_port}",
        simulator_url=f"http://127.0.0.1:{simulator_port}",
        base_env=base_env,
        tmp=tmp,
        worker=None,  # type: ignore[arg-type]
        processes=[simulator, api],
    )
    try:
        wait_until(lambda: http_ok(f"{stack.simulator_url}/campaigns"), "simulator")
        stack.start_worker()
        wait_until(lambda: http_ok(f"{stack.api_url}/ready"), "API /ready")
        yield stack
    except AssertionError:
        for process in stack.processes:
            print(f"--- {process.name} log ---\n{process.log_tail()}")
        raise
    finally:
        await end_open_runs(env, task_queue)
        for process in stack.processes:
            process.stop()


async def end_open_runs(env: WorkflowEnvironment, task_queue: str) -> None:
    """Workflow ids are the namespace's, not a stack's: a campaign's change queue left open on
    this stack's task queue (it stays for the cooldown) would take the next stack's changes of
    that campaign and never run them. End every run still open on this task queue."""
    query = f"TaskQueue = '{task_queue}' AND ExecutionStatus = 'Running'"
    async for run in env.client.list_workflows(query):
        try:
            await env.client.get_workflow_handle(run.id, run_id=run.run_id).terminate(
                "the test stack is shutting down"
            )
        except Exception:  # closed meanwhile
            pass
