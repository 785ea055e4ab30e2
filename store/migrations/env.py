"""Alembic environment for the store.

Two ways in:
- programmatic (``store.migrate``): the caller passes an open connection in
  ``config.attributes["connection"]`` (from an async engine, via ``run_sync``), so migrations
  share the caller's engine, transaction and locks;
- the ``alembic`` CLI (``alembic -c store/alembic.ini ...``): the URL comes from ``-x url=...``,
  ``sqlalchemy.url`` or ``settings.database_url``, and an async engine is created here.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from store.engine import create_engine
from store.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(**options: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite cannot ALTER most things; batch mode recreates the table instead.
        render_as_batch=True,
        **options,
    )


def _database_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if url:
        return url
    from settings import get_settings  # only the CLI path needs the process settings

    return get_settings().database_url


def run_migrations_with(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_migrations_with)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    """``--sql`` mode: print the DDL instead of running it."""
    _configure(url=_database_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations_with(connection)
    else:
        asyncio.run(_run_with_own_engine(_database_url()))


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
