"""Run independent platform calls concurrently, all or nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any


async def all_of(*calls: Awaitable[Any]) -> list[Any]:
    """The results of every call, in order. When one fails, the others are cancelled before
    its error is raised: no call keeps running against the platform after the caller gave up
    (``asyncio.gather`` alone would leave them running)."""
    tasks = [asyncio.ensure_future(call) for call in calls]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
