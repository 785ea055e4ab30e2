"""How many model calls a worker process makes at once, and how fast (DESIGN §8: with an LLM,
calls are bounded by configurable concurrency and provider rate limits, never by the worker).

One ``CallLimiter`` per reasoner, and the worker builds one reasoner, so the bound holds for
every LLM activity of the process together: at most ``LLM_MAX_CONCURRENCY`` requests in
flight, and with ``LLM_REQUESTS_PER_MINUTE`` no more requests started in any 60 s than that (a
moving window, ``limits``). A call over either bound waits for capacity (asyncio, no thread
blocked) instead of failing; the wait is part of the activity attempt's time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

# Shortest pause before asking the rate limiter again (its reset time is in whole seconds).
_MIN_WAIT_SECONDS = 0.05


class CallLimiter:
    def __init__(self, max_concurrency: int, rate: RateLimitItem | None = None) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self.max_concurrency = max_concurrency
        self.rate = rate
        self._slots = asyncio.Semaphore(max_concurrency)
        self._window = MovingWindowRateLimiter(MemoryStorage()) if rate is not None else None

    @classmethod
    def from_settings(cls, max_concurrency: int, requests_per_minute: int | None) -> CallLimiter:
        rate = RateLimitItemPerMinute(requests_per_minute) if requests_per_minute else None
        return cls(max_concurrency, rate)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the concurrent slots, once the rate allows another request."""
        async with self._slots:
            await self._wait_for_rate()
            yield

    async def _wait_for_rate(self) -> None:
        if self._window is None or self.rate is None:
            return
        while not await self._window.hit(self.rate, "llm"):
            stats = await self._window.get_window_stats(self.rate, "llm")
            await asyncio.sleep(max(stats.reset_time - time.time(), _MIN_WAIT_SECONDS))
