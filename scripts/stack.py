"""Start, inspect and stop the local stack: Temporal dev server, simulator, worker and API.

Each service runs in the background with its pid in ``var/run/`` and its log in ``var/log/``.
``up`` is idempotent: a service whose process is alive is left alone, so a second ``make demo``
neither fails nor duplicates processes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var"
RUN_DIR = VAR / "run"
LOG_DIR = VAR / "log"
BIN = Path(sys.executable).parent

# Demo defaults; anything already set in the environment wins.
DEMO_ENV = {
    "API_KEYS": (
        "demo-client-key:client:demo-client,"
        "demo-reviewer-key:reviewer:demo-reviewer,"
        "demo-admin-key:admin:demo-admin"
    ),
    # The demo shortens the outcome delay (default 3 days) so outcomes show up in a minute, and
    # with it the change cooldown (default: the outcome window), so a second `make demo` may
    # change the same campaigns again.
    "OUTCOME_DELAY_SECONDS": "30",
    "CHANGE_COOLDOWN_SECONDS": "30",
}

TEMPORAL_PORT = 7233
TEMPORAL_UI_PORT = 8233
SIMULATOR_PORT = 8100
API_PORT = 8000
STARTUP_DEADLINE_SECONDS = 90


def demo_environment() -> dict[str, str]:
    env = dict(os.environ)
    for key, value in DEMO_ENV.items():
        env.setdefault(key, value)
    env.setdefault("TEMPORAL_ADDRESS", f"127.0.0.1:{TEMPORAL_PORT}")
    env.setdefault("AD_PLATFORM_URL", f"http://127.0.0.1:{SIMULATOR_PORT}")
    env.setdefault("API_PORT", str(API_PORT))
    return env


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code < 500
    except httpx.HTTPError:
        return False


def worker_polling(env: dict[str, str]) -> bool:
    """True while some worker polls the task queue (asks the Temporal server). The server
    keeps a poller listed for minutes after its process died, so this says "a worker was here
    lately", not "ours is alive": a killed worker is judged by its pid (see Service.adopt)."""
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
    from temporalio.client import Client

    async def check() -> bool:
        client = await Client.connect(env["TEMPORAL_ADDRESS"])
        response = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=env.get("TEMPORAL_NAMESPACE", "default"),
                task_queue=TaskQueue(name=env.get("TEMPORAL_TASK_QUEUE", "marketing-agent")),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            )
        )
        return len(response.pollers) > 0

    try:
        return asyncio.run(check())
    except Exception:  # the server may still be starting: not ready yet
        return False


@dataclass
class Service:
    name: str
    argv: list[str]
    ready: Callable[[dict[str, str]], bool]
    url: str = ""
    env_overrides: dict[str, str] = field(default_factory=dict)
    # Use a service that answers although we did not start it (a port is held by a live
    # process). Not for the worker: its readiness signal outlives a killed process.
    adopt: bool = True
    # Text its log prints once it is ready (checked after a start, on the new lines only).
    ready_line: str = ""

    @property
    def pid_file(self) -> Path:
        return RUN_DIR / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return LOG_DIR / f"{self.name}.log"

    def pid(self) -> int | None:
        """The pid of our running process; None for a stale pid file (after a reboot or a
        crash the number may belong to someone else's process now)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if runs_command(pid, self.argv) else None


def runs_command(pid: int, argv: list[str]) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # gone, or not ours to read
        return False
    return [part.decode(errors="replace") for part in cmdline.split(b"\0") if part] == argv


def services() -> list[Service]:
    search_attributes = [
        f"--search-attribute={key.name}={key.indexed_value_type.name.title()}"  # e.g. =Keyword
        for key in ALL_SEARCH_ATTRIBUTES
    ]
    temporal = [
        str(BIN / "temporal"), "server", "start-dev",
        "--db-filename", str(VAR / "temporal.db"),
        "--ip", "127.0.0.1",
        "--port", str(TEMPORAL_PORT),
        "--ui-port", str(TEMPORAL_UI_PORT),
        "--sqlite-pragma", "journal_mode=wal",
        "--sqlite-pragma", "synchronous=normal",
        "--ui-disable-news-fetch",
        "--log-level", "warn",
        *search_attributes,
    ]  # fmt: skip
    python = str(BIN / "python")
    return [
        Service(
            "temporal",
            temporal,
            ready=lambda env: port_open(TEMPORAL_PORT) and port_open(TEMPORAL_UI_PORT),
            url=f"http://localhost:{TEMPORAL_UI_PORT}",
        ),
        Service(
            "simulator",
            [python, "-m", "simulator", "--host", "127.0.0.1", "--port", str(SIMULATOR_PORT)],
            ready=lambda env: http_ok(f"http://127.0.0.1:{SIMULATOR_PORT}/campaigns"),
            url=f"http://127.0.0.1:{SIMULATOR_PORT}",
        ),
        Service(
            "worker",
            [python, "-m", "workers.worker"],
            ready=worker_polling,
            adopt=False,
            ready_line="Worker polling task queue",
        ),
        Service(
            "api",
            [python, "-m", "api"],
            ready=lambda env: http_ok(f"http://127.0.0.1:{API_PORT}/ready"),
            url=f"http://127.0.0.1:{API_PORT}/api/docs",
        ),
    ]


def wait_until(check: Callable[[], bool], what: str, log_file: Path) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    tail = "".join(log_file.read_text(errors="replace").splitlines(True)[-30:])
    raise SystemExit(f"{what} did not become ready in {STARTUP_DEADLINE_SECONDS}s.\n{tail}")


def start(service: Service, env: dict[str, str]) -> None:
    if service.pid() is not None:
        print(f"  {service.name:<10} already running (pid {service.pid()})")
        return
    if service.adopt and service.ready(env):
        print(f"  {service.name:<10} already answering (not started by us); using it")
        return
    service.log_file.touch()
    log_offset = service.log_file.stat().st_size
    with open(service.log_file, "ab") as log:
        process = subprocess.Popen(
            service.argv,
            cwd=ROOT,
            env={**env, **service.env_overrides},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # survives the make process; stopped by `make stop`
        )
    service.pid_file.write_text(str(process.pid))

    def ready() -> bool:
        if process.poll() is not None:
            raise SystemExit(
                f"{service.name} exited with code {process.returncode}; see {service.log_file}"
            )
        if service.ready_line:
            with open(service.log_file, "rb") as log:
                log.seek(log_offset)
                return service.ready_line.encode() in log.read()
        return service.ready(env)

    wait_until(ready, service.name, service.log_file)
    print(f"  {service.name:<10} started (pid {process.pid}), log {service.log_file}")


def stop(service: Service) -> None:
    pid = service.pid()
    if pid is None:
        service.pid_file.unlink(missing_ok=True)
        print(f"  {service.name:<10} not running")
        return
    signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and service.pid() is not None:
        time.sleep(0.2)
    if service.pid() is not None:
        signal_group(pid, signal.SIGKILL)
    service.pid_file.unlink(missing_ok=True)
    print(f"  {service.name:<10} stopped")


def signal_group(pid: int, signum: int) -> None:
    """Signal the service's process group; one that exited meanwhile is already stopped."""
    try:
        os.killpg(pid, signum)
    except ProcessLookupError:
        pass


def up() -> None:
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    env = demo_environment()
    print("Starting the stack:")
    for service in services():
        start(service, env)


def down() -> None:
    print("Stopping the stack:")
    for service in reversed(services()):
        stop(service)


def status() -> None:
    for service in services():
        pid = service.pid()
        state = f"running (pid {pid})" if pid else "stopped"
        print(f"  {service.name:<10} {state:<22} {service.url}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.stack",
        description="Manage the local stack (Temporal dev server, simulator, worker, API).",
    )
    parser.add_argument("command", choices=["up", "down", "status"])
    args = parser.parse_args(argv)
    {"up": up, "down": down, "status": status}[args.command]()


if __name__ == "__main__":
    main()
