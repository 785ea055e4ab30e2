"""recommendations.decided_at index: the API's agreement_rate_daily gauge reads the last day's
decisions on every scrape.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_recommendations_decided_at", "recommendations", ["decided_at"])


def downgrade() -> None:
    op.drop_index("ix_recommendations_decided_at", table_name="recommendations")
