"""The reviewer console: server-rendered pages under /console (see docs/console.md).

Pages read the store only (never a workflow query), decisions go through the same
``RecommendationService`` as the HTTP API, and every state-changing form is a POST carrying
the session's CSRF token that answers with a redirect (POST-redirect-GET), so a reload never
submits twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import FormData

from api.auth import READ_ROLES, REVIEW_ROLES, Principal
from api.console.charts import campaign_charts
from api.console.forms import REANALYZE, DecisionForm, FilterError, InboxFilters, valid_id
from api.console.session import Message, Session, SessionCookies
from api.console.views import (
    EXPIRING_WITHIN,
    PAGE_SIZE,
    audit_rows,
    change_rows,
    in_progress,
    inbox_rows,
    review_deadline,
    revision_history,
    time_left,
    watch_token,
    what_changed,
)
from api.errors import ApiError
from api.metrics import AUTH_FAILURES, RATE_LIMITED
from api.schemas import MAX_ID_LENGTH, DecisionRequest
from api.service import RecommendationService
from api.state import Services, get_services
from domain.lifecycle import DecisionKind, RecommendationStatus
from domain.recommendation import ActionType
from settings import Settings
from store.repository import RecommendationRecord, Store

log = logging.getLogger("api.console")

PREFIX = "/console"
HERE = Path(__file__).resolve().parent

# Issue 7 adds `override_cooldown` to DecisionRequest; the form offers it once it does.
CAN_OVERRIDE_COOLDOWN = "override_cooldown" in DecisionRequest.model_fields

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # Pages show confidential campaign data and per-user forms: never cache them.
    "Cache-Control": "no-store",
}

router = APIRouter(prefix=PREFIX, include_in_schema=False)


class Console:
    """What the console keeps for the process: cookie signing and the templates."""

    def __init__(self, settings: Settings) -> None:
        secret = settings.console_session_secret
        self.cookies = SessionCookies(
            secret.get_secret_value() if secret else None,
            max_age_seconds=settings.console_session_hours * 3600,
            secure=settings.console_cookie_secure,
        )
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters["when"] = _when
        self.templates.filters["pct"] = lambda value: "" if value is None else f"{value:.0%}"
        self.templates.filters["urlpart"] = lambda value: quote(str(value), safe="")


def install(app: FastAPI, settings: Settings) -> None:
    app.state.console = Console(settings)
    # Static files first: the router ends with a catch-all that answers an HTML 404.
    app.mount(f"{PREFIX}/static", StaticFiles(directory=HERE / "static"), name="console-static")
    from api.console import portfolio  # imports this module: here, not at the top

    app.include_router(portfolio.router)  # before the router's catch-all 404
    from api.console.pacing import router as pacing_router  # it builds on this module

    app.include_router(pacing_router)  # before the router's catch-all
    app.include_router(router)
    app.add_exception_handler(ConsoleError, _console_error)
    app.add_exception_handler(SignInRequired, _sign_in_required)


class ConsoleError(Exception):
    """A page-level error shown as an HTML page with this status."""

    def __init__(self, status_code: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.title = title
        self.message = message


class SignInRequired(Exception):
    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


@dataclass
class Visit:
    """One request to the console: its session and, once signed in, who is asking."""

    request: Request
    console: Console
    session: Session
    principal: Principal | None

    @property
    def services(self) -> Services:
        return get_services(self.request)

    @property
    def base(self) -> str:
        return self.request.scope.get("root_path", "") + PREFIX

    def store(self) -> Store:
        store = self.services.store
        if store is None:
            raise ConsoleError(503, "Not ready", "The database is not connected yet; retry.")
        return store

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        page = self.console.templates.get_template(template).render(
            base=self.base,
            principal=self.principal,
            csrf_token=self.session.csrf_token,
            messages=context.pop("messages", None) or self.session.take_messages(),
            watch_url=context.pop("watch_url", None),
            watch_token=context.pop("watch_token", None),
            **context,
        )
        response = HTMLResponse(page, status_code=status_code, headers=SECURITY_HEADERS)
        self.console.cookies.save(self.session, response)
        return response

    def redirect(self, path: str) -> RedirectResponse:
        response = RedirectResponse(path, status_code=303, headers=SECURITY_HEADERS)
        self.console.cookies.save(self.session, response)
        return response


async def visit(request: Request) -> Visit:
    console: Console = request.app.state.console
    session = console.cookies.load(request)
    principal = None
    if session.key_id is not None:
        principal = get_services(request).keyring.by_key_id(session.key_id)
        if principal is None:  # the key was removed from the configuration
            session.sign_out()
    if principal is not None:
        request.state.principal = principal  # the access log names the key
    return Visit(request, console, session, principal)


async def signed_in(request: Request, current: Visit = Depends(visit)) -> Visit:
    if current.principal is None or current.principal.role not in READ_ROLES:
        target = request.url.path
        if request.url.query:
            target += f"?{request.url.query}"
        raise SignInRequired(target)
    return current


async def checked_form(current: Visit) -> FormData:
    """The posted form, once its CSRF token matches the session's."""
    form = await current.request.form()
    if not current.session.csrf_matches(form.get("csrf_token")):
        log.warning("console form refused: CSRF token missing or wrong")
        raise ConsoleError(
            403,
            "Form refused",
            "This form did not carry this session's security token (CSRF), so nothing was "
            "done. Reload the page and submit it again.",
        )
    return form


def require_reviewer(current: Visit) -> Principal:
    principal = current.principal
    assert principal is not None
    if principal.role not in REVIEW_ROLES:
        log.warning("console decision refused for role %s", principal.role.value)
        raise ConsoleError(
            403,
            "Not allowed",
            f"Your key ({principal.name}, role {principal.role.value}) can read "
            "recommendations but not decide on them; sign in with a reviewer key.",
        )
    return principal


# ------------------------------------------------------------------------------ sign-in


@router.get("/login")
async def login_page(current: Visit = Depends(visit)) -> Response:
    next_path = _safe_next(current.request.query_params.get("next"), current.base)
    if current.principal is not None:
        return current.redirect(next_path)
    return current.render("login.html", next_path=next_path, error=None)


@router.post("/login")
async def login(current: Visit = Depends(visit)) -> Response:
    form = await checked_form(current)
    next_path = _safe_next(form.get("next"), current.base)
    key = form.get("api_key")
    key = key.strip() if isinstance(key, str) else ""
    principal = current.services.keyring.lookup(key) if key else None
    if principal is None:
        AUTH_FAILURES.labels(reason="unknown" if key else "missing").inc()
        host = current.request.client.host if current.request.client else "unknown"
        retry_after = await current.services.limiter.hit(f"anonymous:{host}")
        if retry_after is not None:
            RATE_LIMITED.inc()
            raise ConsoleError(
                429,
                "Too many attempts",
                f"Too many sign-in attempts; retry in {int(retry_after)} s.",
            )
        error = "That API key is not valid." if key else "Enter your API key."
        return current.render("login.html", status_code=401, next_path=next_path, error=error)
    current.session.sign_in(principal.key_id)
    log.info("console sign-in", extra={"api_key_name": principal.name, "role": principal.role})
    return current.redirect(next_path)


@router.post("/logout")
async def logout(current: Visit = Depends(visit)) -> Response:
    await checked_form(current)
    current.session.sign_out()
    current.session.say(Message("info", "You are signed out."))
    return current.redirect(f"{current.base}/login")


# -------------------------------------------------------------------------------- inbox


@router.get("")
async def inbox(current: Visit = Depends(signed_in)) -> Response:
    try:
        filters = InboxFilters.parse(current.request.query_params)
    except FilterError as problem:
        raise ConsoleError(
            400, "Unknown filter", f"The inbox cannot filter this way: {problem}."
        ) from None
    store = current.store()
    settings = current.services.settings
    timeout = timedelta(seconds=settings.review_timeout_seconds)
    now = datetime.now(UTC)
    items, total = await store.list_review_items(
        status=filters.status,
        campaign_id=filters.campaign or None,
        action=filters.action or None,
        order=filters.order,
        limit=PAGE_SIZE,
        offset=(filters.page - 1) * PAGE_SIZE,
    )
    counts = await store.review_counts(
        pending_since_before=now - timeout + EXPIRING_WITHIN,
        executed_since=datetime.combine(now.date(), time.min, tzinfo=UTC),
    )
    return current.render(
        "inbox.html",
        nav="inbox",
        filters=filters,
        rows=inbox_rows(items, now, timeout),
        total=total,
        first=(filters.page - 1) * PAGE_SIZE + 1,
        counts=counts,
        expiring_hours=int(EXPIRING_WITHIN.total_seconds() // 3600),
        campaigns=await store.list_campaign_ids(),
        statuses=[status.value for status in RecommendationStatus],
        actions=[action.value for action in ActionType],
        page_link=filters.link,
        now=now,
        time_left=time_left,
    )


# ----------------------------------------------------------------- recommendation page


@router.get("/recommendations/{recommendation_id}")
async def recommendation_page(
    recommendation_id: str, current: Visit = Depends(signed_in)
) -> Response:
    store = current.store()
    record = await _record(store, recommendation_id)
    audit = await store.list_audit(recommendation_id)
    state = record.state
    busy = in_progress(record, audit) or _awaited(current.session, record)
    recommendation = state.recommendation if state else None
    settings = current.services.settings
    now = datetime.now(UTC)
    deadline = review_deadline(
        record.status, record.updated_at, timedelta(seconds=settings.review_timeout_seconds)
    )
    execution = state.execution if state else None
    return current.render(
        "recommendation.html",
        nav="inbox",
        record=record,
        state=state,
        rec=recommendation,
        campaign_context=state.context if state else None,
        charts=campaign_charts(state.context if state else None),
        audit=audit_rows(audit),
        revisions=revision_history(state, audit),
        busy=busy,
        decidable=(
            record.status is RecommendationStatus.pending_review
            and busy is None
            and recommendation is not None
        ),
        deadline=deadline,
        deadline_left=time_left(deadline, now),
        opened_at=now.isoformat(),
        execution=execution,
        changes=change_rows(execution.before, execution.after) if execution else [],
        can_override_cooldown=CAN_OVERRIDE_COOLDOWN,
        # A run with something in flight reloads itself when its stored state moves on.
        watch_url=f"{current.base}/recommendations/{quote(recommendation_id)}/watch"
        if busy
        else None,
        watch_token=watch_token(record, len(audit)),
    )


def _awaited(session: Session, record: RecommendationRecord) -> str | None:
    """This reviewer's decision, accepted but not in the store yet (its audit entry may land
    a moment after the redirect)."""
    awaited = session.awaited(record.recommendation_id)
    if awaited is None:
        return None
    revision, what = awaited
    if record.status is RecommendationStatus.pending_review and record.revision == revision:
        return f"Your {what} of revision {revision} was accepted; the workflow is recording it."
    session.stop_awaiting()
    return None


@router.get("/recommendations/{recommendation_id}/watch")
async def watch(recommendation_id: str, current: Visit = Depends(visit)) -> Response:
    """What the page's script polls while a run is moving (from the store, like the page)."""
    if current.principal is None:
        return JSONResponse({"error": "signed out"}, status_code=401, headers=SECURITY_HEADERS)
    store = current.store()
    record = await _record(store, recommendation_id)
    audit = await store.list_audit(recommendation_id)
    return JSONResponse({"token": watch_token(record, len(audit))}, headers=SECURITY_HEADERS)


@router.post("/recommendations/{recommendation_id}/decision")
async def decide(recommendation_id: str, current: Visit = Depends(signed_in)) -> Response:
    form = await checked_form(current)
    principal = require_reviewer(current)
    page = f"{current.base}/recommendations/{quote(recommendation_id)}"
    store = current.store()
    await _record(store, recommendation_id)
    submitted = DecisionForm.parse(form)
    if submitted.problem:
        current.session.say(Message("refused", "Nothing was submitted.", [submitted.problem]))
        return current.redirect(page)
    try:
        message = await _submit(current, recommendation_id, submitted, principal)
        current.session.await_run(recommendation_id, submitted.revision, submitted.verb)
    except ApiError as err:
        message = await _refusal(store, recommendation_id, submitted, err)
    current.session.say(message)
    return current.redirect(page)


async def _submit(
    current: Visit, recommendation_id: str, submitted: DecisionForm, principal: Principal
) -> Message:
    service = _service(current)
    if submitted.choice == REANALYZE:
        record = await _record(service.store, recommendation_id)
        # The service re-analyses the current revision; bind the request to the one on screen.
        if record.revision != submitted.revision:
            raise ApiError(
                409,
                "stale_revision",
                f"revision {submitted.revision} was superseded; the current revision is "
                f"{record.revision}",
            )
        await service.reanalyze(recommendation_id, submitted.feedback, principal)
        return Message(
            "success",
            f"You asked for a reanalysis of revision {submitted.revision}.",
            ["The new revision appears here when it is ready; your feedback goes with it."],
        )
    extra = {"override_cooldown": submitted.override_cooldown} if CAN_OVERRIDE_COOLDOWN else {}
    body = DecisionRequest(
        decision=DecisionKind(submitted.choice),
        feedback=submitted.feedback,
        revision=submitted.revision,
        **extra,
    )
    result = await service.decide(recommendation_id, body, principal)
    follow_up = (
        "The action is carried out on the ad platform next; this page follows it."
        if result.decision is DecisionKind.approved
        else "Nothing changes on the ad platform."
    )
    return Message(
        "success", f"You {result.decision.value} revision {result.revision}.", [follow_up]
    )


async def _refusal(
    store: Store, recommendation_id: str, submitted: DecisionForm, err: ApiError
) -> Message:
    title = f"Your {submitted.verb} of revision {submitted.revision} was not applied."
    if err.status_code == 503:
        return Message(
            "refused",
            title,
            ["The workflow service did not answer; nothing was decided.", err.message],
        )
    record = await _record(store, recommendation_id)
    changes = what_changed(
        submitted.revision,
        submitted.seen_status,
        submitted.opened_at,
        record,
        await store.list_audit(recommendation_id),
    )
    log.info(
        "console decision refused",
        extra={"recommendation_id": recommendation_id, "code": err.code, "reason": err.message},
    )
    return Message("refused", title, [f"Reason: {err.message}.", *changes])


def _service(current: Visit) -> RecommendationService:
    services = current.services
    if services.temporal is None:
        raise ApiError(503, "temporal_unavailable", "the Temporal client is not connected yet")
    return RecommendationService(services.settings, current.store(), services.temporal)


async def _record(store: Store, recommendation_id: str) -> RecommendationRecord:
    record = None
    if valid_id(recommendation_id, MAX_ID_LENGTH):
        record = await store.get_recommendation(recommendation_id)
    if record is None:
        raise ConsoleError(404, "Not found", f"There is no recommendation {recommendation_id!r}.")
    return record


@router.api_route("/{unknown:path}", methods=["GET", "POST"])
async def not_found(request: Request, unknown: str) -> Response:
    if not unknown:  # "/console/": the inbox is at "/console"
        return RedirectResponse(request.scope.get("root_path", "") + PREFIX, status_code=308)
    raise ConsoleError(404, "Not found", "There is no such page in the console.")


# ------------------------------------------------------------------------------ helpers


def _safe_next(value: object, base: str) -> str:
    """Only a path inside the console: never another site (no open redirect)."""
    if isinstance(value, str) and value.startswith(base) and "//" not in value:
        if "\\" not in value and all(32 < ord(char) < 127 for char in value):
            return value
    return base


def _when(value: datetime | None) -> str:
    return "" if value is None else f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


async def _console_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ConsoleError)
    current = await visit(request)
    return current.render(
        "error.html", status_code=exc.status_code, title=exc.title, message=exc.message
    )


async def _sign_in_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    base = request.scope.get("root_path", "") + PREFIX
    target = f"{base}/login?{urlencode({'next': exc.next_path})}"
    return RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)
