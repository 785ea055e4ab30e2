"""Per-API-key rate limiting with the ``limits`` library (moving window, in-memory).

In-memory means each API replica enforces its own budget; that is the documented trade-off
(no Redis in the embedded defaults). Swap ``MemoryStorage`` for a shared storage to make the
limit global.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter


class RateLimiter:
    def __init__(self, rate: str) -> None:
        # parse() raises ValueError on junk like "lots/minute": surfaced at start-up.
        self.item: RateLimitItem = parse(rate)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    @property
    def description(self) -> str:
        return str(self.item)

    async def hit(self, identity: str) -> float | None:
        """Count one request; return None when allowed, else seconds until a slot frees up."""
        if await self._limiter.hit(self.item, identity):
            return None
        stats = await self._limiter.get_window_stats(self.item, identity)
        return max(1.0, math.ceil(stats.reset_time - time.time()))
