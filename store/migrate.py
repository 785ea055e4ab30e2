"""Run Alembic programmatically on an async engine (no alembic.ini, no working-directory lookup).

The API and the worker both migrate on start-up, possibly at the same moment, so an upgrade runs
under a lock: a transaction-scoped advisory lock on PostgreSQL, a lock file next to the database
on SQLite. The loser waits, then finds the schema at head and does nothing.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from store.engine import is_sqlite, sqlite_file

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Arbitrary constant shared by every process migrating this schema.
POSTGRES_MIGRATION_LOCK_KEY = 0x4D41_5247  # "MARG"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # env.py migrates on this connection instead of opening its own engine.
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    async with _migration_lock(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": POSTGRES_MIGRATION_LOCK_KEY}
            )
        await connection.run_sync(_upgrade, revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(_current_revision)


def _upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection), revision)


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


@asynccontextmanager
async def _migration_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    path = sqlite_file(engine.url) if is_sqlite(engine.url) else None
    if path is None:  # PostgreSQL locks in the transaction; in-memory SQLite is private
        yield
        return
    # A separate lock file: locking the database file itself would interfere with SQLite's own
    # POSIX locks (closing any descriptor of a file drops all of the process's locks on it).
    lock_path = path.with_name(path.name + ".migrate.lock")
    descriptor = await asyncio.to_thread(_lock_exclusively, lock_path)
    try:
        yield
    finally:
        os.close(descriptor)  # releases the lock


def _lock_exclusively(path: Path) -> int:
    """Open ``path`` and block until this process holds its exclusive flock."""
    descriptor = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor
