"""Schema migrations: from empty to head on both backends, programmatically and from the CLI."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from store import Store, open_store
from store.migrate import head_revision
from store.models import Base

REPO_ROOT = Path(__file__).resolve().parents[2]
TABLES = {"campaigns", "recommendations", "audit_log", "executions", "outcomes", "run_traces"}


async def _table_names(store: Store) -> set[str]:
    async with store.engine.connect() as connection:
        return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


async def test_migrate_from_empty_creates_every_table(empty_database_url: str) -> None:
    store = await Store.connect(empty_database_url)
    try:
        assert await store.schema_revision() is None
        await store.migrate()
        assert await store.schema_revision() == head_revision()
        assert TABLES | {"alembic_version"} <= await _table_names(store)
        await store.migrate()  # already at head: a no-op, not an error
        assert await store.schema_revision() == head_revision()
    finally:
        await store.close()


async def test_migrations_match_the_models(store: Store) -> None:
    """Autogenerate finds nothing to do: the revision creates exactly what the models declare."""

    def differences(connection) -> list:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with store.engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_api_and_worker_can_migrate_at_the_same_moment(empty_database_url: str) -> None:
    stores = await asyncio.gather(*(open_store(empty_database_url) for _ in range(3)))
    try:
        for store in stores:
            assert await store.schema_revision() == head_revision()
    finally:
        for store in stores:
            await store.close()


def _cli(command: str, database_url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # DATABASE_URL goes through settings.database_url, as in production.
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "store", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_cli_upgrades_from_any_working_directory(
    empty_database_url: str, tmp_path: Path
) -> None:
    before = await asyncio.to_thread(_cli, "current", empty_database_url, tmp_path)
    assert before.returncode == 0, before.stderr
    assert "empty" in before.stdout

    upgraded = await asyncio.to_thread(_cli, "upgrade", empty_database_url, tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr

    after = await asyncio.to_thread(_cli, "current", empty_database_url, tmp_path)
    assert f"{head_revision()} (head)" in after.stdout


@pytest.mark.parametrize("arguments", [["--help"], ["upgrade", "--help"]])
def test_cli_help(arguments: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "store", *arguments],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "usage: python -m store" in result.stdout


async def test_sqlite_database_directory_is_created(tmp_path: Path) -> None:
    database = tmp_path / "deep" / "var" / "agent.db"
    store = await open_store(f"sqlite+aiosqlite:///{database}")
    await store.close()
    assert database.exists()


async def test_in_memory_sqlite_keeps_one_database(make) -> None:
    """Other rooms' tests may use sqlite+aiosqlite:// : every session must see the same data."""
    async with await open_store("sqlite+aiosqlite://") as store:
        campaign_id = make.campaign_id()
        await store.create_recommendation("rec-memory", campaign_id, "test")
        assert await store.get_recommendation("rec-memory") is not None


async def test_ping_reports_readiness(store: Store) -> None:
    assert await store.ping() is True

    unreachable = await Store.connect("postgresql+asyncpg://postgres@127.0.0.1:9/nothing")
    try:
        assert await unreachable.ping() is False
    finally:
        await unreachable.close()


async def test_unsupported_database_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database"):
        await Store.connect("mysql+aiomysql://localhost/agent")
