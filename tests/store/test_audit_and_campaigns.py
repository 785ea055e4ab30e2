"""The append-only audit log and the campaign table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.lifecycle import AuditEvent
from store import Store
from tests.store.conftest import NOW, Factory


def _event(recommendation_id: str, event: str, minutes: int, **payload) -> AuditEvent:
    return AuditEvent(
        recommendation_id=recommendation_id,
        event=event,
        actor="maria@example.com" if event == "decision" else "workflow",
        revision=1,
        payload=payload,
        at=NOW + timedelta(minutes=minutes),
    )


async def test_audit_is_listed_in_time_order(store: Store) -> None:
    events = [
        _event("rec-a", "created", 0),
        _event("rec-a", "decision", 30, decision="approved", feedback="ok"),
        _event("rec-a", "executed", 31, applied=True, before={"bid": 2.5}, after={"bid": 2.88}),
    ]
    # Appended out of order (activities of parallel branches can finish in any order).
    for event in (events[2], events[0], events[1]):
        await store.append_audit(event)
    await store.append_audit(_event("rec-b", "created", 5))

    assert await store.list_audit("rec-a") == events
    assert await store.list_audit("rec-unknown") == []


async def test_audit_keeps_every_distinct_entry_in_insertion_order(store: Store) -> None:
    """Two refused decisions in the same workflow task share a timestamp; both are kept."""
    first = _event("rec-a", "decision_refused", 10, revision_named=0)
    second = _event("rec-a", "decision_refused", 10, revision_named=3)
    await store.append_audit(first)
    await store.append_audit(second)

    assert await store.list_audit("rec-a") == [first, second]


async def test_a_retried_audit_append_is_not_duplicated(store: Store) -> None:
    event = _event("rec-a", "executed", 1, applied=True)
    await store.append_audit(event)
    await store.append_audit(event)  # the activity was retried after a lost acknowledgement

    assert await store.list_audit("rec-a") == [event]


async def test_appending_never_changes_earlier_entries(store: Store) -> None:
    original = _event("rec-a", "decision", 0, decision="approved")
    await store.append_audit(original)
    await store.append_audit(_event("rec-a", "decision", 0, decision="rejected"))

    entries = await store.list_audit("rec-a")
    assert entries[0] == original
    assert len(entries) == 2


async def test_audit_times_are_utc(store: Store) -> None:
    event = _event("rec-a", "created", 0)
    await store.append_audit(event)

    [stored] = await store.list_audit("rec-a")
    assert stored.at == event.at
    assert stored.at.tzinfo is not None and stored.at.utcoffset() == timedelta(0)


async def test_upsert_campaign_tracks_first_and_last_seen(store: Store, make: Factory) -> None:
    campaign_id = make.campaign_id()
    await store.upsert_campaign(make.metrics(campaign_id, cpa=48.5))
    first = await store.get_campaign(campaign_id)

    latest = make.metrics(campaign_id, cpa=42.1)
    await store.upsert_campaign(latest)
    second = await store.get_campaign(campaign_id)

    assert first is not None and second is not None
    assert second.first_seen_at == first.first_seen_at
    assert second.last_seen_at >= first.last_seen_at
    assert second.last_seen_at <= datetime.now(UTC)
    assert (second.name, second.platform) == ("Brand Search - EMEA", "google_ads")
    assert second.last_metrics == latest
    assert await store.get_campaign(make.campaign_id("never-seen")) is None


async def test_an_append_says_whether_it_inserted_the_event(store: Store) -> None:
    event = _event("rec-a", "approved", 2)

    assert await store.append_audit(event) is True
    assert await store.append_audit(event) is False  # a retry: the row is there already
    assert await store.append_audit(_event("rec-a", "approved", 3)) is True
