"""The API's Prometheus metrics, on a registry of its own.

A private registry keeps these names from colliding with the worker's metrics when both are
imported into one process (the test suite), and ``/metrics`` shows exactly what the API owns.
Decisions submitted over HTTP are counted here; the worker counts what the workflows do.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from starlette.types import Scope

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

HTTP_REQUESTS = Counter(
    "api_requests_total",
    "HTTP requests handled, by route template and status",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "api_request_duration_seconds",
    "HTTP request latency by route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
ANALYZE_REQUESTS = Counter(
    "recommendation_analyze_requests_total",
    "Analyze requests by result (started, deduplicated, start_failed)",
    ["result"],
    registry=REGISTRY,
)
ACCEPTANCE = Counter(
    "recommendation_acceptance_total",
    "Reviewer decisions the workflow accepted (its decide update answered)",
    ["decision"],
    registry=REGISTRY,
)
REANALYSIS = Counter(
    "recommendation_reanalysis_requests_total",
    "Re-analysis requests signalled to the workflow",
    registry=REGISTRY,
)
AUTH_FAILURES = Counter(
    "api_auth_failures_total",
    "Requests refused for a missing or unknown API key",
    ["reason"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "api_rate_limited_total",
    "Requests refused with 429",
    registry=REGISTRY,
)

for _result in ("started", "deduplicated", "start_failed"):
    ANALYZE_REQUESTS.labels(result=_result)
for _decision in ("approved", "rejected"):
    ACCEPTANCE.labels(decision=_decision)
for _reason in ("missing", "unknown"):
    AUTH_FAILURES.labels(reason=_reason)

UNMATCHED_ROUTE = "<unmatched>"
# Clients choose the method name: anything else is counted as OTHER, so a flood of invented
# methods cannot create a new time series per name.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "OTHER"


def render() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def record_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count and time one HTTP request by its route template.

    The template (``/api/v1/recommendations/{recommendation_id}``) rather than the raw path keeps
    label cardinality bounded whatever ids clients send; the method is one of a fixed set.
    """
    method = method if method in KNOWN_METHODS else OTHER_METHOD
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_LATENCY.labels(method, route).observe(seconds)


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or UNMATCHED_ROUTE
