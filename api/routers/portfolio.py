"""/api/v1/portfolio: portfolio reviews (start, read, markdown, charts, send a recommendation
into the lifecycle) and the experiments they evaluate (import, list)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response

from api.auth import ANALYZE_ROLES, READ_ROLES, Principal, require_roles
from api.errors import ApiError, error_responses
from api.portfolio import (
    ExperimentList,
    ImportedExperiments,
    LifecycleStarted,
    PortfolioService,
    ReviewPage,
    ReviewRequest,
    ReviewStarted,
    ReviewSummary,
    ReviewView,
)
from api.schemas import ID_PATTERN
from api.state import get_services, get_store, get_temporal

router = APIRouter(prefix="/api/v1/portfolio", tags=["portfolio"])

ReviewId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=256,
        pattern=ID_PATTERN,
        description="review id (= workflow id), e.g. `portfolio-review-20261206-3f9a1c2e`",
    ),
]
ChartName = Annotated[str, Path(pattern=r"^[a-z_]{1,64}$", description="e.g. `spend_value`")]
CSV_EXAMPLE = (
    "experiment_id,name,control_samples,control_conversions,variant_samples,"
    "variant_conversions,planned_variant_share\n"
    "exp-landing-01,New landing page,5000,400,5000,460,0.5\n"
)


async def get_service(request: Request) -> PortfolioService:
    return PortfolioService(
        get_services(request).settings, await get_store(request), get_temporal(request)
    )


async def get_reader(request: Request) -> PortfolioService:
    """Reads need the store only: they answer while Temporal is down."""
    return PortfolioService(get_services(request).settings, await get_store(request), None)  # type: ignore[arg-type]


@router.post(
    "/reviews",
    status_code=202,
    response_model=ReviewStarted,
    summary="Start a portfolio review",
    description=(
        "Starts a `PortfolioReviewWorkflow` over every campaign of the account, the experiments "
        "and our own records, and answers **202** with the review id; the review is readable "
        "at once (`running`) and `completed` when its report is stored. Every field is an "
        "optional override of the configured review (`PORTFOLIO__*`). One review runs at a "
        "time: **409** `review_running` names the one running. Roles: client, reviewer, admin."
    ),
    responses=error_responses(400, 401, 403, 409, 413, 422, 429, 503),
)
async def start_review(
    response: Response,
    body: Annotated[ReviewRequest, Body()] = ReviewRequest(),
    principal: Principal = Depends(require_roles(*ANALYZE_ROLES)),
    service: PortfolioService = Depends(get_service),
) -> ReviewStarted:
    started = await service.start(body, principal)
    response.headers["Location"] = started.url
    return started


@router.get(
    "/reviews",
    response_model=ReviewPage,
    summary="List portfolio reviews",
    description="Newest first, without their reports. Roles: any.",
    responses=error_responses(401, 422, 429, 503),
)
async def list_reviews(
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    _: Principal = Depends(require_roles(*READ_ROLES)),
    service: PortfolioService = Depends(get_reader),
) -> ReviewPage:
    records, total = await service.store.portfolio.list(limit=limit, offset=offset)
    items = [ReviewSummary.model_validate(r.model_dump()) for r in records]
    return ReviewPage(items=items, total=total, limit=limit, offset=offset)


@router.get(
    "/reviews/{review_id}",
    response_model=ReviewView,
    summary="Read a portfolio review",
    description=(
        "Its status and, once stored, the report as JSON (headline, campaigns against target, "
        "experiments, KPIs, ROI ledger, risk signals, budget allocation, prioritised "
        "recommendations, provenance), with links to its markdown and charts. Roles: any."
    ),
    responses=error_responses(401, 404, 422, 429, 503),
)
async def get_review(
    review_id: ReviewId,
    _: Principal = Depends(require_roles(*READ_ROLES)),
    service: PortfolioService = Depends(get_reader),
) -> ReviewView:
    return await service.get(review_id)


@router.get(
    "/reviews/{review_id}/report.md",
    response_model=None,
    summary="A portfolio review as markdown",
    description="The report a lead reads (its charts are linked relative to it). Roles: any.",
    responses={
        200: {"content": {"text/markdown": {"schema": {"type": "string"}}}},
        **error_responses(401, 404, 409, 422, 429, 503),
    },
)
async def review_markdown(
    review_id: ReviewId,
    _: Principal = Depends(require_roles(*READ_ROLES)),
    service: PortfolioService = Depends(get_reader),
) -> Response:
    record = await service.require(review_id)
    if record.markdown is None:
        raise ApiError(409, "not_ready", f"portfolio review {review_id!r} is {record.status}")
    return Response(record.markdown, media_type="text/markdown; charset=utf-8")


@router.get(
    "/reviews/{review_id}/charts/{name}.png",
    summary="A chart of a portfolio review",
    description="`spend_value`, `experiment_lift` or `kpi_status`, as PNG. Roles: any.",
    responses={
        200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}},
        **error_responses(401, 404, 422, 429, 503),
    },
    response_model=None,
)
async def review_chart(
    review_id: ReviewId,
    name: ChartName,
    _: Principal = Depends(require_roles(*READ_ROLES)),
    service: PortfolioService = Depends(get_reader),
) -> Response:
    png = await service.store.portfolio.chart(review_id, name)
    if png is None:
        raise ApiError(404, "not_found", f"portfolio review {review_id!r} has no chart {name!r}")
    return Response(png, media_type="image/png")


@router.post(
    "/reviews/{review_id}/recommendations/{number}/lifecycle",
    status_code=202,
    response_model=LifecycleStarted,
    summary="Send a review's recommendation into the recommendation lifecycle",
    description=(
        "Starts a `RecommendationWorkflow` for the recommendation's campaign: its first draft "
        "is the review's proposal (or, for 'Analyse the campaign', the run's own analysis), "
        "then critique, guardrails, review, execution and the 3-day outcome as for any "
        "recommendation. Sending the same recommendation again answers the same run "
        "(`deduplicated`), and so does an 'Analyse the campaign' for a campaign that already "
        "has an analysis waiting for review. **409** `not_actionable` for recommendations a "
        "person carries out (experiment calls, budget moves between campaigns), `not_ready` "
        "while the review runs. Roles: client, reviewer, admin."
    ),
    responses=error_responses(401, 403, 404, 409, 422, 429, 503),
)
async def send_to_lifecycle(
    review_id: ReviewId,
    number: Annotated[int, Path(ge=1, le=10_000)],
    principal: Principal = Depends(require_roles(*ANALYZE_ROLES)),
    service: PortfolioService = Depends(get_service),
) -> LifecycleStarted:
    return await service.send(review_id, number, principal)


@router.post(
    "/experiments",
    status_code=201,
    response_model=ImportedExperiments,
    summary="Import experiments (JSON or CSV)",
    description=(
        'A JSON array of experiments (or `{"experiments": [...]}`) or a CSV with a header '
        "row; see docs/portfolio.md for the shape. Every row is checked and one bad row "
        "refuses the whole import: **422** `invalid_experiments` names each bad row and what is "
        "wrong with it in `error.details`, and nothing is imported. An experiment id imported "
        "again replaces the earlier one. Roles: client, reviewer, admin."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": 200,
                        "items": {"$ref": "#/components/schemas/Experiment"},
                    }
                },
                "text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE},
            },
        }
    },
    responses=error_responses(400, 401, 403, 413, 415, 422, 429, 503),
)
async def import_experiments(
    request: Request,
    principal: Principal = Depends(require_roles(*ANALYZE_ROLES)),
    service: PortfolioService = Depends(get_reader),
) -> ImportedExperiments:
    body = await request.body()
    return await service.import_experiments(
        body, request.headers.get("content-type", ""), principal
    )


@router.get(
    "/experiments",
    response_model=ExperimentList,
    summary="List imported experiments",
    description="Every imported experiment, by id (the platform's own are read at review time). "
    "Roles: any.",
    responses=error_responses(401, 422, 429, 503),
)
async def list_experiments(
    _: Principal = Depends(require_roles(*READ_ROLES)),
    service: PortfolioService = Depends(get_reader),
) -> ExperimentList:
    return ExperimentList(items=await service.store.portfolio.experiments())
