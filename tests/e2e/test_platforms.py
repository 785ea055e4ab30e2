"""The lifecycle end to end once per real-platform adapter: ``AD_PLATFORM=google_ads`` and
``AD_PLATFORM=meta``, each against its wire fake running as its own process, with a worker and
an API of their own (own task queue and database) on the shared dev server.

collect -> recommend -> approve -> execute (dry run, then the write) -> measure, with exactly
one mutation on the fake platform; and again with the worker killed while its write is on the
wire, where the new worker's retry must find the change in place and not make it twice.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest

from scripts.stack import http_ok
from tests.e2e.conftest import BIN, Process, Stack, free_port, wait_until
from tests.e2e.test_lifecycle import REVIEWER, analyze, poll, wait_status
from tests.fakes import google_ads as fake_google
from tests.fakes import meta_graph as fake_meta

pytestmark = pytest.mark.e2e

RETRY_SECONDS = 60  # the execute_action heartbeat timeout (10 s) lapses before the retry


@dataclass
class Case:
    platform: str
    campaign_id: str
    expected_action: str
    writes: int  # objects the action changes (Google: one atomic Mutate)


CASES = {
    # Competitive pressure on a manual-CPC search campaign: both ad group bids, one Mutate.
    "google_ads": Case("google_ads", "1234567890:111", "Bid Adjustment", 1),
    # A broken pixel: spend goes on, conversions stop: the campaign is paused, one write.
    "meta": Case("meta", "act_1001:2002", "Campaign Pause", 1),
}


@dataclass
class PlatformStack:
    case: Case
    api_url: str
    admin_url: str  # the fake's /admin API
    env: dict[str, str]
    tmp: object
    processes: list[Process] = field(default_factory=list)
    worker: Process | None = None

    def start_worker(self) -> Process:
        worker = Process(
            f"worker-{self.case.platform}",
            [str(BIN / "python"), "-m", "workers.worker"],
            self.env,
            self.tmp / f"worker-{self.case.platform}-{len(self.processes)}.log",  # type: ignore[operator]
        ).start()
        self.processes.append(worker)
        wait_until(worker.alive, "worker process", timeout=5)
        self.worker = worker
        return worker


def _google_fake(tmp, env: dict[str, str]) -> tuple[Process, str, dict[str, str]]:  # noqa: ANN001
    grpc_port, http_port = free_port(), free_port()
    ca_file = tmp / "google-ads-ca.pem"
    fake = Process(
        "fake-google-ads",
        [
            sys.executable,
            "-m",
            "tests.fakes.google_ads",
            "--grpc-port",
            str(grpc_port),
            "--http-port",
            str(http_port),
            "--ca-file",
            str(ca_file),
        ],
        env,
        tmp / "fake-google-ads.log",
    )
    settings = {
        "AD_PLATFORM": "google_ads",
        "GOOGLE_ADS_DEVELOPER_TOKEN": fake_google.DEVELOPER_TOKEN,
        "GOOGLE_ADS_CLIENT_ID": fake_google.CLIENT_ID,
        "GOOGLE_ADS_CLIENT_SECRET": fake_google.CLIENT_SECRET,
        "GOOGLE_ADS_REFRESH_TOKEN": fake_google.REFRESH_TOKEN,
        "GOOGLE_ADS_CUSTOMER_ID": fake_google.CUSTOMER_ID,
        "GOOGLE_ADS_ENDPOINT": f"localhost:{grpc_port}",
        "GOOGLE_ADS_TOKEN_URI": f"http://127.0.0.1:{http_port}/token",
        # The worker trusts the fake's certificate authority (a gRPC setting, not ours).
        "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH": str(ca_file),
    }
    return fake, f"http://127.0.0.1:{http_port}", settings


def _meta_fake(tmp, env: dict[str, str]) -> tuple[Process, str, dict[str, str]]:  # noqa: ANN001
    port = free_port()
    fake = Process(
        "fake-meta-graph",
        [sys.executable, "-m", "tests.fakes.meta_graph", "--port", str(port)],
        env,
        tmp / "fake-meta-graph.log",
    )
    settings = {
        "AD_PLATFORM": "meta",
        "META_ACCESS_TOKEN": fake_meta.ACCESS_TOKEN,
        "META_AD_ACCOUNT_ID": f"act_{fake_meta.ACCOUNT_ID}",
        "META_GRAPH_URL": f"http://127.0.0.1:{port}",
    }
    return fake, f"http://127.0.0.1:{port}", settings


@pytest.fixture(scope="module", params=sorted(CASES))
async def platform_stack(request, stack: Stack, tmp_path_factory) -> AsyncIterator[PlatformStack]:  # noqa: ANN001
    case = CASES[request.param]
    tmp = tmp_path_factory.mktemp(f"e2e-{case.platform}")
    api_port = free_port()
    env = {
        **stack.base_env,
        "TEMPORAL_TASK_QUEUE": f"e2e-{case.platform}",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'agent.db'}",
        "API_PORT": str(api_port),
        # Each test here changes the same fake campaign once: these tests are about the
        # adapters, so the one-change-per-cooldown rule (tested on its own) is off.
        "CHANGE_COOLDOWN_SECONDS": "0",
    }
    starter = _google_fake if case.platform == "google_ads" else _meta_fake
    fake, admin_url, settings = starter(tmp, env)
    env.update(settings)
    running = PlatformStack(case, f"http://127.0.0.1:{api_port}", admin_url, env, tmp)
    running.processes.append(fake.start())
    try:
        wait_until(lambda: http_ok(f"{admin_url}/admin/mutations"), f"the {case.platform} fake")
        running.processes.append(
            Process("api", [str(BIN / "python"), "-m", "api"], env, tmp / "api.log").start()
        )
        running.start_worker()
        wait_until(lambda: http_ok(f"{running.api_url}/ready"), "API /ready")
        yield running
    except AssertionError:
        for process in running.processes:
            print(f"--- {process.name} log ---\n{process.log_tail()}")
        raise
    finally:
        for process in running.processes:
            process.stop()


@pytest.fixture
async def clients(platform_stack: PlatformStack):
    async with (
        httpx.AsyncClient(base_url=platform_stack.api_url, timeout=15) as api,
        httpx.AsyncClient(base_url=platform_stack.admin_url, timeout=15) as fake,
    ):
        (await fake.post("/admin/reset")).raise_for_status()
        yield api, fake


async def _approve(api: httpx.AsyncClient, rec_id: str, revision: int) -> None:
    response = await api.post(
        f"/api/v1/recommendations/{rec_id}/decision",
        json={"decision": "approved", "feedback": "e2e", "revision": revision},
        headers=REVIEWER,
    )
    assert response.status_code == 202, response.text


async def _mutations(fake: httpx.AsyncClient) -> list[dict]:
    return (await fake.get("/admin/mutations")).json()


async def test_the_lifecycle_runs_on_the_platform_with_one_mutation(
    platform_stack: PlatformStack, clients
) -> None:
    api, fake = clients
    case = platform_stack.case
    rec_id = await analyze(api, case.campaign_id)
    body = await wait_status(api, rec_id, "pending_review", "failed")
    assert body["status"] == "pending_review", body
    assert body["recommendation"]["recommended_action"] == case.expected_action, body
    assert await _mutations(fake) == []  # analysing changes nothing

    await _approve(api, rec_id, body["revision"])
    body = await wait_status(api, rec_id, "executed", "completed", "failed")
    assert body["status"] != "failed", body
    execution = body["execution"]
    assert execution["applied"] and not execution["already_applied"], execution
    assert execution["request_ids"], execution  # every platform call's id, for the audit
    assert len(await _mutations(fake)) == case.writes

    body = await wait_status(api, rec_id, "completed", "failed")
    assert body["outcome"] is not None and body["outcome"]["summary"], body
    assert len(await _mutations(fake)) == case.writes


async def test_a_worker_killed_during_the_write_applies_it_exactly_once(
    platform_stack: PlatformStack, clients
) -> None:
    api, fake = clients
    case = platform_stack.case
    rec_id = await analyze(api, case.campaign_id)
    body = await wait_status(api, rec_id, "pending_review")

    # Slow the write down so the worker dies while it is on the wire (the fake still
    # applies it: only the answer is lost).
    fault_method = "Mutate" if case.platform == "google_ads" else "POST"
    fault = {"method": fault_method, "kind": "latency", "latency_seconds": 4.0}
    assert (await fake.post("/admin/faults", json=fault)).status_code == 201
    await _approve(api, rec_id, body["revision"])

    async def write_in_flight() -> bool:
        return (await fake.get("/admin/in-flight")).json()["writes"] > 0

    await poll(write_in_flight, "the platform write to start")
    assert platform_stack.worker is not None
    platform_stack.worker.kill()
    platform_stack.start_worker()

    body = await wait_status(api, rec_id, "executed", "completed", "failed", within=RETRY_SECONDS)
    assert body["status"] != "failed", body
    # The killed worker's write landed after it died: the retry found it and wrote nothing.
    assert body["execution"]["applied"] is True
    assert body["execution"]["already_applied"] is True, body["execution"]
    assert len(await _mutations(fake)) == case.writes
