"""Initial schema: campaigns, recommendations, audit_log, executions, outcomes, run_traces.

Revision ID: 0001
Revises:
Create Date: 2026-05-09
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out here rather than imported from store.models, so this revision keeps creating
# exactly this schema however the models change later.
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)
ID = sa.String(128)


def _recommendation_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["recommendation_id"],
        ["recommendations.recommendation_id"],
        name=f"fk_{table}_recommendation_id_recommendations",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    _create_campaigns()
    _create_recommendations()
    _create_audit_log()
    _create_executions()
    _create_outcomes()
    _create_run_traces()


def downgrade() -> None:
    for table in ("run_traces", "outcomes", "executions", "audit_log", "recommendations"):
        op.drop_table(table)
    op.drop_table("campaigns")


def _create_campaigns() -> None:
    op.create_table(
        "campaigns",
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("platform", sa.String(64), nullable=False),
        sa.Column("first_seen_at", TIMESTAMP, nullable=False),
        sa.Column("last_seen_at", TIMESTAMP, nullable=False),
        sa.Column("last_metrics", JSON_DOC, nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", name="pk_campaigns"),
    )


def _create_recommendations() -> None:
    op.create_table(
        "recommendations",
        sa.Column("recommendation_id", ID, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("workflow_id", sa.String(256), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("recommended_action", sa.String(64), nullable=True),
        sa.Column("specific_action", sa.Text(), nullable=True),
        sa.Column("root_cause", sa.String(64), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("risk_level", sa.String(16), nullable=True),
        sa.Column("reasoning", sa.Text(), nullable=True),
        sa.Column("expected_impact", JSON_DOC, nullable=True),
        sa.Column("recommendation", JSON_DOC, nullable=True),
        sa.Column("degraded", sa.Boolean(), nullable=False),
        sa.Column("model", sa.String(128), nullable=True),
        sa.Column("prompt_versions", JSON_DOC, nullable=True),
        sa.Column("iterations", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(16), nullable=True),
        sa.Column("reviewer", sa.String(128), nullable=True),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column("decided_at", TIMESTAMP, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("state", JSON_DOC, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("recommendation_id", name="pk_recommendations"),
    )
    op.create_index(
        "ix_recommendations_campaign_status_created",
        "recommendations",
        ["campaign_id", "status", "created_at"],
    )
    op.create_index(
        "ix_recommendations_status_created", "recommendations", ["status", "created_at"]
    )
    op.create_index("ix_recommendations_created_at", "recommendations", ["created_at"])


def _create_audit_log() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("recommendation_id", ID, nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("payload", JSON_DOC, nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("dedup_key", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
        sa.UniqueConstraint("dedup_key", name="uq_audit_log_dedup_key"),
    )
    op.create_index("ix_audit_log_recommendation_id", "audit_log", ["recommendation_id"])


def _create_executions() -> None:
    op.create_table(
        "executions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recommendation_id", ID, nullable=False),
        sa.Column("idempotency_key", sa.String(256), nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("already_applied", sa.Boolean(), nullable=False),
        sa.Column("before", JSON_DOC, nullable=False),
        sa.Column("after", JSON_DOC, nullable=False),
        sa.Column("executed_at", TIMESTAMP, nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_executions"),
        _recommendation_fk("executions"),
        sa.UniqueConstraint("idempotency_key", name="uq_executions_idempotency_key"),
    )
    op.create_index("ix_executions_recommendation_id", "executions", ["recommendation_id"])


def _create_outcomes() -> None:
    op.create_table(
        "outcomes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recommendation_id", ID, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("metric", sa.String(64), nullable=False),
        sa.Column("before_value", sa.Float(), nullable=True),
        sa.Column("after_value", sa.Float(), nullable=True),
        sa.Column("actual_change_pct", sa.Float(), nullable=True),
        sa.Column("expected_change_pct", sa.Float(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("measured_at", TIMESTAMP, nullable=False),
        sa.Column("before_metrics", JSON_DOC, nullable=True),
        sa.Column("after_metrics", JSON_DOC, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outcomes"),
        _recommendation_fk("outcomes"),
        sa.UniqueConstraint("recommendation_id", name="uq_outcomes_recommendation_id"),
    )
    op.create_index("ix_outcomes_campaign_id", "outcomes", ["campaign_id"])


def _create_run_traces() -> None:
    op.create_table(
        "run_traces",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recommendation_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(64), nullable=False),
        sa.Column("iteration", sa.Integer(), nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_run_traces"),
        _recommendation_fk("run_traces"),
    )
    op.create_index("ix_run_traces_recommendation_id", "run_traces", ["recommendation_id"])
