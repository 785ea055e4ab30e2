"""Read models the Store returns (what the API serialises)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from pydantic import BaseModel

from domain.context import CampaignMetrics
from domain.lifecycle import LifecycleState, RecommendationStatus
from domain.transitions import StoredStatus


class RecommendationRecord(BaseModel):
    """Read model of one recommendation row (what the API returns)."""

    recommendation_id: str
    campaign_id: str
    workflow_id: str
    status: RecommendationStatus
    revision: int
    requested_by: str
    created_at: datetime
    updated_at: datetime
    state: LifecycleState | None  # the latest synced state (recommendation, decision, ...)
    error: str | None = None
    # Copies of state fields, handy for list views without digging into `state`.
    recommended_action: str | None = None
    confidence: float | None = None
    risk_level: str | None = None
    decision: str | None = None
    reviewer: str | None = None
    decided_at: datetime | None = None


class StoredRecommendation(NamedTuple):
    """One recommendation row as read, with its state document still JSON text: hashable, so
    a reader can cache what it derives from it (api/views.py) and decode only on a miss."""

    recommendation_id: str
    campaign_id: str
    workflow_id: str
    status: str
    revision: int
    requested_by: str
    created_at: datetime
    updated_at: datetime
    state_json: str | None
    error: str | None
    recommended_action: str | None
    confidence: float | None
    risk_level: str | None
    decision: str | None
    reviewer: str | None
    decided_at: datetime | None


class CampaignRecord(BaseModel):
    campaign_id: str
    name: str
    platform: str
    first_seen_at: datetime
    last_seen_at: datetime
    last_metrics: CampaignMetrics


class ReviewItem(BaseModel):
    """One row of the reviewer console's inbox: the recommendation's summary columns only, so a
    page of them is read without loading any full state document."""

    recommendation_id: str
    campaign_id: str
    campaign_name: str | None = None
    status: RecommendationStatus
    revision: int
    recommended_action: str | None = None
    specific_action: str | None = None
    confidence: float | None = None
    risk_level: str | None = None
    expected_impact: dict[str, Any] | None = None
    degraded: bool = False
    decision: str | None = None
    reviewer: str | None = None
    created_at: datetime
    updated_at: datetime


class ReviewCounts(BaseModel):
    pending: int
    expiring_soon: int
    executed: int


class ReviewPulse(BaseModel):
    """What the API's review gauges show (Store.review_pulse)."""

    pending: int
    oldest_pending_update: datetime | None
    approved: int
    rejected: int


class StateSave(BaseModel):
    """What Store.sync_state did: whether the state was written (False: a newer one is stored
    already) and what the row held before (None: the run had no row yet)."""

    written: bool
    previous: StoredStatus | None = None
