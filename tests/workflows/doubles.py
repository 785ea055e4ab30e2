"""Test doubles for the workflow's boundaries, registered under the real activity names.

- ``FakeAdPlatform`` stands in for the collectors and execution (the simulator over HTTP).
- ``ScriptedReasoner`` is a ``Reasoner`` plugged into the REAL ``ReasoningActivities``.
- ``MemoryStore`` is a ``Store`` look-alike plugged into the REAL ``PersistenceActivities``.

Sample data is realistic enough that the real domain code (guardrails, auto-approval, outcome
judging) runs on it inside the workflow.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from activities.changes import CampaignChangeActivities
from activities.persistence import PersistenceActivities
from activities.reasoning import ReasoningActivities
from domain.changes import LastChange
from domain.context import (
    AudienceData,
    AudienceSegment,
    CampaignMetrics,
    CompetitorSignals,
    CreativeMetrics,
    DailyPoint,
    HistoryData,
)
from domain.lifecycle import (
    ActionRequest,
    AnalysisInput,
    AuditEvent,
    CritiqueInput,
    ExecutionResult,
    LifecycleState,
    MetricsWindow,
    ReasoningStep,
)
from domain.recommendation import (
    ActionParameters,
    ActionType,
    Critique,
    CritiqueIssue,
    ExpectedImpact,
    Recommendation,
    RiskLevel,
    RootCause,
    RootCauseScore,
    Severity,
    Signal,
    SignalAnalysis,
)
from domain.transitions import StoredStatus
from store.records import StateSave
from workflows import activity_names as names

FIXED_NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


# ----------------------------------------------------------------------------- sample data


def campaign_metrics(campaign_id: str = "camp-1", **changes: Any) -> CampaignMetrics:
    """A search campaign whose CPA rose 35 % in a week while competitors bid up."""
    values: dict[str, Any] = {
        "campaign_id": campaign_id,
        "campaign_name": "Spring Sale - Search",
        "platform": "google_ads",
        "spend": 7000.0,
        "impressions": 350_000,
        "clicks": 7000,
        "conversions": 140.0,
        "cpa": 50.0,
        "ctr": 2.0,
        "conversion_rate": 2.0,
        "cpm": 20.0,
        "cpa_change_pct": 35.0,
        "cpm_change_pct": 28.0,
        "ctr_change_pct": -2.0,
        "spend_change_pct": 4.0,
        "cpa_trend_days": 4,
        "daily_budget": 1000.0,
        "budget_utilization": 1.0,
        "impression_share": 0.62,
        "impression_share_change_pct": -18.0,
        "period_start": date(2025, 3, 3),
        "period_end": date(2025, 3, 9),
        "comparison_period_start": date(2025, 2, 24),
        "comparison_period_end": date(2025, 3, 2),
    }
    values.update(changes)
    return CampaignMetrics(**values)


def improved_metrics(campaign_id: str = "camp-1") -> CampaignMetrics:
    """Three days after a bid adjustment: CPA down 20 %."""
    return campaign_metrics(
        campaign_id, cpa=40.0, conversions=175.0, cpa_change_pct=-20.0, cpa_trend_days=0
    )


def creatives() -> list[CreativeMetrics]:
    return [
        CreativeMetrics(
            creative_id="cr-1",
            creative_name="Spring hero",
            ctr=2.1,
            ctr_change_pct=-1.0,
            creative_age_days=12,
            average_frequency=2.1,
            total_impressions=200_000,
            unique_reach=95_000,
        )
    ]


def competitors() -> CompetitorSignals:
    return CompetitorSignals(
        active_competitors_count=9,
        new_competitors_count=3,
        activity_change_pct=32.0,
        avg_bid_increase_pct=18.0,
    )


def audience() -> AudienceData:
    return AudienceData(
        audience_size=2_000_000,
        reach=400_000,
        reach_change_pct=1.0,
        average_frequency=2.0,
        segments=[AudienceSegment(segment_id="s-1", name="Returning", spend=7000, conversions=140)],
    )


def history() -> HistoryData:
    daily = [
        DailyPoint(
            date=date(2025, 3, day), spend=1000, impressions=50_000, clicks=1000, conversions=20
        )
        for day in range(3, 10)
    ]
    return HistoryData(baseline_cpa=37.0, daily=daily)


def analysis(campaign_id: str = "camp-1") -> SignalAnalysis:
    return SignalAnalysis(
        campaign_id=campaign_id,
        signals=[
            Signal(
                name="cpa_change_pct",
                value=35.0,
                threshold=30.0,
                significant=True,
                description="CPA up 35 % week over week",
            )
        ],
        root_causes=[
            RootCauseScore(root_cause=RootCause.competitive_pressure, score=0.8, evidence=["bids"])
        ],
        primary_root_cause=RootCause.competitive_pressure,
        complexity_score=0.3,
        summary="Competitors bid up; our impression share fell.",
    )


def recommendation(
    campaign_id: str = "camp-1",
    *,
    action: ActionType = ActionType.bid_adjustment,
    confidence: float = 0.8,
    risk: RiskLevel = RiskLevel.medium,
    label: str = "",
) -> Recommendation:
    parameters = ActionParameters()
    if action is ActionType.bid_adjustment:
        parameters = ActionParameters(bid_change_pct=15.0, current_bid=2.5, new_bid=2.88)
    return Recommendation(
        campaign_id=campaign_id,
        recommended_action=action,
        specific_action=label or "increase bid 15 % from $2.50 to $2.88",
        parameters=parameters,
        reasoning="Competitors raised bids 18 % and our impression share fell 18 %.",
        signal_analysis="CPA +35 %, CPM +28 %, CTR stable.",
        root_cause=(
            RootCause.competitive_pressure
            if action is ActionType.bid_adjustment
            else RootCause.normal_variance
        ),
        supporting_evidence=["competitor activity +32 %", "impression share -18 %"],
        expected_impact=ExpectedImpact(metric="cpa", change_pct=-15.0, timeframe_days=3),
        risk_level=risk,
        confidence=confidence,
        confidence_reasoning="Three independent signals agree.",
        generated_at=FIXED_NOW,
    )


def passing_critique(confidence: float = 0.8) -> Critique:
    return Critique(adjusted_confidence=confidence, summary="Evidence supports the action.")


def failing_critique() -> Critique:
    return Critique(
        issues=[CritiqueIssue(severity=Severity.critical, description="Ignores the CTR drop.")],
        adjusted_confidence=0.4,
        summary="Critical issue: ignores the CTR drop.",
    )


# ----------------------------------------------------------------------------- ad platform


def retryable(message: str = "HTTP 503 from the ad platform") -> ApplicationError:
    return ApplicationError(message, type="AdPlatformError")


class FakeAdPlatform:
    """Collectors and execution. Campaign metrics switch to ``after`` once an action ran."""

    def __init__(
        self,
        *,
        before: CampaignMetrics | None = None,
        after: CampaignMetrics | None = None,
        failing_sources: tuple[str, ...] = (),
        campaign_error: ApplicationError | None = None,
        campaign_failures_before_success: int = 0,
        execution_error: ApplicationError | None = None,
        baseline_error: ApplicationError | None = None,
        premise_changes: list[str] | None = None,
        manual_instructions: str | None = None,
        execution_gate: asyncio.Event | None = None,
    ) -> None:
        self.before = before or campaign_metrics()
        self.after = after or improved_metrics(self.before.campaign_id)
        self.failing_sources = set(failing_sources)
        self.campaign_error = campaign_error
        self.campaign_failures_left = campaign_failures_before_success
        self.execution_error = execution_error
        self.baseline_error = baseline_error  # the decision-time snapshot fails with this
        # When set, the campaign no longer matches any plan: nothing is applied.
        self.premise_changes = premise_changes or []
        # When set, the platform cannot perform any action: a person must.
        self.manual_instructions = manual_instructions
        # When set, executions wait for it (to line up concurrent approvals).
        self.execution_gate = execution_gate
        # When set, the decision-time snapshot (first measurement) waits for it.
        self.baseline_delay: asyncio.Event | None = None
        # Rate-limited writes: this many attempts answer "retry after" this long.
        self.rate_limited_writes = 0
        self.retry_after = timedelta(0)
        self.calls: Counter[str] = Counter()
        self.executions: list[ActionRequest] = []
        self.applied_keys: set[str] = set()

    def activities(self) -> list[Callable[..., Any]]:
        return [
            self.collect_campaign,
            self.collect_creatives,
            self.collect_competitors,
            self.collect_audience,
            self.collect_history,
            self.measure_campaign,
            self.execute_action,
        ]

    @activity.defn(name=names.COLLECT_CAMPAIGN)
    async def collect_campaign(self, campaign_id: str) -> CampaignMetrics:
        self.calls[names.COLLECT_CAMPAIGN] += 1
        if self.campaign_error is not None:
            raise self.campaign_error
        if self.campaign_failures_left > 0:
            self.campaign_failures_left -= 1
            raise retryable()
        return self.after if self.applied_keys else self.before

    @activity.defn(name=names.MEASURE_CAMPAIGN)
    async def measure_campaign(self, window: MetricsWindow) -> CampaignMetrics:
        self.calls[names.MEASURE_CAMPAIGN] += 1
        first = self.calls[names.MEASURE_CAMPAIGN] == 1
        if first and self.baseline_delay is not None:
            await self.baseline_delay.wait()
        if self.baseline_error is not None and first:
            raise self.baseline_error
        return self.after if self.applied_keys else self.before

    @activity.defn(name=names.COLLECT_CREATIVES)
    async def collect_creatives(self, campaign_id: str) -> list[CreativeMetrics]:
        return self._optional("creatives", creatives)

    @activity.defn(name=names.COLLECT_COMPETITORS)
    async def collect_competitors(self, campaign_id: str) -> CompetitorSignals:
        return self._optional("competitors", competitors)

    @activity.defn(name=names.COLLECT_AUDIENCE)
    async def collect_audience(self, campaign_id: str) -> AudienceData:
        return self._optional("audience", audience)

    @activity.defn(name=names.COLLECT_HISTORY)
    async def collect_history(self, campaign_id: str) -> HistoryData:
        return self._optional("history", history)

    @activity.defn(name=names.EXECUTE_ACTION)
    async def execute_action(self, request: ActionRequest) -> ExecutionResult:
        self.calls[names.EXECUTE_ACTION] += 1
        self.executions.append(request)
        if self.execution_gate is not None:
            await self.execution_gate.wait()
        if self.rate_limited_writes > 0:
            self.rate_limited_writes -= 1
            raise ApplicationError(
                "HTTP 429 from the ad platform",
                type="AdPlatformError",
                next_retry_delay=self.retry_after,
            )
        if self.execution_error is not None:
            raise self.execution_error
        if self.manual_instructions:
            return ExecutionResult(
                campaign_id=request.campaign_id,
                action=request.action,
                idempotency_key=request.idempotency_key,
                applied=False,
                executed_at=_server_now(),
                message="the platform cannot do this",
                manual_instructions=self.manual_instructions,
            )
        if self.premise_changes:
            return ExecutionResult(
                campaign_id=request.campaign_id,
                action=request.action,
                idempotency_key=request.idempotency_key,
                applied=False,
                executed_at=_server_now(),
                message="not applied",
                premise_changes=self.premise_changes,
            )
        repeat = request.idempotency_key in self.applied_keys
        self.applied_keys.add(request.idempotency_key)
        return ExecutionResult(
            campaign_id=request.campaign_id,
            action=request.action,
            idempotency_key=request.idempotency_key,
            applied=True,
            already_applied=repeat,
            before={"bid": request.parameters.current_bid},
            after={"bid": request.parameters.new_bid},
            executed_at=_server_now(),
            message=f"{request.action.value} applied",
        )

    def _optional(self, source: str, make: Callable[[], Any]) -> Any:
        self.calls[names.OPTIONAL_COLLECTORS[source]] += 1
        if source in self.failing_sources:
            raise retryable(f"{source} endpoint answered HTTP 500")
        return make()


# ----------------------------------------------------------------------------- reasoning


class ScriptedReasoner:
    """A ``Reasoner`` with fixed answers; counts calls and keeps what it was asked."""

    name = "scripted"

    def __init__(
        self,
        *,
        make_recommendation: Callable[[ReasoningStep], Recommendation] | None = None,
        critique: Callable[[CritiqueInput], Critique] | None = None,
    ) -> None:
        self._make = make_recommendation or (
            lambda step: recommendation(step.context.campaign.campaign_id)
        )
        self._critique = critique or (lambda inp: passing_critique(inp.recommendation.confidence))
        self.calls: Counter[str] = Counter()
        self.steps: list[ReasoningStep] = []
        self.contexts: list[AnalysisInput] = []

    async def analyze(self, inp: AnalysisInput) -> SignalAnalysis:
        self.calls["analyze"] += 1
        self.contexts.append(inp)
        return analysis(inp.context.campaign.campaign_id)

    async def recommend(self, step: ReasoningStep) -> Recommendation:
        self.calls["recommend"] += 1
        self.steps.append(step)
        return self._make(step)

    async def critique(self, inp: CritiqueInput) -> Critique:
        self.calls["critique"] += 1
        return self._critique(inp)


# ----------------------------------------------------------------------------- store


class MemoryStore:
    """The Store methods activities use, in memory."""

    def __init__(self) -> None:
        self.states: list[LifecycleState] = []
        self.audit: list[AuditEvent] = []
        self.campaigns: dict[str, CampaignMetrics] = {}
        self.created: dict[str, datetime] = {}

    async def upsert_campaign(self, metrics: CampaignMetrics) -> None:
        self.campaigns[metrics.campaign_id] = metrics

    async def sync_state(self, state: LifecycleState) -> StateSave:
        """Store.sync_state's contract: monotonic by seq, and says what the run had before."""
        mine = [s for s in self.states if s.recommendation_id == state.recommendation_id]
        created = self.created.setdefault(state.recommendation_id, datetime.now(UTC))
        previous = (
            StoredStatus(status=mine[-1].status, revision=mine[-1].revision, created_at=created)
            if mine
            else None
        )
        if mine and state.seq < mine[-1].seq:
            return StateSave(written=False, previous=previous)
        self.states.append(state)
        return StateSave(written=True, previous=previous)

    async def append_audit(self, event: AuditEvent) -> bool:
        """Store.append_audit's contract: a repeated event is not appended again."""
        if event in self.audit:
            return False
        self.audit.append(event)
        return True

    async def save_state(
        self, state: LifecycleState, audit: list[AuditEvent]
    ) -> tuple[StateSave, list[bool]]:
        """Store.save_state's contract: sync_state and append_audit of each entry, together."""
        saved = await self.sync_state(state)
        return saved, [await self.append_audit(event) for event in audit]

    async def last_change(self, campaign_id: str) -> LastChange | None:
        applied = [
            (state.execution, state.recommendation_id)
            for state in self.states
            if state.campaign_id == campaign_id and state.execution and state.execution.applied
        ]
        if not applied:
            return None
        execution, recommendation_id = max(applied, key=lambda pair: pair[0].executed_at)
        return LastChange(
            recommendation_id=recommendation_id, action=execution.action, at=execution.executed_at
        )

    @property
    def last_state(self) -> LifecycleState:
        assert self.states, "sync_state was never called"
        return self.states[-1]

    def events(self) -> list[str]:
        return [event.event for event in self.audit]

    def synced_statuses(self) -> list[str]:
        return [state.status.value for state in self.states]


# ----------------------------------------------------------------------------- all together


class Doubles:
    """Everything a worker needs, under the real activity names."""

    def __init__(
        self,
        platform: FakeAdPlatform | None = None,
        reasoner: ScriptedReasoner | None = None,
    ) -> None:
        self.platform = platform or FakeAdPlatform()
        self.reasoner = reasoner or ScriptedReasoner()
        self.store = MemoryStore()

    def activities(self, client: Client) -> list[Callable[..., Any]]:
        reasoning = ReasoningActivities(self.reasoner)
        persistence = PersistenceActivities(self.store)  # type: ignore[arg-type]
        changes = CampaignChangeActivities(client, self.store)  # type: ignore[arg-type]
        return [
            *self.platform.activities(),
            changes.submit_campaign_change,
            changes.last_campaign_change,
            reasoning.analyze_signals,
            reasoning.generate_recommendation,
            reasoning.critique_recommendation,
            persistence.sync_state,
            persistence.record_audit_event,
            persistence.save_state,
        ]


def _server_now() -> datetime:
    """'Now' on the Temporal server's clock, which the time-skipping server moves ahead of the
    wall clock: a platform answering with wall-clock times would look days old to the
    workflows (whose clock is the server's)."""
    return activity.info().current_attempt_scheduled_time
