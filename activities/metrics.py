"""The worker's own Prometheus metrics (the Temporal SDK exports its runtime metrics apart).

A private registry, like the API's, keeps these names apart from the API's when both run in one
process (the test suite). ``python -m workers.worker --app-metrics-bind HOST:PORT`` serves it.

Everything is counted in activities, never in workflow code (a replay would count again), and
where the event really happens, once:

- a run's progress (``recommendations_total``, ``confidence_score``,
  ``recommendation_latency_seconds``, ``workflow_execution_total``,
  ``action_executions_total``, ``recommendation_outcomes_total``) when the store's monotonic
  save moved the run into a new status (``Store.sync_state`` says what it held before: a
  retried or replayed save of the same state finds it there already and counts nothing);
- decisions (``recommendation_acceptance_total``) when the workflow's audit event of the
  decision it accepted was newly inserted (the audit insert is deduplicated);
- LLM calls, errors and fallbacks, and collector failures, per call or attempt made.

Several workers: each process serves its own registry and Prometheus scrapes every process
(per-process scraping, not prometheus-client's multiprocess mode; docs/runbook.md says why).
A stopping worker waits for one last scrape (``wait_for_final_scrape``) so its last counts
are not lost with it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import start_http_server
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from domain.lifecycle import AuditEvent
from domain.recommendation import ActionType
from domain.transitions import RESULTS, StateChange, confidence_band, decision_taken
from domain.usage import LLMUsage

REGISTRY = CollectorRegistry(auto_describe=True)


class _ScrapeClock(Collector):
    """Registered in the registry: every scrape calls ``collect``, which notes the time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0.0

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            self._last = time.monotonic()
        return iter(())

    def describe(self) -> Iterator[Metric]:
        return iter(())  # nothing to describe, and describing is no scrape

    @property
    def last(self) -> float:
        with self._lock:
            return self._last


# Registered first, so it is collected first: a scrape it timed read every counter after.
_scrapes = _ScrapeClock()
REGISTRY.register(_scrapes)

# -- the run ------------------------------------------------------------------------------

RECOMMENDATIONS = Counter(
    "recommendations_total",
    "Recommendations that reached pending review (each revision once)",
    ["workflow_type", "confidence_band"],
    registry=REGISTRY,
)
CONFIDENCE = Histogram(
    "confidence_score",
    "Confidence of the recommendations that reached pending review",
    buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
    registry=REGISTRY,
)
# Around the 30 s objective (RecommendationLatencyHigh): fine below it, coarse above.
LATENCY_BUCKETS = (1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 300, 600)
LATENCY = Histogram(
    "recommendation_latency_seconds",
    "From the analysis request (or a reanalysis) to a recommendation stored for review",
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
ACCEPTANCE = Counter(
    "recommendation_acceptance_total",
    "Reviewer decisions the workflow accepted (its audit of the decision), by decision",
    ["decision"],
    registry=REGISTRY,
)
AUTO_APPROVALS = Counter(
    "recommendation_auto_approvals_total",
    "Approvals taken by the auto-approval policy (not in recommendation_acceptance_total)",
    registry=REGISTRY,
)
RUNS_ENDED = Counter(
    "workflow_execution_total",
    "Runs that ended, by final status (completed, rejected, expired unreviewed, "
    "approval_expired, superseded, manual, failed, cancelled)",
    ["workflow_type", "status"],
    registry=REGISTRY,
)
EXECUTIONS = Counter(
    "action_executions_total",
    "Approved actions by what became of them: applied, failed, superseded, manual, expired",
    ["action", "result"],
    registry=REGISTRY,
)
OUTCOMES = Counter(
    "recommendation_outcomes_total",
    "Measured outcomes of approved recommendations, by action and verdict "
    "(success, failure, inconclusive)",
    ["action", "verdict"],
    registry=REGISTRY,
)
COLLECTOR_FAILURES = Counter(
    "collector_failures_total",
    "Failed attempts to collect a context source from the ad platform, by source and error",
    ["source", "error_type"],
    registry=REGISTRY,
)

# -- LLM calls ----------------------------------------------------------------------------

LLM_TOKENS = Counter(
    "llm_tokens_total",
    "Tokens sent to and received from LLMs (input + output)",
    ["model", "operation"],
    registry=REGISTRY,
)
LLM_COST = Counter(
    "llm_cost_usd_total",
    "Cost of LLM calls in USD, from the configured price table",
    ["model", "operation"],
    registry=REGISTRY,
)
LLM_LATENCY = Histogram(
    "llm_request_duration_seconds",
    "Latency of LLM calls that reached the provider",
    ["provider", "operation"],
    buckets=(0.25, 0.5, 1, 2, 4, 8, 16, 32, 64),
    registry=REGISTRY,
)
LLM_CACHE_HITS = Counter(
    "llm_cache_hits_total",
    "LLM calls answered from the response cache (free)",
    ["operation"],
    registry=REGISTRY,
)
LLM_API_ERRORS = Counter(
    "llm_api_errors_total",
    "Failed LLM calls by model and error type (LLMRateLimited, LLMUnavailable, "
    "LLMInvalidOutput ...)",
    ["model", "error_type"],
    registry=REGISTRY,
)
LLM_FALLBACKS = Counter(
    "llm_fallbacks_total",
    "Reasoning steps answered by the rules reasoner because the LLM failed",
    ["provider", "operation", "reason"],
    registry=REGISTRY,
)

# Series that exist from the start, at zero: a rate over a series that appears only with its
# first event misses that event, and an alert on "failed" needs the series to compare with.
for _decision in ("approved", "rejected"):
    ACCEPTANCE.labels(decision=_decision)
for _action in ActionType:
    if _action.is_executable:
        for _result in RESULTS:
            EXECUTIONS.labels(action=_action.value, result=_result)


def record_state_change(workflow_type: str, change: StateChange, stored_at: datetime) -> None:
    """Count what one save of a run's state changed (``domain.transitions.state_change``)."""
    if change.new_recommendation and change.confidence is not None:
        band = confidence_band(change.confidence)
        RECOMMENDATIONS.labels(workflow_type=workflow_type, confidence_band=band).inc()
        CONFIDENCE.observe(change.confidence)
        if change.analysis_started_at is not None:
            seconds = (stored_at - change.analysis_started_at).total_seconds()
            LATENCY.observe(max(seconds, 0.0))
    if change.run_ended:
        RUNS_ENDED.labels(workflow_type=workflow_type, status=change.run_ended).inc()
    if change.action is None:
        return
    if change.execution_result:
        EXECUTIONS.labels(action=change.action.value, result=change.execution_result).inc()
    if change.outcome_verdict:
        OUTCOMES.labels(action=change.action.value, verdict=change.outcome_verdict).inc()


def record_audit_event(event: AuditEvent) -> None:
    """Count a newly inserted audit event: the decisions the workflow accepted."""
    taken = decision_taken(event)
    if taken is None:
        return
    if taken.automatic:
        AUTO_APPROVALS.inc()
    else:
        ACCEPTANCE.labels(decision=taken.decision.value).inc()


def record_collector_failure(source: str, error_type: str) -> None:
    COLLECTOR_FAILURES.labels(source=source, error_type=error_type).inc()


def record_call(usage: LLMUsage) -> None:
    operation = usage.operation.value
    if usage.cached:
        LLM_CACHE_HITS.labels(operation=operation).inc()
        return
    LLM_TOKENS.labels(model=usage.model, operation=operation).inc(
        usage.input_tokens + usage.output_tokens
    )
    LLM_COST.labels(model=usage.model, operation=operation).inc(usage.cost_usd)
    LLM_LATENCY.labels(provider=usage.provider, operation=operation).observe(
        usage.latency_ms / 1000
    )


def record_error(model: str, error_type: str) -> None:
    LLM_API_ERRORS.labels(model=model, error_type=error_type).inc()


def record_fallback(provider: str, operation: str, reason: str) -> None:
    LLM_FALLBACKS.labels(provider=provider, operation=operation, reason=reason).inc()


def render() -> bytes:
    return generate_latest(REGISTRY)


# -- serving ------------------------------------------------------------------------------


def serve(bind: str) -> None:
    """Serve the registry on ``HOST:PORT`` (a daemon thread)."""
    host, _, port = bind.rpartition(":")
    start_http_server(int(port), addr=host or "0.0.0.0", registry=REGISTRY)


async def wait_for_final_scrape(within: float, *, poll_seconds: float = 0.1) -> bool:
    """Wait (at most ``within`` seconds) until a scrape starts after this call: the worker
    calls it once its activities have stopped, so that scrape holds every count of this
    process. True if it came; False if the wait timed out (the counts since the previous
    scrape are then lost with the process)."""
    called = time.monotonic()
    deadline = called + within
    while time.monotonic() < deadline:
        if _scrapes.last > called:
            return True
        await asyncio.sleep(poll_seconds)
    return _scrapes.last > called
