"""The worker's own Prometheus metrics (the Temporal SDK exports its runtime metrics apart).

A private registry, like the API's, keeps these names apart from the API's when both run in one
process (the test suite). ``python -m workers.worker --app-metrics-bind HOST:PORT`` serves it.
Everything is counted in activities, never in workflow code, so replays do not count twice.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import start_http_server

from domain.usage import LLMUsage

REGISTRY = CollectorRegistry(auto_describe=True)

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
    "Failed LLM calls by error type (rate limits, unavailability, bad answers ...)",
    ["provider", "type"],
    registry=REGISTRY,
)
LLM_FALLBACKS = Counter(
    "llm_fallbacks_total",
    "Reasoning steps answered by the rules reasoner because the LLM failed",
    ["provider", "operation", "reason"],
    registry=REGISTRY,
)


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


def record_error(provider: str, error_type: str) -> None:
    LLM_API_ERRORS.labels(provider=provider, type=error_type).inc()


def record_fallback(provider: str, operation: str, reason: str) -> None:
    LLM_FALLBACKS.labels(provider=provider, operation=operation, reason=reason).inc()


def render() -> bytes:
    return generate_latest(REGISTRY)


def serve(bind: str) -> None:
    """Serve the registry on ``HOST:PORT`` (a daemon thread)."""
    host, _, port = bind.rpartition(":")
    start_http_server(int(port), addr=host or "0.0.0.0", registry=REGISTRY)
