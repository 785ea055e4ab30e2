"""``python -m store upgrade|current [--url URL]``: migrate or inspect the database schema."""

from __future__ import annotations

import argparse
import asyncio
import sys

from sqlalchemy.engine import make_url

from store.migrate import head_revision
from store.repository import Store


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m store", description="Manage the marketing agent's database schema."
    )
    parser.add_argument(
        "--url", help="database URL (default: settings.database_url, env DATABASE_URL)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("upgrade", help="apply every pending migration (alembic upgrade head)")
    commands.add_parser("current", help="print the schema revision of the database")
    return parser


def _database_url(explicit: str | None) -> str:
    if explicit:
        return explicit
    from settings import get_settings

    return get_settings().database_url


async def _run(command: str, url: str) -> int:
    shown = make_url(url).render_as_string(hide_password=True)
    async with await Store.connect(url) as store:
        if command == "upgrade":
            await store.migrate()
        revision = await store.schema_revision()
    head = head_revision()
    marker = " (head)" if revision == head else f" (head is {head})"
    print(f"{shown}: {revision or 'empty'}{marker}")
    return 0 if command == "current" or revision == head else 1


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    return asyncio.run(_run(arguments.command, _database_url(arguments.url)))


if __name__ == "__main__":
    sys.exit(main())
