"""What can go wrong when the agent talks to an ad platform, in one vocabulary for all of them.

Every adapter turns its platform's failures (HTTP statuses, gRPC codes, Graph API error codes)
into a ``PlatformError`` that says what kind of failure it was, whether trying again can help,
and how long the platform asked us to wait. The activities map these to Temporal errors in one
place (``activities.platform_errors``); nothing else needs to know a platform's error codes.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    not_found = "not_found"  # the campaign (or account) does not exist for these credentials
    missing_metrics = "missing_metrics"  # the campaign exists but the platform has no figures
    invalid = "invalid"  # the platform refused the request: validation or policy
    auth = "auth"  # credentials expired, revoked or lacking a permission
    rate_limited = "rate_limited"  # over quota: wait (retry_after) and try again
    server_error = "server_error"  # the platform failed on its side
    unavailable = "unavailable"  # transport failure or timeout: the answer never came
    malformed = "malformed"  # an answer that does not match what the platform documents
    unsupported = "unsupported"  # the platform has no such data (e.g. Meta: competitors)


# Unless an adapter knows better (Google Ads retries only four gRPC codes), these kinds are
# worth another attempt.
RETRYABLE_KINDS = frozenset(
    {
        ErrorKind.rate_limited,
        ErrorKind.server_error,
        ErrorKind.unavailable,
        ErrorKind.malformed,
    }
)


class PlatformError(Exception):
    """A failed call to an ad platform.

    ``retry_after`` is the delay the platform advised (seconds), e.g. Meta's
    ``estimated_time_to_regain_access`` or Google Ads' ``QuotaErrorDetails.retry_delay``.
    ``request_id`` is the platform's id of the failed call, for its support and our audit.
    """

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        retryable: bool | None = None,
        retry_after: float | None = None,
        request_id: str | None = None,
        details: dict | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retryable = kind in RETRYABLE_KINDS if retryable is None else retryable
        self.retry_after = retry_after
        self.request_id = request_id
        self.details = details or {}

    def __str__(self) -> str:
        suffix = f" (request id {self.request_id})" if self.request_id else ""
        return f"{self.message}{suffix}"
