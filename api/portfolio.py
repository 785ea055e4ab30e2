"""The portfolio use cases behind /api/v1/portfolio: start a review, read it, send one of its
recommendations into the lifecycle, import experiments. Routers stay thin."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from activities.analysis_start import start_recommendation
from api import temporal
from api.auth import Principal
from api.errors import ApiError
from api.schemas import CampaignId
from domain.lifecycle import AnalyzeInput, RecommendationStatus
from domain.portfolio.experiments import Experiment
from domain.portfolio.imports import ImportResult, RowProblem, parse_csv, validate_rows
from domain.portfolio.model import CampaignTarget, PortfolioPolicy, PortfolioReport, TargetKpi
from domain.portfolio.runs import PortfolioReviewInput
from settings import Settings
from store.portfolio import PortfolioReviewRecord, ReviewStatus
from store.repository import Store
from workflows import messages

log = logging.getLogger("api.portfolio")

MAX_TARGETS = 500
# A review still running after this long is taken to have died: a new one may start.
RUNNING_FOR_AT_MOST = timedelta(hours=3)


# ----------------------------------------------------------------------------- schemas


def _json_number(value: object) -> object:
    """A JSON number: "30" and true are not (Pydantic's lax mode would take both)."""
    if isinstance(value, str | bool):
        raise ValueError("must be a JSON number, not a string or a boolean")
    return value


Money = Annotated[float, Field(gt=0, le=1e6), BeforeValidator(_json_number)]
Ratio = Annotated[float, Field(gt=0, le=1e3), BeforeValidator(_json_number)]
Target = Annotated[float, Field(gt=0, le=1e9), BeforeValidator(_json_number)]


class CampaignTargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    campaign_id: CampaignId
    kpi: TargetKpi = TargetKpi.cpa
    target: Target


class CampaignValueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    campaign_id: CampaignId
    value_per_conversion: Money


class ReviewRequest(BaseModel):
    """Optional overrides of the configured review (PORTFOLIO__* settings)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"window_days": 7, "value_per_conversion": 30.0, "include_summary": False}]
        },
    )

    window_days: Annotated[int | None, BeforeValidator(_json_number)] = Field(
        default=None, ge=1, le=30, description="reported days"
    )
    include_summary: StrictBool | None = Field(
        default=None, description="write the LLM executive summary (default PORTFOLIO_SUMMARY)"
    )
    value_per_conversion: Money | None = None
    account_target_cpa: Money | None = None
    target_roas: Ratio | None = None
    campaign_targets: list[CampaignTargetIn] = Field(
        default_factory=list, max_length=MAX_TARGETS, description="a campaign's own KPI target"
    )
    campaign_values: list[CampaignValueIn] = Field(
        default_factory=list, max_length=MAX_TARGETS, description="a campaign's conversion value"
    )

    def policy(self, configured: PortfolioPolicy) -> PortfolioPolicy:
        changes: dict[str, Any] = {
            k: v
            for k, v in self.model_dump(
                exclude={"include_summary", "campaign_targets", "campaign_values"}
            ).items()
            if v is not None
        }
        if self.campaign_targets:
            changes["campaign_targets"] = {
                t.campaign_id: CampaignTarget(kpi=t.kpi, target=t.target)
                for t in self.campaign_targets
            }
        if self.campaign_values:
            changes["campaign_values"] = {
                v.campaign_id: v.value_per_conversion for v in self.campaign_values
            }
        return PortfolioPolicy.model_validate(configured.model_dump() | changes)


class ReviewStarted(BaseModel):
    review_id: str
    status: str
    url: str


class ChartLink(BaseModel):
    name: str
    title: str
    url: str


class ReviewView(BaseModel):
    review_id: str
    status: str = Field(description="running, summarizing, completed or failed")
    requested_by: str
    trigger: str
    created_at: datetime
    updated_at: datetime
    error: str | None = None
    report: dict[str, Any] | None = Field(
        default=None, description="the review (domain.portfolio.model.PortfolioReport as JSON)"
    )
    markdown_url: str | None = None
    charts: list[ChartLink] = Field(default_factory=list)


class ReviewSummary(BaseModel):
    review_id: str
    status: str
    requested_by: str
    trigger: str
    created_at: datetime
    updated_at: datetime
    error: str | None = None


class ReviewPage(BaseModel):
    items: list[ReviewSummary]
    total: int
    limit: int
    offset: int


class LifecycleStarted(BaseModel):
    review_id: str
    number: int
    recommendation_id: str
    campaign_id: str
    status: RecommendationStatus
    proposal: bool = Field(description="the run's first draft is the review's proposal")
    deduplicated: bool = Field(description="this recommendation was sent before: same run")


class ImportedExperiments(BaseModel):
    imported: int
    experiment_ids: list[str]


class ExperimentList(BaseModel):
    items: list[Experiment]


# ----------------------------------------------------------------------------- service


def new_review_id() -> str:
    return messages.portfolio_review_id(f"{datetime.now(UTC):%Y%m%d}-{uuid.uuid4().hex[:8]}")


def lifecycle_recommendation_id(review_id: str, number: int, campaign_id: str) -> str:
    """Fixed per review and recommendation: sending it twice finds the same run."""
    digest = hashlib.sha256(f"{review_id}#{number}".encode()).hexdigest()[:8]
    return f"rec-{campaign_id}-{digest}"


class PortfolioService:
    def __init__(self, settings: Settings, store: Store, client: Client) -> None:
        self.settings = settings
        self.store = store
        self.client = client

    async def start(self, body: ReviewRequest, principal: Principal) -> ReviewStarted:
        """One review of the account at a time: a second while one runs is refused (409), so
        a burst of requests cannot pile reviews onto the worker and the ad platform."""
        running = await self.store.portfolio.running_since(datetime.now(UTC) - RUNNING_FOR_AT_MOST)
        if running is not None:
            raise ApiError(
                409,
                "review_running",
                f"portfolio review {running.review_id} ({running.status}, started "
                f"{running.created_at:%Y-%m-%d %H:%M} UTC) is still running; read it at "
                f"{review_url(running.review_id)} or start another once it has finished",
            )
        review_id = new_review_id()
        policy = body.policy(self.settings.portfolio)
        # Row first: readable (running) at once, and a failed start leaves a failed row.
        await self.store.portfolio.save_status(
            review_id, ReviewStatus.running, requested_by=principal.name, trigger="api"
        )
        inp = PortfolioReviewInput(
            review_id=review_id,
            requested_by=principal.name,
            trigger="api",
            policy=policy,
            include_summary=body.include_summary,
        )
        try:
            await self.client.start_workflow(
                messages.PORTFOLIO_REVIEW_WORKFLOW,
                inp,
                id=review_id,
                task_queue=self.settings.temporal_task_queue,
                static_summary=f"Portfolio review requested by {principal.name}",
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                rpc_timeout=temporal.RPC_TIMEOUT,
            )
        except Exception as exc:
            error = f"workflow start failed: {str(exc)[:200]}"
            await self.store.portfolio.save_status(review_id, ReviewStatus.failed, error=error)
            raise ApiError(
                503, "temporal_unavailable", f"could not start portfolio review {review_id}"
            ) from exc
        log.info("portfolio review started", extra={"review_id": review_id})
        return ReviewStarted(
            review_id=review_id, status=ReviewStatus.running, url=review_url(review_id)
        )

    async def get(self, review_id: str) -> ReviewView:
        record = await self.require(review_id)
        return ReviewView(
            **record.model_dump(exclude={"charts", "markdown"}),
            markdown_url=f"{review_url(review_id)}/report.md" if record.markdown else None,
            charts=[
                ChartLink(
                    name=name,
                    title=_chart_title(record, name),
                    url=f"{review_url(review_id)}/charts/{name}.png",
                )
                for name in record.charts
            ],
        )

    async def require(self, review_id: str) -> PortfolioReviewRecord:
        record = await self.store.portfolio.get(review_id)
        if record is None:
            raise ApiError(404, "not_found", f"portfolio review {review_id!r} not found")
        return record

    async def send(self, review_id: str, number: int, principal: Principal) -> LifecycleStarted:
        """Start the lifecycle for one of the review's recommendations."""
        record = await self.require(review_id)
        if record.report is None:
            raise ApiError(
                409,
                "not_ready",
                f"portfolio review {review_id!r} is {record.status}; its recommendations come "
                "with its report",
            )
        report = PortfolioReport.model_validate(record.report)
        item = report.recommendation(number)
        if item is None:
            raise ApiError(
                404,
                "not_found",
                f"portfolio review {review_id!r} has no recommendation {number} "
                f"(it has {len(report.recommendations)})",
            )
        if item.lifecycle is None:
            raise ApiError(
                409,
                "not_actionable",
                f"recommendation {number} ({item.action}) is carried out by a person: "
                f"{item.manual_reason}",
            )
        campaign_id = item.lifecycle.campaign_id
        recommendation_id = lifecycle_recommendation_id(review_id, number, campaign_id)
        existing = await self.store.get_recommendation(recommendation_id)
        if existing is None and item.lifecycle.proposal is None:
            # "Analyse the campaign": an analysis already waiting for review answers it.
            since = datetime.now(UTC) - timedelta(hours=self.settings.dedup_window_hours)
            existing = await self.store.find_pending(campaign_id, since)
        if existing is not None and existing.recommendation_id != recommendation_id:
            return LifecycleStarted(
                review_id=review_id,
                number=number,
                recommendation_id=existing.recommendation_id,
                campaign_id=campaign_id,
                status=existing.status,
                proposal=False,
                deduplicated=True,
            )
        row = existing or await self.store.create_recommendation(
            recommendation_id, campaign_id, requested_by=principal.name
        )
        analyze = AnalyzeInput(
            recommendation_id=recommendation_id,
            campaign_id=campaign_id,
            requested_by=principal.name,
            policy=self.settings.lifecycle_policy(),
            proposal=item.lifecycle.proposal,
        )
        try:
            await start_recommendation(self.client, self.settings.temporal_task_queue, analyze)
        except Exception as exc:
            raise ApiError(
                503,
                "temporal_unavailable",
                f"could not start recommendation {recommendation_id}; try again (the same "
                "call finds the same run)",
            ) from exc
        log.info(
            "portfolio recommendation sent into the lifecycle",
            extra={"review_id": review_id, "recommendation_id": recommendation_id},
        )
        return LifecycleStarted(
            review_id=review_id,
            number=number,
            recommendation_id=recommendation_id,
            campaign_id=campaign_id,
            status=row.status,
            proposal=item.lifecycle.proposal is not None,
            deduplicated=existing is not None,
        )

    async def import_experiments(
        self, body: bytes, content_type: str, principal: Principal
    ) -> ImportedExperiments:
        result = parse_import(body, content_type)
        if not result.ok:
            bad = [p for p in result.problems if p.row > 0]
            raise ApiError(
                422,
                "invalid_experiments",
                (
                    f"{len(bad)} row(s) are invalid, nothing was imported: "
                    if bad
                    else "the import was refused, nothing was imported: "
                )
                + "; ".join(
                    (
                        f"row {p.row}" + (f" ({p.experiment_id})" if p.experiment_id else "") + ": "
                        if p.row
                        else ""
                    )
                    + ", ".join(p.problems)
                    for p in result.problems[:20]
                ),
                details=[p.model_dump() for p in result.problems],
            )
        await self.store.portfolio.import_experiments(result.experiments, principal.name)
        ids = [e.experiment_id for e in result.experiments]
        log.info("experiments imported", extra={"count": len(ids), "by": principal.name})
        return ImportedExperiments(imported=len(ids), experiment_ids=ids)


def parse_import(body: bytes, content_type: str) -> ImportResult:
    media = content_type.split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _refused("the body is not UTF-8 text")
    if media in ("text/csv", "application/csv"):
        return parse_csv(text)
    if media == "application/json":
        try:
            document = json.loads(text)
        except json.JSONDecodeError as err:
            return _refused(f"the body is not JSON: {err}")
        if isinstance(document, dict) and isinstance(document.get("experiments"), list):
            document = document["experiments"]
        if not isinstance(document, list):
            return _refused('expected a JSON array of experiments or {"experiments": [...]}')
        return validate_rows(document)
    raise ApiError(
        415,
        "unsupported_media_type",
        "send experiments as application/json or text/csv (docs/portfolio.md)",
    )


def _refused(why: str) -> ImportResult:
    return ImportResult(experiments=[], problems=[RowProblem(row=0, problems=[why])])


def review_url(review_id: str) -> str:
    return f"/api/v1/portfolio/reviews/{review_id}"


def _chart_title(record: PortfolioReviewRecord, name: str) -> str:
    charts = (record.report or {}).get("charts", [])
    return next((c["title"] for c in charts if c.get("name") == name), name)
