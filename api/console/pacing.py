"""Console pages of the spend-pacing monitor: alerts, escalations, one alert (acknowledge it,
release its halt). Read from the store only; the forms carry the session's CSRF token and
answer with a redirect, like the rest of the console."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from api import monitoring
from api.console.forms import valid_id
from api.console.routes import (
    PREFIX,
    ConsoleError,
    Visit,
    checked_form,
    require_reviewer,
    signed_in,
)
from api.console.session import Message
from api.console.views import audit_rows
from api.errors import ApiError
from api.monitoring import MAX_HOLD_OFF_HOURS, ReleaseRequest
from domain.pacing import PacingAction, Severity
from store.monitor import MonitorStore, PacingAlertRecord

log = logging.getLogger("api.console.pacing")

router = APIRouter(prefix=PREFIX, include_in_schema=False)

PAGE_SIZE = 25
STATUSES = ("open", "acknowledged")
MAX_KEY = 256


@dataclass(frozen=True)
class AlertFilters:
    status: str  # open, acknowledged or "" (any)
    severity: str
    action: str
    campaign: str
    page: int

    @classmethod
    def parse(cls, params, *, action: str = "") -> AlertFilters:
        status = params.get("status", "open")
        severity = params.get("severity", "")
        chosen = params.get("action", action)
        campaign = (params.get("campaign") or "").strip()
        problems = []
        if status not in (*STATUSES, ""):
            problems.append(f"status {status!r}")
        if severity not in ("", *(s.value for s in Severity)):
            problems.append(f"severity {severity!r}")
        if chosen not in ("", *(a.value for a in PacingAction)):
            problems.append(f"action {chosen!r}")
        if campaign and not valid_id(campaign, 128):
            problems.append("campaign id")
        page = params.get("page", "1")
        if not page.isdigit() or not 1 <= int(page) <= 10_000:
            problems.append(f"page {page!r}")
        if problems:
            raise ConsoleError(400, "Unknown filter", f"No such filter: {', '.join(problems)}.")
        return cls(status, severity, chosen, campaign, int(page))

    def query(self, page: int | None = None) -> str:
        values = {
            "status": self.status,
            "severity": self.severity,
            "action": self.action,
            "campaign": self.campaign,
            "page": str(page or self.page),
        }
        return "?" + urlencode({k: v for k, v in values.items() if v or k == "status"})


def _monitor(current: Visit) -> MonitorStore:
    return MonitorStore(current.store().engine)


async def _alert_list(current: Visit, nav: str, title: str, action: str = "") -> Response:
    filters = AlertFilters.parse(current.request.query_params, action=action)
    monitor = _monitor(current)
    items, total = await monitor.list_pacing_alerts(
        status=filters.status or None,
        severity=filters.severity or None,
        action=filters.action or None,
        campaign_id=filters.campaign or None,
        limit=PAGE_SIZE,
        offset=(filters.page - 1) * PAGE_SIZE,
    )
    open_counts = {
        kind: (await monitor.list_pacing_alerts(status="open", action=kind, limit=1))[1]
        for kind in ("halt", "recommend_halt", "escalate", "alert")
    }
    passes, _ = await monitor.list_pacing_passes(limit=1)
    return current.render(
        "pacing.html",
        nav=nav,
        title=title,
        page_path=f"{current.base}/{nav}",
        filters=filters,
        alerts=items,
        total=total,
        first=(filters.page - 1) * PAGE_SIZE + 1,
        open_counts=open_counts,
        last_pass=passes[0] if passes else None,
        statuses=STATUSES,
        severities=[s.value for s in Severity],
        actions=[a.value for a in PacingAction if a is not PacingAction.none],
        fixed_action=action,
    )


@router.get("/pacing")
async def pacing_alerts(current: Visit = Depends(signed_in)) -> Response:
    return await _alert_list(current, "pacing", "Pacing alerts")


@router.get("/escalations")
async def escalations(current: Visit = Depends(signed_in)) -> Response:
    return await _alert_list(current, "escalations", "Escalations", PacingAction.escalate.value)


@router.get("/pacing/alerts/{alert_key}")
async def alert_page(alert_key: str, current: Visit = Depends(signed_in)) -> Response:
    alert = await _alert(current, alert_key)
    audit = await current.store().list_audit(alert_key)
    in_effect = next((h for h in alert.halts if h.status == "executed" and not h.released_at), None)
    return current.render(
        "pacing_alert.html",
        nav="escalations" if alert.action == PacingAction.escalate.value else "pacing",
        alert=alert,
        a=alert.assessment,
        audit=audit_rows(audit),
        halt_in_effect=in_effect,
        can_act=current.principal is not None and current.principal.role.value != "client",
        max_hold_off=MAX_HOLD_OFF_HOURS,
    )


@router.post("/pacing/alerts/{alert_key}/acknowledge")
async def acknowledge(alert_key: str, current: Visit = Depends(signed_in)) -> Response:
    form = await checked_form(current)
    principal = require_reviewer(current)
    await _alert(current, alert_key)
    note = str(form.get("note") or "").strip()[:2000]
    await monitoring.acknowledge(_monitor(current), alert_key, principal.name, note)
    current.session.say(Message("success", "You acknowledged this alert."))
    return current.redirect(_page(current, alert_key))


@router.post("/pacing/alerts/{alert_key}/release")
async def release(alert_key: str, current: Visit = Depends(signed_in)) -> Response:
    form = await checked_form(current)
    principal = require_reviewer(current)
    await _alert(current, alert_key)
    reason = str(form.get("reason") or "").strip()
    hours_text = str(form.get("hold_off_hours") or "24").strip()
    problems = []
    if not reason:
        problems.append("Say why the campaign may run again (the reason is audited).")
    try:
        hours = float(hours_text)
        if not 0 <= hours <= MAX_HOLD_OFF_HOURS:
            raise ValueError
    except ValueError:
        problems.append(f"Hold-off hours must be a number from 0 to {MAX_HOLD_OFF_HOURS}.")
        hours = 0
    if problems:
        current.session.say(Message("refused", "The halt was not released.", problems))
        return current.redirect(_page(current, alert_key))
    body = ReleaseRequest(reason=reason[:2000], hold_off_hours=hours)
    try:
        released = await monitoring.release(_monitor(current), alert_key, principal.name, body)
    except ApiError as err:
        current.session.say(Message("refused", "The halt was not released.", [err.message]))
    else:
        current.session.say(
            Message("success", "You released the halt.", [released.next_step.capitalize() + "."])
        )
    return current.redirect(_page(current, alert_key))


async def _alert(current: Visit, alert_key: str) -> PacingAlertRecord:
    alert = None
    if 0 < len(alert_key) <= MAX_KEY:
        alert = await _monitor(current).get_pacing_alert(alert_key)
    if alert is None:
        raise ConsoleError(404, "Not found", f"There is no pacing alert {alert_key!r}.")
    return alert


def _page(current: Visit, alert_key: str) -> str:
    return f"{current.base}/pacing/alerts/{quote(alert_key, safe='')}"
