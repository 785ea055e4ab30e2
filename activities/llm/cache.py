"""The opt-in response cache (``LLM_CACHE=true``): the same prompt version, model and input get
the same validated answer without a model call, so repeated contexts and eval re-runs are free.

Only answers that passed validation are stored. The cache lives in our database (table
``llm_response_cache``), so the embedded default needs nothing more. A cache that fails is
logged and treated as a miss: it can never fail a reasoning step.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError

from store.repository import Store, open_store

log = logging.getLogger(__name__)


class ResponseCache(Protocol):
    async def get(self, key: str) -> dict[str, Any] | None: ...

    async def put(
        self, key: str, prompt: str, prompt_version: str, model: str, answer: dict[str, Any]
    ) -> None: ...

    async def close(self) -> None: ...


def cache_key(prompt: str, prompt_version: str, model: str, variables: dict[str, Any]) -> str:
    """sha256 over the prompt version, the model and the canonical JSON of the input."""
    canonical = json.dumps(
        {"prompt": prompt, "version": prompt_version, "model": model, "input": variables},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class DatabaseResponseCache:
    """Opens its own connection pool on first use (migrating to head, which is idempotent), so
    the worker and the eval harness build it the same way from ``DATABASE_URL``."""

    def __init__(self, database_url: str) -> None:
        self._url = database_url
        self._store: Store | None = None
        self._opening = asyncio.Lock()

    async def get(self, key: str) -> dict[str, Any] | None:
        try:
            store = await self._open()
            return await store.get_cached_answer(key)
        except (SQLAlchemyError, OSError) as err:
            log.warning("LLM response cache unavailable, treating as a miss: %r", err)
            return None

    async def put(
        self, key: str, prompt: str, prompt_version: str, model: str, answer: dict[str, Any]
    ) -> None:
        try:
            store = await self._open()
            await store.put_cached_answer(key, prompt, prompt_version, model, answer)
        except (SQLAlchemyError, OSError) as err:
            log.warning("Could not store an LLM answer in the cache: %r", err)

    async def close(self) -> None:
        if self._store is not None:
            await self._store.close()
            self._store = None

    async def _open(self) -> Store:
        async with self._opening:
            if self._store is None:
                self._store = await open_store(self._url, migrate=True)
            return self._store
