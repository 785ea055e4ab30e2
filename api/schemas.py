"""Request and response bodies of the HTTP API (documented in OpenAPI with examples)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
)

from domain.ids import ID_PATTERN, MAX_CAMPAIGN_ID_LENGTH, MAX_ID_LENGTH
from domain.lifecycle import (
    Decision,
    DecisionKind,
    ExecutionResult,
    LifecycleState,
    Outcome,
    RecommendationStatus,
    ReviewerFeedback,
    TraceStep,
)
from domain.recommendation import Recommendation
from domain.usage import UsageTotals
from store.repository import RecommendationRecord

__all__ = ["ID_PATTERN", "MAX_CAMPAIGN_ID_LENGTH", "MAX_ID_LENGTH"]

CampaignId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_CAMPAIGN_ID_LENGTH, pattern=ID_PATTERN),
]
Feedback = Annotated[str, StringConstraints(max_length=4000)]


def _json_number_only(value: object) -> object:
    """JSON Schema's integer: 3 and 3.0 are integers, "3" and true are not (Pydantic's lax
    mode would accept both; strict mode would refuse 3.0)."""
    if isinstance(value, str | bool):
        raise ValueError("must be a JSON integer, not a string or a boolean")
    return value


# The constraint sits on the integer itself so the OpenAPI document says `minimum: 0`.
RevisionNumber = Annotated[int, Field(ge=0), BeforeValidator(_json_number_only)]


class AnalyzeRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"campaign_id": "camp_001", "force_refresh": False}]},
    )

    campaign_id: CampaignId = Field(description="ad-platform campaign id")
    force_refresh: StrictBool = Field(
        default=False,
        description="start a new analysis even when a recent pending one exists",
    )


class AnalyzeResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "recommendation_id": "rec-camp_001-3f9a1c2e",
                    "status": "analyzing",
                    "campaign_id": "camp_001",
                    "deduplicated": False,
                }
            ]
        }
    )

    recommendation_id: str
    status: RecommendationStatus
    campaign_id: str
    deduplicated: bool = Field(
        description="true when an existing pending recommendation was returned instead"
    )


class RecommendationView(BaseModel):
    """One recommendation with everything that happened to it so far."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "recommendation_id": "rec-camp_001-3f9a1c2e",
                    "campaign_id": "camp_001",
                    "workflow_id": "rec-camp_001-3f9a1c2e",
                    "status": "pending_review",
                    "revision": 1,
                    "requested_by": "dashboard",
                    "created_at": "2025-01-06T09:00:00Z",
                    "updated_at": "2025-01-06T09:00:04Z",
                    "iterations": 1,
                    "recommendation": None,
                    "decision": None,
                    "refused_decisions": [],
                    "execution": None,
                    "outcome": None,
                    "error": None,
                    "trace": [],
                    "source": "workflow",
                }
            ]
        }
    )

    recommendation_id: str
    campaign_id: str
    workflow_id: str
    status: RecommendationStatus
    revision: int
    requested_by: str
    created_at: datetime
    updated_at: datetime
    iterations: int = 0
    recommendation: Recommendation | None = None
    decision: Decision | None = None
    refused_decisions: list[str] = Field(default_factory=list)
    execution: ExecutionResult | None = None
    outcome: Outcome | None = None
    error: str | None = None
    status_reason: str | None = Field(
        default=None,
        description="why a superseded, manual or (after approval) expired run ended so",
    )
    reviewer_feedback: list[ReviewerFeedback] = Field(
        default_factory=list, description="what reviewers said when asking for a reanalysis"
    )
    trace: list[TraceStep] = Field(default_factory=list)
    usage: UsageTotals = Field(
        default_factory=UsageTotals,
        description="every LLM call of the run (model, operation, prompt version, tokens, "
        "latency, cost) with totals per operation; empty with the rules reasoner",
    )
    source: Literal["workflow", "store"] = Field(
        description="`store`: the last state the workflow saved (the default); `workflow`: "
        "the running workflow's live `state` query (`?live=true`)"
    )

    @classmethod
    def build(
        cls, record: RecommendationRecord, live: LifecycleState | None = None
    ) -> RecommendationView:
        state = live or record.state
        view = cls(
            recommendation_id=record.recommendation_id,
            campaign_id=record.campaign_id,
            workflow_id=record.workflow_id,
            status=record.status,
            revision=record.revision,
            requested_by=record.requested_by,
            created_at=record.created_at,
            updated_at=record.updated_at,
            error=record.error,
            source="workflow" if live is not None else "store",
        )
        if state is None:
            return view
        return view.model_copy(
            update={
                "status": state.status,
                "revision": state.revision,
                "iterations": state.iterations,
                "recommendation": state.recommendation,
                "decision": state.decision,
                "refused_decisions": state.refused_decisions,
                "execution": state.execution,
                "outcome": state.outcome,
                "error": state.error or record.error,
                "status_reason": state.status_reason,
                "reviewer_feedback": state.reviewer_feedback,
                "trace": state.trace,
                "usage": state.usage,
            }
        )


class RecommendationPage(BaseModel):
    items: list[RecommendationView]
    total: int = Field(description="matching recommendations in all pages")
    limit: int
    offset: int


class DecisionRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"decision": "approved", "feedback": "go ahead", "revision": 1},
                {"decision": "rejected", "feedback": "creative refresh already scheduled"},
            ]
        },
    )

    decision: DecisionKind
    feedback: Feedback = ""
    revision: RevisionNumber | None = Field(
        default=None,
        description="the revision you reviewed; omitted = the current one. "
        "A superseded revision is refused with 409.",
    )
    override_cooldown: StrictBool = Field(
        default=False,
        description="approve although the campaign was changed inside the change cooldown "
        "(72 h by default); without it such an approval is refused with 409 cooldown_active",
    )


class DecisionResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "recommendation_id": "rec-camp_001-3f9a1c2e",
                    "decision": "approved",
                    "reviewer": "alice",
                    "revision": 1,
                }
            ]
        }
    )

    recommendation_id: str
    decision: DecisionKind
    reviewer: str = Field(description="name of the API key that decided")
    revision: int = Field(description="the revision the decision applies to")


class ReanalyzeRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"feedback": "audience data looks stale, try again"}]},
    )

    feedback: Feedback = ""


class ReanalyzeResponse(BaseModel):
    recommendation_id: str
    reviewer: str
    previous_revision: int = Field(description="revision that will be superseded")
    reanalyses: int = Field(description="reanalyses asked for on this recommendation so far")


class CampaignHistory(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"campaign_id": "camp_001", "total": 0, "items": []}]}
    )

    campaign_id: str
    total: int
    items: list[RecommendationView] = Field(
        description="newest first; each with its decision, execution and outcome"
    )


class HealthResponse(BaseModel):
    status: Literal["ok"] = "ok"


class ReadinessResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"status": "ready", "checks": {"database": "ok", "temporal": "ok"}},
                {
                    "status": "unavailable",
                    "checks": {"database": "ok", "temporal": "error: connection refused"},
                },
            ]
        }
    )

    status: Literal["ready", "unavailable"]
    checks: dict[str, str]
