"""Heartbeat while a long call is in flight, so Temporal notices a dead worker quickly.

Without heartbeats a crashed worker's activity is only retried once its start-to-close
timeout lapses; with them, once the heartbeat timeout does (seconds, not a minute). Details set
with ``Heartbeat.record`` ride on every later beat, and the next attempt of the activity reads
them back (``activity.info().heartbeat_details``): what an attempt learnt survives its worker.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from temporalio import activity


class Heartbeat:
    def __init__(self) -> None:
        self.details: tuple[Any, ...] = ()

    def beat(self) -> None:
        activity.heartbeat(*self.details)

    def record(self, *details: Any) -> None:
        """Keep these details on every beat from now on, and send them at once."""
        self.details = details
        self.beat()


@asynccontextmanager
async def heartbeating(every_seconds: float = 2.0) -> AsyncIterator[Heartbeat]:
    heartbeat = Heartbeat()

    async def beat() -> None:
        while True:
            heartbeat.beat()
            await asyncio.sleep(every_seconds)

    task = asyncio.create_task(beat())
    try:
        yield heartbeat
    finally:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass


def previous_details() -> dict[str, Any]:
    """The details the previous attempt recorded last (empty on a first attempt)."""
    details = activity.info().heartbeat_details
    return details[0] if details and isinstance(details[0], dict) else {}
