"""Activity options and error helpers shared by the workflows (no I/O: workflow-safe).

Retry policies are Temporal's: each kind of step says how long it may take per attempt, how
long in all, and which errors no retry can fix.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from workflows import activity_names as names


@dataclass(frozen=True)
class ActivityOptions:
    timeout: timedelta  # per attempt
    retry: RetryPolicy
    heartbeat: timedelta | None = None
    overall: timedelta | None = None  # all attempts together (schedule-to-close)


# Our own database: keep retrying (unlimited attempts) so an outage delays a run, never loses it.
PERSISTENCE = ActivityOptions(
    timeout=timedelta(seconds=30),
    retry=RetryPolicy(
        initial_interval=timedelta(seconds=1),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(minutes=1),
        maximum_attempts=0,
    ),
)
# A look-up a caller is waiting for (inside an update): quick, or refused so the caller can
# try again, rather than an update that hangs past the caller's deadline.
QUICK_LOOKUP = ActivityOptions(
    timeout=timedelta(seconds=5),
    overall=timedelta(seconds=12),
    retry=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=2),
)
# Safe to retry: the idempotency key makes a repeated write a no-op on the platform, so an
# approved action rides out a platform outage of up to two hours instead of failing the run.
# The activity heartbeats, so a crashed worker's execution is retried within seconds.
EXECUTION = ActivityOptions(
    timeout=timedelta(minutes=1),
    heartbeat=timedelta(seconds=10),
    overall=timedelta(hours=2),
    retry=RetryPolicy(
        initial_interval=timedelta(seconds=2),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(minutes=1),
        maximum_attempts=0,
        non_retryable_error_types=[names.ACTION_REJECTED],
    ),
)


async def run_activity(
    name: str, arg: Any, result_type: Any, options: ActivityOptions, summary: str
) -> Any:
    """Execute an activity by name with ``options``; a cancelled run surfaces as
    ``asyncio.CancelledError`` (not an ActivityError), so no step mistakes the cancellation for
    a failed source or a provider outage and carries on."""
    try:
        return await workflow.execute_activity(
            name,
            arg,
            result_type=result_type,
            start_to_close_timeout=options.timeout,
            schedule_to_close_timeout=options.overall,
            heartbeat_timeout=options.heartbeat,
            retry_policy=options.retry,
            summary=summary,
        )
    except ActivityError as err:
        if is_cancelled_exception(err):
            raise asyncio.CancelledError(f"cancelled during: {summary}") from err
        raise


def _root_cause(err: BaseException) -> BaseException:
    return err.cause if isinstance(err, ActivityError) and err.cause else err


def error_type(err: BaseException) -> str:
    """The root cause's type: the ApplicationError type an activity raised, or the class."""
    cause = _root_cause(err)
    if isinstance(cause, ApplicationError) and cause.type:
        return cause.type
    return type(cause).__name__


def describe_error(err: BaseException) -> str:
    """'Type: message' of the root cause of an activity failure, for state and audit."""
    cause = _root_cause(err)
    message = cause.message if isinstance(cause, ApplicationError) else str(cause)
    return f"{error_type(err)}: {message}"
