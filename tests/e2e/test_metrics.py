"""Every seed metric, scraped over real sockets from the API and two worker replicas after real
runs: the LLM reasoner against a fake OpenAI server (the official SDK on the wire), the
simulator as the ad platform, the dev server, all as separate processes.

The runs are chosen so each metric has a value known in advance: approvals and a rejection, an
applied change, a plan superseded by an earlier change, a pause that fails because the campaign
is paused already, a review that expires, one LLM call refused (and answered by the rules
reasoner instead), one failed creatives collection, and one review left pending. The two
workers share the work at random, so the sums over both scrapes being exactly those values
shows that nothing is counted twice, by a retry, a replay or a second replica. The second
worker is then stopped: it waits for one last scrape before it exits, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from google.protobuf.duration_pb2 import Duration
from prometheus_client.parser import text_string_to_metric_families
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError

from domain.lifecycle import AnalyzeInput, LifecyclePolicy
from scripts.stack import http_ok
from tests.e2e.conftest import BIN, Process, Stack, free_port, wait_until
from tests.e2e.test_lifecycle import REVIEWER, analyze, poll, wait_status
from tests.llm import answers
from tests.llm.fake_providers import API_KEY, FakeProvider, HttpError
from tests.workflows.harness import register_search_attributes

pytestmark = pytest.mark.e2e

TASK_QUEUE = "e2e-metrics"
WORKFLOW = "RecommendationWorkflow"
# The campaigns whose evidence supports a pause (broken tracking); the others get a bid raise.
PAUSE_CAMPAIGNS = ("cmp-tracking-01", "cmp-tracking-02")
FINAL_SCRAPE_SECONDS = 60


def brain(schema_name: str, request: dict[str, Any]) -> dict[str, Any]:
    """A model that recommends what each campaign's evidence supports."""
    if schema_name == "recommendation" and any(c in json.dumps(request) for c in PAUSE_CAMPAIGNS):
        return answers.recommendation("Campaign Pause")
    return answers.brain(schema_name, request)


@dataclass
class Worker:
    process: Process
    app_url: str  # --app-metrics-bind
    sdk_url: str  # --metrics-bind


@dataclass
class MetricsStack:
    api_url: str
    simulator_url: str
    client: Client  # on the stack's own namespace
    workers: list[Worker] = field(default_factory=list)
    processes: list[Process] = field(default_factory=list)


class Scrape:
    """One Prometheus exposition, parsed by prometheus_client's own parser."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.samples = [
            sample for family in text_string_to_metric_families(text) for sample in family.samples
        ]

    def total(self, name: str, **labels: str) -> float:
        """The sum over every series of ``name`` carrying these labels."""
        return sum(
            s.value
            for s in self.samples
            if _named(s.name, name) and all(s.labels.get(k) == v for k, v in labels.items())
        )

    def has(self, name: str) -> bool:
        return any(_named(s.name, name) for s in self.samples)


def _named(sample: str, name: str) -> bool:
    """The parser names every counter sample ``..._total``, also one exposed without the suffix
    (the Temporal SDK's ``temporal_workflow_completed``, which Prometheus stores as exposed)."""
    return sample in (name, f"{name}_total")


def total(scrapes: list[Scrape], name: str, **labels: str) -> float:
    return sum(scrape.total(name, **labels) for scrape in scrapes)


def scrape(url: str) -> Scrape:
    response = httpx.get(f"{url}/metrics", timeout=10)
    response.raise_for_status()
    return Scrape(response.text)


async def own_namespace(stack: Stack) -> Client:
    """A namespace of its own on the shared dev server: a campaign's change queue is one
    workflow per campaign id in a namespace, so the other end-to-end tests' queues (open for
    the whole cooldown) would otherwise take this stack's changes."""
    namespace = f"e2e-metrics-{uuid.uuid4().hex[:6]}"
    await stack.client.workflow_service.register_namespace(
        RegisterNamespaceRequest(
            namespace=namespace, workflow_execution_retention_period=Duration(seconds=86400)
        )
    )
    await register_search_attributes(stack.client, namespace)
    client = await Client.connect(
        stack.client.service_client.config.target_host,
        namespace=namespace,
        data_converter=pydantic_data_converter,
    )

    async def usable() -> bool:  # the server's namespace cache refreshes every few seconds
        try:
            await client.count_workflows()
        except RPCError:
            return False
        return True

    await poll(usable, f"namespace {namespace} to be usable")
    return client


@pytest.fixture(scope="module")
def fake_openai() -> AsyncIterator[FakeProvider]:
    fake = FakeProvider("openai", brain)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
async def metrics_stack(
    stack: Stack, fake_openai: FakeProvider, tmp_path_factory
) -> AsyncIterator[MetricsStack]:  # noqa: ANN001
    tmp = tmp_path_factory.mktemp("e2e-metrics")
    api_port, simulator_port = free_port(), free_port()
    client = await own_namespace(stack)
    env = {
        **stack.base_env,
        "TEMPORAL_NAMESPACE": client.namespace,
        "TEMPORAL_TASK_QUEUE": TASK_QUEUE,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'agent.db'}",
        "AD_PLATFORM_URL": f"http://127.0.0.1:{simulator_port}",
        "API_PORT": str(api_port),
        "OUTCOME_DELAY_SECONDS": "2",
        "REASONER": "openai",
        "LLM_BASE_URL": fake_openai.base_url,
        "LLM_API_KEY": API_KEY,
    }
    python = str(BIN / "python")
    running = MetricsStack(
        f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{simulator_port}", client
    )
    running.processes.append(
        Process(
            "simulator",
            [python, "-m", "simulator", "--host", "127.0.0.1", "--port", str(simulator_port)],
            env,
            tmp / "simulator.log",
        ).start()
    )
    try:
        wait_until(lambda: http_ok(f"{running.simulator_url}/campaigns"), "simulator")
        running.processes.append(
            Process("api", [python, "-m", "api"], env, tmp / "api.log").start()
        )
        for index, extra in enumerate(
            [[], ["--metrics-final-scrape-seconds", str(FINAL_SCRAPE_SECONDS)]]
        ):
            app_port, sdk_port = free_port(), free_port()
            argv = [
                *(python, "-m", "workers.worker"),
                *("--app-metrics-bind", f"127.0.0.1:{app_port}"),
                *("--metrics-bind", f"127.0.0.1:{sdk_port}"),
                *extra,
            ]
            process = Process(f"worker-{index}", argv, env, tmp / f"worker-{index}.log").start()
            running.processes.append(process)
            worker = Worker(process, f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{sdk_port}")
            running.workers.append(worker)
            wait_until(lambda w=worker: http_ok(f"{w.app_url}/metrics"), f"worker {index} metrics")
            wait_until(lambda w=worker: http_ok(f"{w.sdk_url}/metrics"), f"worker {index} SDK")
        wait_until(lambda: http_ok(f"{running.api_url}/ready"), "API /ready")
        yield running
    except AssertionError:
        for process in running.processes:
            print(f"--- {process.name} log ---\n{process.log_tail()}")
        raise
    finally:
        for process in running.processes:
            process.stop()


async def decide(api: httpx.AsyncClient, rec_id: str, decision: str, **extra: Any) -> None:
    body = await wait_status(api, rec_id, "pending_review")
    response = await api.post(
        f"/api/v1/recommendations/{rec_id}/decision",
        json={"decision": decision, "revision": body["revision"], **extra},
        headers=REVIEWER,
    )
    assert response.status_code == 202, response.text


async def test_scraping_the_api_and_the_workers_finds_every_seed_metric(
    metrics_stack: MetricsStack, fake_openai: FakeProvider
) -> None:
    try:
        await _every_seed_metric(metrics_stack, fake_openai)
    except AssertionError:
        for process in metrics_stack.processes:
            print(f"--- {process.name} log ---\n{process.log_tail(80)}")
        raise


async def _every_seed_metric(metrics_stack: MetricsStack, fake_openai: FakeProvider) -> None:
    fake_openai.reset()
    fake_openai.brain = brain
    fake_openai.then(HttpError(401))  # the first LLM call is refused: a bad key cannot retry
    async with (
        httpx.AsyncClient(base_url=metrics_stack.api_url, timeout=15) as api,
        httpx.AsyncClient(base_url=metrics_stack.simulator_url, timeout=15) as simulator,
    ):
        fault = {"endpoint": "creatives", "kind": "error", "count": 1}
        assert (await simulator.post("/admin/faults", json=fault)).status_code == 201

        applied = await analyze(api, "cmp-competition-01")
        left_pending = await analyze(api, "cmp-competition-01")
        first, second = [await analyze(api, "cmp-competition-02") for _ in range(2)]
        rejected = await analyze(api, "cmp-tracking-02")
        pause, pause_again = [await analyze(api, "cmp-tracking-01") for _ in range(2)]
        # A run started outside the API (the Temporal CLI would do the same), whose review
        # deadline passes a second after its recommendation is ready.
        expiring = f"rec-cmp-competition-02-{uuid.uuid4().hex[:8]}"
        await metrics_stack.client.start_workflow(
            WORKFLOW,
            AnalyzeInput(
                recommendation_id=expiring,
                campaign_id="cmp-competition-02",
                policy=LifecyclePolicy(review_timeout=timedelta(seconds=1)),
            ),
            id=expiring,
            task_queue=TASK_QUEUE,
        )

        await decide(api, applied, "approved")
        await decide(api, rejected, "rejected")
        await decide(api, first, "approved")
        await decide(api, pause, "approved")
        await wait_status(api, first, "executed", "completed")
        await wait_status(api, pause, "executed", "completed")
        # Inside the cooldown after the first change: approved with the override, then found
        # against a bid that moved and a campaign already paused: both plans are superseded.
        await decide(api, second, "approved", override_cooldown=True)
        await decide(api, pause_again, "approved", override_cooldown=True)

        await wait_status(api, second, "superseded")
        body = await wait_status(api, pause_again, "superseded")
        assert "paused now" in json.dumps(body), body
        await wait_status(api, expiring, "expired")
        for rec_id in (applied, first, pause):
            await wait_status(api, rec_id, "completed")
        assert (await wait_status(api, left_pending, "pending_review"))["status"]

        api_scrape = Scrape((await api.get("/metrics")).text)

    workers = [scrape(worker.app_url) for worker in metrics_stack.workers]
    sdk = [scrape(worker.sdk_url) for worker in metrics_stack.workers]

    # The run, counted once across both replicas.
    assert total(workers, "recommendations_total", workflow_type=WORKFLOW) == 8
    assert total(workers, "recommendations_total", confidence_band="high") == 8  # 0.8 each
    assert total(workers, "confidence_score_count") == 8
    assert total(workers, "recommendation_latency_seconds_count") == 8
    assert 0 < total(workers, "recommendation_latency_seconds_sum") < 8 * 60
    assert total(workers, "recommendation_acceptance_total", decision="approved") == 5
    assert total(workers, "recommendation_acceptance_total", decision="rejected") == 1
    ended = {
        status: total(workers, "workflow_execution_total", workflow_type=WORKFLOW, status=status)
        for status in ("completed", "rejected", "expired", "superseded", "failed")
    }
    assert ended == {"completed": 3, "rejected": 1, "expired": 1, "superseded": 2, "failed": 0}
    executions = {
        (action, result): total(workers, "action_executions_total", action=action, result=result)
        for action in ("Bid Adjustment", "Campaign Pause")
        for result in ("applied", "superseded", "failed")
    }
    assert executions == {
        ("Bid Adjustment", "applied"): 2,
        ("Bid Adjustment", "superseded"): 1,
        ("Bid Adjustment", "failed"): 0,
        ("Campaign Pause", "applied"): 1,
        ("Campaign Pause", "superseded"): 1,
        ("Campaign Pause", "failed"): 0,
    }
    assert total(workers, "recommendation_outcomes_total") == 3
    assert total(workers, "collector_failures_total", source="creatives") == 1

    # LLM calls: one refused, answered by the rules reasoner; every other one billed.
    llm_errors = total(
        workers, "llm_api_errors_total", model="gpt-4o-mini", error_type="LLMAuthenticationError"
    )
    assert llm_errors == 1
    assert total(workers, "llm_api_errors_total") == 1
    assert total(workers, "llm_fallbacks_total", operation="analysis") == 1
    assert total(workers, "llm_tokens_total", model="gpt-4o-mini", operation="recommendation") > 0
    assert total(workers, "llm_tokens_total", operation="critique") > 0
    assert total(workers, "llm_cost_usd_total", model="gpt-4o-mini") > 0

    # The Temporal SDK's runtime metrics, from each worker's own exporter.
    for exporter in sdk:  # both replicas worked: the sums above span the two of them
        assert exporter.has("temporal_workflow_task_schedule_to_start_latency_bucket")
        assert exporter.total("temporal_activity_execution_latency_count") > 0
    # Seven runs ended (three measured, one rejected, one expired, two superseded), as the
    # SDK saw them finish.
    assert total(sdk, "temporal_workflow_completed", workflow_type=WORKFLOW) >= 7
    assert total(sdk, "temporal_activity_execution_latency_count") > 0

    # The API: the review queue and the day's agreement, read from the store.
    assert api_scrape.total("recommendations_pending_review") == 1
    expires_in = api_scrape.total("recommendations_review_expires_in_seconds")
    assert 71 * 3600 < expires_in <= 72 * 3600
    assert api_scrape.total("agreement_rate_daily") == pytest.approx(5 / 6)
    assert api_scrape.total("recommendation_decision_requests_total", result="accepted") == 6
    assert not api_scrape.has("recommendation_acceptance_total")  # the worker's to count

    # A stopping replica waits for one more scrape, so its counts are not lost with it.
    leaving = metrics_stack.workers[1]
    counted = workers[1].total("recommendations_total")
    leaving.process.popen.terminate()
    deadline = time.monotonic() + FINAL_SCRAPE_SECONDS / 2
    last = None
    while leaving.process.alive():
        assert time.monotonic() < deadline, "the worker did not leave after its last scrape"
        try:
            last = scrape(leaving.app_url)
        except httpx.TransportError:
            break  # it answered its last scrape between our check and this one
        await asyncio.sleep(0.2)
    assert last is not None and last.total("recommendations_total") == counted
    wait_until(lambda: not leaving.process.alive(), "the stopped worker to exit", timeout=15)
    assert "Last scrape done" in leaving.process.log_path.read_text()
