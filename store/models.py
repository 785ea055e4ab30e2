"""SQLAlchemy models: the tables that mirror the recommendation lifecycle.

The same models run on SQLite (embedded default) and PostgreSQL (production), so only portable
types are used: JSON (JSONB on PostgreSQL), strings instead of native enums, and ``UTCDateTime``,
which always hands back timezone-aware UTC datetimes although SQLite drops the offset.

The workflow's ``LifecycleState`` is the source of truth; ``recommendations.state`` keeps the
whole of it, and the other columns copy the fields people filter, sort and report on.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints let future Alembic batch migrations on SQLite find what to alter.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONDocument = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments an INTEGER PRIMARY KEY, so BIGINT falls back to INTEGER there.
BigId = BigInteger().with_variant(Integer(), "sqlite")

ID_LENGTH = 128


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    PostgreSQL stores ``timestamptz``. SQLite has no timezone support, so values are written as
    naive UTC (which also keeps string comparisons in range queries correct) and tagged as UTC
    again on read. Naive input is taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONDocument}


class CampaignRow(Base):
    """A campaign we have seen metrics for, with the latest snapshot."""

    __tablename__ = "campaigns"

    campaign_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    platform: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    last_metrics: Mapped[dict[str, Any]]


class RecommendationRow(Base):
    """One recommendation (= one workflow run), mirrored from its LifecycleState."""

    __tablename__ = "recommendations"
    __table_args__ = (
        # The 24-h dedup lookup and a campaign's history; its leading column also
        # serves every lookup by campaign_id, so there is no separate campaign_id index.
        Index("ix_recommendations_campaign_status_created", "campaign_id", "status", "created_at"),
        # The API's list: filtered by status (or not), newest first.
        # Both end with the list's tie-breaker, so a page is read off the index in order.
        Index("ix_recommendations_status_created", "status", "created_at", "recommendation_id"),
        Index("ix_recommendations_created_at", "created_at", "recommendation_id"),
        # The API's agreement_rate_daily gauge: the decisions of the last day.
        Index("ix_recommendations_decided_at", "decided_at"),
    )

    recommendation_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    workflow_id: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(32))
    # LifecycleState.seq of the saved state: a save with a lower number is ignored.
    state_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    revision: Mapped[int] = mapped_column(default=0)
    requested_by: Mapped[str] = mapped_column(String(128))

    # Copied from state.recommendation (None until the reasoning produced one).
    recommended_action: Mapped[str | None] = mapped_column(String(64))
    specific_action: Mapped[str | None] = mapped_column(Text)
    root_cause: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column(Float)
    risk_level: Mapped[str | None] = mapped_column(String(16))
    reasoning: Mapped[str | None] = mapped_column(Text)
    expected_impact: Mapped[dict[str, Any] | None]
    recommendation: Mapped[dict[str, Any] | None]
    degraded: Mapped[bool] = mapped_column(Boolean, default=False)
    model: Mapped[str | None] = mapped_column(String(128))
    prompt_versions: Mapped[dict[str, Any] | None]
    iterations: Mapped[int] = mapped_column(default=0)

    # Copied from state.decision.
    decision: Mapped[str | None] = mapped_column(String(16))
    reviewer: Mapped[str | None] = mapped_column(String(128))
    feedback: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]

    error: Mapped[str | None] = mapped_column(Text)
    state: Mapped[dict[str, Any] | None]  # the full LifecycleState
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AuditLogRow(Base):
    """Append-only audit trail. The store never updates or deletes these rows."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    recommendation_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    event: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(128))
    revision: Mapped[int] = mapped_column(default=0)
    payload: Mapped[dict[str, Any]]
    at: Mapped[datetime]
    # Hash of the whole event: a retried record_audit_event activity carries the same event
    # (same workflow time), so the unique key turns the retry into a no-op, not a duplicate.
    dedup_key: Mapped[str] = mapped_column(String(64), unique=True)


class ExecutionRow(Base):
    """An action carried out on the ad platform, keyed by its idempotency key."""

    __tablename__ = "executions"
    __table_args__ = (Index("ix_executions_campaign_executed", "campaign_id", "executed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    recommendation_id: Mapped[str] = mapped_column(
        ForeignKey("recommendations.recommendation_id", ondelete="CASCADE"), index=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(256), unique=True)
    campaign_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    action: Mapped[str] = mapped_column(String(64))
    applied: Mapped[bool] = mapped_column(Boolean)
    already_applied: Mapped[bool] = mapped_column(Boolean, default=False)
    before: Mapped[dict[str, Any]]
    after: Mapped[dict[str, Any]]
    executed_at: Mapped[datetime]
    message: Mapped[str] = mapped_column(Text, default="")


class OutcomeRow(Base):
    """The measured result of an executed recommendation (one per recommendation)."""

    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    recommendation_id: Mapped[str] = mapped_column(
        ForeignKey("recommendations.recommendation_id", ondelete="CASCADE"), unique=True
    )
    campaign_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    metric: Mapped[str] = mapped_column(String(64))
    before_value: Mapped[float | None] = mapped_column(Float)
    after_value: Mapped[float | None] = mapped_column(Float)
    actual_change_pct: Mapped[float | None] = mapped_column(Float)
    expected_change_pct: Mapped[float] = mapped_column(Float)
    success: Mapped[bool] = mapped_column(Boolean)
    summary: Mapped[str] = mapped_column(Text)
    measured_at: Mapped[datetime]
    # The campaign snapshots compared; the outcome-labelled eval dataset is built from them.
    before_metrics: Mapped[dict[str, Any] | None]
    after_metrics: Mapped[dict[str, Any] | None]


class RunTraceRow(Base):
    """One step of the path through the reasoning loop, in order (``position``)."""

    __tablename__ = "run_traces"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    recommendation_id: Mapped[str] = mapped_column(
        ForeignKey("recommendations.recommendation_id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    step: Mapped[str] = mapped_column(String(64))
    iteration: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime]
    duration_ms: Mapped[float] = mapped_column(Float)
    detail: Mapped[str] = mapped_column(Text, default="")


class EvaluationRunRow(Base):
    """One ``python -m evals run``: headline numbers as columns (to chart and filter), the
    full summary as JSON."""

    __tablename__ = "evaluation_runs"
    __table_args__ = (
        Index("ix_evaluation_runs_reasoner_started", "reasoner", "started_at"),
        Index("ix_evaluation_runs_dataset_sha256", "dataset_sha256"),
    )

    run_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    dataset: Mapped[str] = mapped_column(Text)
    dataset_sha256: Mapped[str] = mapped_column(String(64))
    cases: Mapped[int] = mapped_column(Integer)
    failed_cases: Mapped[int] = mapped_column(Integer)
    reasoner: Mapped[str] = mapped_column(String(64))
    prompt_version: Mapped[str | None] = mapped_column(String(64))
    models: Mapped[list[str]] = mapped_column(JSONDocument)
    agreement: Mapped[float] = mapped_column(Float)
    agreement_low: Mapped[float] = mapped_column(Float)
    agreement_high: Mapped[float] = mapped_column(Float)
    kappa: Mapped[float | None] = mapped_column(Float)
    macro_f1: Mapped[float | None] = mapped_column(Float)
    root_cause_agreement: Mapped[float | None] = mapped_column(Float)
    ece: Mapped[float | None] = mapped_column(Float)
    brier: Mapped[float | None] = mapped_column(Float)
    regeneration_rate: Mapped[float | None] = mapped_column(Float)
    latency_ms_p50: Mapped[float | None] = mapped_column(Float)
    latency_ms_p95: Mapped[float | None] = mapped_column(Float)
    tokens_total: Mapped[int | None] = mapped_column(Integer)
    cost_usd_total: Mapped[float | None] = mapped_column(Float)
    min_agreement: Mapped[float] = mapped_column(Float)
    gate_passed: Mapped[bool] = mapped_column(Boolean)
    summary: Mapped[dict[str, Any]]
    report_path: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    created_at: Mapped[datetime]


class LLMResponseCacheRow(Base):
    """A validated LLM answer, reused for the same prompt version, model and input (opt-in
    with LLM_CACHE=true). ``key`` is the sha256 of all three."""

    __tablename__ = "llm_response_cache"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    prompt: Mapped[str] = mapped_column(String(64))
    prompt_version: Mapped[str] = mapped_column(String(16))
    model: Mapped[str] = mapped_column(String(128))
    answer: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class ChangePremiseRow(Base):
    """An approved plan whose premise held right before its write. A retried execution (the
    write may have landed, and then the settings no longer look like the premise) reads this
    instead of checking again, which would call its own change a changed premise."""

    __tablename__ = "change_premises"

    idempotency_key: Mapped[str] = mapped_column(String(256), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    checked_at: Mapped[datetime]


class PortfolioReviewRow(Base):
    """One portfolio review (= one PortfolioReviewWorkflow run): its status while it runs,
    then its report as JSON and markdown (charts in portfolio_charts)."""

    __tablename__ = "portfolio_reviews"
    __table_args__ = (Index("ix_portfolio_reviews_created_at", "created_at"),)

    review_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(String(128))
    trigger: Mapped[str] = mapped_column(String(16))  # api | schedule
    error: Mapped[str | None] = mapped_column(Text)
    report: Mapped[dict[str, Any] | None]
    markdown: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PortfolioChartRow(Base):
    """A PNG chart of a portfolio review."""

    __tablename__ = "portfolio_charts"

    review_id: Mapped[str] = mapped_column(
        ForeignKey("portfolio_reviews.review_id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    png: Mapped[bytes] = mapped_column(LargeBinary)


class ExperimentRow(Base):
    """An imported A/B test (domain.portfolio.experiments.Experiment as JSON); a later import
    of the same id replaces it."""

    __tablename__ = "experiments"

    experiment_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    experiment: Mapped[dict[str, Any]]
    imported_by: Mapped[str] = mapped_column(String(128))
    imported_at: Mapped[datetime]


# ------------------------------------------------------------------ always watching (issue 10)


class MediaPlanRow(Base):
    """An imported media plan. Its id is its content's hash, so importing the same plan again
    finds this row; the plan activated last is the current one."""

    __tablename__ = "media_plans"

    plan_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    lines: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))
    imported_by: Mapped[str] = mapped_column(String(128))
    imported_at: Mapped[datetime]
    activated_at: Mapped[datetime] = mapped_column(index=True)


class MediaPlanLineRow(Base):
    __tablename__ = "media_plan_lines"
    __table_args__ = (Index("ix_media_plan_lines_plan_position", "plan_id", "position"),)

    plan_id: Mapped[str] = mapped_column(
        ForeignKey("media_plans.plan_id", ondelete="CASCADE"), primary_key=True
    )
    line_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)  # order of the plan, for paging
    campaign_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    campaign_name: Mapped[str] = mapped_column(String(256))
    market: Mapped[str | None] = mapped_column(String(256))
    product: Mapped[str | None] = mapped_column(String(256))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    target_spend: Mapped[float] = mapped_column(Float)


class PacingPassRow(Base):
    """One pass of the pacing monitor over the current plan."""

    __tablename__ = "pacing_passes"

    pass_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    plan_id: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime | None]
    lines: Mapped[int] = mapped_column(Integer, default=0)
    autonomous_halt: Mapped[bool] = mapped_column(Boolean, default=False)
    counts: Mapped[dict[str, Any]]


class PacingAssessmentRow(Base):
    """What one pass decided about one plan line (every decision, healthy ones included)."""

    __tablename__ = "pacing_assessments"
    __table_args__ = (Index("ix_pacing_assessments_campaign", "campaign_id"),)

    pass_id: Mapped[str] = mapped_column(
        ForeignKey("pacing_passes.pass_id", ondelete="CASCADE"), primary_key=True
    )
    line_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    campaign_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    severity: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    confidence: Mapped[float] = mapped_column(Float)
    variance_pct: Mapped[float | None] = mapped_column(Float)
    assessment: Mapped[dict[str, Any]]


class PacingAlertRow(Base):
    """An alert: at most one per campaign (or unmatched plan line), severity and day."""

    __tablename__ = "pacing_alerts"
    __table_args__ = (
        Index("ix_pacing_alerts_status_created", "status", "created_at"),
        Index("ix_pacing_alerts_subject", "subject"),
    )

    alert_key: Mapped[str] = mapped_column(String(256), primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    subject: Mapped[str] = mapped_column(String(ID_LENGTH + 8))
    campaign_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    line_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    severity: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # open, acknowledged
    confidence: Mapped[float] = mapped_column(Float)
    variance_pct: Mapped[float | None] = mapped_column(Float)
    assessment: Mapped[dict[str, Any]]  # the latest pass's assessment of the line that day
    pass_id: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    acknowledged_by: Mapped[str | None] = mapped_column(String(128))
    acknowledged_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)


class PacingHaltRow(Base):
    """The monitor's pause of a campaign, from queued to applied (or not), and its release."""

    __tablename__ = "pacing_halts"
    __table_args__ = (Index("ix_pacing_halts_campaign_queued", "campaign_id", "queued_at"),)

    halt_id: Mapped[str] = mapped_column(String(256), primary_key=True)  # its workflow id
    alert_key: Mapped[str] = mapped_column(String(256), index=True)
    campaign_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    status: Mapped[str] = mapped_column(String(16))  # queued, executed, superseded, failed...
    reason: Mapped[str] = mapped_column(Text, default="")
    queued_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    released_at: Mapped[datetime | None]
    released_by: Mapped[str | None] = mapped_column(String(128))
    release_reason: Mapped[str | None] = mapped_column(Text)
    released_until: Mapped[datetime | None]


class NotificationDeliveryRow(Base):
    """One notification delivered to one target: never delivered there again."""

    __tablename__ = "notification_deliveries"

    event_key: Mapped[str] = mapped_column(String(256), primary_key=True)
    target: Mapped[str] = mapped_column(String(64), primary_key=True)  # hash of the target URL
    kind: Mapped[str] = mapped_column(String(32))
    campaign_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    delivered_at: Mapped[datetime]


class WatchPassRow(Base):
    """One KPI watch pass: every campaign looked at, and why it was analysed or skipped."""

    __tablename__ = "watch_passes"

    pass_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime | None]
    counts: Mapped[dict[str, Any]]
    summary: Mapped[dict[str, Any]]


# Room for later tables: add a model here and a new Alembic revision in
# store/migrations/versions; never edit an applied revision.
