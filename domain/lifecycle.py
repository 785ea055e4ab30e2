"""Models that cross the workflow boundary: input, decisions, executions, outcomes, state."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.context import CampaignContext, CampaignMetrics
from domain.recommendation import (
    ActionParameters,
    ActionType,
    Critique,
    Recommendation,
    SignalAnalysis,
)
from domain.thresholds import AutoApprovalPolicy, Guardrails, SignalThresholds
from domain.usage import UsageTotals


class RecommendationStatus(StrEnum):
    analyzing = "analyzing"
    pending_review = "pending_review"
    approved = "approved"
    rejected = "rejected"
    expired = "expired"
    executed = "executed"  # applied on the platform; outcome timer running
    completed = "completed"  # outcome measured
    failed = "failed"
    # Approved, but not applied: the campaign changed since the plan was made (another change,
    # someone in the platform's UI) or a change inside the cooldown came first. Not a failure.
    superseded = "superseded"
    # Approved, but the platform cannot perform the action: a person does it by hand, following
    # the execution's manual_instructions.
    manual = "manual"

    @property
    def is_pending(self) -> bool:
        return self in (RecommendationStatus.analyzing, RecommendationStatus.pending_review)

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


# The run has finished: the stored row is the final word.
FINAL_STATUSES = frozenset(
    {
        RecommendationStatus.rejected,
        RecommendationStatus.expired,
        RecommendationStatus.completed,
        RecommendationStatus.failed,
        RecommendationStatus.superseded,
        RecommendationStatus.manual,
    }
)


class DecisionKind(StrEnum):
    approved = "approved"
    rejected = "rejected"


class LifecyclePolicy(BaseModel):
    thresholds: SignalThresholds = Field(default_factory=SignalThresholds)
    guardrails: Guardrails = Field(default_factory=Guardrails)
    auto_approval: AutoApprovalPolicy = Field(default_factory=AutoApprovalPolicy)
    max_regenerations: int = Field(default=2, ge=0)
    review_timeout: timedelta = timedelta(hours=72)
    outcome_delay: timedelta = timedelta(days=3)
    # The outcome compares this many days after the action with as many days before it, so
    # days from before the action do not dilute the "after" figures.
    outcome_window_days: int = Field(default=3, ge=1, le=30)
    # LLM spend per run (USD) after which no further regenerations are asked for; None: no cap.
    max_llm_cost_usd: float | None = Field(default=None, ge=0)
    # One change at a time per campaign: a second executed change inside this window after
    # another is refused unless the reviewer overrides the cooldown (default: the outcome
    # window, so each change is measured on its own).
    change_cooldown: timedelta = timedelta(hours=72)
    # An approval older than this when its execution could start is not applied any more.
    max_approval_age: timedelta = timedelta(hours=24)
    # Reanalyses a reviewer may ask for on one recommendation.
    max_reanalyses: int = Field(default=5, ge=0)


class MetricsWindow(BaseModel):
    """Campaign metrics over the last `days` days (vs the `days` before): outcome snapshots."""

    campaign_id: str
    days: int = Field(ge=1, le=30)


class AnalyzeInput(BaseModel):
    """Start arguments of RecommendationWorkflow."""

    recommendation_id: str
    campaign_id: str
    requested_by: str = "api"
    policy: LifecyclePolicy = Field(default_factory=LifecyclePolicy)
    # A first draft proposed by a portfolio review (domain.portfolio): the run collects and
    # analyses the context as usual, then critiques this draft instead of generating one.
    proposal: Recommendation | None = None


class Decision(BaseModel):
    """Argument of the ``decide`` update (and of the submit_decision signal of older runs)."""

    decision: DecisionKind
    reviewer: str
    feedback: str = ""
    revision: int | None = Field(
        default=None, description="revision being decided; a superseded one is refused"
    )
    override_cooldown: bool = Field(
        default=False,
        description="apply even though the campaign was changed inside the cooldown",
    )


class DecisionAccepted(BaseModel):
    """Result of the ``decide`` update: the workflow took the decision for this revision."""

    recommendation_id: str
    decision: DecisionKind
    reviewer: str
    revision: int


class ReanalysisAccepted(BaseModel):
    """Result of the ``reanalyze`` update: a new analysis replaces ``previous_revision``."""

    recommendation_id: str
    reviewer: str
    previous_revision: int
    reanalyses: int = Field(description="reanalyses asked for on this recommendation so far")


class ReviewerFeedback(BaseModel):
    """What a reviewer said when sending a revision back: the next analysis must address it."""

    reviewer: str
    revision: int = Field(description="the revision sent back")
    feedback: str


class ReasonerFallback(BaseModel):
    """Set on a reasoning step's input when the primary (LLM) reasoner failed it: the step is
    answered by the rules reasoner instead, and the failure is counted and reported."""

    error_type: str = Field(description="e.g. LLMUnavailable, CircuitOpen, LLMInvalidOutput")
    error: str


class AnalysisInput(BaseModel):
    context: CampaignContext
    thresholds: SignalThresholds = Field(default_factory=SignalThresholds)
    fallback: ReasonerFallback | None = None
    reviewer_feedback: list[ReviewerFeedback] = Field(default_factory=list)


class ReasoningStep(BaseModel):
    """Input of the recommendation step; carries the critique of the previous attempt."""

    thresholds: SignalThresholds = Field(default_factory=SignalThresholds)
    guardrails: Guardrails = Field(default_factory=Guardrails)
    context: CampaignContext
    analysis: SignalAnalysis
    previous: Recommendation | None = None
    critique: Critique | None = None
    iteration: int = 0
    fallback: ReasonerFallback | None = None
    reviewer_feedback: list[ReviewerFeedback] = Field(default_factory=list)


class CritiqueInput(BaseModel):
    thresholds: SignalThresholds = Field(default_factory=SignalThresholds)
    context: CampaignContext
    analysis: SignalAnalysis
    recommendation: Recommendation
    fallback: ReasonerFallback | None = None
    reviewer_feedback: list[ReviewerFeedback] = Field(default_factory=list)


class ActionRequest(BaseModel):
    campaign_id: str
    action: ActionType
    parameters: ActionParameters
    idempotency_key: str
    requested_by: str


class ExecutionResult(BaseModel):
    campaign_id: str
    action: ActionType
    idempotency_key: str
    applied: bool
    already_applied: bool = False
    before: dict = Field(default_factory=dict)
    after: dict = Field(default_factory=dict)
    executed_at: datetime
    message: str = ""
    # Set when the plan was not applied because the campaign no longer matches what it was
    # drafted against (checked right before the write): the recommendation is superseded.
    premise_changes: list[str] = Field(default_factory=list)
    # Set when the platform cannot perform the action: what a person should do in its UI.
    # The recommendation stands; nothing was changed (applied is False).
    manual_instructions: str | None = None
    # The platform's id of every call the execution made (dry run, reads, write), for the audit.
    request_ids: list[str] = Field(default_factory=list)


class Outcome(BaseModel):
    campaign_id: str
    metric: str
    before_value: float | None
    after_value: float | None
    actual_change_pct: float | None
    expected_change_pct: float
    success: bool
    summary: str
    measured_at: datetime
    # With the daily history (the forecast path): success / failure / inconclusive, the value
    # the no-action forecast expected over the window, and the test's two-sided p-value.
    verdict: str | None = None
    forecast_value: float | None = None
    p_value: float | None = None
    # The campaign snapshots compared (the outcome window before and after): kept in the store
    # (outcomes.before_metrics / after_metrics) and read by the portfolio review.
    before_metrics: CampaignMetrics | None = None
    after_metrics: CampaignMetrics | None = None


class TraceStep(BaseModel):
    step: str
    iteration: int = 0
    started_at: datetime
    duration_ms: float
    detail: str = ""


class ReanalysisRequest(BaseModel):
    """Argument of the ``reanalyze`` update (and of the request_reanalysis signal of older
    runs): re-collect and reason again, taking the feedback into account (new revision)."""

    reviewer: str
    feedback: str = ""


class AuditEvent(BaseModel):
    """One append-only audit entry (decision, refused decision, execution, outcome...)."""

    recommendation_id: str
    event: str
    actor: str
    revision: int = 0
    payload: dict = Field(default_factory=dict)
    at: datetime


class LifecycleState(BaseModel):
    """What the `state` query returns and what the store mirrors."""

    recommendation_id: str
    campaign_id: str
    status: RecommendationStatus = RecommendationStatus.analyzing
    # Incremented before every save: the store keeps the state with the highest number, so a
    # delayed or retried older save never overwrites a newer one.
    seq: int = 0
    revision: int = 0
    iterations: int = 0
    # The context the current revision was reasoned on: evidence for reviewers, and the input
    # of the outcome-labelled eval cases once the outcome is known.
    context: CampaignContext | None = None
    recommendation: Recommendation | None = None
    # Every LLM call of the run (all revisions) with token and cost totals.
    usage: UsageTotals = Field(default_factory=UsageTotals)
    decision: Decision | None = None
    refused_decisions: list[str] = Field(default_factory=list)
    execution: ExecutionResult | None = None
    outcome: Outcome | None = None
    error: str | None = None
    # Why a superseded, manual or after-approval expired run ended as it did.
    status_reason: str | None = None
    reanalyses: int = Field(default=0, description="reanalyses asked for so far")
    # Feedback of every reanalysis asked for, oldest first (the reasoners get all of it).
    reviewer_feedback: list[ReviewerFeedback] = Field(default_factory=list)
    trace: list[TraceStep] = Field(default_factory=list)


class StateWithAudit(BaseModel):
    """One save of a run: its state and the audit entries that go with it, stored in one
    transaction (the ``save_state`` activity: one activity where there were two)."""

    state: LifecycleState
    audit: list[AuditEvent] = Field(default_factory=list)
