"""RecommendationWorkflow: the recommendation lifecycle of DESIGN §2.

collect context (5 sources in parallel) → analyze → generate ⇄ critique (bounded) → guardrails →
pending review (``decide`` / ``reanalyze`` updates, deadline, optional auto-approval) → execute
through the campaign's change queue (``CampaignChangesWorkflow``: one change at a time,
cooldown, premise re-validated) → durable timer → measure the outcome.

Versioning (DESIGN §7): runs live for days, so every change to the commands this workflow
issues is behind a ``workflow.patched`` id and older runs keep replaying their old path; the
recorded histories in tests/replay (finished runs and runs still waiting) prove it in CI.
``DECISION_UPDATES`` is the first such patch: runs started before it take decisions as signals
and execute directly (the ``_v1`` methods below); remove them once no such run is open.

A reasoning step the primary (LLM) reasoner cannot answer, after its retries, is answered by
the rules reasoner and the recommendation is marked degraded with the reason.

Workflow code only orders, waits and records: every side effect is an activity called by name
(``workflows.activity_names``), and the pure domain functions (guardrails, auto-approval, outcome
judging) run inline because they are deterministic.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.exceptions import TimeoutError as ActivityTimeoutError  # not the builtin

with workflow.unsafe.imports_passed_through():
    from domain.changes import ChangeOutcome, ChangeRequest, ChangeVerdict, LastChange
    from domain.changes import cooldown_refusal as campaign_cooldown_refusal
    from domain.context import (
        AudienceData,
        CampaignContext,
        CampaignMetrics,
        CompetitorSignals,
        CreativeMetrics,
        HistoryData,
    )
    from domain.guardrails import (
        AUTO_APPROVAL_REVIEWER,
        GuardrailViolation,
        apply_guardrails,
        auto_approval_applies,
    )
    from domain.ids import campaign_id_problem
    from domain.lifecycle import (
        ActionRequest,
        AnalysisInput,
        AnalyzeInput,
        AuditEvent,
        CritiqueInput,
        Decision,
        DecisionAccepted,
        DecisionKind,
        ExecutionResult,
        LifecycleState,
        MetricsWindow,
        ReanalysisAccepted,
        ReanalysisRequest,
        ReasonerFallback,
        ReasoningStep,
        RecommendationStatus,
        ReviewerFeedback,
        StateWithAudit,
        TraceStep,
    )
    from domain.outcome import judge_outcome
    from domain.reasoning_loop import draft_until_accepted, flag_partial_context
    from domain.recommendation import Critique, Recommendation, SignalAnalysis
    from domain.usage import LLMUsage, usages_in
    from workflows import activity_names as names
    from workflows import messages
    from workflows.options import (
        EXECUTION,
        PERSISTENCE,
        QUICK_LOOKUP,
        ActivityOptions,
        describe_error,
        error_type,
        run_activity,
    )
    from workflows.search_attributes import (
        CAMPAIGN_ID,
        CONFIDENCE,
        RECOMMENDATION_STATUS,
        RECOMMENDED_ACTION,
    )

SYSTEM_ACTOR = "system"

# workflow.patched ids, oldest first (see the module docstring).
DECISION_UPDATES = "decision-updates-and-campaign-queue"
# The outcome reads the daily history to forecast the no-action trajectory.
OUTCOME_FORECAST = "outcome-forecast"
# A portfolio review's proposal stands in for the first generated draft (no generate activity).
PORTFOLIO_PROPOSALS = "portfolio-proposals"
# A state save and the audit entries written just before it are one `save_state` activity (one
# transaction) instead of `record_audit_event` per entry and then `sync_state`.
FOLDED_PERSISTENCE = "persistence-folded"


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
# Queueing a plan on the campaign's change queue (a call to Temporal itself).
QUEUE_CHANGE = PERSISTENCE
# The queue answers within the approval's maximum age plus the execution budget; past that
# (a queue terminated by hand) the run stops waiting and says so.
QUEUE_ANSWER_MARGIN = timedelta(hours=1)

_OPTIONAL_RESULT_TYPES: dict[str, Any] = {
    "creatives": list[CreativeMetrics],
    "competitors": CompetitorSignals,
    "audience": AudienceData,
    "history": HistoryData,
}


def idempotency_key(recommendation_id: str, revision: int) -> str:
    """Deterministic per approved revision, so a retried or replayed execution applies once."""
    return f"{recommendation_id}:r{revision}"


class InvalidCampaignId(Exception):
    """The run was started with a campaign id no platform path may carry."""


@workflow.defn(name="RecommendationWorkflow")
class RecommendationWorkflow:
    @workflow.init
    def __init__(self, inp: AnalyzeInput) -> None:
        # False only while replaying a run started before DECISION_UPDATES (signals, direct
        # execution); the answer is remembered for the whole run.
        self._v2 = workflow.patched(DECISION_UPDATES)
        self._input = inp
        self._policy = inp.policy
        self._state = LifecycleState(
            recommendation_id=inp.recommendation_id, campaign_id=inp.campaign_id
        )
        self._decision: Decision | None = None
        self._reanalysis: ReanalysisRequest | None = None
        self._deciding: Decision | None = None  # a decision whose cooldown check is running
        self._approved_at: datetime | None = None
        self._change_key: str | None = None
        self._change_outcome: ChangeOutcome | None = None
        self._fallbacks: list[str] = []  # steps of this analysis answered by the rules reasoner
        self._phase = "starting"
        # Audit entries that go to the store with the next state save (FOLDED_PERSISTENCE).
        self._unsaved_audit: list[AuditEvent] = []

    # ----------------------------------------------------------------------------- interface

    @workflow.run
    async def run(self, inp: AnalyzeInput) -> LifecycleState:
        # Also set by the starter; upserting covers runs started without it (CLI, UI).
        workflow.upsert_search_attributes([CAMPAIGN_ID.value_set(inp.campaign_id)])
        try:
            if self._v2:
                self._check_campaign_id()
            await self._lifecycle()
        except ActivityError as err:
            # Retries exhausted or a non-retryable activity error: record it, then fail the run.
            message = f"{self._phase} failed: {describe_error(err)}"
            raise await self._fail(message, error_type(err)) from err
        except GuardrailViolation as err:
            raise await self._fail(f"Guardrail violation: {err}", "GuardrailViolation") from err
        except InvalidCampaignId as err:
            raise await self._fail(str(err), "InvalidCampaignId") from err
        except asyncio.CancelledError:
            # An operator cancelled the run: leave a readable record, then end as cancelled.
            await self._record_failure(f"Cancelled while: {self._phase}", "Cancelled")
            raise
        # Refused-decision audits started by late signals must land before the run closes.
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state

    @workflow.query(name=messages.STATE)
    def state(self) -> LifecycleState:
        return self._state

    @workflow.update(name=messages.DECIDE)
    async def decide(self, decision: Decision) -> DecisionAccepted:
        """Approve or reject the revision under review. Refused (an error to the caller, the
        run keeps waiting): not pending, already decided, a stale revision, a reanalysis under
        way, or an approval inside the campaign's change cooldown without an override."""
        # A decision without a revision applies to the revision under review right now.
        decision = decision.model_copy(update={"revision": self._state.revision})
        if self._v2 and self._needs_cooldown_check(decision):
            await self._check_cooldown(decision)
        self._decision = decision
        self._approved_at = workflow.now()
        return DecisionAccepted(
            recommendation_id=self._input.recommendation_id,
            decision=decision.decision,
            reviewer=decision.reviewer,
            revision=self._state.revision,
        )

    @decide.validator
    def _validate_decision(self, decision: Decision) -> None:
        refusal = self._decision_refusal(decision)
        if refusal is not None:
            raise refusal

    @workflow.update(name=messages.REANALYZE)
    def reanalyze(self, request: ReanalysisRequest) -> ReanalysisAccepted:
        """Send the revision under review back: collect and reason again, with the feedback."""
        self._reanalysis = request
        previous = self._state.revision
        if self._v2:
            # From this moment no decision can be taken for the revision being replaced.
            self._state.reanalyses += 1
            self._set_status(RecommendationStatus.analyzing)
        return ReanalysisAccepted(
            recommendation_id=self._input.recommendation_id,
            reviewer=request.reviewer,
            previous_revision=previous,
            reanalyses=self._state.reanalyses,
        )

    @reanalyze.validator
    def _validate_reanalysis(self, request: ReanalysisRequest) -> None:
        refusal = self._reanalysis_refusal()
        if refusal is not None:
            raise refusal

    @workflow.signal(name=messages.CHANGE_OUTCOME)
    def change_outcome(self, outcome: ChangeOutcome) -> None:
        """The campaign's change queue answers the plan this run queued."""
        if outcome.idempotency_key == self._change_key:
            self._change_outcome = outcome

    @workflow.signal(name=messages.LEGACY_DECISION_SIGNAL)
    async def submit_decision(self, decision: Decision) -> None:
        """Decisions of runs started before DECISION_UPDATES. A newer run refuses the signal
        (recorded, since a signal has no answer) and names the update to use instead."""
        refused = self._decision_refusal(decision)
        refusal = (
            "decisions are taken by the `decide` update, which answers the caller"
            if self._v2
            else refused.message
            if refused
            else None
        )
        if refusal is None:
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

    @workflow.signal(name=messages.LEGACY_REANALYSIS_SIGNAL)
    async def request_reanalysis(self, request: ReanalysisRequest) -> None:
        """Reanalysis requests of runs started before DECISION_UPDATES (see submit_decision)."""
        if not self._v2 and self._awaiting_review():
            self._reanalysis = request
            return
        reason = (
            "reanalyses are asked for with the `reanalyze` update, which answers the caller"
            if self._v2
            else f"no recommendation is awaiting review (status {self._state.status.value})"
        )
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
        if self._v2:
            await self._carry_out(decision)
        else:
            await self._carry_out_v1(decision)

    def _check_campaign_id(self) -> None:
        problem = campaign_id_problem(self._input.campaign_id)
        if problem:
            raise InvalidCampaignId(problem)

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
                    if self._deciding is None:
                        await self._expire()
                        return None
                    # A decision arrived with the deadline and is being checked: wait for it.
                    await workflow.wait_condition(
                        lambda: self._deciding is None or self._review_answered()
                    )
                    if not self._review_answered():
                        await self._expire()
                        return None
            if self._decision is not None:
                return await self._accept(self._decision)
            request = self._reanalysis
            assert request is not None
            if self._v2:
                self._state.reviewer_feedback.append(
                    ReviewerFeedback(
                        reviewer=request.reviewer,
                        revision=self._state.revision,
                        feedback=request.feedback,
                    )
                )
            self._reanalysis = None
            await self._audit(
                "reanalysis_requested", request.reviewer, request.model_dump(mode="json")
            )
            await self._analyze()

    async def _carry_out(self, decision: Decision) -> None:
        """Queue the approved plan on the campaign's change queue; measure what it did.

        The outcome's baseline is measured at decision time, in parallel with the execution:
        neither waits on the other's retries. An action that was not applied (superseded,
        expired, left to a person) has nothing to measure.
        """
        rec = self._recommendation()
        self._set_status(RecommendationStatus.approved)
        await self._sync()
        baseline = asyncio.create_task(self._snapshot_before())
        if rec.recommended_action.is_executable:
            outcome = await self._queue_change(rec, decision)
            if outcome.verdict is not ChangeVerdict.executed:
                await _cancelled(baseline)
                await self._not_applied(rec, outcome)
                return
            await self._record_execution(outcome.execution, decision)
        else:
            await self._audit(
                "no_action",
                decision.reviewer,
                {"action": rec.recommended_action.value, "reason": "nothing to change"},
            )
        await self._measure_outcome(rec, await baseline)

    async def _carry_out_v1(self, decision: Decision) -> None:
        """Runs started before DECISION_UPDATES: baseline first, then a direct execution."""
        rec = self._recommendation()
        self._set_status(RecommendationStatus.approved)
        before = await self._snapshot_before()
        await self._sync()
        if rec.recommended_action.is_executable:
            await self._execute_v1(rec, decision)
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
            AnalysisInput(
                context=context,
                thresholds=policy.thresholds,
                reviewer_feedback=self._state.reviewer_feedback,
            ),
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
            reviewer_feedback=self._state.reviewer_feedback,
        )
        # Any step the rules reasoner had to answer makes the recommendation degraded.
        return drafted.recommendation.marked_degraded(self._fallbacks)

    async def _generate(self, step: ReasoningStep) -> Recommendation:
        self._set_phase(f"Generating recommendation (attempt {step.iteration + 1})")
        started = workflow.now()
        recommendation = self._proposal(step) or await self._reasoning(
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

    def _proposal(self, step: ReasoningStep) -> Recommendation | None:
        """A portfolio review's proposal is the first draft of the first analysis (the critique
        still judges it; a regeneration or a reanalysis reasons afresh)."""
        proposal = self._input.proposal
        if proposal is None or step.iteration > 0 or self._state.revision > 0:
            return None
        return proposal if workflow.patched(PORTFOLIO_PROPOSALS) else None

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
            and self._deciding is None
        )

    def _review_answered(self) -> bool:
        return self._decision is not None or self._reanalysis is not None

    def _decision_refusal(self, decision: Decision) -> ApplicationError | None:
        """Why this decision cannot be taken now (None: it can), as the error the caller gets;
        its type is the refusal's kind (the API maps it to a 409 code)."""
        decided = self._decision or self._state.decision
        if decided is not None:
            return _refused(
                "AlreadyDecided",
                f"revision {decided.revision} was already decided "
                f"({decided.decision.value} by {decided.reviewer})",
            )
        if self._state.status is not RecommendationStatus.pending_review:
            return _refused(
                "NotPending",
                f"no recommendation is awaiting review (status {self._state.status.value})",
            )
        if self._deciding is not None:
            return _refused(
                "AlreadyDecided",
                f"revision {self._deciding.revision} is being decided by "
                f"{self._deciding.reviewer} right now",
            )
        if self._reanalysis is not None:
            return _refused(
                "ReanalysisRequested", "a reanalysis was requested; decide on the new revision"
            )
        if decision.revision is not None and decision.revision != self._state.revision:
            return _refused("StaleRevision", f"the current revision is {self._state.revision}")
        return None

    def _reanalysis_refusal(self) -> ApplicationError | None:
        if not self._awaiting_review():
            return self._decision_refusal(Decision(decision=DecisionKind.rejected, reviewer=""))
        limit = self._policy.max_reanalyses
        if self._v2 and self._state.reanalyses >= limit:
            return _refused(
                "ReanalysisLimit",
                f"reanalysis limit reached: this recommendation was reanalysed "
                f"{self._state.reanalyses} times (at most {limit}); decide on revision "
                f"{self._state.revision} or start a new analysis",
            )
        return None

    def _needs_cooldown_check(self, decision: Decision) -> bool:
        return (
            decision.decision is DecisionKind.approved
            and not decision.override_cooldown
            and self._recommendation().recommended_action.is_executable
        )

    async def _check_cooldown(self, decision: Decision) -> None:
        """Refuse an approval inside the campaign's change cooldown (unless overridden), so the
        reviewer learns it now rather than from a superseded run later. The change queue checks
        again when the plan's turn comes: this early answer is a courtesy, that one is the rule."""
        self._deciding = decision  # no other decision or reanalysis until this one is settled
        try:
            last: LastChange | None = await run_activity(
                names.LAST_CAMPAIGN_CHANGE,
                self._input.campaign_id,
                LastChange | None,
                QUICK_LOOKUP,
                f"Last change applied to campaign {self._input.campaign_id}",
            )
        except ActivityError as err:
            raise ApplicationError(
                f"could not check the campaign's recent changes ({describe_error(err)}); try again",
                type="CheckUnavailable",
                non_retryable=True,
            ) from err
        finally:
            self._deciding = None
        refusal = self._decision_refusal(decision)  # e.g. the review expired meanwhile
        if refusal is not None:
            raise refusal
        cooldown = campaign_cooldown_refusal(
            last, self._input.recommendation_id, self._policy.change_cooldown, workflow.now()
        )
        if cooldown is not None:
            raise _refused(
                "CooldownActive", f"{cooldown}; approve with override_cooldown to apply it anyway"
            )

    def _maybe_auto_approve(self) -> None:
        if self._review_answered():
            return
        rec = self._recommendation()
        # A revision a human sent back for reanalysis goes back to a human.
        if self._v2 and self._state.reviewer_feedback:
            return
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
            self._approved_at = workflow.now()

    async def _accept(self, decision: Decision) -> Decision:
        self._state.decision = decision
        workflow.logger.info(
            "Revision %s %s by %s", decision.revision, decision.decision.value, decision.reviewer
        )
        # Saved with the state that follows (approved, or rejected) on the update path.
        audit = self._audit_with_next_save if self._v2 else self._audit
        await audit(decision.decision.value, decision.reviewer, decision.model_dump(mode="json"))
        return decision

    async def _expire(self) -> None:
        self._set_status(RecommendationStatus.expired)
        await self._audit_with_next_save(
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

    async def _queue_change(self, rec: Recommendation, decision: Decision) -> ChangeOutcome:
        """Hand the plan to the campaign's change queue and wait for its verdict."""
        action = rec.recommended_action.value
        campaign_id = self._input.campaign_id
        queue = messages.campaign_changes_id(campaign_id)
        key = idempotency_key(self._input.recommendation_id, self._state.revision)
        self._change_key = key
        request = ChangeRequest(
            recommendation_id=self._input.recommendation_id,
            campaign_id=campaign_id,
            action=rec.recommended_action,
            parameters=rec.parameters,
            idempotency_key=key,
            requested_by=decision.reviewer,
            approved_at=self._approved_at or workflow.now(),
            override_cooldown=decision.override_cooldown,
            cooldown=self._policy.change_cooldown,
            max_approval_age=self._policy.max_approval_age,
        )
        started = workflow.now()
        await run_activity(
            names.SUBMIT_CAMPAIGN_CHANGE, request, None, QUEUE_CHANGE, f"Queue {action} on {queue}"
        )
        self._set_phase(f"Waiting for {queue} to apply {action}")
        patience = self._policy.max_approval_age + EXECUTION.overall + QUEUE_ANSWER_MARGIN
        try:
            await workflow.wait_condition(
                lambda: self._change_outcome is not None,
                timeout=patience,
                timeout_summary="campaign change queue",
            )
            outcome = self._change_outcome
            assert outcome is not None
        except TimeoutError:
            outcome = ChangeOutcome(
                idempotency_key=key,
                verdict=ChangeVerdict.failed,
                reason=f"{queue} did not answer within {patience}",
                error_type="ChangeQueueSilent",
            )
        detail = outcome.execution.message if outcome.execution else outcome.reason
        self._trace("execute_action", started, detail=f"{outcome.verdict.value}: {detail}")
        return outcome

    async def _record_execution(self, result: ExecutionResult | None, decision: Decision) -> None:
        assert result is not None  # an executed verdict always carries its execution
        self._state.execution = result
        self._set_status(RecommendationStatus.executed)
        await self._audit_with_next_save(
            "executed", decision.reviewer, result.model_dump(mode="json")
        )
        await self._sync()

    async def _not_applied(self, rec: Recommendation, outcome: ChangeOutcome) -> None:
        """An approved plan the queue did not apply: superseded, expired, manual or failed."""
        if outcome.verdict is ChangeVerdict.failed:
            message = f"Executing {rec.recommended_action.value} failed: {outcome.reason}"
            raise await self._fail(message, outcome.error_type or "ExecutionFailed")
        status, event = _NOT_APPLIED[outcome.verdict]
        self._state.execution = outcome.execution
        self._state.status_reason = outcome.reason
        self._set_status(status)
        await self._audit_with_next_save(event, SYSTEM_ACTOR, outcome.model_dump(mode="json"))
        await self._sync()

    async def _execute_v1(self, rec: Recommendation, decision: Decision) -> None:
        """Runs started before DECISION_UPDATES execute directly (no change queue)."""
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
        await self._record_execution(result, decision)

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
        if workflow.patched(OUTCOME_FORECAST):
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
        await self._audit_with_next_save(
            "outcome_measured", SYSTEM_ACTOR, outcome.model_dump(mode="json")
        )
        await self._sync()

    async def _outcome_unavailable(self, why: str) -> None:
        """The action stands; only the measurement is missing, so the run still completes."""
        self._state.error = f"outcome not measured: {why}"
        self._set_status(RecommendationStatus.completed)
        await self._audit_with_next_save(
            "outcome_unavailable", SYSTEM_ACTOR, {"error": self._state.error}
        )
        await self._sync()

    # ----------------------------------------------------------------------------- helpers

    async def _activity(
        self, name: str, arg: Any, result_type: Any, options: ActivityOptions, summary: str
    ) -> Any:
        return await run_activity(name, arg, result_type, options, summary)

    async def _sync(self) -> None:
        self._state.seq += 1  # the store keeps the newest save whatever order retries land in
        summary = f"Store status {self._state.status.value}"
        if not workflow.patched(FOLDED_PERSISTENCE):
            await self._activity(names.SYNC_STATE, self._state, None, PERSISTENCE, summary)
            return
        audit, self._unsaved_audit = self._unsaved_audit, []
        if audit:
            summary += " with audit " + ", ".join(entry.event for entry in audit)
        save = StateWithAudit(state=self._state, audit=audit)
        await self._activity(names.SAVE_STATE, save, None, PERSISTENCE, summary)

    async def _audit(self, event: str, actor: str, payload: dict[str, Any]) -> None:
        audit = self._audit_event(event, actor, payload)
        await self._activity(names.RECORD_AUDIT_EVENT, audit, None, PERSISTENCE, f"Audit {event}")

    async def _audit_with_next_save(self, event: str, actor: str, payload: dict[str, Any]) -> None:
        """An audit entry the next ``_sync`` stores with the state, in the same transaction
        (FOLDED_PERSISTENCE); runs started before it record it at once, as they did. Only
        for entries a save follows right away: nothing waits between the two."""
        if workflow.patched(FOLDED_PERSISTENCE):
            self._unsaved_audit.append(self._audit_event(event, actor, payload))
        else:
            await self._audit(event, actor, payload)

    def _audit_event(self, event: str, actor: str, payload: dict[str, Any]) -> AuditEvent:
        return AuditEvent(
            recommendation_id=self._input.recommendation_id,
            event=event,
            actor=actor,
            revision=self._state.revision,
            payload=payload,
            at=workflow.now(),
        )

    async def _fail(self, message: str, kind: str) -> ApplicationError:
        """Record a failed run and build the error that ends it (non-retryable: a rerun of
        the same input would fail the same way; the API starts a fresh run instead)."""
        await self._record_failure(message, kind)
        return ApplicationError(message, type=kind, non_retryable=True)

    async def _record_failure(self, message: str, kind: str) -> None:
        workflow.logger.error("Recommendation failed: %s", message)
        self._state.error = message
        self._set_status(RecommendationStatus.failed)
        await self._audit_with_next_save("failed", SYSTEM_ACTOR, {"error": message, "type": kind})
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


_NOT_APPLIED = {
    ChangeVerdict.superseded: (RecommendationStatus.superseded, "superseded"),
    ChangeVerdict.expired: (RecommendationStatus.expired, "approval_expired"),
    ChangeVerdict.manual: (RecommendationStatus.manual, "manual_action_required"),
}


def _refused(kind: str, message: str) -> ApplicationError:
    """A refused update: the caller gets this error; ``kind`` is the reason's name."""
    return ApplicationError(message, type=kind, non_retryable=True)


async def _cancelled(task: asyncio.Task[Any]) -> None:
    """Cancel a step that is no longer needed (a baseline for a change that never ran)."""
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
