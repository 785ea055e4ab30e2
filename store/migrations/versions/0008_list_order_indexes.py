"""The recommendation list's indexes end with its tie-breaker (newest first, then id), so a page
is read straight off the index: no sort of every matching row, and on PostgreSQL no rendering of
every matching state document before the sort (a status page of 8,000 rows took 197 ms; with
the index it stops after 50).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "recommendations"
# name -> (columns before, columns after)
INDEXES = {
    "ix_recommendations_status_created": (
        ["status", "created_at"],
        ["status", "created_at", "recommendation_id"],
    ),
    "ix_recommendations_created_at": (
        ["created_at"],
        ["created_at", "recommendation_id"],
    ),
}


def upgrade() -> None:
    _replace(after=True)


def downgrade() -> None:
    _replace(after=False)


def _replace(after: bool) -> None:
    for name, (before_columns, after_columns) in INDEXES.items():
        op.drop_index(name, table_name=TABLE)
        op.create_index(name, TABLE, after_columns if after else before_columns)
