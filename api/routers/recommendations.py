"""/api/v1/recommendations: start analyses, read them, decide on them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response

from api.auth import ANALYZE_ROLES, READ_ROLES, REVIEW_ROLES, Principal, require_roles
from api.errors import error_responses
from api.responses import JsonBytes
from api.schemas import (
    ID_PATTERN,
    MAX_CAMPAIGN_ID_LENGTH,
    MAX_ID_LENGTH,
    AnalyzeRequest,
    AnalyzeResponse,
    DecisionRequest,
    DecisionResponse,
    ReanalyzeRequest,
    ReanalyzeResponse,
    RecommendationPage,
    RecommendationView,
)
from api.service import RecommendationService
from api.state import get_services, get_store, get_temporal
from domain.lifecycle import RecommendationStatus

router = APIRouter(prefix="/api/v1/recommendations", tags=["recommendations"])

RecommendationId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=MAX_ID_LENGTH,
        pattern=ID_PATTERN,
        description="recommendation id (= workflow id), e.g. `rec-camp_001-3f9a1c2e`",
    ),
]


async def get_service(request: Request) -> RecommendationService:
    return RecommendationService(
        get_services(request).settings, await get_store(request), get_temporal(request)
    )


@router.post(
    "/analyze",
    status_code=202,
    response_model=AnalyzeResponse,
    summary="Start an analysis of a campaign",
    description=(
        "Starts a `RecommendationWorkflow` and answers **202** with the new recommendation id. "
        "If the campaign already has a pending (analyzing / pending_review) recommendation "
        "younger than the dedup window (24 h by default), that one is returned with **200** and "
        "`deduplicated: true`, unless `force_refresh` is set. Roles: client, reviewer, admin."
    ),
    responses={
        200: {"model": AnalyzeResponse, "description": "an existing pending recommendation"},
        **error_responses(400, 401, 403, 413, 422, 429, 503),
    },
)
async def analyze(
    response: Response,
    body: AnalyzeRequest,
    principal: Principal = Depends(require_roles(*ANALYZE_ROLES)),
    service: RecommendationService = Depends(get_service),
) -> AnalyzeResponse:
    result = await service.analyze(body.campaign_id, body.force_refresh, principal)
    if result.deduplicated:
        response.status_code = 200
    response.headers["Location"] = f"{router.prefix}/{result.recommendation_id}"
    return result


@router.get(
    "",
    response_model=RecommendationPage,
    summary="List recommendations",
    description="Newest first, filtered by status and/or campaign. Roles: any.",
    responses=error_responses(401, 422, 429, 503),
)
async def list_recommendations(
    status: Annotated[RecommendationStatus | None, Query(description="filter by status")] = None,
    campaign_id: Annotated[
        str | None,
        Query(min_length=1, max_length=MAX_CAMPAIGN_ID_LENGTH, pattern=ID_PATTERN),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    _: Principal = Depends(require_roles(*READ_ROLES)),
    service: RecommendationService = Depends(get_service),
) -> Response:
    return JsonBytes(await service.list_json(status, campaign_id, limit, offset))


@router.get(
    "/{recommendation_id}",
    response_model=RecommendationView,
    summary="Read one recommendation",
    description=(
        "The stored recommendation with its decision, execution, outcome and reasoning trace, "
        "as the workflow last saved it (`source: store`; the workflow saves at every step). "
        "With `live=true` a running workflow's `state` query answers instead "
        "(`source: workflow`), or the stored row if it does not answer within 2 s. "
        "Roles: any."
    ),
    responses=error_responses(401, 404, 422, 429, 503),
)
async def get_recommendation(
    recommendation_id: RecommendationId,
    live: Annotated[
        bool, Query(description="ask the running workflow instead of the store")
    ] = False,
    _: Principal = Depends(require_roles(*READ_ROLES)),
    service: RecommendationService = Depends(get_service),
) -> Response:
    return JsonBytes(await service.get_json(recommendation_id, live=live))


@router.post(
    "/{recommendation_id}/decision",
    status_code=202,
    response_model=DecisionResponse,
    summary="Approve or reject a recommendation",
    description=(
        "Sends the decision to the workflow as its `decide` Temporal Update and answers with "
        "what the workflow accepted (the revision it applies to); the reviewer recorded is the "
        "API key's name. Refusals are **409** with the workflow's reason: `not_pending`, "
        "`already_decided` (someone decided first), `stale_revision` (not the revision under "
        "review), `reanalysis_requested`, and `cooldown_active` (the campaign was changed "
        "inside the change cooldown: approve with `override_cooldown: true` to apply anyway). "
        "**503** when the workflow did not answer in time: read the recommendation again "
        "before retrying. Roles: reviewer, admin."
    ),
    responses=error_responses(400, 401, 403, 404, 409, 413, 422, 429, 503),
)
async def submit_decision(
    recommendation_id: RecommendationId,
    body: DecisionRequest,
    principal: Principal = Depends(require_roles(*REVIEW_ROLES)),
    service: RecommendationService = Depends(get_service),
) -> DecisionResponse:
    return await service.decide(recommendation_id, body, principal)


@router.post(
    "/{recommendation_id}/reanalyze",
    status_code=202,
    response_model=ReanalyzeResponse,
    summary="Ask for a fresh analysis of a pending recommendation",
    description=(
        "Sends the workflow's `reanalyze` Temporal Update: it re-collects the context and "
        "reasons again with your feedback (the new revision shows how it was taken into "
        "account); each new draft is a new revision and the review wait starts over. "
        "Refusals are **409**: `not_pending`, `already_decided`, `reanalysis_limit` (5 per "
        "recommendation by default). Roles: reviewer, admin."
    ),
    responses=error_responses(400, 401, 403, 404, 409, 413, 422, 429, 503),
)
async def request_reanalysis(
    recommendation_id: RecommendationId,
    body: Annotated[ReanalyzeRequest, Body()] = ReanalyzeRequest(),
    principal: Principal = Depends(require_roles(*REVIEW_ROLES)),
    service: RecommendationService = Depends(get_service),
) -> ReanalyzeResponse:
    return await service.reanalyze(recommendation_id, body.feedback, principal)
