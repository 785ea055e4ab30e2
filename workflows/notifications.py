"""NotificationWorkflow: deliver one notification, retried until it lands (or a day passes).

One run per event (id ``notify-{key}``), started without waiting by whoever has news (the
``queue_notifications`` activity, ``sync_state`` for a recommendation's states), so a slow or
failing webhook never holds up a recommendation or a pacing pass. Delivery retries back off up
to ten minutes; after a day the run fails, which the Temporal UI shows.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.notifications import Notification
    from workflows import activity_names as names
    from workflows import messages
    from workflows.options import ActivityOptions, describe_error, run_activity

DELIVERY = ActivityOptions(
    timeout=timedelta(minutes=1),
    overall=timedelta(days=1),
    retry=RetryPolicy(
        initial_interval=timedelta(seconds=5),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(minutes=10),
        maximum_attempts=0,
    ),
)


@workflow.defn(name=messages.NOTIFICATION_WORKFLOW)
class NotificationWorkflow:
    @workflow.run
    async def run(self, notification: Notification) -> list[str]:
        workflow.set_current_details(f"Delivering {notification.kind.value}: {notification.title}")
        try:
            return await run_activity(
                names.DELIVER_NOTIFICATION,
                notification,
                list[str],
                DELIVERY,
                f"Deliver {notification.kind.value} {notification.key}",
            )
        except ActivityError as err:
            raise ApplicationError(
                f"gave up delivering {notification.key}: {describe_error(err)}",
                type="NotificationUndelivered",
                non_retryable=True,
            ) from err
