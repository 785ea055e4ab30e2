"""The API and the worker write the same database at the same time."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from domain.lifecycle import AuditEvent, RecommendationStatus
from store import Store, open_store
from tests.store.conftest import NOW, Factory

WRITES_PER_STORE = 40


async def _api_like_writes(store: Store, make: Factory, campaign_id: str) -> None:
    for _ in range(WRITES_PER_STORE):
        await store.create_recommendation(make.recommendation_id(campaign_id), campaign_id, "api")


async def _worker_like_writes(store: Store, make: Factory, campaign_id: str) -> None:
    async def one_run(number: int) -> None:
        recommendation_id = make.recommendation_id(campaign_id)
        state = make.state(
            recommendation_id, campaign_id, RecommendationStatus.completed, measured=True
        )
        await store.sync_state(state)
        await store.sync_state(state)
        await store.append_audit(
            AuditEvent(
                recommendation_id=recommendation_id,
                event="completed",
                actor="worker",
                payload={"run": number},
                at=NOW,
            )
        )

    # Many activities in flight at once, as on a busy worker.
    await asyncio.gather(*(one_run(number) for number in range(WRITES_PER_STORE)))


async def test_two_stores_write_one_sqlite_file_without_locking_errors(
    tmp_path: Path, make: Factory
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'agent.db'}"
    api, worker = await open_store(url), await open_store(url)
    try:
        api_campaign, worker_campaign = make.campaign_id("api"), make.campaign_id("worker")
        await asyncio.gather(
            _api_like_writes(api, make, api_campaign),
            _worker_like_writes(worker, make, worker_campaign),
            _api_like_writes(worker, make, api_campaign),
            _worker_like_writes(api, make, worker_campaign),
        )

        _, api_total = await api.list_recommendations(campaign_id=api_campaign)
        _, worker_total = await worker.list_recommendations(campaign_id=worker_campaign)
        assert (api_total, worker_total) == (2 * WRITES_PER_STORE, 2 * WRITES_PER_STORE)
    finally:
        await api.close()
        await worker.close()


async def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    async with await open_store(f"sqlite+aiosqlite:///{tmp_path / 'agent.db'}") as store:
        async with store.engine.connect() as connection:
            assert await connection.scalar(text("PRAGMA journal_mode")) == "wal"
            assert await connection.scalar(text("PRAGMA busy_timeout")) >= 5_000
            assert await connection.scalar(text("PRAGMA foreign_keys")) == 1


async def test_concurrent_syncs_of_one_run_leave_one_consistent_copy(
    store: Store, make: Factory
) -> None:
    """A retried activity can overlap its first attempt; rows must not double up."""
    campaign_id = make.campaign_id()
    recommendation_id = make.recommendation_id(campaign_id)
    state = make.state(recommendation_id, campaign_id, RecommendationStatus.executed, executed=True)

    await asyncio.gather(*(store.sync_state(state) for _ in range(8)))

    assert await store.list_traces(recommendation_id) == state.trace
    record = await store.get_recommendation(recommendation_id)
    assert record is not None and record.state == state


async def test_of_concurrent_saves_of_one_state_only_one_sees_the_status_change(
    store: Store, make: Factory
) -> None:
    """The worker counts a run's metrics from the status a save replaced: an overlapping retry
    of the same save must find the new status there already, or it would count again."""
    campaign_id = make.campaign_id()
    record = await store.create_recommendation(
        make.recommendation_id(campaign_id), campaign_id, "api"
    )
    state = make.state(record.recommendation_id, campaign_id, seq=1)

    saves = await asyncio.gather(*(store.sync_state(state) for _ in range(8)))

    previous = sorted(save.previous.status.value for save in saves)
    assert previous == ["analyzing"] + ["pending_review"] * 7
