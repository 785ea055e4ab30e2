"""How ad-platform HTTP answers become Temporal activity errors.

The retry policy lives in the workflow; activities only say what kind of failure happened and
whether retrying can help: transport problems, timeouts, 5xx, 429 and malformed bodies are
retryable; 404 and other 4xx answers are not (retrying would get the same answer).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter, ValidationError
from temporalio.exceptions import ApplicationError

AD_PLATFORM_UNAVAILABLE = "AdPlatformUnavailable"  # transport error or timeout: retryable
AD_PLATFORM_ERROR = "AdPlatformError"  # 5xx or 429: retryable
AD_PLATFORM_REJECTED = "AdPlatformRejected"  # other 4xx: not retryable
MALFORMED_RESPONSE = "MalformedResponse"  # body is not what the contract says: retryable
NOT_FOUND = "NotFound"


def path_segment(value: str) -> str:
    """``value`` as exactly one URL path segment: ``/`` is escaped, and so are dots, which
    clients and proxies would otherwise resolve (``..`` climbs to another endpoint)."""
    return quote(value, safe="").replace(".", "%2E")


async def request(
    client: httpx.AsyncClient, method: str, path: str, **kwargs: Any
) -> httpx.Response:
    """Send one request; turn transport failures into retryable activity errors."""
    try:
        return await client.request(method, path, **kwargs)
    except httpx.TimeoutException as err:
        raise ApplicationError(
            f"{method} {path} timed out: {err!r}", type=AD_PLATFORM_UNAVAILABLE
        ) from err
    except httpx.TransportError as err:
        raise ApplicationError(
            f"{method} {path} failed: {err!r}", type=AD_PLATFORM_UNAVAILABLE
        ) from err


def raise_for_status(response: httpx.Response, *, not_found_type: str = NOT_FOUND) -> None:
    """Map an error status to an activity error; a 2xx answer passes through."""
    status = response.status_code
    if status < 400:
        return
    where = f"{response.request.method} {response.request.url.path}"
    detail = error_detail(response)
    if status == 404:
        raise ApplicationError(
            f"{where}: not found ({detail})", type=not_found_type, non_retryable=True
        )
    if status >= 500 or status == 429:
        raise ApplicationError(f"{where}: HTTP {status} ({detail})", type=AD_PLATFORM_ERROR)
    raise ApplicationError(
        f"{where}: HTTP {status} ({detail})", type=AD_PLATFORM_REJECTED, non_retryable=True
    )


def json_body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ApplicationError(
            f"{response.request.url.path}: body is not JSON ({response.text[:200]!r})",
            type=MALFORMED_RESPONSE,
        ) from err


def validate(adapter: TypeAdapter[Any], body: Any, what: str) -> Any:
    """Validate a body against the domain contract; a mismatch is a (retryable) bad answer."""
    try:
        return adapter.validate_python(body)
    except ValidationError as err:
        raise ApplicationError(
            f"{what}: response does not match the contract: {_first_errors(err)}",
            type=MALFORMED_RESPONSE,
        ) from err


def _first_errors(err: ValidationError, limit: int = 3) -> str:
    parts = [f"{'.'.join(map(str, e['loc'])) or '<body>'}: {e['msg']}" for e in err.errors()]
    return "; ".join(parts[:limit]) + (
        f" (+{len(parts) - limit} more)" if len(parts) > limit else ""
    )


def error_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict) and "detail" in body:
        return str(body["detail"])[:300]
    return str(body)[:300]
