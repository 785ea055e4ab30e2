"""The portfolio review's reads and writes: reviews and their charts, imported experiments,
and what the agent's own KPIs are computed from (runs, outcomes, campaign snapshots).

``PortfolioStore`` works on the ``Store``'s engine; ``Store.portfolio`` hands one out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.lifecycle import LifecycleState, RecommendationStatus
from domain.portfolio.experiments import Experiment
from domain.portfolio.model import AgentRecords, OutcomeRecord, RunRecord
from domain.recommendation import ActionType
from store.models import (
    CampaignRow,
    ExperimentRow,
    OutcomeRow,
    PortfolioChartRow,
    PortfolioReviewRow,
    RecommendationRow,
    utcnow,
)

# How far back measured reallocation outcomes count as evidence for the optimiser.
EVIDENCE_DAYS = 180
GUARDRAIL_ERROR = "Guardrail violation"
AUTO_APPROVAL_REVIEWER = "auto-approval-policy"


class ReviewStatus:
    running = "running"
    summarizing = "summarizing"  # the report is stored; the executive summary is being written
    completed = "completed"
    failed = "failed"


class PortfolioReviewRecord(BaseModel):
    review_id: str
    status: str
    requested_by: str
    trigger: str
    error: str | None
    report: dict[str, Any] | None
    markdown: str | None
    charts: list[str]
    created_at: datetime
    updated_at: datetime


class PortfolioStore:
    def __init__(self, engine_dialect: str, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._dialect = engine_dialect
        self._sessions = sessions

    def _insert(self, model: Any) -> Any:
        from sqlalchemy.dialects import postgresql, sqlite

        return (postgresql if self._dialect == "postgresql" else sqlite).insert(model)

    # -- reviews ---------------------------------------------------------------------------

    async def save_status(
        self,
        review_id: str,
        status: str,
        *,
        requested_by: str = "schedule",
        trigger: str = "schedule",
        error: str | None = None,
    ) -> None:
        """Create the review's row, or move its status (who asked and when stay as first
        written). A completed review is never moved back."""
        now = utcnow()
        statement = self._insert(PortfolioReviewRow).values(
            review_id=review_id,
            status=status,
            requested_by=requested_by,
            trigger=trigger,
            error=error,
            created_at=now,
            updated_at=now,
        )
        statement = statement.on_conflict_do_update(
            index_elements=["review_id"],
            set_={"status": status, "error": error, "updated_at": now},
            where=PortfolioReviewRow.status != ReviewStatus.completed,
        )
        async with self._sessions.begin() as session:
            await session.execute(statement)

    async def save_report(
        self,
        review_id: str,
        report: dict[str, Any],
        markdown: str,
        charts: dict[str, tuple[str, bytes]],
        *,
        status: str = ReviewStatus.completed,
    ) -> None:
        """The review's report, markdown and charts (name -> (title, png)), at once."""
        now = utcnow()
        async with self._sessions.begin() as session:
            await session.execute(
                self._insert(PortfolioReviewRow)
                .values(
                    review_id=review_id,
                    status=ReviewStatus.completed,
                    requested_by="schedule",
                    trigger="schedule",
                    created_at=now,
                    updated_at=now,
                )
                .on_conflict_do_nothing(index_elements=["review_id"])
            )
            row = await session.get(PortfolioReviewRow, review_id, with_for_update=True)
            assert row is not None
            row.status, row.error = status, None
            row.report, row.markdown, row.updated_at = report, markdown, now
            await session.execute(
                delete(PortfolioChartRow).where(PortfolioChartRow.review_id == review_id)
            )
            session.add_all(
                PortfolioChartRow(review_id=review_id, name=name, title=title, png=png)
                for name, (title, png) in charts.items()
            )

    async def update_report(self, review_id: str, report: dict[str, Any], markdown: str) -> None:
        """The report with its executive summary (or the note why there is none): completed."""
        async with self._sessions.begin() as session:
            row = await session.get(PortfolioReviewRow, review_id, with_for_update=True)
            if row is None:
                raise LookupError(f"portfolio review {review_id} is not stored")
            row.report, row.markdown = report, markdown
            row.status, row.updated_at = ReviewStatus.completed, utcnow()

    async def get(self, review_id: str) -> PortfolioReviewRecord | None:
        async with self._sessions() as session:
            row = await session.get(PortfolioReviewRow, review_id)
            if row is None:
                return None
            names = await session.scalars(
                select(PortfolioChartRow.name)
                .where(PortfolioChartRow.review_id == review_id)
                .order_by(PortfolioChartRow.name)
            )
            return _review_record(row, list(names))

    async def running_since(self, since: datetime) -> PortfolioReviewRecord | None:
        """The newest review started at or after ``since`` that has not finished."""
        query = (
            select(PortfolioReviewRow)
            .where(
                PortfolioReviewRow.status.in_([ReviewStatus.running, ReviewStatus.summarizing]),
                PortfolioReviewRow.created_at >= since,
            )
            .order_by(PortfolioReviewRow.created_at.desc())
            .limit(1)
        )
        async with self._sessions() as session:
            row = (await session.scalars(query)).first()
            return _review_record(row, [], brief=True) if row else None

    async def chart(self, review_id: str, name: str) -> bytes | None:
        async with self._sessions() as session:
            row = await session.get(PortfolioChartRow, (review_id, name))
            return row.png if row else None

    async def list(
        self, limit: int = 50, offset: int = 0
    ) -> tuple[list[PortfolioReviewRecord], int]:
        """Newest first, without reports (the list view needs the headline only)."""
        async with self._sessions() as session:
            total = await session.scalar(select(func.count()).select_from(PortfolioReviewRow))
            rows = await session.scalars(
                select(PortfolioReviewRow)
                .order_by(PortfolioReviewRow.created_at.desc(), PortfolioReviewRow.review_id.desc())
                .limit(limit)
                .offset(offset)
            )
            return [_review_record(row, [], brief=True) for row in rows], int(total or 0)

    # -- experiments -----------------------------------------------------------------------

    async def import_experiments(self, experiments: Sequence[Experiment], imported_by: str) -> None:
        """All of them in one transaction (a later import of the same id replaces it)."""
        if not experiments:
            return
        now = utcnow()
        statement = self._insert(ExperimentRow).values(
            [
                {
                    "experiment_id": e.experiment_id,
                    "experiment": e.model_dump(mode="json"),
                    "imported_by": imported_by,
                    "imported_at": now,
                }
                for e in experiments
            ]
        )
        statement = statement.on_conflict_do_update(
            index_elements=["experiment_id"],
            set_={
                name: statement.excluded[name]
                for name in ("experiment", "imported_by", "imported_at")
            },
        )
        async with self._sessions.begin() as session:
            await session.execute(statement)

    async def experiments(self) -> list[Experiment]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(ExperimentRow).order_by(ExperimentRow.experiment_id)
            )
            return [Experiment.model_validate(row.experiment) for row in rows]

    # -- the agent's records ---------------------------------------------------------------

    async def agent_records(
        self, since: datetime, until: datetime, campaign_ids: Iterable[str]
    ) -> AgentRecords:
        """Runs created in [since, until), reallocation outcomes of the last 180 days, the age
        of our latest snapshot of each campaign, and the imported experiments."""
        async with self._sessions() as session:
            runs = await self._runs(session, since, until)
            evidence = await self._reallocation_outcomes(session, until)
            ages = await self._snapshot_ages(session, until, list(campaign_ids))
        return AgentRecords(
            since=since,
            until=until,
            runs=runs,
            reallocation_outcomes=evidence,
            snapshot_ages_hours=ages,
            experiments=await self.experiments(),
        )

    async def _runs(
        self, session: AsyncSession, since: datetime, until: datetime
    ) -> list[RunRecord]:
        query = (
            select(RecommendationRow, OutcomeRow)
            .outerjoin(
                OutcomeRow, OutcomeRow.recommendation_id == RecommendationRow.recommendation_id
            )
            .where(RecommendationRow.created_at >= since, RecommendationRow.created_at < until)
            .order_by(RecommendationRow.created_at, RecommendationRow.recommendation_id)
        )
        rows = (await session.execute(query)).all()
        return [run_record(row, outcome) for row, outcome in rows]

    async def _reallocation_outcomes(
        self, session: AsyncSession, until: datetime
    ) -> list[OutcomeRecord]:
        query = (
            select(OutcomeRow, RecommendationRow.recommended_action)
            .join(
                RecommendationRow,
                OutcomeRow.recommendation_id == RecommendationRow.recommendation_id,
            )
            .where(
                RecommendationRow.recommended_action == ActionType.budget_reallocation.value,
                OutcomeRow.measured_at >= until - timedelta(days=EVIDENCE_DAYS),
                OutcomeRow.measured_at < until,
            )
            .order_by(OutcomeRow.measured_at)
        )
        rows = (await session.execute(query)).all()
        return [outcome_record(outcome, action) for outcome, action in rows]

    async def _snapshot_ages(
        self, session: AsyncSession, until: datetime, campaign_ids: list[str]
    ) -> dict[str, float]:
        if not campaign_ids:
            return {}
        rows = await session.execute(
            select(CampaignRow.campaign_id, CampaignRow.last_seen_at).where(
                CampaignRow.campaign_id.in_(campaign_ids)
            )
        )
        return {
            campaign_id: max((until - seen).total_seconds() / 3600, 0.0)
            for campaign_id, seen in rows
        }


def _review_record(
    row: PortfolioReviewRow, charts: list[str], *, brief: bool = False
) -> PortfolioReviewRecord:
    return PortfolioReviewRecord(
        review_id=row.review_id,
        status=row.status,
        requested_by=row.requested_by,
        trigger=row.trigger,
        error=row.error,
        report=None if brief else row.report,
        markdown=None if brief else row.markdown,
        charts=charts,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def run_record(row: RecommendationRow, outcome: OutcomeRow | None) -> RunRecord:
    state = LifecycleState.model_validate(row.state) if row.state else None
    decision = state.decision if state else None
    action = state.recommendation.recommended_action if state and state.recommendation else None
    execution: bool | None = None
    if state is not None and state.execution is not None and state.execution.applied:
        execution = True
    elif (
        decision is not None
        and decision.decision.value == "approved"
        and row.status == RecommendationStatus.failed.value
        and action is not None
        and action.is_executable
    ):
        execution = False
    return RunRecord(
        recommendation_id=row.recommendation_id,
        campaign_id=row.campaign_id,
        status=row.status,
        created_at=row.created_at,
        action=action.value if action else None,
        latency_seconds=_analysis_latency(state),
        decision=decision.decision.value if decision else None,
        reviewer=decision.reviewer if decision else None,
        auto_approved=bool(decision and decision.reviewer == AUTO_APPROVAL_REVIEWER),
        execution=execution,
        policy_violation=bool(row.error and GUARDRAIL_ERROR in row.error),
        llm_cost_usd=state.usage.cost_usd if state else 0.0,
        llm_calls=len(state.usage.calls) if state else 0,
        outcome=_with_verdict(outcome_record(outcome, action.value if action else ""), state)
        if outcome
        else None,
    )


def _with_verdict(record: OutcomeRecord, state: LifecycleState | None) -> OutcomeRecord:
    """The outcome row keeps success only; the state knows the verdict (inconclusive ...)."""
    if state is None or state.outcome is None:
        return record
    return record.model_copy(update={"verdict": state.outcome.verdict})


def _analysis_latency(state: LifecycleState | None) -> float | None:
    """From the run's first step to the end of its first guardrail check (the draft a
    reviewer sees): the analysis half of the lifecycle."""
    if state is None or not state.trace:
        return None
    start = min(step.started_at for step in state.trace)
    validated = next((s for s in state.trace if s.step == "apply_guardrails"), None)
    if validated is None:
        return None
    end = validated.started_at + timedelta(milliseconds=validated.duration_ms)
    return (end - start).total_seconds()


def outcome_record(row: OutcomeRow, action: str | None) -> OutcomeRecord:
    before, after = row.before_metrics or {}, row.after_metrics or {}
    return OutcomeRecord(
        recommendation_id=row.recommendation_id,
        campaign_id=row.campaign_id,
        action=action or "",
        metric=row.metric,
        success=row.success,
        before_value=row.before_value,
        after_value=row.after_value,
        actual_change_pct=row.actual_change_pct,
        expected_change_pct=row.expected_change_pct,
        before_spend=before.get("spend"),
        before_conversions=before.get("conversions"),
        after_spend=after.get("spend"),
        after_conversions=after.get("conversions"),
        after_period_start=_date(after.get("period_start")),
        after_period_end=_date(after.get("period_end")),
        measured_at=row.measured_at,
    )


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    return date.fromisoformat(value) if isinstance(value, str) and value else None
