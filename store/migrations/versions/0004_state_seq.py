"""recommendations.state_seq (an older save never wins) and change_premises (an approved
plan's premise was checked before its write, so a retry after the write does not re-check it).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "recommendations",
        sa.Column("state_seq", sa.Integer(), nullable=False, server_default="0"),
    )
    # The cooldown looks up a campaign's latest applied change.
    op.create_index("ix_executions_campaign_executed", "executions", ["campaign_id", "executed_at"])
    op.create_table(
        "change_premises",
        sa.Column("idempotency_key", sa.String(256), nullable=False),
        sa.Column("campaign_id", sa.String(128), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key", name="pk_change_premises"),
    )


def downgrade() -> None:
    op.drop_table("change_premises")
    op.drop_index("ix_executions_campaign_executed", table_name="executions")
    with op.batch_alter_table("recommendations") as batch:
        batch.drop_column("state_seq")
