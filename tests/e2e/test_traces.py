"""One trace from an API request through the workflow to every activity and its HTTP and SQL
calls, exported to memory.

The API (uvicorn on a real socket) and the worker run in this process so an in-memory exporter
can see their spans; the Temporal dev server and the simulator are the e2e stack's real
processes. The API and worker are built by the production code (create_app, run_worker), with
tracing installed first, exactly as ``python -m api`` and ``python -m workers.worker`` do.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from opentelemetry.instrumentation.utils import suppress_http_instrumentation
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind
from temporalio.client import WorkflowFailureError

from api.app import create_app
from settings import Settings
from tests.e2e.conftest import KEYS, Stack, free_port
from tests.e2e.test_lifecycle import poll, wait_status
from tests.tracing import traced
from workers.worker import run_worker
from workflows.messages import campaign_changes_id

pytestmark = pytest.mark.e2e

CLIENT = {"X-API-Key": KEYS["client"]}
REVIEWER = {"X-API-Key": KEYS["reviewer"]}
# A Bid Adjustment: the approval writes to the platform. No other test changes it before this
# one, so its change queue starts here, on this test's task queue (and is closed at the end).
CAMPAIGN = "cmp-competition-02"
COLLECTORS = [
    "collect_campaign",
    "collect_creatives",
    "collect_competitors",
    "collect_audience",
    "collect_history",
]


@dataclass
class Spans:
    all: list[ReadableSpan]

    def named(self, name: str, trace_id: int | None = None) -> list[ReadableSpan]:
        return [
            s
            for s in self.all
            if s.name == name and (trace_id is None or s.context.trace_id == trace_id)
        ]

    def one(self, name: str, trace_id: int | None = None) -> ReadableSpan:
        found = self.named(name, trace_id)
        assert len(found) == 1, (
            f"{name}: {len(found)} spans in {sorted({s.name for s in self.all})}"
        )
        return found[0]

    def children(self, parent: ReadableSpan) -> list[ReadableSpan]:
        return [s for s in self.all if s.parent and s.parent.span_id == parent.context.span_id]

    def ancestors(self, span: ReadableSpan) -> list[str]:
        by_id = {s.context.span_id: s for s in self.all}
        names = []
        while span.parent is not None and span.parent.span_id in by_id:
            span = by_id[span.parent.span_id]
            names.append(span.name)
        return names


def url_of(span: ReadableSpan) -> str:
    return str(span.attributes.get("url.full", span.attributes.get("http.url", "")))


def is_sql(span: ReadableSpan) -> bool:
    return any(key.startswith("db.") for key in span.attributes)


@asynccontextmanager
async def serve_api(settings: Settings) -> AsyncIterator[str]:
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=settings.api_port, log_config=None
        )
    )
    task = asyncio.create_task(server.serve())
    try:
        await poll(_started(server), "the in-process API to listen", within=30)
        yield f"http://127.0.0.1:{settings.api_port}"
    finally:
        server.should_exit = True
        await task


def _started(server: uvicorn.Server):
    async def check() -> bool:
        return server.started

    return check


@asynccontextmanager
async def worker(settings: Settings) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(settings, stop=stop))
    try:
        yield
    finally:
        stop.set()
        await task


async def test_one_trace_from_the_api_request_through_every_activity(stack: Stack, tmp_path):
    settings = Settings(
        temporal_address=stack.client.service_client.config.target_host,
        temporal_task_queue="e2e-traces",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'traces.db'}",
        ad_platform_url=stack.simulator_url,
        api_port=free_port(),
        api_keys=stack.base_env["API_KEYS"],
        outcome_delay_seconds=3,
        rate_limit="10000/minute",
    )
    with traced(settings) as exporter:
        async with worker(settings), serve_api(settings) as api_url:
            # The test's own requests stay untraced: the API's span must be the trace's root.
            with suppress_http_instrumentation():
                async with httpx.AsyncClient(base_url=api_url, timeout=15) as api:
                    await stack_reset(stack)
                    rec_id = await analyze(api)
                    body = await wait_status(api, rec_id, "pending_review", "failed")
                    assert body["status"] == "pending_review", body
                    decision = await api.post(
                        f"/api/v1/recommendations/{rec_id}/decision",
                        json={
                            "decision": "approved",
                            "feedback": "go",
                            "revision": body["revision"],
                        },
                        headers=REVIEWER,
                    )
                    assert decision.status_code in (200, 202), decision.text
                    body = await wait_status(api, rec_id, "completed", "failed", within=90)
                    assert body["status"] == "completed", body
            await close_change_queue(stack)
        spans = Spans(list(exporter.get_finished_spans()))

    request = spans.one("POST /api/v1/recommendations/analyze")
    assert request.kind is SpanKind.SERVER and request.parent is None
    run = request.context.trace_id
    assert any(is_sql(s) for s in spans.children(request)), "the API's INSERT is in the trace"

    start = spans.one("StartWorkflow:RecommendationWorkflow", run)
    assert "POST /api/v1/recommendations/analyze" in spans.ancestors(start)
    spans.one("RunWorkflow:RecommendationWorkflow", run)

    for name in [*COLLECTORS, "execute_action", "measure_campaign"]:
        activities = spans.named(f"RunActivity:{name}", run)
        assert activities, f"no {name} activity in the request's trace"
        calls = [c for a in activities for c in spans.children(a) if c.kind is SpanKind.CLIENT]
        assert any(url_of(c).startswith(stack.simulator_url) for c in calls), (
            f"{name}: no HTTP call to the platform inside the activity: {[c.name for c in calls]}"
        )
    writes = [
        c
        for a in spans.named("RunActivity:execute_action", run)
        for c in spans.children(a)
        if c.kind is SpanKind.CLIENT and c.name.startswith("POST")
    ]
    assert writes, "the approved change's write to the platform is in the run's trace"
    stores = spans.named("RunActivity:save_state", run)
    assert stores and all(any(is_sql(c) for c in spans.children(s)) for s in stores)

    # The reviewer's request has its own trace, linked from the workflow's handling of it.
    decision_request = spans.one("POST /api/v1/recommendations/{recommendation_id}/decision")
    handled = [
        s
        for s in spans.all
        if s.context.trace_id == run
        and s.name.startswith(("HandleSignal:", "HandleUpdate:", "ValidateUpdate:"))
    ]
    assert any(
        link.context.trace_id == decision_request.context.trace_id
        for s in handled
        for link in s.links
    ), f"no link from {[s.name for s in handled]} to the decision request"


async def close_change_queue(stack: Stack) -> None:
    """The campaign's change queue outlives the run (it keeps the cooldown) on this test's task
    queue, whose worker stops with the test: cancel it while the worker still answers."""
    queue = stack.client.get_workflow_handle(campaign_changes_id(CAMPAIGN))
    await queue.cancel()
    with contextlib.suppress(WorkflowFailureError):
        await queue.result()


async def stack_reset(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.simulator_url, timeout=15) as simulator:
        (await simulator.post("/admin/reset")).raise_for_status()


async def analyze(api: httpx.AsyncClient) -> str:
    response = await api.post(
        "/api/v1/recommendations/analyze",
        json={"campaign_id": CAMPAIGN, "force_refresh": True},
        headers=CLIENT,
    )
    assert response.status_code in (200, 202), response.text
    return response.json()["recommendation_id"]
