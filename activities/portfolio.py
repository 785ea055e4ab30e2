"""The portfolio review's side effects (workflows.portfolio_review).

``run_portfolio_review`` reads every campaign through the ad-platform port (metrics over the
window, segments, settings, 30-day history; one campaign's failed source is a gap in the
report, not a failed review), the platform's experiments when it has any, and our store (runs,
outcomes, snapshots, imported experiments); runs the pure review (``domain.portfolio``);
renders the markdown and the PNG charts and stores all of it. Only a small outcome goes back to
the workflow. ``draft_portfolio_summary`` asks the configured LLM for the executive summary and
checks every number in it against the stored review.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any

import yaml
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.heartbeat import Heartbeat, heartbeating
from activities.platform_errors import to_application_error
from activities.portfolio_charts import render_charts
from domain.budget import MODEL as OPTIMISER_MODEL
from domain.portfolio.model import (
    REPORT_FORMAT,
    CampaignSnapshot,
    ChartRef,
    PlatformData,
    PortfolioReport,
)
from domain.portfolio.report import render_markdown
from domain.portfolio.review import ReviewInput, review_portfolio
from domain.portfolio.runs import ReviewOutcome, ReviewRequest, StatusUpdate, SummaryAttachment
from domain.portfolio.summary import SummaryDraft, SummaryRequest, check_summary
from platforms.errors import PlatformError
from platforms.port import AdPlatform, ExperimentSource
from store.portfolio import ReviewStatus
from workflows import activity_names as names

if TYPE_CHECKING:
    from activities.llm.pricing import PriceTable
    from activities.llm.providers import Provider
    from settings import Settings
    from store.repository import Store

log = logging.getLogger(__name__)

HISTORY_DAYS = 30
HEARTBEAT_SECONDS = 10.0
# Campaigns read at once: bounded so a large account does not flood the platform.
CONCURRENT_CAMPAIGNS = 8
SUMMARY_PROMPT = "portfolio_summary"
SUMMARY_SCHEMA = {
    "type": "object",
    "properties": {"summary": {"type": "string", "description": "4 to 6 sentences"}},
    "required": ["summary"],
    "additionalProperties": False,
}
# The summary's chart and table links in the stored markdown (the API serves them there).
CHART_URL = "charts/{name}.png"


class PortfolioActivities:
    def __init__(
        self,
        platform: AdPlatform,
        store: Store,
        settings: Settings,
        summary_writer: SummaryWriter | None = None,
    ) -> None:
        self._platform = platform
        self._store = store
        self._settings = settings
        self._writer = summary_writer
        self._computing = asyncio.Semaphore(1)

    @activity.defn(name=names.SAVE_PORTFOLIO_STATUS)
    async def save_portfolio_status(self, update: StatusUpdate) -> None:
        await self._store.portfolio.save_status(
            update.review_id,
            update.status,
            requested_by=update.requested_by,
            trigger=update.trigger,
            error=update.error,
        )

    @activity.defn(name=names.RUN_PORTFOLIO_REVIEW)
    async def run_portfolio_review(self, request: ReviewRequest) -> ReviewOutcome:
        policy = request.policy or self._settings.portfolio
        summary_wanted = (
            self._settings.portfolio_summary
            if request.include_summary is None
            else request.include_summary
        )
        async with heartbeating(HEARTBEAT_SECONDS) as heartbeat:
            platform = await self.collect_platform(policy.window_days, heartbeat)
            records = await self._store.portfolio.agent_records(
                since=request.as_of - timedelta(days=policy.window_days),
                until=request.as_of,
                campaign_ids=[c.campaign_id for c in platform.campaigns],
            )
            review = ReviewInput(
                review_id=request.review_id,
                as_of=request.as_of,
                seed=request.seed,
                policy=policy,
                platform=platform,
                records=records,
                versions=versions(),
            )
            # The statistics, the sampling and the charts are CPU work: off the event loop (the
            # worker's workflows and other activities keep running), one review at a time.
            async with self._computing:
                heartbeat.record("analysing")
                report = await asyncio.to_thread(review_portfolio, review)
                heartbeat.record("rendering and storing the report")
                status = ReviewStatus.summarizing if summary_wanted else ReviewStatus.completed
                charts = await publish(self._store, report, status)
        activity.logger.info(
            "Portfolio review %s: %d campaigns, %d recommendations",
            request.review_id,
            len(report.campaigns),
            len(report.recommendations),
        )
        return ReviewOutcome(
            review_id=request.review_id,
            headline=report.headline,
            recommendations=len(report.recommendations),
            charts=sorted(charts),
            summary_wanted=summary_wanted,
        )

    async def collect_platform(
        self, window_days: int, heartbeat: Heartbeat | None = None
    ) -> PlatformData:
        """Every campaign of the account; a listing failure fails the attempt (retried)."""
        try:
            summaries = await self._platform.list_campaigns()
        except PlatformError as err:
            raise to_application_error(err) from err
        limit = asyncio.Semaphore(CONCURRENT_CAMPAIGNS)
        done = 0

        async def read(summary) -> CampaignSnapshot:
            nonlocal done
            async with limit:
                snapshot = await self._campaign(summary, window_days)
            done += 1
            if heartbeat is not None:
                heartbeat.record(f"{done}/{len(summaries)} campaigns read")
            return snapshot

        campaigns = await asyncio.gather(*(read(s) for s in summaries))
        experiments, problem = [], None
        if isinstance(self._platform, ExperimentSource):
            try:
                experiments = await self._platform.experiments()
            except PlatformError as err:
                problem = str(err)
        else:
            problem = f"the {self._platform.name} adapter lists no experiments"
        return PlatformData(
            platform=self._platform.name,
            window_days=window_days,
            campaigns=list(campaigns),
            experiments=experiments,
            experiments_problem=problem,
        )

    async def _campaign(self, summary, window_days: int) -> CampaignSnapshot:
        campaign_id = summary.campaign_id
        reads: dict[str, Any] = {
            "metrics": self._platform.campaign_metrics(campaign_id, window_days),
            "audience": self._platform.audience(campaign_id, window_days),
            "history": self._platform.history(campaign_id, HISTORY_DAYS),
            "settings": self._platform.settings(campaign_id),
        }
        results = await asyncio.gather(*reads.values(), return_exceptions=True)
        found, problems = {}, {}
        for source, result in zip(reads, results, strict=True):
            if isinstance(result, PlatformError):
                problems[source] = str(result)
            elif isinstance(result, BaseException):
                raise result
            else:
                found[source] = result
        audience = found.get("audience")
        return CampaignSnapshot(
            campaign_id=campaign_id,
            campaign_name=summary.campaign_name,
            platform=summary.platform,
            status=summary.status,
            metrics=found.get("metrics"),
            segments=audience.segments if audience else [],
            history=found.get("history"),
            settings=found.get("settings"),
            problems=problems,
        )

    @activity.defn(name=names.DRAFT_PORTFOLIO_SUMMARY)
    async def draft_portfolio_summary(self, request: SummaryRequest) -> SummaryDraft:
        if self._writer is None:
            raise ApplicationError(
                "no LLM is configured for the executive summary: set "
                "PORTFOLIO_SUMMARY_PROVIDER (or REASONER) to openai or anthropic",
                type="LLMNotConfigured",
                non_retryable=True,
            )
        report = await self._report(request.review_id)
        text, model, cost = await self._writer.write(report, request.rejected, request.previous)
        check = await asyncio.to_thread(check_summary, text, report)
        return SummaryDraft(text=text, invented=check.invented, model=model, cost_usd=cost)

    @activity.defn(name=names.ATTACH_PORTFOLIO_SUMMARY)
    async def attach_portfolio_summary(self, attachment: SummaryAttachment) -> None:
        report = await self._report(attachment.review_id)
        report = report.model_copy(
            update={"executive_summary": attachment.text, "summary_note": attachment.note}
        )
        markdown = await asyncio.to_thread(render_markdown, report, CHART_URL)
        await self._store.portfolio.update_report(
            attachment.review_id, report.model_dump(mode="json"), markdown
        )

    async def _report(self, review_id: str) -> PortfolioReport:
        record = await self._store.portfolio.get(review_id)
        if record is None or record.report is None:
            raise ApplicationError(f"portfolio review {review_id} has no stored report yet")
        return PortfolioReport.model_validate(record.report)


async def publish(
    store: Store, report: PortfolioReport, status: str = ReviewStatus.completed
) -> dict[str, tuple[str, bytes]]:
    """Render the charts and the markdown and store them with the report."""
    charts = await asyncio.to_thread(render_charts, report)
    refs = [ChartRef(name=name, title=title) for name, (title, _) in charts.items()]
    report = report.model_copy(update={"charts": refs})
    markdown = await asyncio.to_thread(render_markdown, report, CHART_URL)
    await store.portfolio.save_report(
        report.review_id, report.model_dump(mode="json"), markdown, charts, status=status
    )
    return charts


def versions() -> dict[str, str]:
    """What produced the report: its format, the optimiser's model and the libraries."""
    found = {"report": REPORT_FORMAT, "optimiser": OPTIMISER_MODEL}
    for package in ("marketing-agent", "statsmodels", "scipy", "numpy", "matplotlib"):
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


# ----------------------------------------------------------------------------- LLM summary


@dataclass(frozen=True)
class SummaryPrompt:
    version: str
    system: str
    user: str
    repair: str
    temperature: float
    max_tokens: int

    @classmethod
    def load(cls, prompts_dir: Path) -> SummaryPrompt:
        """prompts/portfolio_summary/<LATEST>.yaml, validated like the reasoning prompts."""
        from activities.llm.prompts import PromptFile, PromptFileError

        folder = prompts_dir / SUMMARY_PROMPT
        try:
            latest = (folder / "LATEST").read_text(encoding="utf-8").strip()
            spec = PromptFile.model_validate(
                yaml.safe_load((folder / f"{latest}.yaml").read_text(encoding="utf-8"))
            )
        except Exception as err:  # any unreadable or invalid file stops the worker, named
            raise PromptFileError(f"{folder}: {err}") from err
        if "<review_data>\n${review_data}\n</review_data>" not in spec.user or "${" in spec.system:
            raise PromptFileError(f"{folder}: user needs its <review_data> block, system no data")
        return cls(
            spec.version,
            spec.system,
            spec.user,
            spec.repair,
            spec.temperature,
            spec.max_tokens,
        )


class SummaryWriter:
    """One structured-output call per attempt to the configured provider, metered."""

    def __init__(
        self, provider: Provider, model: str, prices: PriceTable, prompt: SummaryPrompt
    ) -> None:
        self._provider = provider
        self._model = model
        self._prices = prices
        self._prompt = prompt

    async def write(
        self, report: PortfolioReport, rejected: list[str], previous: str = ""
    ) -> tuple[str, str, float]:
        from activities.llm.metering import CallLabels, metered_call
        from activities.llm.prompts import data_block
        from activities.llm.providers import StructuredRequest
        from domain.usage import Operation

        user = Template(self._prompt.user).substitute(review_data=data_block(review_data(report)))
        if rejected:
            user += Template(self._prompt.repair).substitute(
                validation_errors=data_block(
                    [f"{n} is not a figure of the review" for n in rejected]
                ),
                previous_answer=data_block(previous),
            )
        request = StructuredRequest(
            model=self._model,
            system=self._prompt.system,
            user=user,
            schema_name=SUMMARY_PROMPT,
            schema=SUMMARY_SCHEMA,
            temperature=self._prompt.temperature,
            max_tokens=self._prompt.max_tokens,
        )
        labels = CallLabels(Operation.summary, self._prompt.version, prompt_name=SUMMARY_PROMPT)
        reply, usage = await metered_call(self._provider, request, labels, self._prices)
        data = reply.data if isinstance(reply.data, dict) else {}
        text = data.get("summary")
        if not isinstance(text, str) or not text.strip():
            raise ApplicationError("the model answered without a summary", type="LLMInvalidOutput")
        return text.strip(), usage.model, usage.cost_usd

    async def close(self) -> None:
        await self._provider.close()


def review_data(report: PortfolioReport) -> dict[str, Any]:
    """What the summary may draw on: the headline, the recommendations, the experiments'
    calls, the KPIs at risk, the ROI ledger and the critical risks."""
    return {
        "headline": [row.model_dump() for row in report.headline],
        "recommendations": [
            {
                "number": r.number,
                "priority": r.priority,
                "action": r.action,
                "target": r.target,
                "expected_impact": r.expected_impact,
                "confidence": round(r.confidence, 2),
            }
            for r in report.recommendations[:8]
        ],
        "experiments": [
            {"experiment": e.name, "decision": e.decision.value, "reason": e.reason}
            for e in report.experiments.evaluations
        ],
        "kpis_at_risk": [
            {"kpi": k.label, "status": k.status.value, "severity": k.severity, "basis": k.basis}
            for k in report.kpis
            if k.status.value == "at_risk"
        ],
        "roi": {
            "status": report.roi.status,
            "agent_status": report.roi.agent_status,
            "value_basis": report.roi.value_basis,
        },
        "critical_risks": [
            {"campaign": r.campaign_id, "detail": r.detail}
            for r in report.risks
            if r.severity.value == "critical"
        ],
    }


def build_summary_writer(settings: Settings) -> SummaryWriter | None:
    """The configured provider (PORTFOLIO_SUMMARY_PROVIDER, else an LLM REASONER), or None."""
    provider_name = settings.portfolio_summary_provider or (
        settings.reasoner if settings.reasoner in ("openai", "anthropic") else None
    )
    if provider_name is None:
        return None
    from activities.llm.factory import DEFAULT_MODELS, build_provider
    from activities.llm.pricing import PriceTable

    model = settings.llm_model or DEFAULT_MODELS[provider_name][0]
    return SummaryWriter(
        build_provider(settings, provider_name),
        model,
        PriceTable(settings.llm_price_table()),
        SummaryPrompt.load(settings.prompts_dir),
    )
