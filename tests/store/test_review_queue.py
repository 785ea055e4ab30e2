"""What the reviewer console reads: inbox pages of summaries, the counts above them, campaigns."""

from __future__ import annotations

from datetime import timedelta

from domain.lifecycle import DecisionKind, RecommendationStatus
from domain.recommendation import ActionType
from store import Store
from store.repository import ReviewOrder
from tests.store.conftest import NOW, Factory

PENDING = RecommendationStatus.pending_review


async def _synced(store: Store, make: Factory, campaign: str, status=PENDING, **kwargs):
    campaign_id = make.campaign_id(campaign)
    record = await store.create_recommendation(
        make.recommendation_id(campaign_id), campaign_id, "api"
    )
    await store.sync_state(make.state(record.recommendation_id, campaign_id, status, **kwargs))
    return await store.get_recommendation(record.recommendation_id)


async def test_items_carry_the_summary_a_reviewer_scans(store: Store, make: Factory) -> None:
    record = await _synced(store, make, "brand")
    await store.upsert_campaign(make.metrics(record.campaign_id))

    items, total = await store.list_review_items(status=PENDING)

    assert total == 1
    item = items[0]
    assert item.recommendation_id == record.recommendation_id
    assert item.campaign_name == "Brand Search - EMEA"
    assert item.recommended_action == "Bid Adjustment"
    assert item.specific_action == "increase bid 15 % from $2.50 to $2.88"
    assert item.confidence == 0.78 and item.risk_level == "medium" and item.degraded
    assert item.expected_impact["change_pct"] == -12.0
    assert item.revision == 1 and item.updated_at == record.updated_at


async def test_a_campaign_never_collected_has_no_name(store: Store, make: Factory) -> None:
    await _synced(store, make, "unseen")
    items, _ = await store.list_review_items()
    assert items[0].campaign_name is None


async def test_filters_by_status_campaign_and_action(store: Store, make: Factory) -> None:
    pending = await _synced(store, make, "one")
    executed = await _synced(
        store, make, "two", RecommendationStatus.executed, decided=True, executed=True
    )

    assert [i.recommendation_id for i in (await store.list_review_items(status=PENDING))[0]] == [
        pending.recommendation_id
    ]
    by_campaign, total = await store.list_review_items(campaign_id=executed.campaign_id)
    assert total == 1 and by_campaign[0].status is RecommendationStatus.executed
    assert (await store.list_review_items(action=ActionType.bid_adjustment.value))[1] == 2
    assert (await store.list_review_items(action=ActionType.campaign_pause.value))[1] == 0


async def test_deadline_order_puts_the_longest_waiting_first(store: Store, make: Factory) -> None:
    first = await _synced(store, make, "first")
    second = await _synced(store, make, "second")
    assert first.updated_at <= second.updated_at

    by_deadline, _ = await store.list_review_items(order=ReviewOrder.deadline)
    newest, _ = await store.list_review_items(order=ReviewOrder.newest)

    assert [i.recommendation_id for i in by_deadline] == [
        first.recommendation_id,
        second.recommendation_id,
    ]
    assert [i.recommendation_id for i in newest] == [
        second.recommendation_id,
        first.recommendation_id,
    ]


async def test_pages_do_not_overlap(store: Store, make: Factory) -> None:
    for name in ("a", "b", "c"):
        await _synced(store, make, name)
    first, total = await store.list_review_items(limit=2)
    second, _ = await store.list_review_items(limit=2, offset=2)
    assert total == 3 and len(first) == 2 and len(second) == 1
    assert not {i.recommendation_id for i in first} & {i.recommendation_id for i in second}


async def test_counts_pending_expiring_and_executed(store: Store, make: Factory) -> None:
    old = await _synced(store, make, "old")
    young = await _synced(store, make, "young")
    await _synced(store, make, "done", RecommendationStatus.executed, executed=True)
    assert old.updated_at < young.updated_at
    executed_at = NOW + timedelta(hours=2)  # the factory's execution time

    counts = await store.review_counts(
        pending_since_before=young.updated_at, executed_since=executed_at - timedelta(hours=1)
    )
    later = await store.review_counts(
        pending_since_before=old.updated_at, executed_since=executed_at + timedelta(seconds=1)
    )

    assert (counts.pending, counts.expiring_soon, counts.executed) == (2, 1, 1)
    assert (later.pending, later.expiring_soon, later.executed) == (2, 0, 0)


async def test_campaign_ids_are_distinct_and_sorted(store: Store, make: Factory) -> None:
    b = await _synced(store, make, "b-campaign")
    await _synced(store, make, "b-campaign")
    a = await _synced(store, make, "a-campaign")
    assert await store.list_campaign_ids() == sorted({a.campaign_id, b.campaign_id})


async def test_the_review_pulse_counts_the_queue_and_the_days_decisions(
    store: Store, make: Factory
) -> None:
    first = await _synced(store, make, "first")
    await _synced(store, make, "second")
    await _synced(store, make, "approved", RecommendationStatus.approved, decided=True)
    rejected = await _synced(store, make, "rejected")
    decided = make.state(rejected.recommendation_id, rejected.campaign_id, decided=True, seq=2)
    decided.status = RecommendationStatus.rejected
    decided.decision = decided.decision.model_copy(update={"decision": DecisionKind.rejected})
    await store.sync_state(decided)
    auto = await _synced(store, make, "auto", RecommendationStatus.approved, decided=True)
    auto_state = auto.state.model_copy(deep=True)
    auto_state.decision.reviewer = "the-policy"
    auto_state.seq = 5
    await store.sync_state(auto_state)

    pulse = await store.review_pulse(
        decided_since=first.created_at - timedelta(minutes=1), excluding_reviewer="the-policy"
    )

    assert pulse.pending == 2
    assert pulse.oldest_pending_update == first.updated_at
    assert pulse.oldest_pending_update.tzinfo is not None
    assert (pulse.approved, pulse.rejected) == (1, 1)  # the policy's approval is left out
    later = await store.review_pulse(
        decided_since=first.created_at + timedelta(days=1), excluding_reviewer="the-policy"
    )
    assert (later.approved, later.rejected) == (0, 0)


async def test_an_empty_queue_has_no_oldest_update(store: Store) -> None:
    pulse = await store.review_pulse(decided_since=NOW, excluding_reviewer="x")
    assert (pulse.pending, pulse.oldest_pending_update, pulse.approved) == (0, None, 0)
