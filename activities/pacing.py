"""The spend-pacing monitor's side effects: read the plan and the platform's spend, record each
line's assessment and the day's alerts, start halts, record how they ended.

The reasoning is ``domain.pacing``'s; the order is ``workflows.pacing``'s. One chunk of plan
lines per ``assess_pacing`` call: its platform reads run concurrently (bounded), its records go
to the store in one transaction, and a retry redoes the chunk idempotently.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import date
from typing import TYPE_CHECKING

from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from activities.platform_errors import calling, to_application_error
from domain.media_plan import PlanLine
from domain.notifications import pacing_notification
from domain.pacing import (
    CampaignMatch,
    HaltState,
    PacingAction,
    PacingAssessment,
    assess,
    diagnose,
    match_campaign,
    name_similarity,
)
from domain.passes import (
    AlertToAct,
    ChunkResult,
    HaltOutcome,
    HaltRequest,
    PacingChunk,
    PassEnd,
    PassPlan,
    PassStart,
)
from domain.platform import CampaignSettings, CampaignSummary, SpendReport
from platforms.errors import ErrorKind, PlatformError
from platforms.port import AdPlatform
from workflows import activity_names as names
from workflows import messages
from workflows.search_attributes import pacing_search_attributes

if TYPE_CHECKING:
    from store.monitor import MonitorStore

log = logging.getLogger("activities.pacing")

READ_CONCURRENCY = 16
# The platform has no such campaign (any more), or refuses to report on it: escalated.
UNREPORTABLE = (ErrorKind.not_found, ErrorKind.missing_metrics, ErrorKind.invalid)


class PacingActivities:
    def __init__(self, platform: AdPlatform, monitor: MonitorStore, client: Client) -> None:
        self._platform = platform
        self._monitor = monitor
        self._client = client

    @activity.defn(name=names.BEGIN_PACING_PASS)
    async def begin_pacing_pass(self, start: PassStart) -> PassPlan:
        plan = await self._monitor.current_media_plan()
        await self._monitor.begin_pacing_pass(
            start.pass_id,
            plan.plan_id if plan else None,
            plan.lines if plan else 0,
            start.at,
            start.autonomous_halt,
        )
        return PassPlan(plan_id=plan.plan_id, lines=plan.lines) if plan else PassPlan()

    @activity.defn(name=names.ASSESS_PACING)
    async def assess_pacing(self, chunk: PacingChunk) -> ChunkResult:
        lines = await self._monitor.media_plan_lines(chunk.plan_id, chunk.offset, chunk.limit)
        campaigns = await calling(self._platform.list_campaigns())
        matches = {line.line_id: match_campaign(line, campaigns, chunk.policy) for line in lines}
        halts = await self._monitor.halt_states(
            m.campaign_id for m in matches.values() if m is not None
        )
        gate = asyncio.Semaphore(READ_CONCURRENCY)

        async def one(line: PlanLine) -> PacingAssessment:
            match = matches[line.line_id]
            async with gate:
                return await self._assess_line(line, match, campaigns, halts, chunk)

        assessments = await asyncio.gather(*(one(line) for line in lines))
        activity.heartbeat(len(assessments))
        day = chunk.at.date()
        created = set(
            await self._monitor.record_assessments(chunk.pass_id, day, chunk.at, assessments)
        )
        return ChunkResult(
            counts=_counts(assessments),
            alerts=[
                _to_act(a, day, a.alert_key(day) in created, chunk.console_url)
                for a in assessments
                if a.action is not PacingAction.none
            ],
        )

    @activity.defn(name=names.FINISH_PACING_PASS)
    async def finish_pacing_pass(self, end: PassEnd) -> None:
        await self._monitor.finish_pacing_pass(end.pass_id, end.counts, end.at)

    @activity.defn(name=names.START_PACING_HALTS)
    async def start_pacing_halts(self, requests: list[HaltRequest]) -> list[str]:
        """Start each halt's workflow once (its id is one per campaign and day: a second pass,
        or a retry, finds it started and starts nothing)."""
        started = []
        for request in requests:
            await self._monitor.record_halt_queued(
                request.halt_id, request.alert_key, request.campaign_id, request.at
            )
            try:
                await self._client.start_workflow(
                    messages.PACING_HALT_WORKFLOW,
                    request,
                    id=request.halt_id,
                    task_queue=activity.info().task_queue,
                    id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    search_attributes=pacing_search_attributes(
                        request.campaign_id, "critical", PacingAction.halt.value
                    ),
                    static_summary=f"Pacing halt of campaign {request.campaign_id}",
                )
            except WorkflowAlreadyStartedError:
                continue  # halted (or tried) already today
            started.append(request.halt_id)
        return started

    @activity.defn(name=names.RECORD_HALT_OUTCOME)
    async def record_halt_outcome(self, outcome: HaltOutcome) -> None:
        await self._monitor.record_halt_outcome(
            outcome.halt_id,
            outcome.verdict.value,
            outcome.reason,
            outcome.at,
            outcome.execution.model_dump(mode="json") if outcome.execution else None,
        )

    # ------------------------------------------------------------------------- one line

    async def _assess_line(
        self,
        line: PlanLine,
        match: CampaignMatch | None,
        campaigns: list[CampaignSummary],
        halts: dict[str, HaltState],
        chunk: PacingChunk,
    ) -> PacingAssessment:
        if match is None:
            nearest = _nearest(line, campaigns)
            assessment = assess(line, None, None, chunk.at, chunk.policy, runner_up=nearest)
            return diagnose(assessment, line, None, None)
        report, problem = await self._spend(match.campaign_id, line.start_date)
        assessment = assess(
            line,
            match,
            report,
            chunk.at,
            chunk.policy,
            halt=halts.get(match.campaign_id),
            unavailable=problem,
        )
        settings = await self._settings(match.campaign_id) if assessment.needs_settings else None
        return diagnose(assessment, line, report, settings)

    async def _spend(self, campaign_id: str, since: date) -> tuple[SpendReport | None, str | None]:
        try:
            return await self._platform.spend_report(campaign_id, since), None
        except PlatformError as err:
            if not err.retryable and err.kind in UNREPORTABLE:
                return None, err.message[:200]
            raise to_application_error(err) from err

    async def _settings(self, campaign_id: str) -> CampaignSettings | None:
        """The settings behind a root cause; without them the checklist says 'unknown'."""
        try:
            return await self._platform.settings(campaign_id)
        except PlatformError as err:
            log.warning("no settings for the root cause of %s: %s", campaign_id, err)
            return None


def _nearest(line: PlanLine, campaigns: list[CampaignSummary]) -> str | None:
    if not campaigns:
        return None
    best = max(campaigns, key=lambda c: name_similarity(line.campaign_name, c.campaign_name))
    return best.campaign_name


def _counts(assessments: list[PacingAssessment]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for a in assessments:
        counts[f"severity:{a.severity.value}"] += 1
        counts[f"action:{a.action.value}"] += 1
    return dict(counts)


def _to_act(a: PacingAssessment, day: date, new: bool, console_url: str) -> AlertToAct:
    key = a.alert_key(day)
    return AlertToAct(
        alert_key=key,
        campaign_id=a.campaign_id,
        campaign_name=a.campaign_name,
        line_id=a.line_id,
        action=a.action,
        new=new,
        notification=pacing_notification(a, key, console_url),
    )
