"""The console's portfolio pages: the list of reviews and one review's report (headline,
recommendations, campaigns, experiments, KPIs, ROI, risks, budget, charts, provenance).

Pages read the store only. The one form, "Send to review", starts the recommendation lifecycle
for a review's recommendation through the same ``PortfolioService`` as the HTTP API (a POST
with the session's CSRF token that answers with a redirect)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Response

from api.auth import ANALYZE_ROLES
from api.console.forms import valid_id
from api.console.routes import (
    PREFIX,
    SECURITY_HEADERS,
    ConsoleError,
    Visit,
    checked_form,
    signed_in,
)
from api.console.session import Message
from api.errors import ApiError
from api.portfolio import PortfolioService
from domain.portfolio.model import PortfolioReport
from domain.portfolio.report import kpi_value
from store.portfolio import PortfolioReviewRecord

router = APIRouter(prefix=f"{PREFIX}/portfolio", include_in_schema=False)
PAGE_SIZE = 50


async def _record(current: Visit, review_id: str) -> PortfolioReviewRecord:
    record = None
    if valid_id(review_id, 256):
        record = await current.store().portfolio.get(review_id)
    if record is None:
        raise ConsoleError(404, "Not found", f"There is no portfolio review {review_id!r}.")
    return record


@router.get("")
async def reviews(current: Visit = Depends(signed_in)) -> Response:
    records, total = await current.store().portfolio.list(limit=PAGE_SIZE)
    return current.render("portfolio_list.html", nav="portfolio", reviews=records, total=total)


@router.get("/{review_id}")
async def review(review_id: str, current: Visit = Depends(signed_in)) -> Response:
    record = await _record(current, review_id)
    report = PortfolioReport.model_validate(record.report) if record.report else None
    return current.render(
        "portfolio_review.html",
        nav="portfolio",
        record=record,
        report=report,
        kpi_value=kpi_value,
        can_send=current.principal is not None and current.principal.role in ANALYZE_ROLES,
        review_path=f"{current.base}/portfolio/{quote(review_id, safe='')}",
        markdown_url=current.request.scope.get("root_path", "")
        + f"/api/v1/portfolio/reviews/{quote(review_id, safe='')}/report.md",
    )


@router.get("/{review_id}/charts/{name}.png")
async def chart(review_id: str, name: str, current: Visit = Depends(signed_in)) -> Response:
    png = None
    if valid_id(review_id, 256) and name.replace("_", "").isalpha():
        png = await current.store().portfolio.chart(review_id, name)
    if png is None:
        raise ConsoleError(404, "Not found", "There is no such chart.")
    return Response(png, media_type="image/png", headers=SECURITY_HEADERS)


@router.post("/{review_id}/recommendations/{number}/lifecycle")
async def send(review_id: str, number: int, current: Visit = Depends(signed_in)) -> Response:
    await checked_form(current)
    record = await _record(current, review_id)
    page = f"{current.base}/portfolio/{quote(record.review_id, safe='')}"
    principal = current.principal
    assert principal is not None
    services = current.services
    if services.temporal is None:
        current.session.say(Message("refused", "Not sent.", ["Temporal is not connected yet."]))
        return current.redirect(page)
    service = PortfolioService(services.settings, current.store(), services.temporal)
    try:
        started = await service.send(review_id, number, principal)
    except ApiError as err:
        current.session.say(
            Message("refused", f"Recommendation {number} was not sent.", [err.message])
        )
        return current.redirect(page)
    what = "was already sent; here is its run" if started.deduplicated else "is in the lifecycle"
    current.session.say(
        Message(
            "success",
            f"Recommendation {number} of {review_id} {what}.",
            ["Its first draft is the review's proposal; the critique and guardrails check it."]
            if started.proposal
            else ["The agent analyses the campaign and drafts the action."],
        )
    )
    return current.redirect(
        f"{current.base}/recommendations/{quote(started.recommendation_id, safe='')}"
    )
