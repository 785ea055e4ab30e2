"""RecommendationWorkflow: the recommendation lifecycle of DESIGN §2.

collect context (5 sources in parallel) → analyze → generate ⇄ critique (bounded) → guardrails →
pending review (signal, deadline, optional auto-approval) → execute (idempotent) → durable timer →
measure the outcome.

A reasoning step the primary (LLM) reasoner cannot answer, after its retries, is answered by
the rules reasoner and the recommendation is marked degraded with the reason.

Workflow code only orders, waits and records: every side effect is an activity called by name
(``workflows.activity_names``), and the pure domain functions (guardrails, auto-approval, outcome
judging) run inline because they are deterministic.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, is_cancelled_exception
from temporalio.exceptions import TimeoutError as ActivityTimeoutError  # not the builtin

with workflow.unsafe.imports_passed_through():
    from domain.context import (
        AudienceData,
        CampaignContext,
        CampaignMetrics,
        CompetitorSignals,
        CreativeMetrics,
        HistoryData,
    )
    from domain.guardrails import GuardrailViolation, apply_guardrails, auto_approval_applies
    from domain.lifecycle import (
        ActionRequest,
        AnalysisInput,
        AnalyzeInput,
        AuditEvent,
        CritiqueInput,
        Decision,
        DecisionKind,
        ExecutionResult,
        LifecycleState,
        MetricsWindow,
        ReanalysisRequest,
        ReasonerFallback,
        ReasoningStep,
        RecommendationStatus,
        TraceStep,
    )
    from domain.outcome import judge_outcome
    from domain.reasoning_loop import draft_until_accepted, flag_partial_context
    from domain.recommendation import Critique, Recommendation, SignalAnalysis
    from domain.usage import LLMUsage, usages_in
    from workflows import activity_names as names
    from workflows.search_attributes import (
        CAMPAIGN_ID,
        CONFIDENCE,
        RECOMMENDATION_STATUS,
        RECOMMENDED_ACTION,
    )

AUTO_APPROVAL_REVIEWER = "auto-approval-policy"
SYSTEM_ACTOR = "system"


@dataclass(frozen=True)
class ActivityOptions:
    timeout: timedelta  # per attempt
    retry: RetryPolicy
    heartbeat: timedelta | None = None
    overall: timedelta | None = None  # all attempts together (schedule-to-close)


# The campaign metrics are required: retry a while, but a missing campaign is final.
CAMPAIGN_SOURCE = ActivityOptions(
    timeout=timedelta(seconds=30),
    retry=RetryPolicy(
        initial_interval=timedelta(seconds=1),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(seconds=20),
        maximum_attempts=5,
        non_retryable_error_types=[names.CAMPAIGN_NOT_FOUND, names.MISSING_METRICS],
    ),
)
# The outcome's before/after snapshots: the decision was made and the action may have run, so
# a platform outage delays the measurement for hours rather than losing it.
MEASUREMENT = ActivityOptions(
    timeout=timedelta(seconds=30),
    overall=timedelta(hours=6),
    retry=RetryPolicy(
        initial_interval=timedelta(seconds=2),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(minutes=5),
        maximum_attempts=0,
        non_retryable_error_types=[names.CAMPAIGN_NOT_FOUND, names.MISSING_METRICS],
    ),
)
# Optional sources: a few quick attempts, then carry on with a gap in the context.
OPTIONAL_SOURCE = ActivityOptions(
    timeout=timedelta(seconds=15),
    retry=RetryPolicy(
        initial_interval=timedelta(seconds=1),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(seconds=5),
        maximum_attempts=3,
    ),
)
# Reasoners may call an LLM (slow, rate limited). Temporal owns the retries (the SDK clients
# make none): an attempt may take a call and one re-ask; 429s wait for the provider's
# retry-after (the activity sets next_retry_delay); errors a retry cannot fix (bad key, invalid
# answer, open circuit) are non-retryable. A step that still fails falls back to the rules
# reasoner (RULES_FALLBACK), so no run fails because a provider is down.
REASONING = ActivityOptions(
    timeout=timedelta(minutes=2),
    overall=timedelta(minutes=5),
    retry=RetryPolicy(
        initial_interval=timedelta(seconds=2),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(seconds=30),
        maximum_attempts=3,
    ),
)
# The rules reasoner is local and deterministic: a couple of quick attempts are plenty.
RULES_FALLBACK = ActivityOptions(
    timeout=timedelta(seconds=30),
    retry=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=3),
)
# Our own database: keep retrying (unlimited attempts) so an outage delays a run, never loses it.
PERSISTENCE = ActivityOptions(
    timeout=timedelta(seconds=30),
    retry=RetryPolicy(
        initial_interval=timedelta(seconds=1),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(minutes=1),
        maximum_attempts=0,
    ),
)
# Safe to retry: the idempotency key makes a repeated write a no-op on the platform, so an
# approved action rides out a platform outage of up to two hours instead of failing the run.
# The activity heartbeats, so a crashed worker's execution is retried within seconds.
EXECUTION = ActivityOptions(
    timeout=timedelta(minutes=1),
    heartbeat=timedelta(seconds=10),
    overall=timedelta(hours=2),
    retry=RetryPolicy(
        initial_interval=timedelta(seconds=2),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(minutes=1),
        maximum_attempts=0,
        non_retryable_error_types=[names.ACTION_REJECTED],
    ),
)

_OPTIONAL_RESULT_TYPES: dict[str, Any] = {
    "creatives": list[CreativeMetrics],
    "competitors": CompetitorSignals,
    "audience": AudienceData,
    "history": HistoryData,
}


def idempotency_key(recommendation_id: str, revision: int) -> str:
    """Deterministic per approved revision, so a retried or replayed execution applies once."""
    return f"{recommendation_id}:r{revision}"


def _root_cause(err: BaseException) -> BaseException:
    return err.cause if isinstance(err, ActivityError) and err.cause else err


def error_type(err: BaseException) -> str:
    """The root cause's type: the ApplicationError type an activity raised, or the class."""
    cause = _root_cause(err)
    if isinstance(cause, ApplicationError) and cause.type:
        return cause.type
    return type(cause).__name__


def describe_error(err: BaseException) -> str:
    """'Type: message' of the root cause of an activity failure, for state and audit."""
    cause = _root_cause(err)
    message = cause.message if isinstance(cause, ApplicationError) else str(cause)
    return f"{error_type(err)}: {message}"


@workflow.defn(name="RecommendationWorkflow")
class RecommendationWorkflow:
    @workflow.init
    def __init__(self, inp: AnalyzeInput) -> None:
        self._input = inp
        self._policy = inp.policy
        self._state = LifecycleState(
            recommendation_id=inp.recommendation_id, campaign_id=inp.campaign_id
        )
        self._decision: Decision | None = None
        self._reanalysis: ReanalysisRequest | None = None
        self._fallbacks: list[str] = []  # steps of this analysis answered by the rules reasoner
        self._phase = "starting"

    # ----------------------------------------------------------------------------- interface

    @workflow.run
    async def run(self, inp: AnalyzeInput) -> LifecycleState:
        # Also set by the starter; upserting covers runs started without it (CLI, UI).
        workflow.upsert_search_attributes([CAMPAIGN_ID.value_set(inp.campaign_id)])
        try:
            await self._lifecycle()
        except ActivityError as err:
            # Retries exhausted or a non-retryable activity error: record it, then fail the run.
            message = f"{self._phase} failed: {describe_error(err)}"
            raise await self._fail(message, error_type(err)) from err
        except GuardrailViolation as err:
            raise await self._fail(f"Guardrail violation: {err}", "GuardrailViolation") from err
        except asyncio.CancelledError:
            # An operator cancelled the run: leave a readable record, then end as cancelled.
            await self._record_failure(f"Cancelled while: {self._phase}", "Cancelled")
            raise
        # Refused-decision audits started by late signals must land before the run closes.
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state

    @workflow.query(name="state")
    def state(self) -> LifecycleState:
        return self._state

    @workflow.signal(name="submit_decision")
    async def submit_decision(self, decision: Decision) -> None:
        refusal = self._decision_refusal(decision)
        if refusal is None:
            # A decision without a revision applies to the revision under review right now.
            self._decision = decision.model_copy(update={"revision": self._state.revision})
            return
        workflow.logger.info("Refused decision from %s: %s", decision.reviewer, refusal)
        named = (
            "the current revision" if decision.revision is None else f"revision {decision.revision}"
        )
        self._state.refused_decisions.append(
            f"{decision.decision.value} of {named} by {decision.reviewer} refused: {refusal}"
        )
        await self._audit(
            "decision_refused",
            decision.reviewer,
            {**decision.model_dump(mode="json"), "reason": refusal},
        )

    @workflow.signal(name="request_reanalysis")
    async def request_reanalysis(self, request: ReanalysisRequest) -> None:
        if self._awaiting_review():
            self._reanalysis = request
            return
        reason = f"no recommendation is awaiting review (status {self._state.status.value})"
        workflow.logger.info("Refused reanalysis from %s: %s", request.reviewer, reason)
        await self._audit(
            "reanalysis_refused",
            request.reviewer,
            {**request.model_dump(mode="json"), "reason": reason},
        )

    # ----------------------------------------------------------------------------- lifecycle

    async def _lifecycle(self) -> None:
        await self._analyze()
        decision = await self._review()
        if decision is None:
            return  # expired
        if decision.decision is DecisionKind.rejected:
            self._set_status(RecommendationStatus.rejected)
            await self._sync()
            return
        await self._carry_out(decision)

    async def _analyze(self) -> None:
        """Collect, reason and validate; leaves a new revision pending review."""
        self._set_status(RecommendationStatus.analyzing)
        context = await self._collect_context()
        recommendation = await self._reason(context)
        self._state.context = context
        self._state.recommendation = self._validate(recommendation, context)
        self._set_status(RecommendationStatus.pending_review)
        await self._sync()

    async def _review(self) -> Decision | None:
        """Wait for an accepted decision; re-run the analysis on request. None means expired."""
        while True:
            self._maybe_auto_approve()
            if not self._review_answered():
                rec = self._recommendation()
                deadline = workflow.now() + self._policy.review_timeout
                self._set_phase(
                    f"Waiting for review of revision {self._state.revision} "
                    f"({rec.recommended_action.value}, confidence {rec.confidence:.2f}) "
                    f"until {deadline:%Y-%m-%d %H:%M} UTC"
                )
                try:
                    await workflow.wait_condition(
                        self._review_answered,
                        timeout=self._policy.review_timeout,
                        timeout_summary="review deadline",
                    )
                except TimeoutError:
                    await self._expire()
                    return None
            if self._decision is not None:
                return await self._accept(self._decision)
            request = self._reanalysis
            assert request is not None
            self._reanalysis = None
            await self._audit(
                "reanalysis_requested", request.reviewer, request.model_dump(mode="json")
            )
            await self._analyze()

    async def _carry_out(self, decision: Decision) -> None:
        rec = self._recommendation()
        self._set_status(RecommendationStatus.approved)
        before = await self._snapshot_before()
        await self._sync()
        if rec.recommended_action.is_executable:
            await self._execute(rec, decision)
        else:
            await self._audit(
                "no_action",
                decision.reviewer,
                {"action": rec.recommended_action.value, "reason": "nothing to change"},
            )
        await self._measure_outcome(rec, before)

    # ----------------------------------------------------------------------------- context

    async def _collect_context(self) -> CampaignContext:
        campaign_id = self._input.campaign_id
        self._set_phase(f"Collecting context for campaign {campaign_id}")
        started = workflow.now()
        # A failed campaign collector raises out of gather; optional ones never raise.
        campaign, *optional = await asyncio.gather(
            self._collect_campaign(campaign_id),
            *(self._collect_optional(source, campaign_id) for source in names.OPTIONAL_COLLECTORS),
        )
        sources = dict(zip(names.OPTIONAL_COLLECTORS, optional, strict=True))
        context = CampaignContext(
            campaign=campaign,
            **{source: value for source, (value, _) in sources.items()},
            source_errors={source: error for source, (_, error) in sources.items() if error},
        )
        detail = f"missing: {', '.join(context.missing_sources)}" if context.is_partial else ""
        self._trace("collect_context", started, detail=detail)
        return context

    async def _collect_campaign(self, campaign_id: str) -> CampaignMetrics:
        return await self._activity(
            names.COLLECT_CAMPAIGN,
            campaign_id,
            CampaignMetrics,
            CAMPAIGN_SOURCE,
            f"Campaign metrics of {campaign_id}",
        )

    async def _measure_campaign(self) -> CampaignMetrics:
        """The last `outcome_window_days` of metrics: the outcome's before and after snapshots."""
        window = MetricsWindow(
            campaign_id=self._input.campaign_id, days=self._policy.outcome_window_days
        )
        return await self._activity(
            names.MEASURE_CAMPAIGN,
            window,
            CampaignMetrics,
            MEASUREMENT,
            f"Campaign metrics of {window.campaign_id}, last {window.days} days",
        )

    async def _collect_optional(self, source: str, campaign_id: str) -> tuple[Any, str | None]:
        try:
            value = await self._activity(
                names.OPTIONAL_COLLECTORS[source],
                campaign_id,
                _OPTIONAL_RESULT_TYPES[source],
                OPTIONAL_SOURCE,
                f"{source.capitalize()} of {campaign_id}",
            )
        except ActivityError as err:
            error = describe_error(err)
            workflow.logger.warning("Optional source %s unavailable: %s", source, error)
            return None, error
        return value, None

    # ----------------------------------------------------------------------------- reasoning

    async def _reason(self, context: CampaignContext) -> Recommendation:
        """Analyze, then generate and critique until the critique passes or the budget is spent."""
        policy = self._policy
        self._set_phase(f"Analyzing signals of campaign {self._input.campaign_id}")
        self._fallbacks = []
        started = workflow.now()
        analysis: SignalAnalysis = await self._reasoning(
            names.ANALYZE_SIGNALS,
            AnalysisInput(context=context, thresholds=policy.thresholds),
            SignalAnalysis,
            "Analyze signals",
        )
        self._trace("analyze_signals", started, detail=analysis.primary_root_cause.value)

        drafted = await draft_until_accepted(
            context,
            analysis,
            policy,
            self._generate,
            self._critique,
            spent_usd=self._state.usage.cost_usd,
        )
        # Any step the rules reasoner had to answer makes the recommendation degraded.
        return drafted.recommendation.marked_degraded(self._fallbacks)

    async def _generate(self, step: ReasoningStep) -> Recommendation:
        self._set_phase(f"Generating recommendation (attempt {step.iteration + 1})")
        started = workflow.now()
        recommendation: Recommendation = await self._reasoning(
            names.GENERATE_RECOMMENDATION,
            step,
            Recommendation,
            f"Generate recommendation, attempt {step.iteration + 1}",
        )
        self._state.revision += 1  # every generated recommendation is a new revision
        self._state.iterations = step.iteration + 1
        self._trace(
            "generate_recommendation",
            started,
            iteration=step.iteration,
            detail=f"{recommendation.recommended_action.value} ({recommendation.confidence:.2f})",
        )
        return recommendation

    async def _critique(self, inp: CritiqueInput, iteration: int) -> Critique:
        started = workflow.now()
        critique: Critique = await self._reasoning(
            names.CRITIQUE_RECOMMENDATION,
            inp,
            Critique,
            f"Critique recommendation, attempt {iteration + 1}",
        )
        self._trace(
            "critique_recommendation", started, iteration=iteration, detail=critique.summary
        )
        return critique

    async def _reasoning(self, name: str, arg: Any, result_type: Any, summary: str) -> Any:
        """A reasoning step; when the primary reasoner fails it, the rules reasoner answers.
        The result's usage (including calls of a failed attempt) is added to the run's."""
        try:
            result = await self._activity(name, arg, result_type, REASONING, summary)
        except ActivityError as err:
            fallback = ReasonerFallback(error_type=error_type(err), error=describe_error(err))
            workflow.logger.warning(
                "%s: falling back to the rules reasoner: %s", summary, fallback.error
            )
            self._fallbacks.append(f"{summary}: answered by the rules reasoner ({fallback.error})")
            result = await self._activity(
                name,
                arg.model_copy(update={"fallback": fallback}),
                result_type,
                RULES_FALLBACK,
                f"{summary} (rules fallback)",
            )
            result = result.model_copy(update={"usage": [*_usage_of(err), *result.usage]})
        self._state.usage = self._state.usage.plus(result.usage)
        return result

    def _validate(self, rec: Recommendation, context: CampaignContext) -> Recommendation:
        """Guardrails (pure) and the degraded flag for partial context."""
        started = workflow.now()
        result = apply_guardrails(rec, context, self._policy.guardrails)  # may raise a violation
        self._trace("apply_guardrails", started, detail="; ".join(result.adjustments))
        return flag_partial_context(result.recommendation, context)

    # ----------------------------------------------------------------------------- review

    def _awaiting_review(self) -> bool:
        return (
            self._state.status is RecommendationStatus.pending_review
            and not self._review_answered()
        )

    def _review_answered(self) -> bool:
        return self._decision is not None or self._reanalysis is not None

    def _decision_refusal(self, decision: Decision) -> str | None:
        if self._state.status is not RecommendationStatus.pending_review:
            return f"no recommendation is awaiting review (status {self._state.status.value})"
        if self._decision is not None:
            return f"revision {self._decision.revision} was already decided"
        if self._reanalysis is not None:
            return "a reanalysis was requested; decide on the new revision"
        if decision.revision is not None and decision.revision != self._state.revision:
            return f"the current revision is {self._state.revision}"
        return None

    def _maybe_auto_approve(self) -> None:
        if self._review_answered():
            return
        rec = self._recommendation()
        if auto_approval_applies(rec, self._policy.auto_approval):
            self._decision = Decision(
                decision=DecisionKind.approved,
                reviewer=AUTO_APPROVAL_REVIEWER,
                feedback=(
                    f"confidence {rec.confidence:.2f} and {rec.risk_level.value} risk "
                    "meet the auto-approval policy"
                ),
                revision=self._state.revision,
            )

    async def _accept(self, decision: Decision) -> Decision:
        self._state.decision = decision
        workflow.logger.info(
            "Revision %s %s by %s", decision.revision, decision.decision.value, decision.reviewer
        )
        await self._audit(
            decision.decision.value, decision.reviewer, decision.model_dump(mode="json")
        )
        return decision

    async def _expire(self) -> None:
        self._set_status(RecommendationStatus.expired)
        await self._audit(
            "expired",
            SYSTEM_ACTOR,
            {"review_timeout_seconds": self._policy.review_timeout.total_seconds()},
        )
        await self._sync()

    # ----------------------------------------------------------------------------- execution

    async def _snapshot_before(self) -> CampaignMetrics | str:
        """Metrics at decision time (the outcome's baseline), or why there are none. The
        analysis-time metrics are no substitute: they cover another window."""
        try:
            return await self._measure_campaign()
        except ActivityError as err:
            workflow.logger.warning("No outcome baseline: %s", describe_error(err))
            return f"no baseline at decision time: {describe_error(err)}"

    async def _execute(self, rec: Recommendation, decision: Decision) -> None:
        action = rec.recommended_action.value
        self._set_phase(f"Executing {action} on campaign {self._input.campaign_id}")
        started = workflow.now()
        request = ActionRequest(
            campaign_id=self._input.campaign_id,
            action=rec.recommended_action,
            parameters=rec.parameters,
            idempotency_key=idempotency_key(self._input.recommendation_id, self._state.revision),
            requested_by=decision.reviewer,
        )
        result: ExecutionResult = await self._activity(
            names.EXECUTE_ACTION, request, ExecutionResult, EXECUTION, f"Execute {action}"
        )
        self._trace("execute_action", started, detail=result.message)
        self._state.execution = result
        self._set_status(RecommendationStatus.executed)
        await self._audit("executed", decision.reviewer, result.model_dump(mode="json"))
        await self._sync()

    async def _measure_outcome(self, rec: Recommendation, before: CampaignMetrics | str) -> None:
        delay = self._policy.outcome_delay
        due = workflow.now() + delay
        self._set_phase(f"Waiting until {due:%Y-%m-%d %H:%M} UTC to measure the outcome")
        if delay > timedelta(0):
            await workflow.sleep(delay, summary="outcome delay")
        started = workflow.now()
        if isinstance(before, str):
            await self._outcome_unavailable(before)
            return
        try:
            after = await self._measure_campaign()
        except ActivityError as err:
            await self._outcome_unavailable(describe_error(err))
            return
        history = None
        if workflow.patched("outcome-forecast"):
            # The daily history lets the judge forecast the no-action trajectory; without it
            # (the source failed) the outcome falls back to before/after, as it did.
            try:
                history = await self._activity(
                    names.COLLECT_HISTORY,
                    self._input.campaign_id,
                    HistoryData,
                    MEASUREMENT,
                    f"History of {self._input.campaign_id} for the outcome forecast",
                )
            except ActivityError as err:
                workflow.logger.warning("No history for the outcome forecast: %s", err)
        outcome = judge_outcome(
            rec, before, after, workflow.now(), self._policy.thresholds, history=history
        )
        self._trace("measure_outcome", started, detail=outcome.summary)
        self._state.outcome = outcome
        self._set_status(RecommendationStatus.completed)
        await self._audit("outcome_measured", SYSTEM_ACTOR, outcome.model_dump(mode="json"))
        await self._sync()

    async def _outcome_unavailable(self, why: str) -> None:
        """The action stands; only the measurement is missing, so the run still completes."""
        self._state.error = f"outcome not measured: {why}"
        self._set_status(RecommendationStatus.completed)
        await self._audit("outcome_unavailable", SYSTEM_ACTOR, {"error": self._state.error})
        await self._sync()

    # ----------------------------------------------------------------------------- helpers

    async def _activity(
        self, name: str, arg: Any, result_type: Any, options: ActivityOptions, summary: str
    ) -> Any:
        try:
            return await workflow.execute_activity(
                name,
                arg,
                result_type=result_type,
                start_to_close_timeout=options.timeout,
                schedule_to_close_timeout=options.overall,
                heartbeat_timeout=options.heartbeat,
                retry_policy=options.retry,
                summary=summary,
            )
        except ActivityError as err:
            # A cancelled run surfaces as an ActivityError caused by the cancellation. Turn it
            # back into one here, so no step mistakes it for a failed source or a provider
            # outage (and falls back, or carries on) instead of ending the run as cancelled.
            if is_cancelled_exception(err):
                raise asyncio.CancelledError(f"cancelled during: {summary}") from err
            raise

    async def _sync(self) -> None:
        await self._activity(
            names.SYNC_STATE,
            self._state,
            None,
            PERSISTENCE,
            f"Store status {self._state.status.value}",
        )

    async def _audit(self, event: str, actor: str, payload: dict[str, Any]) -> None:
        audit = AuditEvent(
            recommendation_id=self._input.recommendation_id,
            event=event,
            actor=actor,
            revision=self._state.revision,
            payload=payload,
            at=workflow.now(),
        )
        await self._activity(names.RECORD_AUDIT_EVENT, audit, None, PERSISTENCE, f"Audit {event}")

    async def _fail(self, message: str, kind: str) -> ApplicationError:
        """Record a failed run and build the error that ends it (non-retryable: a rerun of
        the same input would fail the same way; the API starts a fresh run instead)."""
        await self._record_failure(message, kind)
        return ApplicationError(message, type=kind, non_retryable=True)

    async def _record_failure(self, message: str, kind: str) -> None:
        workflow.logger.error("Recommendation failed: %s", message)
        self._state.error = message
        self._set_status(RecommendationStatus.failed)
        await self._audit("failed", SYSTEM_ACTOR, {"error": message, "type": kind})
        await self._sync()
        await workflow.wait_condition(workflow.all_handlers_finished)

    def _set_status(self, status: RecommendationStatus) -> None:
        self._state.status = status
        updates = [RECOMMENDATION_STATUS.value_set(status.value)]
        rec = self._state.recommendation
        if status is RecommendationStatus.pending_review and rec is not None:
            updates += [
                RECOMMENDED_ACTION.value_set(rec.recommended_action.value),
                CONFIDENCE.value_set(rec.confidence),
            ]
        workflow.upsert_search_attributes(updates)
        self._set_phase(f"Status: {status.value}")

    def _set_phase(self, phase: str) -> None:
        """What the run is doing now: for failure messages and the UI's current details."""
        self._phase = phase
        workflow.set_current_details(phase)

    def _recommendation(self) -> Recommendation:
        assert self._state.recommendation is not None
        return self._state.recommendation

    def _trace(self, step: str, started: datetime, *, iteration: int = 0, detail: str = "") -> None:
        elapsed = workflow.now() - started
        self._state.trace.append(
            TraceStep(
                step=step,
                iteration=iteration,
                started_at=started,
                duration_ms=elapsed.total_seconds() * 1000,
                detail=detail,
            )
        )


def _usage_of(err: ActivityError) -> list[LLMUsage]:
    """LLM calls a failed step made: an LLM activity reports them in its error's details, and
    heartbeats them as it goes, which is all a timed-out attempt leaves behind."""
    if isinstance(err.cause, ApplicationError):
        return usages_in(err.cause.details)
    if isinstance(err.cause, ActivityTimeoutError):
        return usages_in(err.cause.last_heartbeat_details)
    return []
