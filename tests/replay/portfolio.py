"""Replay histories of the portfolio review's workflow code, kept beside the lifecycle's:

- ``portfolio_review_summary``: a PortfolioReviewWorkflow whose first executive summary invented
  a number and whose second was kept (activities are doubles at their names);
- ``proposal_pending``: a RecommendationWorkflow started with a portfolio review's proposal,
  still waiting for review (critiqued, no generate step for the first draft).

Record them again after an intentional, compatible change::

    .venv/bin/python -m tests.replay.portfolio
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from temporalio import activity
from temporalio.client import WorkflowHistory
from temporalio.worker import Worker

from domain.lifecycle import AnalyzeInput
from domain.portfolio.model import HeadlineRow
from domain.portfolio.runs import (
    PortfolioReviewInput,
    ReviewOutcome,
    ReviewRequest,
    StatusUpdate,
    SummaryAttachment,
)
from domain.portfolio.summary import SummaryDraft, SummaryRequest
from domain.recommendation import (
    ActionParameters,
    ActionType,
    ExpectedImpact,
    Recommendation,
    RiskLevel,
    RootCause,
)
from tests.workflows.harness import (
    Scenario,
    pending_review,
    start_time_skipping_env,
    wait_for_state,
)
from workers.worker import WORKFLOWS
from workflows import activity_names as names
from workflows.portfolio_review import PortfolioReviewWorkflow
from workflows.search_attributes import start_search_attributes

HISTORIES = Path(__file__).resolve().parent / "histories" / "portfolio"
NAMES = ("portfolio_review_summary", "proposal_pending")


class SummaryDoubles:
    """The portfolio activities at their names: the first summary invents a number."""

    def __init__(self) -> None:
        self.attached: list[SummaryAttachment] = []

    @activity.defn(name=names.SAVE_PORTFOLIO_STATUS)
    async def save_status(self, update: StatusUpdate) -> None:
        return None

    @activity.defn(name=names.RUN_PORTFOLIO_REVIEW)
    async def run_review(self, request: ReviewRequest) -> ReviewOutcome:
        return ReviewOutcome(
            review_id=request.review_id,
            headline=[HeadlineRow(label="Campaigns", value="3: 1 exceeding, 1 meeting, 1 below")],
            recommendations=3,
            charts=["kpi_status"],
            summary_wanted=True,
        )

    @activity.defn(name=names.DRAFT_PORTFOLIO_SUMMARY)
    async def draft(self, request: SummaryRequest) -> SummaryDraft:
        if request.attempt == 1:
            return SummaryDraft(text="Saves $9,999.00.", invented=["$9,999.00"])
        return SummaryDraft(text="Three campaigns: one below target.")

    @activity.defn(name=names.ATTACH_PORTFOLIO_SUMMARY)
    async def attach(self, attachment: SummaryAttachment) -> None:
        self.attached.append(attachment)

    def all(self) -> list:
        return [self.save_status, self.run_review, self.draft, self.attach]


def pause_proposal(campaign_id: str) -> Recommendation:
    return Recommendation(
        campaign_id=campaign_id,
        recommended_action=ActionType.campaign_pause,
        specific_action=f"pause campaign {campaign_id} until tracking is verified",
        parameters=ActionParameters(),
        reasoning="$700 spent on 300 clicks without a conversion.",
        signal_analysis="Portfolio review: zero conversions with spend.",
        root_cause=RootCause.fundamental_problem,
        supporting_evidence=["$700 spent on 300 clicks without a conversion"],
        expected_impact=ExpectedImpact(metric="spend", change_pct=-100.0, timeframe_days=3),
        risk_level=RiskLevel.high,
        confidence=0.9,
        confidence_reasoning="300 clicks without a conversion",
        generated_at=datetime(2026, 12, 1, tzinfo=UTC),
        model="portfolio-review",
    )


async def _summary_history(env) -> WorkflowHistory:
    doubles = SummaryDoubles()
    async with Worker(
        env.client, task_queue="replay-portfolio", workflows=WORKFLOWS, activities=doubles.all()
    ):
        handle = await env.client.start_workflow(
            PortfolioReviewWorkflow.run,
            PortfolioReviewInput(review_id="portfolio-review-replay", include_summary=True, seed=7),
            id="portfolio-review-replay",
            task_queue="replay-portfolio",
        )
        await handle.result()
    return await handle.fetch_history()


async def _proposal_history(env) -> WorkflowHistory:
    scenario = Scenario(env)
    campaign_id = "camp-replay-proposal"
    scenario.campaigns.add(campaign_id)
    async with scenario.worker():
        handle = await env.client.start_workflow(
            "RecommendationWorkflow",
            AnalyzeInput(
                recommendation_id="rec-camp-replay-proposal-1",
                campaign_id=campaign_id,
                proposal=pause_proposal(campaign_id),
            ),
            id="rec-camp-replay-proposal-1",
            task_queue=scenario.task_queue,
            search_attributes=start_search_attributes(campaign_id),
        )
        await wait_for_state(handle, pending_review)
        history = await handle.fetch_history()
        await handle.cancel()
    return history


async def record() -> list[Path]:
    env = await start_time_skipping_env()
    written = []
    try:
        for name, make in zip(NAMES, (_summary_history, _proposal_history), strict=True):
            history = await make(env)
            path = HISTORIES / f"{name}.json"
            path.write_text(history.to_json() + "\n")
            written.append(path)
    finally:
        await env.shutdown()
    return written


def load(name: str) -> WorkflowHistory:
    path = HISTORIES / f"{name}.json"
    assert path.exists(), f"{path} is missing: run python -m tests.replay.portfolio"
    return WorkflowHistory.from_json(f"replay-{name}", json.loads(path.read_text()))


if __name__ == "__main__":
    for written in asyncio.run(record()):
        print(f"wrote {written}")
