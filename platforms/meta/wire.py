"""Calls to Meta's Marketing API through the official ``facebook-business`` SDK, and what
their failures mean.

The SDK is synchronous (``requests``): every call runs in a worker thread. The API object is
built per adapter (never ``FacebookAdsApi.init``, which sets process-wide defaults and a crash
reporter); ``META_GRAPH_URL`` points its session at another Graph host (a proxy, the test fake).

Errors: codes 4, 17, 32, 613 and 80000-80014 are rate limits, retried after the delay the
``x-business-use-case-usage`` / ``x-ad-account-usage`` headers advise; 1, 2 and transient
errors are retryable; 190 (expired or invalid token), 10, 200-299 (permissions) and 294 fail
fast naming the setting to fix; 100 and everything else is a refused request.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from facebook_business.api import FacebookAdsApi
from facebook_business.exceptions import FacebookError, FacebookRequestError
from facebook_business.session import FacebookSession

from platforms.config import MetaConfig
from platforms.errors import ErrorKind, PlatformError
from platforms.port import record_request_id

T = TypeVar("T")

RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
RETRYABLE_CODES = frozenset({1, 2})
PERMISSION_CODES = frozenset({10, 294, *range(200, 300)})
TRACE_HEADERS = ("x-fb-trace-id", "x-fb-request-id")
USAGE_HEADERS = ("x-business-use-case-usage", "x-ad-account-usage", "x-app-usage")


class MetaWire:
    def __init__(self, config: MetaConfig) -> None:
        token = config.access_token.get_secret_value() if config.access_token else None
        secret = config.app_secret.get_secret_value() if config.app_secret else None
        session = FacebookSession(
            app_id=config.app_id,
            app_secret=secret,
            access_token=token,
            timeout=config.timeout_seconds,
        )
        session.GRAPH = config.graph_url.rstrip("/")
        session.requests.hooks["response"].append(_record_trace_id)
        self._session = session
        self.api = FacebookAdsApi(session, api_version=config.api_version)

    async def call(self, fn: Callable[[], T], *, what: str) -> T:
        """Run one SDK call in a thread; its failure as a ``PlatformError``."""
        try:
            return await asyncio.to_thread(fn)
        except FacebookRequestError as err:
            raise _from_request_error(err, what) from err
        except requests.Timeout as err:
            raise PlatformError(
                ErrorKind.unavailable, f"Meta {what} timed out: {redacted(err)}"
            ) from err
        except requests.RequestException as err:
            raise PlatformError(
                ErrorKind.unavailable, f"Meta {what} failed: {type(err).__name__}: {redacted(err)}"
            ) from err
        except FacebookError as err:
            raise PlatformError(ErrorKind.malformed, f"Meta {what}: {err}") from err

    def close(self) -> None:
        self._session.requests.close()


def redacted(err: Exception) -> str:
    """The error's text without the credentials ``requests`` puts in URLs it quotes."""
    return _CREDENTIALS.sub(r"\1=REDACTED", str(err))


_CREDENTIALS = re.compile(r"(access_token|appsecret_proof)=[^&\s'\")]+")


def _record_trace_id(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    for header in TRACE_HEADERS:
        if header in response.headers:
            record_request_id(response.headers[header])
            return


def _from_request_error(err: FacebookRequestError, what: str) -> PlatformError:
    code, subcode = err.api_error_code(), err.api_error_subcode()
    body = err.body() if isinstance(err.body(), dict) else {}
    error = body.get("error", {}) if isinstance(body.get("error"), dict) else {}
    trace = error.get("fbtrace_id") or _header(err, "x-fb-trace-id")
    record_request_id(trace)
    platform_message = error.get("error_user_msg") or err.api_error_message() or err.get_message()
    label = f"Meta error {code}" + (f"/{subcode}" if subcode else "")
    details = {"http_status": err.http_status(), "code": code, "subcode": subcode}
    if code in RATE_LIMIT_CODES:
        return PlatformError(
            ErrorKind.rate_limited,
            f"Meta rate limit on {what} ({label}): {platform_message}",
            retry_after=advised_delay(err.http_headers() or {}),
            request_id=trace,
            details=details,
        )
    if code == 190:
        return PlatformError(
            ErrorKind.auth,
            f"Meta refused META_ACCESS_TOKEN ({label}: {platform_message}). Generate a new "
            "system-user token with ads_management and ads_read and set META_ACCESS_TOKEN.",
            retryable=False,
            request_id=trace,
            details=details,
        )
    if code in PERMISSION_CODES:
        return PlatformError(
            ErrorKind.auth,
            f"META_ACCESS_TOKEN lacks a permission for {what} ({label}: {platform_message}); "
            "it needs ads_management (changes) and ads_read (insights) on the ad account.",
            retryable=False,
            request_id=trace,
            details=details,
        )
    if code == 100 and subcode == 33:
        return PlatformError(
            ErrorKind.not_found,
            f"Meta {what}: not found ({platform_message})",
            retryable=False,
            request_id=trace,
            details=details,
        )
    if code in RETRYABLE_CODES or err.api_transient_error() or (err.http_status() or 0) >= 500:
        return PlatformError(
            ErrorKind.server_error,
            f"Meta {what} failed ({label}): {platform_message}",
            request_id=trace,
            details=details,
        )
    title = error.get("error_user_title")
    return PlatformError(
        ErrorKind.invalid,
        f"{title}: {platform_message} ({label})" if title else f"{platform_message} ({label})",
        retryable=False,
        request_id=trace,
        details=details,
    )


def advised_delay(headers: Any) -> float | None:
    """Seconds Meta asks us to wait: the largest ``estimated_time_to_regain_access`` (minutes)
    of the business use case usage, or the ad account usage's ``reset_time_duration``."""
    delays: list[float] = []
    for name in USAGE_HEADERS:
        raw = _get_header(headers, name)
        if not raw:
            continue
        try:
            usage = json.loads(raw)
        except ValueError:
            continue
        for entry in _entries(usage):
            minutes = entry.get("estimated_time_to_regain_access")
            if isinstance(minutes, int | float) and minutes > 0:
                delays.append(60.0 * minutes)
            seconds = entry.get("reset_time_duration")
            if isinstance(seconds, int | float) and seconds > 0:
                delays.append(float(seconds))
    return max(delays) if delays else None


def _entries(usage: Any) -> list[dict]:
    """The header is {business_id: [entry, ...]} or a single entry."""
    if isinstance(usage, dict) and all(isinstance(v, list) for v in usage.values()) and usage:
        return [e for entries in usage.values() for e in entries if isinstance(e, dict)]
    return [usage] if isinstance(usage, dict) else []


def _get_header(headers: Any, name: str) -> str | None:
    try:
        value = headers.get(name)
    except AttributeError:
        return None
    if value is None and isinstance(headers, dict):
        value = {k.lower(): v for k, v in headers.items()}.get(name)
    return value


def _header(err: FacebookRequestError, name: str) -> str | None:
    return _get_header(err.http_headers() or {}, name)
