"""How ad-platform failures become Temporal activity errors: the one place that maps them.

The retry policy lives in the workflow; activities only say what kind of failure happened,
whether retrying can help, and, when the platform advised a delay (a rate limit), how long to
wait: that becomes the retry's ``next_retry_delay``. The error type names are the contract the
workflow's retry policies and error messages use.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta
from typing import TypeVar

from temporalio.exceptions import ApplicationError

from platforms.errors import ErrorKind, PlatformError
from workflows import activity_names as names

AD_PLATFORM_UNAVAILABLE = "AdPlatformUnavailable"  # transport error or timeout: retryable
AD_PLATFORM_ERROR = "AdPlatformError"  # the platform failed or rate-limited us: retryable
AD_PLATFORM_REJECTED = "AdPlatformRejected"  # the platform refused a read: not retryable
AD_PLATFORM_AUTH = "AdPlatformAuthError"  # credentials expired or lacking: fix the setting
MALFORMED_RESPONSE = "MalformedResponse"  # body is not what the contract says: retryable
SOURCE_NOT_SUPPORTED = "SourceNotSupported"  # the platform has no such data: not retryable

# A platform advising hours (a daily quota) should not park a run for that long in one sleep;
# the activity's own schedule-to-close timeout bounds the whole wait anyway.
MAX_ADVISED_DELAY = timedelta(minutes=15)

_TYPES = {
    ErrorKind.not_found: names.CAMPAIGN_NOT_FOUND,
    ErrorKind.missing_metrics: names.MISSING_METRICS,
    ErrorKind.invalid: AD_PLATFORM_REJECTED,
    ErrorKind.auth: AD_PLATFORM_AUTH,
    ErrorKind.rate_limited: AD_PLATFORM_ERROR,
    ErrorKind.server_error: AD_PLATFORM_ERROR,
    ErrorKind.unavailable: AD_PLATFORM_UNAVAILABLE,
    ErrorKind.malformed: MALFORMED_RESPONSE,
    ErrorKind.unsupported: SOURCE_NOT_SUPPORTED,
}

T = TypeVar("T")


def to_application_error(err: PlatformError, *, writing: str | None = None) -> ApplicationError:
    """The activity error for a platform failure. ``writing`` (the action being written): a
    refused change is an ``ActionRejected``, which no retry can make valid."""
    kind = names.ACTION_REJECTED if writing and err.kind is ErrorKind.invalid else _TYPES[err.kind]
    delay = None
    if err.retryable and err.retry_after is not None:
        delay = min(timedelta(seconds=err.retry_after), MAX_ADVISED_DELAY)
    details = {"kind": err.kind.value, "request_id": err.request_id, **err.details}
    return ApplicationError(
        f"the ad platform refused {writing}: {err}"
        if writing and err.kind is ErrorKind.invalid
        else str(err),
        details,
        type=kind,
        non_retryable=not err.retryable,
        next_retry_delay=delay,
    )


async def calling(call: Awaitable[T], *, writing: str | None = None) -> T:
    """Await a port call, turning a ``PlatformError`` into the activity error for it."""
    try:
        return await call
    except PlatformError as err:
        raise to_application_error(err, writing=writing) from err
