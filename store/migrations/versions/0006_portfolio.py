"""portfolio_reviews, portfolio_charts and experiments: the portfolio review's reports and the
imported A/B tests.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "portfolio_reviews",
        sa.Column("review_id", sa.String(256), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("report", JSON_DOC),
        sa.Column("markdown", sa.Text()),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("review_id", name="pk_portfolio_reviews"),
    )
    op.create_index("ix_portfolio_reviews_created_at", "portfolio_reviews", ["created_at"])
    op.create_table(
        "portfolio_charts",
        sa.Column("review_id", sa.String(256), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("png", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("review_id", "name", name="pk_portfolio_charts"),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["portfolio_reviews.review_id"],
            name="fk_portfolio_charts_review_id_portfolio_reviews",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "experiments",
        sa.Column("experiment_id", sa.String(128), nullable=False),
        sa.Column("experiment", JSON_DOC, nullable=False),
        sa.Column("imported_by", sa.String(128), nullable=False),
        sa.Column("imported_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("experiment_id", name="pk_experiments"),
    )


def downgrade() -> None:
    op.drop_table("experiments")
    op.drop_table("portfolio_charts")
    op.drop_index("ix_portfolio_reviews_created_at", table_name="portfolio_reviews")
    op.drop_table("portfolio_reviews")
