"""What PortfolioReviewWorkflow and its activities exchange (small: the report itself goes
straight from the review activity to our store, never through the workflow's history, so a
1,000-campaign account stays far below Temporal's payload limits)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from domain.portfolio.model import HeadlineRow, PortfolioPolicy

Trigger = Literal["api", "schedule"]


class PortfolioReviewInput(BaseModel):
    """Start arguments of PortfolioReviewWorkflow (the weekly schedule passes the defaults)."""

    review_id: str | None = Field(default=None, description="None: the workflow id")
    requested_by: str = "schedule"
    trigger: Trigger = "schedule"
    # None: the worker's settings at run time (PORTFOLIO__*), so a schedule created once keeps
    # following the configuration.
    policy: PortfolioPolicy | None = None
    include_summary: bool | None = Field(
        default=None, description="write the LLM executive summary; None: PORTFOLIO_SUMMARY"
    )
    seed: int | None = Field(default=None, description="None: drawn by the workflow")


class ReviewRequest(BaseModel):
    review_id: str
    as_of: datetime
    seed: int
    policy: PortfolioPolicy | None = None
    include_summary: bool | None = None


class ReviewOutcome(BaseModel):
    review_id: str
    headline: list[HeadlineRow]
    recommendations: int
    charts: list[str]
    summary_wanted: bool


class StatusUpdate(BaseModel):
    review_id: str
    status: str
    requested_by: str = "schedule"
    trigger: Trigger = "schedule"
    error: str | None = None


class SummaryAttachment(BaseModel):
    review_id: str
    text: str | None = None
    note: str | None = None


class PortfolioReviewResult(BaseModel):
    review_id: str
    status: str
    headline: list[HeadlineRow] = Field(default_factory=list)
    recommendations: int = 0
    summary_note: str | None = None
    error: str | None = None
