"""Fixtures: one time-skipping Temporal server, worker and SQLite store for the whole module
set, and a fresh app (with its own rate limiter) per test.

The worker runs the REAL workflows (recommendation lifecycle and campaign change queue) with
the real rules reasoner, persistence and change-queue activities on the real store; only the
ad platform is a double (tests.workflows.doubles.FakeAdPlatform). Nothing awaits a run's
result, so time never skips: a run approved here stays ``executed`` (its 3-day outcome timer
never fires) and a run left pending stays pending."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.changes import CampaignChangeActivities
from activities.persistence import PersistenceActivities
from activities.reasoning import ReasoningActivities, build_reasoner
from api.app import create_app
from settings import Settings
from store.repository import Store, open_store
from tests.workflows.doubles import FakeAdPlatform
from tests.workflows.harness import start_time_skipping_env
from workers.worker import WORKFLOWS

CLIENT_KEY = "client-key-0001"
REVIEWER_KEY = "reviewer-key-0001"
ADMIN_KEY = "admin-key-0001"
API_KEYS = f"{CLIENT_KEY}:client:dashboard,{REVIEWER_KEY}:reviewer:alice,{ADMIN_KEY}:admin:root"
TASK_QUEUE = f"api-tests-{uuid.uuid4().hex[:6]}"

CLIENT = {"X-API-Key": CLIENT_KEY}
REVIEWER = {"X-API-Key": REVIEWER_KEY}
ADMIN = {"X-API-Key": ADMIN_KEY}


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "api_keys": API_KEYS,
        "api_keys_file": None,
        "rate_limit": "10000/minute",
        "temporal_task_queue": TASK_QUEUE,
        "dedup_window_hours": 24,
    }
    values.update(overrides)
    return Settings(**values)


def new_campaign() -> str:
    return f"camp_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await start_time_skipping_env()
    async with env:
        yield env


@pytest.fixture(scope="session")
async def store(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Store]:
    path = tmp_path_factory.mktemp("api-db") / "agent.db"
    store = await open_store(f"sqlite+aiosqlite:///{path}", migrate=True)
    yield store
    await store.close()


@pytest.fixture(scope="session")
def platform() -> FakeAdPlatform:
    """The ad platform double: answers every campaign id; counts executions."""
    return FakeAdPlatform()


@pytest.fixture(scope="session")
async def worker(
    temporal_env: WorkflowEnvironment, store: Store, platform: FakeAdPlatform
) -> AsyncIterator[Worker]:
    settings = make_settings()
    reasoning = ReasoningActivities(build_reasoner(settings))
    persistence = PersistenceActivities(store)
    changes = CampaignChangeActivities(temporal_env.client, store)
    async with Worker(
        temporal_env.client,
        task_queue=TASK_QUEUE,
        workflows=WORKFLOWS,
        activities=[
            *platform.activities(),
            reasoning.analyze_signals,
            reasoning.generate_recommendation,
            reasoning.critique_recommendation,
            persistence.sync_state,
            persistence.record_audit_event,
            persistence.save_state,
            changes.submit_campaign_change,
            changes.last_campaign_change,
        ],
    ) as running:
        yield running


@pytest.fixture
def temporal_client(temporal_env: WorkflowEnvironment, worker: Worker) -> Client:
    return temporal_env.client


@pytest.fixture
def app(store: Store, temporal_client: Client) -> FastAPI:
    return create_app(make_settings(), store=store, temporal_client=temporal_client)


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as client:
        yield client


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api.test")


async def poll(
    check: Callable[[], Awaitable[Any]], *, within: float = 10.0, interval: float = 0.05
) -> Any:
    """Call ``check`` until it returns something truthy, or fail at the deadline."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(interval)


async def start_analysis(http: httpx.AsyncClient, campaign_id: str | None = None) -> dict:
    response = await http.post(
        "/api/v1/recommendations/analyze",
        json={"campaign_id": campaign_id or new_campaign()},
        headers=CLIENT,
    )
    assert response.status_code == 202, response.text
    return response.json()


async def wait_for_status(http: httpx.AsyncClient, recommendation_id: str, status: str) -> dict:
    async def reached() -> dict | None:
        response = await http.get(f"/api/v1/recommendations/{recommendation_id}", headers=CLIENT)
        body = response.json()
        return body if body.get("status") == status else None

    return await poll(reached)
