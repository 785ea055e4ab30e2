"""Always watching, on the real stack: the KPI watch and the pacing monitor started by their
Temporal Schedules (triggered through the admin API), halts through the campaign's change
queue, and notifications delivered to a local Slack-compatible webhook and SMTP server.

The stack is this module's own (database, simulator on a fixed date, task queue and
schedules), on the session's dev server: the watch's verdicts depend on what else ran.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from temporalio.api.enums.v1 import PendingActivityState

from domain.notifications import Notification, NotificationKind
from domain.pacing import PacingPolicy
from domain.passes import HaltOutcome, PacingInput, PacingResult
from tests.e2e.conftest import KEYS, Stack, launch_stack
from tests.e2e.test_lifecycle import CLIENT, REVIEWER, analyze, mutations, poll, wait_status
from tests.fakes.receivers import MailReceiver, WebhookReceiver

pytestmark = pytest.mark.e2e

ADMIN = {"X-API-Key": KEYS["admin"]}
TASK_QUEUE = "e2e-watching"
ALL = {
    f"cmp-{name}-0{n}"
    for name in ("fatigue", "saturation", "competition", "tracking", "uneven", "steady")
    for n in (1, 2)
}
NOT_MOVED = {"cmp-steady-01", "cmp-steady-02", "cmp-uneven-02"}  # the simulator's figures
PASS_SECONDS = 90
CRITICAL_ALERT = "Pacing critical: Lookalike Prospecting (cmp-saturation-02)"


@dataclass
class Watching:
    stack: Stack
    api: httpx.AsyncClient
    sim: httpx.AsyncClient
    webhook: WebhookReceiver
    mail: MailReceiver


@pytest.fixture(scope="module")
async def watching(dev_server, tmp_path_factory) -> AsyncIterator[Watching]:
    webhook, mail = WebhookReceiver().start(), MailReceiver().start()
    extra = {
        "SIMULATOR_TODAY": "2025-06-01",
        "SIMULATOR_CAMPAIGNS": "0",  # the 12 named campaigns only: the passes judge each one
        "NOTIFY_URLS": f"{webhook.apprise_url} {mail.apprise_url}",
    }
    try:
        async with launch_stack(
            dev_server,
            tmp_path_factory.mktemp("watching"),
            extra_env=extra,
            task_queue=TASK_QUEUE,
        ) as stack:
            async with (
                httpx.AsyncClient(base_url=stack.api_url, timeout=15) as api,
                httpx.AsyncClient(base_url=stack.simulator_url, timeout=15) as sim,
            ):
                yield Watching(stack, api, sim, webhook, mail)
    finally:
        webhook.stop()
        mail.stop()


async def trigger(api: httpx.AsyncClient, schedule: str) -> None:
    """Trigger a pass and make sure it started: a trigger while the schedule still counts a
    pass as running (its close may reach the schedule a moment late) is skipped, by design."""

    async def current() -> dict:
        listed = (await api.get("/api/v1/admin/schedules", headers=ADMIN)).json()
        [found] = [s for s in listed if s["name"] == schedule]
        return found

    def newest(found: dict) -> str | None:
        return found["recent_runs"][-1]["workflow_id"] if found["recent_runs"] else None

    before = newest(await current())
    for _ in range(5):
        await poll(lambda: _idle(current), f"{schedule} to be idle")
        response = await api.post(f"/api/v1/admin/schedules/{schedule}/trigger", headers=ADMIN)
        assert response.status_code == 200, response.text
        try:
            await poll(lambda: _started(current, newest, before), "the pass", within=10)
            return
        except AssertionError:
            continue  # skipped: the previous pass was still closing
    raise AssertionError(f"{schedule} never started a pass")


async def _idle(current) -> bool:
    found = await current()
    return found["exists"] and not found["running"]


async def _started(current, newest, before) -> bool:
    return newest(await current()) != before


async def next_pass(
    api: httpx.AsyncClient, path: str, seen: int, within: float = PASS_SECONDS
) -> dict:
    """The pass after the first ``seen`` ones, once it has finished."""

    async def finished() -> dict | None:
        page = (await api.get(path, headers=CLIENT)).json()
        if page["total"] <= seen:
            return None
        newest = page["items"][0]
        return newest if newest.get("finished_at") else None

    return await poll(finished, f"a new pass at {path}", within=within)


async def passes_so_far(api: httpx.AsyncClient, path: str) -> int:
    return (await api.get(path, headers=CLIENT)).json()["total"]


async def test_the_kpi_watch_analyses_exactly_the_campaigns_that_moved(watching: Watching):
    api = watching.api
    # One campaign that moved has a review pending; another was changed inside the cooldown.
    pending = await analyze(api, "cmp-fatigue-01")
    await wait_status(api, pending, "pending_review")
    changed = await analyze(api, "cmp-competition-02")
    body = await wait_status(api, changed, "pending_review")
    assert body["recommendation"]["recommended_action"] != "Continue Monitoring", body
    approved = await api.post(
        f"/api/v1/recommendations/{changed}/decision",
        json={"decision": "approved", "revision": body["revision"]},
        headers=REVIEWER,
    )
    assert approved.status_code == 202, approved.text
    await wait_status(api, changed, "executed", "completed")

    seen = await passes_so_far(api, "/api/v1/watch/passes")
    await trigger(api, "kpi-watch")
    first = await next_pass(api, "/api/v1/watch/passes", seen)
    detail = (await api.get(f"/api/v1/watch/passes/{first['pass_id']}", headers=CLIENT)).json()
    verdicts = {c["campaign_id"]: c for c in detail["campaigns"]}
    assert set(verdicts) == ALL
    assert verdicts["cmp-fatigue-01"]["verdict"] == "pending"
    assert verdicts["cmp-fatigue-01"]["recommendation_id"] == pending
    assert verdicts["cmp-competition-02"]["verdict"] == "cooling_down"
    assert {c for c, v in verdicts.items() if v["verdict"] == "no_move"} == NOT_MOVED
    started = {c: v["recommendation_id"] for c, v in verdicts.items() if v["verdict"] == "started"}
    assert set(started) == ALL - NOT_MOVED - {"cmp-fatigue-01", "cmp-competition-02"}
    for campaign_id, rec_id in started.items():
        record = (await api.get(f"/api/v1/recommendations/{rec_id}", headers=CLIENT)).json()
        assert record["campaign_id"] == campaign_id and record["requested_by"] == "kpi-watch"
        assert verdicts[campaign_id]["moves"], campaign_id  # why: the KPIs that moved

    # A second pass finds every campaign that moved pending or cooling down: starts nothing.
    await trigger(api, "kpi-watch")
    second = await next_pass(api, "/api/v1/watch/passes", seen + 1)
    assert second["counts"]["started"] == 0
    assert second["counts"]["pending"] == len(started) + 1


async def import_plan(api: httpx.AsyncClient, csv_text: str) -> dict:
    response = await api.post(
        "/api/v1/pacing/media-plan",
        content=csv_text.encode(),
        headers={**ADMIN, "content-type": "text/csv"},
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


async def test_the_pacing_monitor_in_test_mode_alerts_and_pauses_nothing(watching: Watching):
    api, sim = watching.api, watching.sim
    seen = await passes_so_far(api, "/api/v1/pacing/passes")
    await trigger(api, "pacing-monitor")
    without_plan = await next_pass(api, "/api/v1/pacing/passes", seen)
    assert without_plan["plan_id"] is None and without_plan["lines"] == 0

    plan = await import_plan(api, (await sim.get("/admin/media-plan?format=csv")).text)
    assert plan["lines"] == 12
    seen = await passes_so_far(api, "/api/v1/pacing/passes")
    await trigger(api, "pacing-monitor")
    done = await next_pass(api, "/api/v1/pacing/passes", seen)
    assert done["autonomous_halt"] is False and done["lines"] == 12
    view = (await api.get(f"/api/v1/pacing/passes/{done['pass_id']}", headers=CLIENT)).json()
    lines = {a["line_id"]: a for a in view["assessments"]}
    assert len(lines) == 12

    over = lines["plan-cmp-saturation-02"]
    assert (over["severity"], over["action"]) == ("critical", "recommend_halt")
    assert "over-delivery" in over["root_cause"] and over["mitigation"]
    assert lines["plan-cmp-fatigue-02"]["action"] == "alert"  # critically under: no halt
    assert lines["plan-cmp-uneven-02"]["severity"] == "warning"
    # A planner's misspelt line without an id: matched by name, confident but not certain.
    fuzzy = lines["plan-cmp-competition-01"]
    assert fuzzy["campaign_id"] == "cmp-competition-01" and fuzzy["matched_by"] == "name"
    assert 0.7 <= fuzzy["confidence"] < 1.0
    doubtful = lines["plan-cmp-competition-02"]
    assert doubtful["action"] == "escalate" and doubtful["confidence"] < 0.7
    assert lines["plan-cmp-steady-01"]["action"] == "none"
    assert await mutations(sim, "cmp-saturation-02") == []  # test mode pauses nothing

    escalations = await api.get(
        "/api/v1/pacing/alerts", params={"action": "escalate"}, headers=CLIENT
    )
    assert [a["campaign_id"] for a in escalations.json()["items"]] == ["cmp-competition-02"]
    # In the Temporal UI the alerts are found by campaign, severity and action.
    query = (
        f"TaskQueue = '{TASK_QUEUE}' AND PacingSeverity = 'critical' "
        "AND PacingAction = 'recommend_halt' AND CampaignId = 'cmp-saturation-02'"
    )

    async def findable() -> bool:
        return bool([w async for w in watching.stack.client.list_workflows(query)])

    await poll(findable, "the alert by its search attributes")
    # The critical alert reached the webhook and the mailbox once; a second pass the same day
    # raises no new alert and tells nobody again.
    await poll(
        lambda: _as_async(watching.webhook.received(CRITICAL_ALERT)),
        "the critical alert on the webhook",
    )
    await trigger(api, "pacing-monitor")
    again = await next_pass(api, "/api/v1/pacing/passes", seen + 1)
    assert again["counts"]["alerts_new"] == 0
    await _settle_notifications(watching)
    assert len(watching.webhook.received(CRITICAL_ALERT)) == 1
    assert len(watching.mail.received(CRITICAL_ALERT)) == 1


async def test_a_confident_critical_campaign_is_paused_once_when_passes_overlap(
    watching: Watching,
):
    client, sim = watching.stack.client, watching.sim
    autonomous = PacingInput(
        policy=PacingPolicy(autonomous_halt=True), console_url=watching.stack.api_url
    )
    # A slow platform: the pause cannot land before both passes have assessed the line.
    fault = {"endpoint": "actions", "kind": "latency", "latency_seconds": 2.0}
    assert (await sim.post("/admin/faults", json=fault)).status_code == 201
    handles = [
        await client.start_workflow(
            "PacingMonitorWorkflow",
            autonomous,
            id=f"pacing-overlap-{n}-{uuid.uuid4().hex[:6]}",
            task_queue=TASK_QUEUE,
            result_type=PacingResult,
        )
        for n in range(2)
    ]
    results = [await handle.result() for handle in handles]
    today = datetime.now(UTC).date().isoformat()
    halt_id = f"pacing-halt-cmp-saturation-02-{today}"
    assert all(r.counts["action:halt"] == 1 for r in results)  # both passes want the halt...
    assert sum(halt_id in r.halts for r in results) == 1  # ...one of them starts it
    outcome = await client.get_workflow_handle(halt_id, result_type=HaltOutcome).result()
    await sim.delete("/admin/faults")
    assert outcome.verdict.value == "executed"
    [pause] = await mutations(sim, "cmp-saturation-02")
    assert (pause["action"], pause["idempotency_key"]) == ("Campaign Pause", halt_id)

    # A later pass finds the halt in effect: nothing more to do; never undone on its own.
    third = await client.execute_workflow(
        "PacingMonitorWorkflow",
        autonomous,
        id=f"pacing-after-{uuid.uuid4().hex[:6]}",
        task_queue=TASK_QUEUE,
        result_type=PacingResult,
    )
    assert third.halts == [] and len(await mutations(sim, "cmp-saturation-02")) == 1
    alerts = (
        await watching.api.get(
            "/api/v1/pacing/alerts", params={"campaign_id": "cmp-saturation-02"}, headers=CLIENT
        )
    ).json()["items"]
    [halted] = [a for a in alerts if a["halts"]]
    assert [h["status"] for h in halted["halts"]] == ["executed"]
    view = (
        await watching.api.get(f"/api/v1/pacing/alerts/{halted['alert_key']}", headers=CLIENT)
    ).json()
    assert "pacing_halt_executed" in [e["event"] for e in view["audit"]]
    await poll(
        lambda: _as_async(watching.webhook.received("Halted: Lookalike Prospecting")),
        "the halt notification",
    )

    # A person releases it (audited); the monitor does not pause it again meanwhile.
    released = await watching.api.post(
        f"/api/v1/pacing/alerts/{halted['alert_key']}/release",
        json={"reason": "budget corrected with the planner", "hold_off_hours": 24},
        headers=REVIEWER,
    )
    assert released.status_code == 200, released.text
    await _settle_notifications(watching)
    assert len(watching.webhook.received("Halted: Lookalike Prospecting")) == 1


async def execute_in_flight(watching: Watching, campaign_id: str) -> bool:
    queue = watching.stack.client.get_workflow_handle(f"campaign-changes-{campaign_id}")
    try:
        description = await queue.describe()
    except Exception:  # not started yet
        return False
    return any(
        a.activity_type.name == "execute_action"
        and a.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
        for a in description.raw_description.pending_activities
    )


async def test_a_worker_killed_mid_halt_still_pauses_exactly_once(watching: Watching):
    api, sim = watching.api, watching.sim
    # The planner halves one more line's budget: it is critically over plan now.
    rows = (await sim.get("/admin/media-plan?format=csv")).text.splitlines()
    edited = [_scaled(row, 0.6) if row.startswith("plan-cmp-uneven-02,") else row for row in rows]
    await import_plan(api, "\n".join(edited) + "\n")
    fault = {"endpoint": "actions", "kind": "latency", "latency_seconds": 4.0}
    assert (await sim.post("/admin/faults", json=fault)).status_code == 201
    handle = await watching.stack.client.start_workflow(
        "PacingMonitorWorkflow",
        PacingInput(policy=PacingPolicy(autonomous_halt=True), console_url="http://x"),
        id=f"pacing-crash-{uuid.uuid4().hex[:6]}",
        task_queue=TASK_QUEUE,
        result_type=PacingResult,
    )
    await poll(lambda: execute_in_flight(watching, "cmp-uneven-02"), "the pause in flight")
    watching.stack.worker.kill()
    await sim.delete("/admin/faults")
    watching.stack.start_worker()

    assert "pacing-halt-cmp-uneven-02" in " ".join((await handle.result()).halts)
    today = datetime.now(UTC).date().isoformat()
    halt = watching.stack.client.get_workflow_handle(
        f"pacing-halt-cmp-uneven-02-{today}", result_type=HaltOutcome
    )
    outcome = await halt.result()
    assert outcome.verdict.value == "executed"
    [pause] = await mutations(sim, "cmp-uneven-02")
    assert pause["action"] == "Campaign Pause"


async def test_notifications_are_delivered_once_per_event_even_when_retried(
    watching: Watching,
):
    api, webhook, mail = watching.api, watching.webhook, watching.mail
    webhook.fail_next(2)  # the chat service is down for the next two posts
    rec_id = await analyze(api, "cmp-tracking-01")
    # The run does not wait for its notification: it is pending review while delivery retries.
    pending = await wait_status(api, rec_id, "pending_review", within=30)
    assert webhook.received(rec_id) == []  # still being retried (5 s, then 10 s)
    await poll(lambda: _as_async(webhook.received(rec_id)), "the webhook delivery", within=60)
    assert webhook.refused >= 2
    await poll(lambda: _as_async(mail.received(rec_id)), "the mail delivery")

    # The same event queued again (after its delivery workflow is gone) reaches nobody twice.
    client = watching.stack.client
    again = await client.execute_workflow(
        "NotificationWorkflow",
        _pending_notification(rec_id, pending["revision"]),
        id=f"notify-again-{uuid.uuid4().hex[:6]}",
        task_queue=TASK_QUEUE,
        result_type=list[str],
    )
    assert again == []  # every target had it already
    await _settle_notifications(watching)
    assert len(webhook.received(rec_id)) == 1 and len(mail.received(rec_id)) == 1
    # Neither the webhook's token nor the URLs show up in the worker's logs.
    worker_logs = "".join(p.log_path.read_text() for p in watching.stack.processes[2:])
    assert webhook.token not in worker_logs


def _pending_notification(rec_id: str, revision: int) -> Notification:
    """The review_pending event of ``rec_id`` under the key the worker gave it."""
    return Notification(
        key=f"rec:{rec_id}:r{revision}:pending",
        kind=NotificationKind.review_pending,
        title="again",
        message=f"again {rec_id}",
    )


def _scaled(row: str, factor: float) -> str:
    cells = row.split(",")
    cells[-1] = f"{float(cells[-1]) * factor:.2f}"
    return ",".join(cells)


async def _as_async(value):
    return value


async def _settle_notifications(watching: Watching) -> None:
    """Wait until no notification workflow of this stack is running (deliveries done)."""

    async def idle() -> bool:
        query = f"WorkflowType = 'NotificationWorkflow' AND TaskQueue = '{TASK_QUEUE}' "
        query += "AND ExecutionStatus = 'Running'"
        running = [w async for w in watching.stack.client.list_workflows(query)]
        # Delayed reminders (hours away) are Running too: only those already started count.
        return all(w.execution_time and w.execution_time > datetime.now(UTC) for w in running)

    await poll(idle, "notifications delivered")
