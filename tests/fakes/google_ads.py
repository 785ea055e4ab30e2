"""A fake Google Ads API: a gRPC server speaking ``GoogleAdsService`` (SearchStream, Mutate)
over TLS, plus the OAuth token endpoint and an admin API over HTTP.

The gRPC method table is not written by hand: it is read from the service stubs the
``google-ads`` package ships (the generated transport's method paths, request and response
types), so the fake answers exactly the calls the official client makes. Errors carry a
serialized ``GoogleAdsFailure`` in the ``...googleadsfailure-bin`` trailing metadata and a
``request-id``, like the real API, so the library raises its own ``GoogleAdsException``.

Run alone: ``python -m tests.fakes.google_ads --grpc-port P --http-port Q --ca-file ca.pem``
(the client trusts the fake through ``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=ca.pem``).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import grpc
import trustme
from google.ads.googleads.v26.common.types import policy as policy_types
from google.ads.googleads.v26.errors.types import errors as error_types
from google.ads.googleads.v26.services.services.google_ads_service.transports.grpc import (
    GoogleAdsServiceGrpcTransport,
)
from google.ads.googleads.v26.services.types import google_ads_service as service_types
from google.auth.credentials import AnonymousCredentials
from google.protobuf import duration_pb2, field_mask_pb2

from tests.fakes import gaql
from tests.fakes.google_ads_account import (  # noqa: F401 - CUSTOMER_ID for callers
    AGE_SHARES,
    CUSTOMER_ID,
    DEVICE_SHARES,
    GENDER_SHARES,
    Account,
    ChangeEvent,
    Label,
    seeded_account,
)

VERSION = "v26"
FAILURE_KEY = f"google.ads.googleads.{VERSION}.errors.googleadsfailure-bin"
SERVICE = f"google.ads.googleads.{VERSION}.services.GoogleAdsService"
DEVELOPER_TOKEN = "fake-developer-token"
CLIENT_ID = "fake-client-id.apps.googleusercontent.com"
CLIENT_SECRET = "fake-client-secret"
REFRESH_TOKEN = "fake-refresh-token"
MIN_MICROS = 10_000
_CA = trustme.CA()
WRITE_FAULTS = ("drop_after_apply", "latency")

# Ratios the API derives for a date range from additive quantities.
_RATIOS: dict[str, Callable[[dict[str, float]], float]] = {
    "metrics.search_impression_share": lambda r: _div(r["metrics.impressions"], r["_eligible"]),
    "metrics.search_rank_lost_impression_share": lambda r: _div(r["_rank_lost"], r["_eligible"]),
    "metrics.search_budget_lost_impression_share": lambda r: _div(
        r["_budget_lost"], r["_eligible"]
    ),
    "metrics.average_cpc": lambda r: _div(r["metrics.cost_micros"], r["metrics.clicks"]),
    "metrics.unique_users": lambda r: round(r["_unique"]),
    "metrics.average_impression_frequency_per_user": lambda r: _div(
        r["metrics.impressions"], r["_unique"]
    ),
}
_INTEGER_METRICS = (
    "metrics.impressions",
    "metrics.clicks",
    "metrics.cost_micros",
    "metrics.engagements",
)


def _div(a: float, b: float) -> float:
    return a / b if b else 0.0


class Abort(Exception):
    """Ends a call with a status, a GoogleAdsFailure and trailing metadata, as the API does."""

    def __init__(self, code: grpc.StatusCode, message: str, errors: list[Any] | None = None):
        super().__init__(message)
        self.code, self.message, self.errors = code, message, errors or []


@dataclass
class Fault:
    method: str  # "Mutate" or "SearchStream"
    kind: str  # drop_after_apply, rate_limit, unavailable, latency
    count: int = 1
    retry_delay_seconds: int = 30
    latency_seconds: float = 0.0


@dataclass
class FakeGoogleAds:
    """The fake platform's state and behaviour, shared by the gRPC and HTTP sides."""

    account: Account = field(default_factory=seeded_account)
    mutations: list[dict] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    refresh_token_expired: bool = False
    writes_in_flight: int = 0
    issued_tokens: set[str] = field(default_factory=set)
    calls: list[str] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Count a write in progress (the e2e kills a worker while one is)."""
        with self.lock:
            self.writes_in_flight += 1
        try:
            yield
        finally:
            with self.lock:
                self.writes_in_flight -= 1

    def reset(self) -> None:
        with self.lock:
            self.account = seeded_account(self.account.today)
            self.mutations.clear()
            self.faults.clear()
            self.refresh_token_expired = False

    def next_id(self) -> int:
        return next(self._ids)

    # ------------------------------------------------------------------------- OAuth

    def token(self, form: dict[str, str]) -> tuple[int, dict]:
        if form.get("grant_type") != "refresh_token" or form.get("client_id") != CLIENT_ID:
            return 401, {
                "error": "invalid_client",
                "error_description": "The OAuth client was not found.",
            }
        if form.get("refresh_token") != REFRESH_TOKEN or self.refresh_token_expired:
            return 400, {
                "error": "invalid_grant",
                "error_description": "Token has been expired or revoked.",
            }
        token = f"ya29.fake-{self.next_id()}"
        self.issued_tokens.add(token)
        return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    def authenticate(self, metadata: dict[str, str]) -> None:
        bearer = metadata.get("authorization", "").removeprefix("Bearer ")
        if bearer not in self.issued_tokens:
            raise Abort(
                grpc.StatusCode.UNAUTHENTICATED,
                "Request is missing required authentication credential.",
                [
                    _error(
                        "authentication_error",
                        "OAUTH_TOKEN_INVALID",
                        "The OAuth token in the request is not valid.",
                    )
                ],
            )
        if metadata.get("developer-token") != DEVELOPER_TOKEN:
            raise Abort(
                grpc.StatusCode.PERMISSION_DENIED,
                "The caller does not have permission",
                [
                    _error(
                        "authorization_error",
                        "DEVELOPER_TOKEN_NOT_APPROVED",
                        "The developer token is not approved.",
                    )
                ],
            )

    def take_fault(self, method: str, *, writing: bool = True) -> Fault | None:
        """The next fault for this method; dropped answers and slow writes are for real writes
        (``writing``), not dry runs, which cannot lose or delay a change."""
        with self.lock:
            for fault in self.faults:
                if fault.kind in WRITE_FAULTS and not writing:
                    continue
                if fault.method == method and fault.count > 0:
                    fault.count -= 1
                    return fault
        return None

    # ------------------------------------------------------------------------- search

    def search(self, customer_id: str, text: str) -> list[Any]:
        if customer_id != self.account.customer_id:
            raise Abort(
                grpc.StatusCode.PERMISSION_DENIED,
                "The caller does not have permission",
                [
                    _error(
                        "authorization_error",
                        "USER_PERMISSION_DENIED",
                        "User doesn't have permission to access customer.",
                    )
                ],
            )
        try:
            query = gaql.parse(text)
        except gaql.GaqlError as err:
            raise Abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                str(err),
                [_error("query_error", "UNEXPECTED_INPUT", str(err))],
            ) from err
        with self.lock:
            rows = [r for r in self._rows(query) if all(c.matches(r) for c in query.conditions)]
        if query.mentions("metrics.") or any(f.startswith("segments.") for f in query.fields):
            rows = _aggregate(rows, query.fields)
        if query.order_by:
            rows.sort(key=lambda r: gaql._cmp(r.get(query.order_by, 0)), reverse=query.descending)
        if query.limit is not None:
            rows = rows[: query.limit]
        return [_to_row(r, query.fields) for r in rows]

    def _rows(self, query: gaql.Query) -> Iterator[dict[str, Any]]:
        account = self.account
        daily = query.mentions("metrics.") or query.mentions("segments.")
        resource = query.resource
        if resource == "campaign":
            by_device = "segments.device" in query.fields
            for campaign in account.campaigns.values():
                base = account.campaign_attributes(campaign)
                if not daily:
                    yield base
                    continue
                for days_ago, day in account.days():
                    delivery = account.delivery(campaign, days_ago)
                    if by_device:
                        for device, share in DEVICE_SHARES.items():
                            yield {
                                **base,
                                "segments.date": day,
                                "segments.device": device,
                                **_scale(delivery, share),
                            }
                    else:
                        yield {**base, "segments.date": day, **delivery}
        elif resource == "ad_group":
            for group in account.ad_groups.values():
                yield account.ad_group_attributes(group)
        elif resource == "ad_group_ad":
            for ad in account.ads.values():
                base = account.ad_attributes(ad)
                if not daily:
                    yield base
                    continue
                for days_ago, day in account.days():
                    yield {**base, "segments.date": day, **account.ad_delivery(ad, days_ago)}
        elif resource in ("age_range_view", "gender_view"):
            shares = AGE_SHARES if resource == "age_range_view" else GENDER_SHARES
            key = (
                "ad_group_criterion.age_range.type"
                if resource == "age_range_view"
                else "ad_group_criterion.gender.type"
            )
            for campaign in account.campaigns.values():
                base = account.campaign_attributes(campaign)
                for days_ago, day in account.days():
                    delivery = account.delivery(campaign, days_ago)
                    for value, share in shares.items():
                        yield {**base, "segments.date": day, key: value, **_scale(delivery, share)}
        elif resource == "label":
            for label in account.labels.values():
                yield {
                    "label.id": label.label_id,
                    "label.name": label.name,
                    "label.resource_name": account.label_name(label.label_id),
                }
        elif resource == "change_event":
            for event in account.change_events:
                yield {
                    "change_event.change_date_time": event.at.strftime("%Y-%m-%d %H:%M:%S"),
                    "change_event.change_resource_type": event.resource_type,
                    "change_event.change_resource_name": event.resource_name,
                    "change_event.changed_fields": event.changed_fields,
                    "change_event.campaign": account.campaign_name(event.campaign_id),
                    "change_event.resource_change_operation": "UPDATE",
                }
        else:
            raise Abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"Invalid resource {resource}",
                [
                    _error(
                        "query_error",
                        "INVALID_RESOURCE_NAME_IN_FROM_CLAUSE",
                        f"Unknown resource {resource}.",
                    )
                ],
            )

    # ------------------------------------------------------------------------- mutate

    def mutate(self, request: Any, request_id: str) -> Any:
        if request.customer_id != self.account.customer_id:
            raise Abort(
                grpc.StatusCode.PERMISSION_DENIED,
                "The caller does not have permission",
                [
                    _error(
                        "authorization_error",
                        "USER_PERMISSION_DENIED",
                        "User doesn't have permission to access customer.",
                    )
                ],
            )
        if request.partial_failure:
            raise Abort(
                grpc.StatusCode.INVALID_ARGUMENT, "partial_failure is not supported by this fake"
            )
        with self.lock:
            # All or nothing: every operation is applied to a copy, which replaces the account
            # only if all of them are valid (and never for validate_only).
            draft = self.account.copy()
            temporary: dict[str, str] = {}
            applied = []
            for index, operation in enumerate(request.mutate_operations):
                applied.append(_apply(draft, operation, index, temporary, self.next_id))
            if request.validate_only:
                return service_types.MutateGoogleAdsResponse()
            self.account = draft
            self.mutations.append(
                {
                    "customer_id": request.customer_id,
                    "request_id": request_id,
                    "operations": applied,
                    "at": datetime.now(UTC).isoformat(),
                }
            )
        return service_types.MutateGoogleAdsResponse(
            mutate_operation_responses=[service_types.MutateOperationResponse() for _ in applied]
        )


# ----------------------------------------------------------------------------- mutate helpers


def _apply(
    account: Account, operation: Any, index: int, temporary: dict[str, str], next_id
) -> dict:
    kind = type(operation).pb(operation).WhichOneof("operation")
    inner = getattr(operation, kind)
    if kind == "label_operation":
        label = inner.create
        if any(existing.name == label.name for existing in account.labels.values()):
            raise _invalid(
                index, "label_error", "DUPLICATE_NAME", "A label with this name already exists."
            )
        label_id = next_id()
        temporary[label.resource_name] = account.label_name(label_id)
        account.labels[label_id] = Label(label_id, label.name, label.text_label.description)
        return {"operation": kind, "label": label.name}
    if kind == "campaign_label_operation":
        link = inner.create
        label_name = temporary.get(link.label, link.label)
        label_id = _id_of(label_name)
        campaign_id = _id_of(link.campaign)
        if label_id not in account.labels or campaign_id not in account.campaigns:
            raise _invalid(index, "mutate_error", "RESOURCE_NOT_FOUND", "Resource was not found.")
        account.campaign_labels.append((campaign_id, label_id))
        return {"operation": kind, "campaign_id": campaign_id, "label_id": label_id}
    paths = list(inner.update_mask.paths)
    update = inner.update
    if kind == "campaign_operation":
        campaign = account.campaigns.get(_id_of(update.resource_name))
        if campaign is None:
            raise _invalid(index, "mutate_error", "RESOURCE_NOT_FOUND", "Resource was not found.")
        for path in paths:
            if path == "status":
                campaign.status = update.status.name
            elif path in ("target_cpa.target_cpa_micros", "maximize_conversions.target_cpa_micros"):
                value = _get(update, path)
                _check_money(index, value, "bidding_error", "BID_TOO_SMALL")
                campaign.target_cpa_micros = value
            else:
                raise _invalid(
                    index,
                    "field_mask_error",
                    "FIELD_NOT_FOUND",
                    f"Field {path} cannot be updated by this fake.",
                )
        _record(account, "CAMPAIGN", update.resource_name, campaign.campaign_id, paths)
        return {
            "operation": kind,
            "campaign_id": campaign.campaign_id,
            "fields": {p: str(_get(update, p)) for p in paths},
        }
    if kind == "ad_group_operation":
        group = account.ad_groups.get(_id_of(update.resource_name))
        if group is None:
            raise _invalid(index, "mutate_error", "RESOURCE_NOT_FOUND", "Resource was not found.")
        for path in paths:
            if path == "cpc_bid_micros":
                _check_money(index, update.cpc_bid_micros, "bidding_error", "BID_TOO_SMALL")
                group.cpc_bid_micros = update.cpc_bid_micros
            elif path == "optimized_targeting_enabled":
                group.optimized_targeting_enabled = update.optimized_targeting_enabled
            else:
                raise _invalid(
                    index,
                    "field_mask_error",
                    "FIELD_NOT_FOUND",
                    f"Field {path} cannot be updated by this fake.",
                )
        _record(account, "AD_GROUP", update.resource_name, group.campaign_id, paths)
        return {
            "operation": kind,
            "ad_group_id": group.ad_group_id,
            "fields": {p: str(_get(update, p)) for p in paths},
        }
    if kind == "ad_group_ad_operation":
        ad_id = int(update.resource_name.rsplit("~", 1)[-1])
        ad = account.ads.get(ad_id)
        if ad is None or paths != ["status"]:
            raise _invalid(index, "mutate_error", "RESOURCE_NOT_FOUND", "Resource was not found.")
        status = update.status.name
        if status == "ENABLED" and ad.policy_topic:
            raise _policy(index, ad.policy_topic)
        ad.status = status
        campaign_id = account.ad_groups[ad.ad_group_id].campaign_id
        _record(account, "AD_GROUP_AD", update.resource_name, campaign_id, paths)
        return {"operation": kind, "ad_id": ad_id, "status": status}
    if kind == "campaign_budget_operation":
        budget = account.budgets.get(_id_of(update.resource_name))
        if budget is None or paths != ["amount_micros"]:
            raise _invalid(index, "mutate_error", "RESOURCE_NOT_FOUND", "Resource was not found.")
        value = update.amount_micros
        if value < 0:
            raise _invalid(
                index,
                "campaign_budget_error",
                "NEGATIVE_MONEY_AMOUNT",
                "The budget amount cannot be negative.",
            )
        _check_money(
            index, value, "campaign_budget_error", "MONEY_AMOUNT_LESS_THAN_CURRENCY_MINIMUM_CPC"
        )
        budget.amount_micros = value
        for campaign in account.campaigns.values():
            if campaign.budget_id == budget.budget_id:
                _record(
                    account, "CAMPAIGN_BUDGET", update.resource_name, campaign.campaign_id, paths
                )
        return {"operation": kind, "budget_id": budget.budget_id, "amount_micros": value}
    raise _invalid(
        index, "mutate_error", "MUTATE_NOT_ALLOWED", f"{kind} is not supported by this fake."
    )


def _check_money(index: int, micros: int, error: str, too_small: str) -> None:
    if micros < MIN_MICROS:
        raise _invalid(index, error, too_small, "The amount is below the currency's minimum.")
    if micros % MIN_MICROS:
        raise _invalid(
            index,
            error,
            "BID_TOO_MANY_FRACTIONAL_DIGITS"
            if error == "bidding_error"
            else "NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT",
            "The amount is not a multiple of the minimum currency unit.",
        )


def _record(
    account: Account, resource_type: str, name: str, campaign_id: int, paths: list[str]
) -> None:
    account.change_events.append(
        ChangeEvent(datetime.now(UTC), resource_type, name, campaign_id, paths)
    )


def _id_of(resource_name: str) -> int:
    try:
        return int(resource_name.rsplit("/", 1)[-1])
    except ValueError:
        return -1


def _get(message: Any, path: str) -> Any:
    for part in path.split("."):
        message = getattr(message, part)
    return message


def _invalid(index: int, error: str, code: str, message: str) -> Abort:
    return Abort(
        grpc.StatusCode.INVALID_ARGUMENT,
        "Request contains an invalid argument.",
        [_error(error, code, message, index)],
    )


def _policy(index: int, topic: str) -> Abort:
    error = _error(
        "policy_finding_error",
        "POLICY_FINDING",
        "The resource has been disapproved since the policy summary includes policy topics of "
        "type PROHIBITED.",
        index,
    )
    error.details.policy_finding_details.policy_topic_entries.append(
        policy_types.PolicyTopicEntry(topic=topic, type_="PROHIBITED")
    )
    return Abort(grpc.StatusCode.INVALID_ARGUMENT, "Request contains an invalid argument.", [error])


def _error(error: str, code: str, message: str, index: int | None = None) -> Any:
    err = error_types.GoogleAdsError(message=message)
    setattr(err.error_code, error, code)
    if index is not None:
        err.location.field_path_elements.append(
            error_types.ErrorLocation.FieldPathElement(field_name="mutate_operations", index=index)
        )
    return err


# ----------------------------------------------------------------------------- rows


def _scale(delivery: dict[str, float], share: float) -> dict[str, float]:
    return {key: value * share for key, value in delivery.items()}


def _aggregate(rows: list[dict[str, Any]], fields: list[str]) -> list[dict[str, Any]]:
    """Sum the additive quantities per distinct combination of the selected attributes."""
    keys = [f for f in fields if not f.startswith("metrics.")]
    groups: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        group_key = tuple(str(row.get(k)) for k in keys)
        if group_key not in groups:
            groups[group_key] = dict(row)
            continue
        total = groups[group_key]
        for key, value in row.items():
            if key.startswith(("metrics.", "_")) and isinstance(value, float | int):
                total[key] = total.get(key, 0.0) + value
    out = []
    for total in groups.values():
        for name, ratio in _RATIOS.items():
            if "_eligible" in total:
                total[name] = ratio(total)
        for name in _INTEGER_METRICS:
            if name in total:
                total[name] = int(round(total[name]))
        out.append(total)
    return out


def _to_row(values: dict[str, Any], fields: list[str]) -> Any:
    row = service_types.GoogleAdsRow()
    for name in fields:
        if name not in values or values[name] is None:
            continue
        parts = name.split(".")
        target = row
        for part in parts[:-1]:
            target = getattr(target, _attr(target, part))
        last = _attr(target, parts[-1])
        value = values[name]
        if last == "changed_fields":
            value = field_mask_pb2.FieldMask(paths=list(value))
        setattr(target, last, value)
    return row


def _attr(message: Any, name: str) -> str:
    """proto-plus renames fields that clash with Python names (``type`` -> ``type_``)."""
    fields = type(message).meta.fields
    return name if name in fields else f"{name}_"


# ----------------------------------------------------------------------------- gRPC side


@dataclass(frozen=True)
class Method:
    name: str
    path: str
    streaming: bool
    request_type: Any
    response_type: Any


class _StubRecorder(grpc.Channel):
    """Stands in for a channel while the library's generated transport builds its stubs, and
    records each method's path and message types."""

    def __init__(self) -> None:
        self.methods: list[tuple[str, bool, Any, Any]] = []

    def _stub(
        self, streaming: bool, path: str, request_serializer=None, response_deserializer=None, **_
    ):
        self.methods.append((path, streaming, request_serializer, response_deserializer))
        return lambda *args, **kwargs: None

    def unary_unary(self, method, request_serializer=None, response_deserializer=None, *a, **k):
        return self._stub(False, method, request_serializer, response_deserializer)

    def unary_stream(self, method, request_serializer=None, response_deserializer=None, *a, **k):
        return self._stub(True, method, request_serializer, response_deserializer)

    def stream_unary(self, *args, **kwargs):
        raise NotImplementedError

    def stream_stream(self, *args, **kwargs):
        raise NotImplementedError

    def subscribe(self, callback, try_to_connect=False):
        pass

    def unsubscribe(self, callback):
        pass

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def service_methods() -> dict[str, Method]:
    """GoogleAdsService's methods as the google-ads package's generated stubs define them."""
    recorder = _StubRecorder()
    transport = GoogleAdsServiceGrpcTransport(
        channel=recorder,  # type: ignore[arg-type]
        credentials=AnonymousCredentials(),
    )
    # The transport wraps its channel in a logging interceptor that creates unary stubs
    # lazily; reading the stubs off the bare recorder gets every method at once.
    transport._logged_channel = recorder
    transport._stubs.clear()
    for stub in ("search", "search_stream", "mutate"):
        getattr(transport, stub)
    methods = {}
    for path, streaming, serializer, deserializer in recorder.methods:
        name = path.rsplit("/", 1)[-1]
        methods[name] = Method(name, path, streaming, serializer.__self__, deserializer.__self__)
    return methods


class GoogleAdsServicer:
    def __init__(self, fake: FakeGoogleAds) -> None:
        self.fake = fake
        self.methods = service_methods()

    def handler(self) -> grpc.GenericRpcHandler:
        search = self.methods["SearchStream"]
        mutate = self.methods["Mutate"]
        return grpc.method_handlers_generic_handler(
            SERVICE,
            {
                "SearchStream": grpc.unary_stream_rpc_method_handler(
                    self.search_stream,
                    request_deserializer=search.request_type.deserialize,
                    response_serializer=search.response_type.serialize,
                ),
                "Mutate": grpc.unary_unary_rpc_method_handler(
                    self.mutate,
                    request_deserializer=mutate.request_type.deserialize,
                    response_serializer=mutate.response_type.serialize,
                ),
            },
        )

    def _begin(self, method: str, context: grpc.ServicerContext) -> str:
        request_id = f"fake-req-{self.fake.next_id()}"
        context.send_initial_metadata((("request-id", request_id),))
        self.fake.calls.append(method)
        return request_id

    def search_stream(self, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        request_id = self._begin("SearchStream", context)
        try:
            self.fake.authenticate(dict(context.invocation_metadata()))
            fault = self.fake.take_fault("SearchStream")
            if fault:
                _raise_fault(fault)
            rows = self.fake.search(request.customer_id, request.query)
        except Abort as abort:
            _abort(context, abort, request_id)
            return
        context.set_trailing_metadata((("request-id", request_id),))
        yield service_types.SearchGoogleAdsStreamResponse(results=rows, request_id=request_id)

    def mutate(self, request: Any, context: grpc.ServicerContext) -> Any:
        request_id = self._begin("Mutate", context)
        try:
            self.fake.authenticate(dict(context.invocation_metadata()))
            fault = self.fake.take_fault("Mutate", writing=not request.validate_only)
            if fault and fault.kind == "latency":
                with self.fake.writing():
                    time.sleep(fault.latency_seconds)
                fault = None
            if fault and fault.kind != "drop_after_apply":
                _raise_fault(fault)
            response = self.fake.mutate(request, request_id)
            if fault:
                # The change is in; the answer is lost on the way back.
                raise Abort(grpc.StatusCode.UNAVAILABLE, "Connection reset by peer")
        except Abort as abort:
            _abort(context, abort, request_id)
        context.set_trailing_metadata((("request-id", request_id),))
        return response


def _raise_fault(fault: Fault) -> None:
    if fault.kind == "rate_limit":
        error = _error(
            "quota_error",
            "RESOURCE_TEMPORARILY_EXHAUSTED",
            "Too many requests. Retry in 30 seconds.",
        )
        error.details.quota_error_details.rate_scope = "DEVELOPER"
        error.details.quota_error_details.rate_name = "Requests per developer per day"
        error.details.quota_error_details.retry_delay = duration_pb2.Duration(
            seconds=fault.retry_delay_seconds
        )
        raise Abort(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            "Resource has been exhausted (e.g. check quota).",
            [error],
        )
    if fault.kind == "unavailable":
        raise Abort(grpc.StatusCode.UNAVAILABLE, "The service is currently unavailable.")
    raise ValueError(f"unknown fault {fault.kind}")


def _abort(context: grpc.ServicerContext, abort: Abort, request_id: str) -> None:
    metadata = [("request-id", request_id)]
    if abort.errors:
        failure = error_types.GoogleAdsFailure(errors=abort.errors, request_id=request_id)
        metadata.append((FAILURE_KEY, error_types.GoogleAdsFailure.serialize(failure)))
    context.set_trailing_metadata(tuple(metadata))
    context.abort(abort.code, abort.message)


# ----------------------------------------------------------------------------- HTTP side


def _http_handler(fake: FakeGoogleAds) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("content-length") or 0))

        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/admin/mutations":
                with fake.lock:
                    self._send(200, list(fake.mutations))
            elif self.path == "/admin/in-flight":
                with fake.lock:
                    self._send(200, {"writes": fake.writes_in_flight})
            elif self.path == "/admin/state":
                with fake.lock:
                    self._send(200, _state(fake.account))
            else:
                self._send(404, {"error": "not found"})

        def do_POST(self) -> None:
            body = self._body()
            if self.path == "/token":
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                self._send(*fake.token(form))
            elif self.path == "/admin/faults":
                fault = Fault(**json.loads(body))
                with fake.lock:
                    fake.faults.append(fault)
                self._send(201, fault.__dict__)
            elif self.path == "/admin/reset":
                fake.reset()
                self._send(200, {"reset": True})
            elif self.path == "/admin/expire-refresh-token":
                fake.refresh_token_expired = True
                self._send(200, {"expired": True})
            else:
                self._send(404, {"error": "not found"})

        def do_DELETE(self) -> None:
            if self.path == "/admin/faults":
                with fake.lock:
                    fake.faults.clear()
                self._send(200, {"cleared": True})
            else:
                self._send(404, {"error": "not found"})

    return Handler


def _state(account: Account) -> dict:
    return {
        "campaigns": {
            c.campaign_id: {"status": c.status, "target_cpa_micros": c.target_cpa_micros}
            for c in account.campaigns.values()
        },
        "budgets": {b.budget_id: b.amount_micros for b in account.budgets.values()},
        "ad_groups": {
            g.ad_group_id: {
                "cpc_bid_micros": g.cpc_bid_micros,
                "optimized_targeting_enabled": g.optimized_targeting_enabled,
            }
            for g in account.ad_groups.values()
        },
        "ads": {a.ad_id: a.status for a in account.ads.values()},
        "labels": [label.name for label in account.labels.values()],
    }


# ----------------------------------------------------------------------------- running


@dataclass
class RunningFake:
    fake: FakeGoogleAds
    grpc_port: int
    http_port: int
    ca_file: Path
    _grpc: grpc.Server
    _http: ThreadingHTTPServer

    @property
    def endpoint(self) -> str:
        return f"localhost:{self.grpc_port}"

    @property
    def token_uri(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/token"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def stop(self) -> None:
        self._grpc.stop(grace=None)
        self._http.shutdown()
        self._http.server_close()


def start(
    ca_file: Path, *, grpc_port: int = 0, http_port: int = 0, fake: FakeGoogleAds | None = None
) -> RunningFake:
    """Serve the fake: gRPC with TLS (certificate for localhost, CA written to ``ca_file``),
    and HTTP for /token and /admin. Returns once both accept connections."""
    fake = fake or FakeGoogleAds()
    # One authority per process: gRPC reads the trusted roots once per client process.
    certificate = _CA.issue_cert("localhost", "127.0.0.1")
    _CA.cert_pem.write_to_path(str(ca_file))
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers((GoogleAdsServicer(fake).handler(),))
    credentials = grpc.ssl_server_credentials(
        [(certificate.private_key_pem.bytes(), certificate.cert_chain_pems[0].bytes())]
    )
    bound = server.add_secure_port(f"127.0.0.1:{grpc_port}", credentials)
    server.start()
    http = ThreadingHTTPServer(("127.0.0.1", http_port), _http_handler(fake))
    threading.Thread(target=http.serve_forever, daemon=True).start()
    return RunningFake(fake, bound, http.server_port, ca_file, server, http)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.google_ads", description=__doc__)
    parser.add_argument("--grpc-port", type=int, required=True)
    parser.add_argument("--http-port", type=int, required=True)
    parser.add_argument(
        "--ca-file", type=Path, required=True, help="where to write the CA certificate"
    )
    args = parser.parse_args()
    running = start(args.ca_file, grpc_port=args.grpc_port, http_port=args.http_port)
    print(f"fake Google Ads on {running.endpoint} (token/admin on {running.admin_url})", flush=True)
    stop = threading.Event()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()


if __name__ == "__main__":
    main()
