"""Heartbeat while a long call is in flight, so Temporal notices a dead worker quickly.

Without heartbeats a crashed worker's activity is only retried once its start-to-close
timeout lapses; with them, once the heartbeat timeout does (seconds, not a minute).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from temporalio import activity


@asynccontextmanager
async def heartbeating(every_seconds: float = 2.0) -> AsyncIterator[None]:
    async def beat() -> None:
        while True:
            activity.heartbeat()
            await asyncio.sleep(every_seconds)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
