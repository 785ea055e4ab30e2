"""Notification delivery: real apprise to a local Slack-compatible webhook and SMTP server,
deliveries recorded in a real store, retried attempts that skip the targets already served."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.notify import (
    LifecycleNotifications,
    NotificationActivities,
    NotifierConfigurationError,
    Queued,
    build_notifiers,
)
from domain.lifecycle import Decision, DecisionKind, LifecycleState, RecommendationStatus
from domain.notifications import Notification, NotificationKind, review_reminder
from store.monitor import MonitorStore
from store.repository import Store, open_store
from tests.fakes.receivers import MailReceiver, WebhookReceiver
from tests.workflows.doubles import recommendation

URL = "https://agent.example.com"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'agent.db'}")
    yield store
    await store.close()


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def mail() -> Iterator[MailReceiver]:
    receiver = MailReceiver().start()
    yield receiver
    receiver.stop()


def activities(store: Store, *urls: str) -> NotificationActivities:
    return NotificationActivities(
        build_notifiers(list(urls), 5.0), MonitorStore(store.engine), store, queue=None
    )  # type: ignore[arg-type]


def event(key: str, text: str) -> Notification:
    return Notification(key=key, kind=NotificationKind.pacing_warning, title="T", message=text)


async def test_a_retry_skips_the_targets_already_served(store, webhook, mail) -> None:
    deliver = activities(store, webhook.apprise_url, mail.apprise_url).deliver_notification
    webhook.fail_next(1)
    with pytest.raises(ApplicationError) as failed:
        await ActivityEnvironment().run(deliver, event("k1", "budget over plan"))
    assert failed.value.type == "NotificationFailed"
    # The error names the failing target without its token.
    assert "mmost://" in failed.value.message and webhook.token not in failed.value.message
    served = await ActivityEnvironment().run(deliver, event("k1", "budget over plan"))
    assert served == [webhook_label(webhook)]  # the log and the mail had it already
    assert len(webhook.received("budget over plan")) == 1
    assert len(mail.received("budget over plan")) == 1
    again = await ActivityEnvironment().run(deliver, event("k1", "budget over plan"))
    assert again == []


async def test_a_reminder_goes_out_only_while_its_revision_waits(store, webhook) -> None:
    deliver = activities(store, webhook.apprise_url).deliver_notification
    state = LifecycleState(
        recommendation_id="rec-c-1",
        campaign_id="c",
        status=RecommendationStatus.pending_review,
        revision=2,
        recommendation=recommendation(),
    )
    await store.sync_state(state)
    due = review_reminder(state, datetime.now(UTC), URL)
    assert await ActivityEnvironment().run(deliver, due) == ["log", webhook_label(webhook)]
    decided = state.model_copy(
        update={
            "status": RecommendationStatus.approved,
            "seq": 1,
            "decision": Decision(decision=DecisionKind.approved, reviewer="ann", revision=2),
        }
    )
    await store.sync_state(decided)
    late = due.model_copy(update={"key": due.key + ":late"})
    assert await ActivityEnvironment().run(deliver, late) == []


def webhook_label(webhook: WebhookReceiver) -> str:
    [notifier] = build_notifiers([webhook.apprise_url], 5.0)[1:]
    return notifier.label


def test_an_unusable_url_stops_the_worker_naming_its_position_not_its_text() -> None:
    with pytest.raises(NotifierConfigurationError) as bad:
        build_notifiers(["mmost://chat.example.com/t0k3n", "nonsense://secret-value"], 5.0)
    assert "entry 2" in str(bad.value) and "secret-value" not in str(bad.value)


class Captured:
    """Stands in for the Temporal client's start of delivery workflows."""

    def __init__(self) -> None:
        self.items: list[Queued] = []

    async def queue(self, items: list[Queued]) -> None:
        self.items.extend(items)


async def test_a_pending_review_queues_its_notification_and_a_delayed_reminder() -> None:
    captured = Captured()
    lifecycle = LifecycleNotifications(
        captured,  # type: ignore[arg-type]
        URL,
        review_timeout=timedelta(hours=72),
        reminder_lead=timedelta(hours=12),
    )
    pending = LifecycleState(
        recommendation_id="rec-c-1",
        campaign_id="c",
        status=RecommendationStatus.pending_review,
        revision=1,
        recommendation=recommendation(),
    )
    await lifecycle.state_synced(pending)
    now, reminder = captured.items
    assert now.delay is None and now.notification.kind is NotificationKind.review_pending
    assert reminder.delay == timedelta(hours=60)
    assert reminder.notification.kind is NotificationKind.review_expiring
    await lifecycle.state_synced(pending.model_copy(update={"status": "analyzing"}))
    assert len(captured.items) == 2  # nothing to tell while analysing
