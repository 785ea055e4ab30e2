"""The real worker (``run_worker``) with every real activity: the rules reasoner, a SQLite store
and the simulator over a real socket, on the time-skipping server (the 3-day timer is instant).
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from temporalio.testing import WorkflowEnvironment

from domain.lifecycle import AnalyzeInput, Decision, DecisionKind, RecommendationStatus
from settings import Settings
from simulator.app import create_app
from store.repository import open_store
from tests.workflows.harness import fast_policy, pending_review, wait_for_state
from workers.worker import run_worker
from workflows.recommendation import RecommendationWorkflow
from workflows.search_attributes import start_search_attributes

CAMPAIGN = "cmp-competition-01"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def simulator_url() -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while not server.started:
        assert loop.time() < deadline, "simulator did not start"
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
def settings(tmp_path: Path, simulator_url: str) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'agent.db'}",
        ad_platform_url=simulator_url,
        temporal_task_queue=f"worker-it-{uuid.uuid4().hex[:8]}",
        reasoner="rules",
    )


@pytest.fixture
async def worker(env: WorkflowEnvironment, settings: Settings) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(settings, stop=stop, client=env.client))
    try:
        yield
    finally:
        stop.set()
        await task


async def test_real_worker_runs_a_campaign_from_analysis_to_outcome(
    env: WorkflowEnvironment, settings: Settings, simulator_url: str, worker: None
) -> None:
    recommendation_id = f"rec-{CAMPAIGN}-{uuid.uuid4().hex[:8]}"
    handle = await env.client.start_workflow(
        RecommendationWorkflow.run,
        AnalyzeInput(
            recommendation_id=recommendation_id, campaign_id=CAMPAIGN, policy=fast_policy()
        ),
        id=recommendation_id,
        task_queue=settings.temporal_task_queue,
        search_attributes=start_search_attributes(CAMPAIGN),
    )
    pending = await wait_for_state(handle, pending_review, within=30)
    rec = pending.recommendation
    assert rec.model == "rules" and rec.campaign_id == CAMPAIGN
    assert rec.supporting_evidence and 0 <= rec.confidence <= 1

    decision = Decision(decision=DecisionKind.approved, reviewer="alice", revision=pending.revision)
    await handle.execute_update(RecommendationWorkflow.decide, decision)
    final = await handle.result()

    assert final.status is RecommendationStatus.completed
    assert final.outcome is not None and final.outcome.campaign_id == CAMPAIGN
    store = await open_store(settings.database_url, migrate=False)
    try:
        record = await store.get_recommendation(recommendation_id)
        audit = [event.event for event in await store.list_audit(recommendation_id)]
    finally:
        await store.close()
    assert record.status is RecommendationStatus.completed
    assert record.state.outcome == final.outcome
    assert audit[0] == "approved" and audit[-1] == "outcome_measured"
    async with httpx.AsyncClient(base_url=simulator_url) as client:
        applied = (await client.get("/admin/mutations")).json()
    if rec.recommended_action.is_executable:
        [mutation] = applied
        assert mutation["idempotency_key"] == f"{recommendation_id}:r{pending.revision}"
        assert "executed" in audit
    else:
        assert applied == []
