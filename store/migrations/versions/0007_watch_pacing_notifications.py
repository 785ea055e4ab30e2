"""Always watching: media plans, pacing passes, assessments, alerts and halts, notification
deliveries, KPI watch passes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, TIMESTAMP, nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "media_plans",
        sa.Column("plan_id", sa.String(64), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("imported_by", sa.String(128), nullable=False),
        _at("imported_at"),
        _at("activated_at"),
        sa.PrimaryKeyConstraint("plan_id", name="pk_media_plans"),
    )
    op.create_index("ix_media_plans_activated_at", "media_plans", ["activated_at"])
    op.create_table(
        "media_plan_lines",
        sa.Column("plan_id", sa.String(64), nullable=False),
        sa.Column("line_id", sa.String(128), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.String(128)),
        sa.Column("campaign_name", sa.String(256), nullable=False),
        sa.Column("market", sa.String(256)),
        sa.Column("product", sa.String(256)),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("target_spend", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["media_plans.plan_id"],
            name="fk_media_plan_lines_plan_id_media_plans",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("plan_id", "line_id", name="pk_media_plan_lines"),
    )
    op.create_index(
        "ix_media_plan_lines_plan_position", "media_plan_lines", ["plan_id", "position"]
    )
    op.create_table(
        "pacing_passes",
        sa.Column("pass_id", sa.String(256), nullable=False),
        sa.Column("plan_id", sa.String(64)),
        _at("started_at"),
        _at("finished_at", nullable=True),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("autonomous_halt", sa.Boolean(), nullable=False),
        sa.Column("counts", JSON_DOC, nullable=False),
        sa.PrimaryKeyConstraint("pass_id", name="pk_pacing_passes"),
    )
    op.create_index("ix_pacing_passes_started_at", "pacing_passes", ["started_at"])
    op.create_table(
        "pacing_assessments",
        sa.Column("pass_id", sa.String(256), nullable=False),
        sa.Column("line_id", sa.String(128), nullable=False),
        sa.Column("campaign_id", sa.String(128)),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("variance_pct", sa.Float()),
        sa.Column("assessment", JSON_DOC, nullable=False),
        sa.ForeignKeyConstraint(
            ["pass_id"],
            ["pacing_passes.pass_id"],
            name="fk_pacing_assessments_pass_id_pacing_passes",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pass_id", "line_id", name="pk_pacing_assessments"),
    )
    op.create_index("ix_pacing_assessments_campaign", "pacing_assessments", ["campaign_id"])
    op.create_table(
        "pacing_alerts",
        sa.Column("alert_key", sa.String(256), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("subject", sa.String(136), nullable=False),
        sa.Column("campaign_id", sa.String(128)),
        sa.Column("line_id", sa.String(128), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("variance_pct", sa.Float()),
        sa.Column("assessment", JSON_DOC, nullable=False),
        sa.Column("pass_id", sa.String(256), nullable=False),
        _at("created_at"),
        _at("updated_at"),
        sa.Column("acknowledged_by", sa.String(128)),
        _at("acknowledged_at", nullable=True),
        sa.Column("note", sa.Text()),
        sa.PrimaryKeyConstraint("alert_key", name="pk_pacing_alerts"),
    )
    op.create_index("ix_pacing_alerts_status_created", "pacing_alerts", ["status", "created_at"])
    op.create_index("ix_pacing_alerts_subject", "pacing_alerts", ["subject"])
    op.create_table(
        "pacing_halts",
        sa.Column("halt_id", sa.String(256), nullable=False),
        sa.Column("alert_key", sa.String(256), nullable=False),
        sa.Column("campaign_id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _at("queued_at"),
        _at("decided_at", nullable=True),
        _at("released_at", nullable=True),
        sa.Column("released_by", sa.String(128)),
        sa.Column("release_reason", sa.Text()),
        _at("released_until", nullable=True),
        sa.PrimaryKeyConstraint("halt_id", name="pk_pacing_halts"),
    )
    op.create_index("ix_pacing_halts_alert_key", "pacing_halts", ["alert_key"])
    op.create_index("ix_pacing_halts_campaign_queued", "pacing_halts", ["campaign_id", "queued_at"])
    op.create_table(
        "notification_deliveries",
        sa.Column("event_key", sa.String(256), nullable=False),
        sa.Column("target", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("campaign_id", sa.String(128)),
        _at("delivered_at"),
        sa.PrimaryKeyConstraint("event_key", "target", name="pk_notification_deliveries"),
    )
    op.create_table(
        "watch_passes",
        sa.Column("pass_id", sa.String(256), nullable=False),
        _at("started_at"),
        _at("finished_at", nullable=True),
        sa.Column("counts", JSON_DOC, nullable=False),
        sa.Column("summary", JSON_DOC, nullable=False),
        sa.PrimaryKeyConstraint("pass_id", name="pk_watch_passes"),
    )
    op.create_index("ix_watch_passes_started_at", "watch_passes", ["started_at"])


def downgrade() -> None:
    for table in (
        "watch_passes",
        "notification_deliveries",
        "pacing_halts",
        "pacing_alerts",
        "pacing_assessments",
        "pacing_passes",
        "media_plan_lines",
        "media_plans",
    ):
        op.drop_table(table)
