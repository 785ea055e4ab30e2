"""How a failed model call is reported to Temporal, which owns every retry (SDK retries are off).

Error types (``ApplicationError.type``), and what the activity's retry policy does with them:

| type | cause | retried |
| --- | --- | --- |
| ``LLMRateLimited`` | HTTP 429 | yes, after the provider's retry-after |
| ``LLMUnavailable`` | 408, 409, 5xx, timeouts, connection errors | yes, with backoff |
| ``LLMAuthenticationError`` | 401, 403 | no: a key does not fix itself |
| ``LLMInvalidRequest`` | other 4xx (400, 404, 413, 422 ...) | no |
| ``LLMOutputTruncated`` | the answer hit max_tokens | no |
| ``LLMRefused`` | the model refused (or a content filter stopped it) | no |
| ``LLMInvalidOutput`` | still invalid after one re-ask | no |
| ``CircuitOpen`` | too many consecutive failures; cooling down | no: fall back at once |

A non-retryable failure, or retries running out, makes the workflow fall back to the rules
reasoner for that step.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from temporalio.exceptions import ApplicationError

from domain.usage import LLMUsage, usages_in

RATE_LIMITED = "LLMRateLimited"
UNAVAILABLE = "LLMUnavailable"
AUTHENTICATION = "LLMAuthenticationError"
INVALID_REQUEST = "LLMInvalidRequest"
TRUNCATED = "LLMOutputTruncated"
REFUSED = "LLMRefused"
INVALID_OUTPUT = "LLMInvalidOutput"
CIRCUIT_OPEN = "CircuitOpen"

# Failures that say the provider is struggling: they count towards opening the circuit.
PROVIDER_FAILURES = frozenset({RATE_LIMITED, UNAVAILABLE})

_RETRYABLE_STATUSES = frozenset({408, 409, 429})
# The longest pause we take on a provider's word: a longer retry-after is cut to this, so the
# retry comes after at most a minute and a step (3 attempts within 5 minutes) still gets its
# attempts; if the provider is still not ready, the step falls back to the rules reasoner.
MAX_RETRY_AFTER = timedelta(seconds=60)


def for_status(
    provider: str, status: int, headers: Any, message: str, *details: Any
) -> ApplicationError:
    """The error for an HTTP error answer (``headers``: any mapping, case-insensitive)."""
    text = f"{provider}: HTTP {status}: {message}"
    if status == 429:
        delay = retry_after(headers)
        return ApplicationError(text, *details, type=RATE_LIMITED, next_retry_delay=delay)
    if status in _RETRYABLE_STATUSES or status >= 500:
        return ApplicationError(
            text, *details, type=UNAVAILABLE, next_retry_delay=retry_after(headers)
        )
    kind = AUTHENTICATION if status in (401, 403) else INVALID_REQUEST
    return ApplicationError(text, *details, type=kind, non_retryable=True)


def unavailable(provider: str, err: Exception) -> ApplicationError:
    """A timeout or a connection that failed: retryable."""
    return ApplicationError(f"{provider}: {type(err).__name__}: {err}", type=UNAVAILABLE)


def final(kind: str, message: str, *details: Any) -> ApplicationError:
    """A failure that a retry of the same request would repeat."""
    return ApplicationError(message, *details, type=kind, non_retryable=True)


def with_usage(err: ApplicationError, usages: Iterable[LLMUsage]) -> ApplicationError:
    """``err`` reporting ``usages`` (every billed call of the step) in its details, in place of
    any usage it carried; message, type, retryability, retry delay and cause are kept. The
    workflow (and the evals) add the usage of a failed step from these details."""
    others = [detail for detail in err.details if not usages_in([detail])]
    carried = ApplicationError(
        err.message,
        *others,
        *[usage.model_dump(mode="json") for usage in usages],
        type=err.type,
        non_retryable=err.non_retryable,
        next_retry_delay=err.next_retry_delay,
        category=err.category,
    )
    carried.__cause__ = err.__cause__
    return carried


def retry_after(headers: Any) -> timedelta | None:
    """The provider's requested pause: ``retry-after-ms``, or ``retry-after`` in seconds or as
    an HTTP date; capped at MAX_RETRY_AFTER."""
    if headers is None:
        return None
    delay: timedelta | None = None
    if (millis := headers.get("retry-after-ms")) is not None:
        delay = _seconds(float(millis) / 1000) if _is_number(millis) else None
    elif (value := headers.get("retry-after")) is not None:
        delay = _seconds(float(value)) if _is_number(value) else _until(value)
    return min(delay, MAX_RETRY_AFTER) if delay is not None else None


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _seconds(value: float) -> timedelta | None:
    return timedelta(seconds=value) if value >= 0 else None


def _until(http_date: str) -> timedelta | None:
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return _seconds((when - datetime.now(UTC)).total_seconds())
