"""The worker's run metrics are counted where the event happens, once: by the persistence
activities on the real store, whatever retries and late, stale saves the activity sees."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities import metrics
from activities.collectors import AdPlatformCollectors
from activities.persistence import PersistenceActivities
from domain.guardrails import AUTO_APPROVAL_REVIEWER
from domain.lifecycle import AuditEvent, LifecycleState, RecommendationStatus
from platforms.simulator import SimulatorPlatform
from store import Store, open_store
from tests.store.conftest import NOW, Factory

WORKFLOW = "RecommendationWorkflow"
S = RecommendationStatus


def value(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


class Counts:
    """The worker's counters and histogram counts, read before and after."""

    SERIES = {
        "recommendations": ("recommendations_total", {"workflow_type": WORKFLOW}),
        "confidence": ("confidence_score_count", {}),
        "latency": ("recommendation_latency_seconds_count", {}),
        "approved": ("recommendation_acceptance_total", {"decision": "approved"}),
        "rejected": ("recommendation_acceptance_total", {"decision": "rejected"}),
        "auto": ("recommendation_auto_approvals_total", {}),
        "applied": ("action_executions_total", {"action": "Bid Adjustment", "result": "applied"}),
        "completed": (
            "workflow_execution_total",
            {"workflow_type": WORKFLOW, "status": "completed"},
        ),
        "success": (
            "recommendation_outcomes_total",
            {"action": "Bid Adjustment", "verdict": "success"},
        ),
    }

    def __init__(self) -> None:
        self.before = self.read()

    def read(self) -> dict[str, float]:
        counts = {}
        for key, (name, labels) in self.SERIES.items():
            if name == "recommendations_total":
                counts[key] = sum(
                    value(name, confidence_band=band, **labels)
                    for band in ("low", "medium", "high")
                )
            else:
                counts[key] = value(name, **labels)
        return counts

    def delta(self) -> dict[str, float]:
        after = self.read()
        return {
            key: after[key] - self.before[key] for key in after if after[key] != self.before[key]
        }


@pytest.fixture
async def store(tmp_path) -> AsyncIterator[Store]:  # noqa: ANN001
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'agent.db'}")
    yield store
    await store.close()


@pytest.fixture
def env() -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, workflow_type=WORKFLOW)
    return env


def audit(rec_id: str, event: str, actor: str = "maria@example.com") -> AuditEvent:
    return AuditEvent(recommendation_id=rec_id, event=event, actor=actor, revision=1, at=NOW)


async def test_a_lifecycle_is_counted_once_through_retries_and_stale_saves(
    store: Store, env: ActivityEnvironment
) -> None:
    make = Factory()
    campaign_id = make.campaign_id()
    rec_id = make.recommendation_id(campaign_id)
    await store.create_recommendation(rec_id, campaign_id, "api")
    persistence = PersistenceActivities(store)
    counts = Counts()

    async def save(state: LifecycleState, times: int = 2) -> None:
        for _ in range(times):  # every save is retried once (a lost acknowledgement)
            await env.run(persistence.sync_state, state)

    pending = make.state(rec_id, campaign_id, seq=1)
    await save(pending)
    for _ in range(2):
        await env.run(persistence.record_audit_event, audit(rec_id, "approved"))
    approved = make.state(rec_id, campaign_id, S.approved, decided=True, seq=2)
    await save(approved)
    await save(make.state(rec_id, campaign_id, S.executed, executed=True, seq=3))
    await save(approved, times=1)  # a delayed retry of the older save lands after the newer one
    await save(make.state(rec_id, campaign_id, S.completed, measured=True, seq=4))

    assert counts.delta() == {
        "recommendations": 1,
        "confidence": 1,
        "latency": 1,
        "approved": 1,
        "applied": 1,
        "completed": 1,
        "success": 1,
    }
    assert value("recommendations_total", workflow_type=WORKFLOW, confidence_band="medium") >= 1


async def test_a_policy_approval_is_no_reviewer_acceptance(
    store: Store, env: ActivityEnvironment
) -> None:
    persistence = PersistenceActivities(store)
    counts = Counts()

    await env.run(
        persistence.record_audit_event, audit("rec-x", "approved", AUTO_APPROVAL_REVIEWER)
    )
    await env.run(persistence.record_audit_event, audit("rec-x", "rejected"))
    await env.run(persistence.record_audit_event, audit("rec-x", "decision_refused"))

    assert counts.delta() == {"auto": 1, "rejected": 1}


async def test_each_failed_collection_attempt_is_counted_by_source() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"detail": "overloaded"})

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://ads")
    collectors = AdPlatformCollectors(SimulatorPlatform(client))
    before = value("collector_failures_total", source="audience", error_type="AdPlatformError")

    for _ in range(2):  # two attempts of the activity, both failing
        with pytest.raises(ApplicationError):
            await ActivityEnvironment().run(collectors.collect_audience, "cmp-1")

    after = value("collector_failures_total", source="audience", error_type="AdPlatformError")
    assert after - before == 2


async def test_a_stopping_worker_waits_for_a_scrape_that_starts_after_it_stopped() -> None:
    metrics.render()  # a scrape before the wait began does not count
    assert await metrics.wait_for_final_scrape(0.3, poll_seconds=0.05) is False

    async def scrape_soon() -> None:
        await asyncio.sleep(0.1)
        metrics.render()

    scraper = asyncio.create_task(scrape_soon())
    started = time.monotonic()
    assert await metrics.wait_for_final_scrape(10, poll_seconds=0.05) is True
    assert time.monotonic() - started < 5  # it left as soon as the scrape came
    await scraper
