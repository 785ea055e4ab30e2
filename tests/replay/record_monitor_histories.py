"""Record histories of the scheduled workflows for the replay tests: ``python -m
tests.replay.record_monitor_histories``.

Runs the real worker (every real activity, the rules reasoner, a SQLite store) against the
simulator on a local dev server: a KPI watch pass, an autonomous pacing pass over the demo plan
(which halts one campaign), that halt, and one notification's delivery. Writes
``monitor_histories/{watch,pacing,halt,notification}.json``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvicorn
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from domain.media_plan import PlanFormat, parse_media_plan
from domain.pacing import PacingPolicy
from domain.passes import PacingInput, WatchInput
from settings import Settings
from simulator.app import create_app
from store.monitor import MonitorStore
from store.repository import open_store
from workers.worker import run_worker
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

OUT = Path(__file__).resolve().parent / "monitor_histories"
BIN = Path(__file__).resolve().parents[2] / ".venv" / "bin"
TASK_QUEUE = "replay-monitors"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def save(client: Client, workflow_id: str, name: str) -> None:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    (OUT / f"{name}.json").write_text(json.dumps(json.loads(history.to_json()), indent=1))
    print(f"{name}: {len(history.events)} events")


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        search_attributes=ALL_SEARCH_ATTRIBUTES,
        data_converter=pydantic_data_converter,
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while not server.started:
        assert loop.time() < deadline, "simulator did not start"
        await asyncio.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{tmp}/agent.db",
            ad_platform_url=url,
            temporal_task_queue=TASK_QUEUE,
            schedules_apply_on_start=False,
        )
        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(settings, stop=stop, client=env.client))
        store = await open_store(settings.database_url)
        try:
            async with httpx.AsyncClient(base_url=url) as sim:
                text = (await sim.get("/admin/media-plan?format=csv")).text
            await MonitorStore(store.engine).import_media_plan(
                parse_media_plan(text, PlanFormat.csv), "csv", "recorder"
            )
            client = env.client
            await client.execute_workflow(
                "KpiWatchWorkflow", WatchInput(), id="replay-watch", task_queue=TASK_QUEUE
            )
            await save(client, "replay-watch", "watch")
            await client.execute_workflow(
                "PacingMonitorWorkflow",
                PacingInput(policy=PacingPolicy(autonomous_halt=True)),
                id="replay-pacing",
                task_queue=TASK_QUEUE,
            )
            await save(client, "replay-pacing", "pacing")
            day = datetime.now(UTC).date().isoformat()
            halt_id = f"pacing-halt-cmp-saturation-02-{day}"
            await client.get_workflow_handle(halt_id).result()
            await save(client, halt_id, "halt")
            key = f"pacing:cmp-saturation-02:critical:{day}"
            await client.get_workflow_handle(f"notify-{key}").result()
            await save(client, f"notify-{key}", "notification")
        finally:
            stop.set()
            await worker
            await store.close()
            server.should_exit = True
            await serving
            await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
