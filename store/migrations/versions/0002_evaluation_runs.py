"""evaluation_runs: one row per eval harness run.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)
METRICS = (
    "kappa",
    "macro_f1",
    "root_cause_agreement",
    "ece",
    "brier",
    "regeneration_rate",
    "latency_ms_p50",
    "latency_ms_p95",
)


def upgrade() -> None:
    op.create_table(
        "evaluation_runs",
        sa.Column("run_id", sa.String(128), nullable=False),
        sa.Column("dataset", sa.Text(), nullable=False),
        sa.Column("dataset_sha256", sa.String(64), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("failed_cases", sa.Integer(), nullable=False),
        sa.Column("reasoner", sa.String(64), nullable=False),
        sa.Column("prompt_version", sa.String(64)),
        sa.Column("models", JSON_DOC, nullable=False),
        *[
            sa.Column(name, sa.Float(), nullable=False)
            for name in ("agreement", "agreement_low", "agreement_high")
        ],
        *[sa.Column(name, sa.Float()) for name in METRICS],
        sa.Column("tokens_total", sa.Integer()),
        sa.Column("cost_usd_total", sa.Float()),
        sa.Column("min_agreement", sa.Float(), nullable=False),
        sa.Column("gate_passed", sa.Boolean(), nullable=False),
        sa.Column("summary", JSON_DOC, nullable=False),
        sa.Column("report_path", sa.Text()),
        *[
            sa.Column(name, TIMESTAMP, nullable=False)
            for name in ("started_at", "finished_at", "created_at")
        ],
        sa.PrimaryKeyConstraint("run_id", name="pk_evaluation_runs"),
    )
    op.create_index(
        "ix_evaluation_runs_reasoner_started", "evaluation_runs", ["reasoner", "started_at"]
    )
    op.create_index("ix_evaluation_runs_dataset_sha256", "evaluation_runs", ["dataset_sha256"])


def downgrade() -> None:
    op.drop_table("evaluation_runs")
