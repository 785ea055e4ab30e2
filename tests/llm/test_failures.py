"""How failures are reported to Temporal (retryable or not, after how long), the circuit
breaker, and the worker's metrics endpoint."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from activities import metrics
from activities.llm import errors
from activities.llm.circuit import CircuitBreaker
from workers.worker import parse_args


@pytest.mark.parametrize(
    ("status", "error_type", "retried"),
    [
        (408, errors.UNAVAILABLE, True),
        (409, errors.UNAVAILABLE, True),
        (429, errors.RATE_LIMITED, True),
        (500, errors.UNAVAILABLE, True),
        (503, errors.UNAVAILABLE, True),
        (529, errors.UNAVAILABLE, True),
        (400, errors.INVALID_REQUEST, False),
        (401, errors.AUTHENTICATION, False),
        (403, errors.AUTHENTICATION, False),
        (404, errors.INVALID_REQUEST, False),
        (422, errors.INVALID_REQUEST, False),
    ],
)
def test_http_errors_are_retried_only_when_a_retry_can_help(
    status: int, error_type: str, retried: bool
) -> None:
    err = errors.for_status("openai", status, {}, "boom")
    assert err.type == error_type
    assert err.non_retryable is not retried
    assert f"HTTP {status}" in err.message


@pytest.mark.parametrize(
    ("headers", "delay"),
    [
        ({"retry-after": "2"}, timedelta(seconds=2)),
        ({"retry-after": "0.5"}, timedelta(seconds=0.5)),
        ({"retry-after-ms": "1500", "retry-after": "9"}, timedelta(seconds=1.5)),
        ({"retry-after": "3600"}, errors.MAX_RETRY_AFTER),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_a_rate_limit_retries_after_the_providers_retry_after(
    headers: dict[str, str], delay: timedelta | None
) -> None:
    assert errors.for_status("anthropic", 429, headers, "slow down").next_retry_delay == delay


def test_retry_after_may_be_an_http_date() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    delay = errors.retry_after({"retry-after": later})
    assert delay is not None and timedelta(seconds=25) < delay <= timedelta(seconds=30)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_circuit_opens_after_consecutive_failures_and_recovers_after_the_cooldown() -> None:
    clock = Clock()
    breaker = CircuitBreaker("openai", failure_threshold=3, cooldown_seconds=60, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()  # a success in between: not consecutive
    breaker.record_failure()
    breaker.record_failure()
    breaker.check()
    breaker.record_failure()

    with pytest.raises(errors.ApplicationError) as open_:
        breaker.check()
    assert open_.value.type == errors.CIRCUIT_OPEN and open_.value.non_retryable

    clock.now = 61
    breaker.check()  # cooled down: one trial call goes through
    breaker.record_failure()
    with pytest.raises(errors.ApplicationError):
        breaker.check()  # the trial failed: open again
    clock.now = 122
    breaker.record_success()
    breaker.check()
    assert not breaker.is_open


def test_the_worker_serves_its_llm_metrics(unused_tcp_port: int) -> None:
    bind = f"127.0.0.1:{unused_tcp_port}"
    assert parse_args(["--app-metrics-bind", bind]).app_metrics_bind == bind
    metrics.record_error("claude-haiku-4-5", errors.RATE_LIMITED)

    metrics.serve(bind)
    scraped = httpx.get(f"http://{bind}/metrics").text

    assert 'llm_api_errors_total{error_type="LLMRateLimited",model="claude-haiku-4-5"}' in scraped
    for name in ("llm_tokens_total", "llm_cost_usd_total", "llm_fallbacks_total"):
        assert f"# TYPE {name} counter" in scraped


@pytest.fixture
def unused_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
