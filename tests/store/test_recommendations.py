"""Creating, deduplicating, listing and reading recommendations."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.lifecycle import RecommendationStatus
from store import Store
from tests.store.conftest import Factory

DAY = timedelta(hours=24)


async def _create(store: Store, make: Factory, campaign_id: str, requested_by: str = "api"):
    return await store.create_recommendation(
        make.recommendation_id(campaign_id), campaign_id, requested_by
    )


async def _set_status(store: Store, make: Factory, record, status: RecommendationStatus) -> None:
    await store.sync_state(make.state(record.recommendation_id, record.campaign_id, status))


async def test_create_starts_in_analyzing(store: Store, make: Factory) -> None:
    campaign_id = make.campaign_id()
    before = datetime.now(UTC)
    record = await _create(store, make, campaign_id, requested_by="scheduler")

    assert record.status is RecommendationStatus.analyzing
    assert record.campaign_id == campaign_id
    assert record.workflow_id == record.recommendation_id
    assert record.requested_by == "scheduler"
    assert record.revision == 0
    assert record.state is None
    assert record.created_at.tzinfo is not None
    assert before - timedelta(seconds=1) <= record.created_at <= datetime.now(UTC)
    assert await store.get_recommendation(record.recommendation_id) == record


async def test_creating_the_same_id_twice_returns_the_existing_row(
    store: Store, make: Factory
) -> None:
    campaign_id = make.campaign_id()
    record = await _create(store, make, campaign_id)
    await _set_status(store, make, record, RecommendationStatus.pending_review)

    again = await store.create_recommendation(record.recommendation_id, campaign_id, "retry")

    assert again.status is RecommendationStatus.pending_review  # not reset to analyzing
    assert again.requested_by == "api"


async def test_unknown_recommendation_is_none(store: Store) -> None:
    assert await store.get_recommendation("rec-does-not-exist") is None


async def test_find_pending_within_the_window(store: Store, make: Factory) -> None:
    campaign_id = make.campaign_id()
    record = await _create(store, make, campaign_id)

    found = await store.find_pending(campaign_id, since=datetime.now(UTC) - DAY)

    assert found is not None
    assert found.recommendation_id == record.recommendation_id


async def test_find_pending_ignores_rows_older_than_the_window(store: Store, make: Factory) -> None:
    campaign_id = make.campaign_id()
    record = await _create(store, make, campaign_id)

    assert await store.find_pending(campaign_id, since=record.created_at) is not None
    later = record.created_at + timedelta(milliseconds=1)
    assert await store.find_pending(campaign_id, since=later) is None


async def test_find_pending_accepts_any_timezone(store: Store, make: Factory) -> None:
    """The window bound may come in any offset; SQLite compares it as UTC too."""
    campaign_id = make.campaign_id()
    record = await _create(store, make, campaign_id)
    in_berlin_summer = record.created_at.astimezone(timezone(timedelta(hours=2)))

    assert await store.find_pending(campaign_id, since=in_berlin_summer) is not None
    just_after = in_berlin_summer + timedelta(milliseconds=1)
    assert await store.find_pending(campaign_id, since=just_after) is None


async def test_find_pending_is_per_campaign(store: Store, make: Factory) -> None:
    await _create(store, make, make.campaign_id("social"))

    other = make.campaign_id("display")
    assert await store.find_pending(other, since=datetime.now(UTC) - DAY) is None


@pytest.mark.parametrize(
    ("status", "pending"),
    [
        (RecommendationStatus.analyzing, True),
        (RecommendationStatus.pending_review, True),
        (RecommendationStatus.approved, False),
        (RecommendationStatus.rejected, False),
        (RecommendationStatus.expired, False),
        (RecommendationStatus.executed, False),
        (RecommendationStatus.completed, False),
        (RecommendationStatus.failed, False),
    ],
)
async def test_find_pending_by_status(
    store: Store, make: Factory, status: RecommendationStatus, pending: bool
) -> None:
    campaign_id = make.campaign_id()
    record = await _create(store, make, campaign_id)
    await _set_status(store, make, record, status)

    found = await store.find_pending(campaign_id, since=datetime.now(UTC) - DAY)

    assert (found is not None) is pending


async def test_find_pending_returns_the_newest(store: Store, make: Factory) -> None:
    campaign_id = make.campaign_id()
    await _create(store, make, campaign_id)
    newest = await _create(store, make, campaign_id)

    found = await store.find_pending(campaign_id, since=datetime.now(UTC) - DAY)

    assert found is not None
    assert found.recommendation_id == newest.recommendation_id


async def test_create_unless_pending_dedups_concurrent_requests(
    store: Store, make: Factory
) -> None:
    """Ten simultaneous analyze calls for one campaign create exactly one recommendation."""
    campaign_id = make.campaign_id()
    since = datetime.now(UTC) - DAY
    results = await asyncio.gather(
        *(
            store.create_unless_pending(
                make.recommendation_id(campaign_id), campaign_id, "api", since
            )
            for _ in range(10)
        )
    )

    created = [record for record, is_new in results if is_new]
    assert len(created) == 1
    assert {record.recommendation_id for record, _ in results} == {created[0].recommendation_id}
    _, total = await store.list_recommendations(campaign_id=campaign_id)
    assert total == 1


async def test_create_unless_pending_creates_when_the_pending_one_is_old(
    store: Store, make: Factory
) -> None:
    campaign_id = make.campaign_id()
    first = await _create(store, make, campaign_id)

    since = first.created_at + timedelta(milliseconds=1)
    second, created = await store.create_unless_pending(
        make.recommendation_id(campaign_id), campaign_id, "api", since
    )

    assert created
    assert second.recommendation_id != first.recommendation_id


async def test_list_filters_paginates_and_counts(store: Store, make: Factory) -> None:
    search, social = make.campaign_id("search"), make.campaign_id("social")
    created = [await _create(store, make, search) for _ in range(5)]
    created += [await _create(store, make, social) for _ in range(2)]
    await _set_status(store, make, created[1], RecommendationStatus.pending_review)
    await _set_status(store, make, created[3], RecommendationStatus.pending_review)
    await _set_status(store, make, created[5], RecommendationStatus.pending_review)
    newest_first = [record.recommendation_id for record in reversed(created)]

    everything, total = await store.list_recommendations()
    assert total == 7
    assert [record.recommendation_id for record in everything] == newest_first

    page, total = await store.list_recommendations(limit=3, offset=3)
    assert total == 7
    assert [record.recommendation_id for record in page] == newest_first[3:6]

    pending, total = await store.list_recommendations(status=RecommendationStatus.pending_review)
    assert total == 3
    assert all(r.status is RecommendationStatus.pending_review for r in pending)

    both, total = await store.list_recommendations(
        status=RecommendationStatus.pending_review, campaign_id=search, limit=1
    )
    assert total == 2
    assert [record.recommendation_id for record in both] == [created[3].recommendation_id]

    beyond, total = await store.list_recommendations(limit=10, offset=50)
    assert (beyond, total) == ([], 7)


async def test_list_rejects_negative_paging(store: Store) -> None:
    with pytest.raises(ValueError):
        await store.list_recommendations(limit=-1)


async def test_a_campaigns_recommendations_are_newest_first_with_states(
    store: Store, make: Factory
) -> None:
    campaign_id = make.campaign_id()
    old = await _create(store, make, campaign_id)
    await store.sync_state(
        make.state(
            old.recommendation_id, campaign_id, RecommendationStatus.completed, measured=True
        )
    )
    rejected = await _create(store, make, campaign_id)
    await _set_status(store, make, rejected, RecommendationStatus.rejected)
    newest = await _create(store, make, campaign_id)
    await _create(store, make, make.campaign_id("someone-else"))

    history, total = await store.list_recommendations(campaign_id=campaign_id)

    assert [r.recommendation_id for r in history] == [
        newest.recommendation_id,
        rejected.recommendation_id,
        old.recommendation_id,
    ]
    completed = history[-1].state
    assert completed is not None
    assert completed.decision is not None and completed.decision.reviewer == "maria@example.com"
    assert completed.execution is not None and completed.execution.applied
    assert completed.outcome is not None and completed.outcome.success
    assert total == 3
    first, _ = await store.list_recommendations(campaign_id=campaign_id, limit=1)
    assert [r.recommendation_id for r in first] == [newest.recommendation_id]
    assert await store.list_recommendations(campaign_id=make.campaign_id("never-seen")) == ([], 0)
