"""The API's Prometheus metrics, on a registry of its own.

A private registry keeps these names from colliding with the worker's metrics when both are
imported into one process (the test suite), and ``/metrics`` shows exactly what the API owns.

Counted here: HTTP requests and what clients asked for (analyses, decision requests). The
worker counts what the workflows did (``recommendation_acceptance_total`` counts decisions the
workflow accepted, there). Read from the store at each scrape (``ReviewGauges``): the review
queue and the day's agreement, the same on every replica (aggregate them with min/max, not sum).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from starlette.types import Scope

from domain.guardrails import AUTO_APPROVAL_REVIEWER
from store.records import ReviewPulse
from store.repository import Store

log = logging.getLogger("api.metrics")

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
DECISION_REQUESTS = Counter(
    "recommendation_decision_requests_total",
    "Decisions sent over HTTP, by decision and result (accepted by the workflow, refused, "
    "failed); the worker counts the acceptances themselves",
    ["decision", "result"],
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
    DECISION_REQUESTS.labels(decision=_decision, result="accepted")
for _reason in ("missing", "unknown"):
    AUTH_FAILURES.labels(reason=_reason)

UNMATCHED_ROUTE = "<unmatched>"
# Clients choose the method name: anything else is counted as OTHER, so a flood of invented
# methods cannot create a new time series per name.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "OTHER"


# A scrape never waits longer than this for the store; the gauges are then left out.
STORE_READ_SECONDS = 2.0


class ReviewGauges(Collector):
    """Gauges read from the store before each scrape (``refresh``): a value the database holds
    is the same whichever replica reports it and survives any restart, and a gauge with nothing
    to report (no review pending, no decision today) is left out rather than shown as 0."""

    PENDING = "recommendations_pending_review"
    EXPIRES_IN = "recommendations_review_expires_in_seconds"
    AGREEMENT = "agreement_rate_daily"
    NAMES = (PENDING, EXPIRES_IN, AGREEMENT)

    def __init__(self) -> None:
        self._pulse: ReviewPulse | None = None
        self._now = datetime.now(UTC)
        self._review_timeout = timedelta(0)

    async def refresh(self, store: Store | None, review_timeout: timedelta) -> None:
        self._pulse, self._now, self._review_timeout = None, datetime.now(UTC), review_timeout
        if store is None:
            return
        try:
            self._pulse = await asyncio.wait_for(
                store.review_pulse(
                    decided_since=self._now - timedelta(days=1),
                    excluding_reviewer=AUTO_APPROVAL_REVIEWER,
                ),
                STORE_READ_SECONDS,
            )
        except Exception as exc:  # the scrape still answers, without these gauges
            log.warning("review gauges unavailable", extra={"error": str(exc)[:200]})

    def collect(self) -> Iterator[Metric]:
        pulse = self._pulse
        if pulse is None:
            return
        yield GaugeMetricFamily(
            self.PENDING,
            "Recommendations waiting for a reviewer",
            value=pulse.pending,
        )
        if pulse.oldest_pending_update is not None:
            deadline = pulse.oldest_pending_update + self._review_timeout
            yield GaugeMetricFamily(
                self.EXPIRES_IN,
                "Time until the soonest review deadline among pending recommendations",
                value=(deadline - self._now).total_seconds(),
            )
        decided = pulse.approved + pulse.rejected
        if decided:
            yield GaugeMetricFamily(
                self.AGREEMENT,
                "Share of reviewers' decisions of the last 24 h that approved the agent's "
                "recommendation (auto-approvals left out)",
                value=pulse.approved / decided,
            )

    def describe(self) -> Iterator[Metric]:
        return iter(())  # values come and go with the store; nothing to declare up front


REVIEW_GAUGES = ReviewGauges()
REGISTRY.register(REVIEW_GAUGES)


async def render(
    store: Store | None = None, review_timeout: timedelta = timedelta(0)
) -> tuple[bytes, str]:
    """The exposition, with the review gauges read from ``store`` just before."""
    await REVIEW_GAUGES.refresh(store, review_timeout)
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
