"""The watch and pacing schedules on the real dev server: created and updated idempotently,
an operator's pause survives a worker restart (apply), and the admin API pauses, resumes and
triggers them."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from temporalio.client import ScheduleOverlapPolicy

from api.app import create_app
from settings import Settings
from store.repository import open_store
from tests.e2e.conftest import KEYS
from tests.e2e.test_lifecycle import poll
from workers import schedules

pytestmark = pytest.mark.e2e

ADMIN = {"X-API-Key": KEYS["admin"]}


async def test_schedules_are_applied_idempotently_and_keep_an_operators_pause(
    dev_server, tmp_path
) -> None:
    client = dev_server.client
    settings = Settings(
        temporal_task_queue=f"sched-{uuid.uuid4().hex[:6]}",
        watch_interval=timedelta(hours=6),
        api_keys=",".join(f"{key}:{role}:{role}" for role, key in KEYS.items()),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'agent.db'}",
    )
    watch_id = schedules.schedule_id(settings, schedules.KPI_WATCH)
    pacing_id = schedules.schedule_id(settings, schedules.PACING_MONITOR)
    review_id = schedules.schedule_id(settings, schedules.PORTFOLIO_REVIEW)
    every = (watch_id, pacing_id, review_id)
    assert await schedules.apply(client, settings) == dict.fromkeys(every, "created")
    assert await schedules.apply(client, settings) == dict.fromkeys(every, "updated")

    described = await client.get_schedule_handle(pacing_id).describe()
    spec, policy = described.schedule.spec, described.schedule.policy
    assert spec.intervals[0].every == timedelta(hours=4)
    assert spec.jitter == timedelta(minutes=5)
    assert policy.overlap is ScheduleOverlapPolicy.SKIP
    assert policy.catchup_window == timedelta(hours=1)

    store = await open_store(settings.database_url)
    app = create_app(settings, store=store, temporal_client=client)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://api"
        ) as api:
            paused = await api.post(
                "/api/v1/admin/schedules/kpi-watch/pause",
                json={"note": "platform maintenance"},
                headers=ADMIN,
            )
            assert paused.status_code == 200 and paused.json()["done"] == "paused"
            # A worker restart re-applies the schedules (new settings): the pause stays.
            changed = settings.model_copy(update={"watch_interval": timedelta(hours=3)})
            await schedules.apply(client, changed)
            listed = {s["name"]: s for s in (await api.get("/api/v1/admin/schedules",
                                                             headers=ADMIN)).json()}  # fmt: skip
            assert listed["kpi-watch"]["paused"] is True
            assert listed["kpi-watch"]["note"] == "platform maintenance"
            assert listed["kpi-watch"]["interval_seconds"] == 3 * 3600  # the new settings

            resumed = await api.post("/api/v1/admin/schedules/kpi-watch/resume", headers=ADMIN)
            assert resumed.json()["done"] == "resumed"
            triggered = await api.post("/api/v1/admin/schedules/kpi-watch/trigger", headers=ADMIN)
            assert triggered.status_code == 200

            async def started() -> bool:
                info = (await client.get_schedule_handle(watch_id).describe()).info
                return bool(info.recent_actions)

            await poll(started, "the triggered pass to start", within=30)
            unknown = await api.post("/api/v1/admin/schedules/nightly/trigger", headers=ADMIN)
            assert unknown.status_code == 404
            not_admin = await api.post(
                "/api/v1/admin/schedules/kpi-watch/pause",
                headers={"X-API-Key": KEYS["reviewer"]},
            )
            assert not_admin.status_code == 403
    finally:
        await store.close()
        for sid in every:
            await client.get_schedule_handle(sid).delete()
        # The triggered pass has no worker on this task queue: stop it.
        async for run in client.list_workflows(f"TaskQueue = '{settings.temporal_task_queue}'"):
            await client.get_workflow_handle(run.id).terminate("test over")
