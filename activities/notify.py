"""Notifications: the notifier port, its targets, and the activities that deliver them.

A ``Notifier`` is one place a notification goes: the log (always; the embedded default), or one
``apprise`` URL from ``NOTIFY_URLS`` (Slack and Slack-compatible webhooks such as Mattermost,
email over SMTP, and the many other services apprise speaks). Retries belong to Temporal:
apprise is told not to retry, and ``deliver_notification`` raises when a target failed, so the
workflow retries it. Deduplication is by event key and target, recorded in our store after
each successful send: a retry skips the targets already served, and a second event with the
same key (a replay, a second pass) reaches nobody twice.

Secrets: a target is identified by a hash of its URL and described by apprise's privacy form
(tokens and passwords masked); neither the URL nor a setting ever goes into a log line or a
message.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

import apprise
from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from domain.lifecycle import LifecycleState, RecommendationStatus
from domain.notifications import (
    Level,
    Notification,
    lifecycle_notifications,
    review_reminder,
)
from workflows import activity_names as names
from workflows import messages
from workflows.search_attributes import pacing_search_attributes

if TYPE_CHECKING:
    from store.monitor import MonitorStore
    from store.repository import Store

log = logging.getLogger("notifications")

NOTIFICATION_FAILED = "NotificationFailed"
_APPRISE_TYPES = {
    Level.info: apprise.NotifyType.INFO,
    Level.warning: apprise.NotifyType.WARNING,
    Level.critical: apprise.NotifyType.FAILURE,
}


class NotifierConfigurationError(ValueError):
    """A NOTIFY_URLS entry apprise cannot use (named by position, never by its text)."""


class Notifier(Protocol):
    target_id: str  # stable and secret-free: the dedup key's second half
    label: str  # secret-free, for logs and errors

    async def send(self, notification: Notification) -> None:
        """Deliver, or raise."""
        ...


class LogNotifier:
    """Every notification as one structured log line (the embedded default)."""

    target_id = "log"
    label = "log"

    async def send(self, notification: Notification) -> None:
        level = logging.WARNING if notification.level is not Level.info else logging.INFO
        log.log(
            level,
            "NOTIFY %s | %s | %s",
            notification.level.value,
            notification.title,
            notification.text().replace("\n", " "),
            extra={
                "notification_key": notification.key,
                "notification_kind": notification.kind.value,
                "campaign_id": notification.campaign_id,
            },
        )


class AppriseNotifier:
    """One apprise URL: Slack (``slack://``, ``https://hooks.slack.com/...``), Slack-compatible
    webhooks (``mmost://`` Mattermost, ``rocket://``), email (``mailto://``), ..."""

    def __init__(self, url: str, position: int, timeout_seconds: float) -> None:
        target = apprise.Apprise()
        if not target.add(url) or len(target) != 1:
            raise NotifierConfigurationError(
                f"NOTIFY_URLS entry {position} is not a notification URL apprise understands"
            )
        self._target = target
        self._timeout = timeout_seconds
        self.target_id = hashlib.sha256(url.encode()).hexdigest()[:32]
        self.label = target[0].url(privacy=True)

    async def send(self, notification: Notification) -> None:
        sent = await asyncio.to_thread(
            self._target.notify,
            body=notification.text(),
            title=notification.title,
            notify_type=_APPRISE_TYPES[notification.level],
            timeout=self._timeout,
        )
        if not sent:
            raise RuntimeError(f"{self.label} did not accept the notification")


def build_notifiers(urls: list[str], timeout_seconds: float) -> list[Notifier]:
    """The log notifier, then one per URL (NotifierConfigurationError for a bad one)."""
    notifiers: list[Notifier] = [LogNotifier()]
    for position, url in enumerate(urls, start=1):
        notifiers.append(AppriseNotifier(url, position, timeout_seconds))
    return notifiers


@dataclass(frozen=True)
class Queued:
    notification: Notification
    delay: timedelta | None = None


class NotificationQueue:
    """Starts one ``NotificationWorkflow`` per event key, without waiting for its delivery.

    The workflow id is the key: a second start of the same event is refused by Temporal (a
    running or closed workflow of that id), and the store's delivery record stops the rest.
    """

    def __init__(self, client: Client, task_queue: str) -> None:
        self._client = client
        self._task_queue = task_queue

    async def queue(self, items: list[Queued]) -> None:
        for item in items:
            n = item.notification
            try:
                await self._client.start_workflow(
                    messages.NOTIFICATION_WORKFLOW,
                    n,
                    id=messages.notification_id(n.key),
                    task_queue=self._task_queue,
                    id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    start_delay=item.delay,
                    search_attributes=pacing_search_attributes(
                        n.campaign_id, n.pacing_severity, n.pacing_action
                    ),
                    static_summary=f"Notify: {n.title}"[:200],
                )
            except WorkflowAlreadyStartedError:
                pass  # this event was queued before (and may be delivered already)


class LifecycleNotifications:
    """What a recommendation's synced state calls for: called by ``sync_state`` once the state
    is stored, so every run (whichever code version it started on) notifies, and the keys,
    derived from the state, make re-syncs and retries no new events."""

    def __init__(
        self,
        queue: NotificationQueue,
        console_url: str,
        review_timeout: timedelta,
        reminder_lead: timedelta,
    ) -> None:
        self._queue = queue
        self._console_url = console_url
        self._review_timeout = review_timeout
        self._reminder_lead = reminder_lead

    async def state_synced(self, state: LifecycleState) -> None:
        items = [Queued(n) for n in lifecycle_notifications(state, self._console_url)]
        if state.status is RecommendationStatus.pending_review and state.recommendation:
            # The review deadline runs from now (the wait starts right after this save), as
            # the console counts it; the reminder fires `reminder_lead` before it.
            deadline = datetime.now(UTC) + self._review_timeout
            delay = self._review_timeout - self._reminder_lead
            if self._reminder_lead > timedelta(0) and delay > timedelta(0):
                reminder = review_reminder(state, deadline, self._console_url)
                items.append(Queued(reminder, delay))
        await self._queue.queue(items)


class NotificationActivities:
    def __init__(
        self,
        notifiers: list[Notifier],
        monitor: MonitorStore,
        store: Store,
        queue: NotificationQueue,
    ) -> None:
        self._notifiers = notifiers
        self._monitor = monitor
        self._store = store
        self._queue = queue

    @activity.defn(name=names.DELIVER_NOTIFICATION)
    async def deliver_notification(self, notification: Notification) -> list[str]:
        """Deliver to every target not served yet; the targets served now."""
        if not await self._still_relevant(notification):
            activity.logger.info("Not sent (no longer relevant): %s", notification.key)
            return []
        done = await self._monitor.delivered_targets(notification.key)
        served, failures = [], []
        for notifier in self._notifiers:
            if notifier.target_id in done:
                continue
            try:
                await notifier.send(notification)
            except Exception as err:  # any failure of one target: the others still go
                failures.append(f"{notifier.label}: {str(err)[:200] or type(err).__name__}")
                continue
            await self._monitor.record_delivery(
                notification.key,
                notifier.target_id,
                notification.kind.value,
                notification.campaign_id,
                datetime.now(UTC),
            )
            served.append(notifier.label)
        if failures:
            raise ApplicationError(
                f"notification {notification.key} not delivered to: {'; '.join(failures)}",
                type=NOTIFICATION_FAILED,
            )
        return served

    @activity.defn(name=names.QUEUE_NOTIFICATIONS)
    async def queue_notifications(self, notifications: list[Notification]) -> None:
        await self._queue.queue([Queued(n) for n in notifications])

    async def _still_relevant(self, notification: Notification) -> bool:
        check = notification.only_if_pending
        if check is None:
            return True
        record = await self._store.get_recommendation(check.recommendation_id)
        return (
            record is not None
            and record.status is RecommendationStatus.pending_review
            and record.revision == check.revision
        )
