"""/api/v1/campaigns: per-campaign views over the stored recommendations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from api.auth import READ_ROLES, Principal, require_roles
from api.errors import error_responses
from api.schemas import (
    ID_PATTERN,
    MAX_CAMPAIGN_ID_LENGTH,
    CampaignHistory,
    RecommendationView,
)
from api.state import get_store
from store.repository import Store

router = APIRouter(prefix="/api/v1/campaigns", tags=["campaigns"])


@router.get(
    "/{campaign_id}/history",
    response_model=CampaignHistory,
    summary="A campaign's recommendations with their decisions, executions and outcomes",
    description=(
        "Newest first, from the stored state. A campaign this service never analysed answers "
        "**200 with an empty list**, not 404: campaigns live on the ad platform, and "
        "'no history yet' is a valid answer. Paged like the recommendation list "
        "(`limit` 1-200, `offset`); `total` counts every run of the campaign. Roles: any."
    ),
    responses=error_responses(401, 422, 429, 503),
)
async def campaign_history(
    campaign_id: Annotated[
        str, Path(min_length=1, max_length=MAX_CAMPAIGN_ID_LENGTH, pattern=ID_PATTERN)
    ],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    _: Principal = Depends(require_roles(*READ_ROLES)),
    store: Store = Depends(get_store),
) -> CampaignHistory:
    records, total = await store.list_recommendations(
        campaign_id=campaign_id, limit=limit, offset=offset
    )
    items = [RecommendationView.build(record) for record in records]
    return CampaignHistory(campaign_id=campaign_id, total=total, items=items)
