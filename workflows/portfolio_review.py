"""PortfolioReviewWorkflow: the portfolio review of DESIGN §9, on demand and weekly.

save status "running" → run the review (read every campaign through the ad-platform port and
our own store, analyse, render the markdown, JSON and charts, store them) → optionally the LLM
executive summary: one draft, checked against the review's numbers; a draft with an invented
number is discarded and drafted once more, and if that one invents too the summary is dropped
with a note → attach the summary (or the note): status "completed".

The optimiser's seed is drawn here (``workflow.random()``, replay-safe) and goes into the
review activity's input, so the decision is in the history and can be replayed.

Started by the API (id ``portfolio-review-...``, see ``messages.portfolio_review_id``) and by
the weekly Temporal Schedule (``portfolio-review`` in ``workers.schedules``; Temporal suffixes
the schedule's workflow id with the scheduled time, and that id is the review id).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.portfolio.runs import (
        PortfolioReviewInput,
        PortfolioReviewResult,
        ReviewOutcome,
        ReviewRequest,
        StatusUpdate,
        SummaryAttachment,
    )
    from domain.portfolio.summary import SummaryDraft, SummaryRequest
    from workflows import activity_names as names
    from workflows import messages
    from workflows.options import PERSISTENCE, ActivityOptions, describe_error, run_activity

# Reading a thousand campaigns through a rate-limited platform takes minutes; the activity
# heartbeats per campaign, so a crashed worker's attempt is retried within a minute.
REVIEW = ActivityOptions(
    timeout=timedelta(minutes=30),
    heartbeat=timedelta(minutes=1),
    overall=timedelta(hours=3),
    retry=RetryPolicy(
        initial_interval=timedelta(seconds=5),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(minutes=5),
        maximum_attempts=5,
        non_retryable_error_types=["AdPlatformAuthError", "InvalidPolicy"],
    ),
)
# One LLM call (and its re-ask) per attempt; a provider that stays down drops the summary.
SUMMARY = ActivityOptions(
    timeout=timedelta(minutes=2),
    overall=timedelta(minutes=6),
    retry=RetryPolicy(
        initial_interval=timedelta(seconds=2),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(seconds=30),
        maximum_attempts=3,
        non_retryable_error_types=["LLMNotConfigured", "LLMAuthenticationError"],
    ),
)
SUMMARY_ATTEMPTS = 2


@workflow.defn(name=messages.PORTFOLIO_REVIEW_WORKFLOW)
class PortfolioReviewWorkflow:
    def __init__(self) -> None:
        self._status = "starting"

    @workflow.query(name=messages.PORTFOLIO_STATUS_QUERY)
    def status(self) -> str:
        return self._status

    @workflow.run
    async def run(self, inp: PortfolioReviewInput) -> PortfolioReviewResult:
        review_id = inp.review_id or workflow.info().workflow_id
        seed = inp.seed if inp.seed is not None else workflow.random().randint(0, 2**32 - 1)
        await self._save(inp, review_id, "running")
        try:
            self._set("reviewing the portfolio")
            outcome: ReviewOutcome = await run_activity(
                names.RUN_PORTFOLIO_REVIEW,
                ReviewRequest(
                    review_id=review_id,
                    as_of=workflow.now(),
                    seed=seed,
                    policy=inp.policy,
                    include_summary=inp.include_summary,
                ),
                ReviewOutcome,
                REVIEW,
                f"Portfolio review {review_id}",
            )
        except ActivityError as err:
            error = f"the review failed: {describe_error(err)}"
            await self._save(inp, review_id, "failed", error)
            raise ApplicationError(error, type="PortfolioReviewFailed", non_retryable=True) from err
        note = await self._summarize(review_id) if outcome.summary_wanted else None
        self._set("completed")
        return PortfolioReviewResult(
            review_id=review_id,
            status="completed",
            headline=outcome.headline,
            recommendations=outcome.recommendations,
            summary_note=note,
        )

    async def _summarize(self, review_id: str) -> str | None:
        """Draft, check, maybe draft again; attach the accepted summary or a note. Returns the
        note (None when a summary was attached)."""
        rejected: list[str] = []
        previous, text, note = "", None, None
        for attempt in range(1, SUMMARY_ATTEMPTS + 1):
            self._set(f"writing the executive summary (attempt {attempt})")
            try:
                draft: SummaryDraft = await run_activity(
                    names.DRAFT_PORTFOLIO_SUMMARY,
                    SummaryRequest(
                        review_id=review_id, attempt=attempt, rejected=rejected, previous=previous
                    ),
                    SummaryDraft,
                    SUMMARY,
                    f"Executive summary of {review_id}, attempt {attempt}",
                )
            except ActivityError as err:
                note = f"not written: {describe_error(err)}"
                break
            if not draft.invented:
                text = draft.text
                break
            rejected, previous = draft.invented, draft.text
            workflow.logger.warning(
                "Executive summary attempt %s invented %s; discarded", attempt, draft.invented
            )
            note = (
                f"dropped: {SUMMARY_ATTEMPTS} drafts stated numbers the review does not have "
                f"(last: {', '.join(draft.invented)})"
            )
        await run_activity(
            names.ATTACH_PORTFOLIO_SUMMARY,
            SummaryAttachment(review_id=review_id, text=text, note=None if text else note),
            None,
            PERSISTENCE,
            f"Attach the executive summary to {review_id}",
        )
        return None if text else note

    async def _save(
        self, inp: PortfolioReviewInput, review_id: str, status: str, error: str | None = None
    ) -> None:
        self._set(status)
        await run_activity(
            names.SAVE_PORTFOLIO_STATUS,
            StatusUpdate(
                review_id=review_id,
                status=status,
                requested_by=inp.requested_by,
                trigger=inp.trigger,
                error=error,
            ),
            None,
            PERSISTENCE,
            f"Portfolio review {review_id}: {status}",
        )

    def _set(self, status: str) -> None:
        self._status = status
        workflow.set_current_details(f"Portfolio review: {status}")
