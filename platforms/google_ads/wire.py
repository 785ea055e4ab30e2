"""Calls to the Google Ads API through the official library, and what their failures mean.

- Credentials: an OAuth2 refresh token (``google.oauth2.credentials``), refreshed before a call
  when the access token is missing or expired, so an expired or revoked refresh token fails
  fast with the setting to fix instead of surfacing as a retryable UNAVAILABLE from inside
  gRPC's auth plugin.
- Retries belong to Temporal: the library's clients are called without a retry, and only
  UNKNOWN, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED and UNAVAILABLE are retryable (Google's
  guidance); RESOURCE_EXHAUSTED carries ``QuotaErrorDetails.retry_delay`` as the advised delay.
- Every call's request id (``request-id`` metadata) is recorded for the audit.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Sequence
from typing import Any

import grpc
from google.ads.googleads.client import GoogleAdsClient
from google.ads.googleads.errors import GoogleAdsException
from google.api_core.exceptions import GoogleAPICallError
from google.auth.exceptions import RefreshError, TransportError
from google.auth.transport.requests import Request
from google.oauth2.credentials import Credentials

from platforms.config import GoogleAdsConfig
from platforms.errors import ErrorKind, PlatformError
from platforms.port import record_request_id

RETRYABLE_CODES = frozenset(
    {
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.UNAVAILABLE,
    }
)
REQUEST_ID_KEY = "request-id"


class GoogleAdsWire:
    """The two RPCs the adapter uses: ``GoogleAdsService.SearchStream`` and ``.Mutate``."""

    def __init__(self, config: GoogleAdsConfig) -> None:
        self._config = config
        self._version = config.api_version
        self._credentials = Credentials(
            None,
            refresh_token=_secret(config.refresh_token),
            client_id=config.client_id,
            client_secret=_secret(config.client_secret),
            token_uri=config.token_uri,
        )
        self._client = GoogleAdsClient(
            self._credentials,
            developer_token=_secret(config.developer_token),
            endpoint=config.endpoint,
            login_customer_id=config.login_customer_id,
            version=config.api_version,
            use_proto_plus=True,
        )
        self._refreshing = asyncio.Lock()
        self._service: Any = None

    def message(self, name: str) -> Any:
        """A new, empty message of the configured API version (e.g. ``MutateOperation``)."""
        return self._client.get_type(name, version=self._version)

    async def search(self, customer_id: str, query: str) -> list[Any]:
        """Every row a GAQL query returns (``SearchStream``: one call, no paging)."""
        service = await self._ready()
        rows: list[Any] = []
        try:
            stream = await service.search_stream(
                customer_id=customer_id, query=query, timeout=self._config.timeout_seconds
            )
            async for batch in stream:
                record_request_id(batch.request_id)
                rows.extend(batch.results)
        except Exception as err:
            raise _platform_error(err, what=f"query on customer {customer_id}") from err
        return rows

    async def mutate(
        self, customer_id: str, operations: Sequence[Any], *, validate_only: bool
    ) -> Any:
        """One atomic ``GoogleAdsService.Mutate``: all operations land or none does
        (``partial_failure`` off); ``validate_only`` is the dry run."""
        service = await self._ready()
        request = self.message("MutateGoogleAdsRequest")
        request.customer_id = customer_id
        request.mutate_operations.extend(operations)
        request.partial_failure = False
        request.validate_only = validate_only
        try:
            return await service.mutate(request=request, timeout=self._config.timeout_seconds)
        except Exception as err:
            raise _platform_error(err, what=f"change on customer {customer_id}") from err

    async def aclose(self) -> None:
        if self._service is not None:
            await self._service.transport.close()

    async def _ready(self) -> Any:
        await self._refresh_credentials()
        if self._service is None:
            self._service = self._client.get_service(
                "GoogleAdsService",
                version=self._version,
                interceptors=[_RequestIdRecorder()],
                is_async=True,
            )
        return self._service

    async def _refresh_credentials(self) -> None:
        async with self._refreshing:
            if self._credentials.valid:
                return
            try:
                await asyncio.to_thread(self._credentials.refresh, Request())
            except RefreshError as err:
                raise PlatformError(
                    ErrorKind.auth,
                    "Google's OAuth server refused GOOGLE_ADS_REFRESH_TOKEN (expired or "
                    f"revoked?): {_first_line(err)}. Issue a new refresh token for "
                    "GOOGLE_ADS_CLIENT_ID and set GOOGLE_ADS_REFRESH_TOKEN.",
                ) from err
            except TransportError as err:
                raise PlatformError(
                    ErrorKind.unavailable, f"Google's OAuth server did not answer: {err}"
                ) from err


class _RequestIdRecorder(grpc.aio.UnaryUnaryClientInterceptor):
    """Record the request id of every unary call (Mutate): the library returns only the
    response message, and the id travels in the call's metadata."""

    async def intercept_unary_unary(self, continuation, client_call_details, request):  # noqa: ANN001, ANN201
        call = await continuation(client_call_details, request)
        try:
            await call
        except Exception:  # a failed call still has its request id; the caller's await raises
            pass
        for metadata in (await call.initial_metadata(), await call.trailing_metadata()):
            for key, value in metadata or ():
                if key == REQUEST_ID_KEY:
                    record_request_id(value)
        return call


# ----------------------------------------------------------------------------- errors


def _platform_error(err: Exception, *, what: str) -> PlatformError:
    if isinstance(err, PlatformError):
        return err
    if isinstance(err, GoogleAdsException):
        record_request_id(err.request_id)
        return _from_failure(err.error.code(), err.failure, err.request_id, what)
    # The async client wraps gRPC errors without a GoogleAdsFailure (UNAVAILABLE, quota...)
    # in api_core's exceptions; the original call, with its metadata, is their ``response``.
    call = err.response if isinstance(err, GoogleAPICallError) else err
    if isinstance(call, grpc.RpcError) and callable(getattr(call, "code", None)):
        request_id = _metadata_value(call, REQUEST_ID_KEY)
        record_request_id(request_id)
        return _from_failure(
            call.code(), _failure_of(call), request_id, what, fallback=_details(call)
        )
    if isinstance(err, GoogleAPICallError) and err.grpc_status_code is not None:
        return _from_failure(err.grpc_status_code, None, None, what, fallback=err.message)
    return PlatformError(ErrorKind.unavailable, f"Google Ads {what} failed: {err!r}")


def _from_failure(
    code: grpc.StatusCode,
    failure: Any,
    request_id: str | None,
    what: str,
    *,
    fallback: str | None = None,
) -> PlatformError:
    errors = list(getattr(failure, "errors", None) or [])
    messages = "; ".join(_describe(e) for e in errors) or (fallback or code.name)
    retryable = code in RETRYABLE_CODES
    details = {"grpc_status": code.name, "errors": [_error_code(e) for e in errors]}
    if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
        return PlatformError(
            ErrorKind.auth,
            f"Google Ads refused the credentials for {what}: {messages}. {_auth_hint(errors)}",
            retryable=False,
            request_id=request_id,
            details=details,
        )
    if code is grpc.StatusCode.RESOURCE_EXHAUSTED:
        return PlatformError(
            ErrorKind.rate_limited,
            f"Google Ads quota exhausted for {what}: {messages}",
            retry_after=_retry_delay(errors),
            request_id=request_id,
            details=details,
        )
    if code is grpc.StatusCode.NOT_FOUND or _is_not_found(errors):
        return PlatformError(
            ErrorKind.not_found,
            f"Google Ads {what}: not found ({messages})",
            retryable=False,
            request_id=request_id,
            details=details,
        )
    if code is grpc.StatusCode.INVALID_ARGUMENT:
        return PlatformError(
            ErrorKind.invalid, messages, retryable=False, request_id=request_id, details=details
        )
    kind = ErrorKind.unavailable if retryable else ErrorKind.server_error
    return PlatformError(
        kind,
        f"Google Ads {what} failed ({code.name}): {messages}",
        retryable=retryable,
        request_id=request_id,
        details=details,
    )


def _describe(error: Any) -> str:
    code = _error_code(error)
    text = f"{error.message} [{code}]" if code else error.message
    policy = getattr(error.details, "policy_finding_details", None)
    topics = [entry.topic for entry in getattr(policy, "policy_topic_entries", [])]
    return f"{text} (policy: {', '.join(topics)})" if topics else text


def _error_code(error: Any) -> str:
    """'policy_finding_error: POLICY_FINDING' from the GoogleAdsError's error_code oneof."""
    code = error.error_code
    kind = type(code).pb(code).WhichOneof("error_code")
    return f"{kind}: {getattr(code, kind).name}" if kind else ""


def _is_not_found(errors: list[Any]) -> bool:
    return any(
        "NOT_FOUND" in _error_code(e) or "CUSTOMER_NOT_ENABLED" in _error_code(e) for e in errors
    )


def _auth_hint(errors: list[Any]) -> str:
    codes = " ".join(_error_code(e) for e in errors)
    if "DEVELOPER_TOKEN" in codes:
        return "Check GOOGLE_ADS_DEVELOPER_TOKEN (approved for this account's access level)."
    if "OAUTH_TOKEN" in codes or "authentication_error" in codes:
        return "Issue a new refresh token and set GOOGLE_ADS_REFRESH_TOKEN."
    if "USER_PERMISSION_DENIED" in codes or "CUSTOMER_NOT_ENABLED" in codes:
        return (
            "The authorised user cannot reach this account: check GOOGLE_ADS_LOGIN_CUSTOMER_ID "
            "(the manager account) and the account's access."
        )
    return "Check GOOGLE_ADS_REFRESH_TOKEN and GOOGLE_ADS_DEVELOPER_TOKEN."


def _retry_delay(errors: list[Any]) -> float | None:
    delays = [
        e.details.quota_error_details.retry_delay.total_seconds()
        for e in errors
        if e.details.quota_error_details.retry_delay
    ]
    return max(delays) if delays else None


def _failure_of(err: Any) -> Any:
    """The GoogleAdsFailure in a raw gRPC error's trailing metadata (the library leaves
    RESOURCE_EXHAUSTED and INTERNAL unwrapped)."""
    for key, value in _trailing(err):
        if key.endswith("googleadsfailure-bin"):
            version = key.split(".")[3]
            module = importlib.import_module(f"google.ads.googleads.{version}.errors.types.errors")
            try:
                return module.GoogleAdsFailure.deserialize(value)
            except Exception:  # a garbled failure is still a failure: keep the status
                return None
    return None


def _trailing(err: Any) -> Sequence[tuple[str, Any]]:
    try:
        return err.trailing_metadata() or ()
    except Exception:
        return ()


def _metadata_value(err: Any, key: str) -> str | None:
    for candidate, value in _trailing(err):
        if candidate == key:
            return value
    return None


def _details(call: Any) -> str | None:
    try:
        return call.details()
    except Exception:
        return None


def _first_line(err: Exception) -> str:
    return str(err.args[0] if err.args else err).splitlines()[0][:300]


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None
