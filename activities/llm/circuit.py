"""A circuit breaker per provider and worker process.

After ``failure_threshold`` consecutive provider failures (rate limits, 5xx, timeouts) the
circuit opens: calls fail at once with ``CircuitOpen`` (non-retryable), so runs fall back to
the rules reasoner immediately instead of each spending its retries on a provider that is down.
After ``cooldown`` seconds calls are let through again; one success closes the circuit, one
more failure opens it for another cooldown.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from activities.llm import errors


class CircuitBreaker:
    def __init__(
        self,
        provider: str,
        failure_threshold: int,
        cooldown_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.provider = provider
        self._threshold = failure_threshold
        self._cooldown = cooldown_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at = 0.0

    @property
    def is_open(self) -> bool:
        tripped = self._failures >= self._threshold
        return tripped and self._clock() - self._opened_at < self._cooldown

    def check(self) -> None:
        """Raise CircuitOpen while the circuit is open."""
        if self.is_open:
            remaining = self._cooldown - (self._clock() - self._opened_at)
            raise errors.final(
                errors.CIRCUIT_OPEN,
                f"{self.provider}: circuit open after {self._failures} consecutive failures; "
                f"retrying the provider in {remaining:.0f} s",
            )

    def record_success(self) -> None:
        self._failures = 0

    def record_failure(self) -> None:
        self._failures += 1
        if self._failures >= self._threshold:
            self._opened_at = self._clock()
