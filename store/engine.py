"""Async engine creation for the two supported backends (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext import asyncio as sa_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import StaticPool

SUPPORTED_BACKENDS = ("sqlite", "postgresql")

# The API and the worker write the same SQLite file: a writer waits this long for the lock
# instead of failing at once with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 30_000


class UnsupportedDatabaseError(ValueError):
    pass


def parse_url(url: str | URL) -> URL:
    parsed = make_url(url)
    if parsed.get_backend_name() not in SUPPORTED_BACKENDS:
        raise UnsupportedDatabaseError(
            f"unsupported database {parsed.get_backend_name()!r}; "
            "use sqlite+aiosqlite:///path or postgresql+asyncpg://..."
        )
    return parsed


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def sqlite_file(url: URL) -> Path | None:
    """The database file of a SQLite URL, or None for an in-memory database."""
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def create_engine(url: str | URL, **options: Any) -> AsyncEngine:
    """``options`` go to create_async_engine (e.g. pool_size, max_overflow, echo)."""
    parsed = parse_url(url)
    if is_sqlite(parsed):
        return _create_sqlite_engine(parsed, options)
    # pre_ping: a PostgreSQL restart or failover must not surface as errors on stale connections.
    return _create_async_engine(parsed, **{"pool_pre_ping": True, **options})


def _create_sqlite_engine(url: URL, options: dict[str, Any]) -> AsyncEngine:
    path = sqlite_file(url)
    if path is None:
        # One in-memory database per connection otherwise: share a single connection.
        options["poolclass"] = StaticPool
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = _create_async_engine(url, **options)
    event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
    return engine


def _create_async_engine(url: URL, **options: Any) -> AsyncEngine:
    # Looked up at call time: with tracing on, OpenTelemetry's SQLAlchemy instrumentation has
    # wrapped sqlalchemy.ext.asyncio.create_async_engine, and the engine must come from that.
    return sa_asyncio.create_async_engine(url, **options)


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    """Per-connection settings; WAL lets readers run while one writer commits."""
    cursor = dbapi_connection.cursor()
    try:
        # busy_timeout first, so switching to WAL also waits for a concurrent opener.
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        # NORMAL is durable across application crashes in WAL mode and much faster than FULL.
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()
