"""KpiWatchWorkflow: one pass of the KPI watch (started by its Temporal Schedule).

List the account's campaigns through the ad-platform port, judge each one's KPI moves (chunks
of campaigns per activity), start a recommendation run for each campaign that moved and has
nothing open and no change inside the cooldown (the way the API starts one), and store the
pass: every campaign looked at, and why it was started or skipped.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.passes import AnalysisStart, StartAnalysis, WatchChunk, WatchInput, WatchResult
    from domain.platform import CampaignSummary
    from domain.watch import CampaignWatch, WatchSummary, WatchVerdict
    from workflows import activity_names as names
    from workflows import messages
    from workflows.options import PERSISTENCE, ActivityOptions, run_activity

WATCH_ACTOR = "kpi-watch"
STARTS_AT_ONCE = 10

# Platform reads: a few minutes per chunk, retried with backoff through a platform hiccup.
PLATFORM_READS = ActivityOptions(
    timeout=timedelta(minutes=5),
    overall=timedelta(hours=1),
    retry=RetryPolicy(
        initial_interval=timedelta(seconds=2),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(minutes=1),
        maximum_attempts=0,
    ),
)
# Starting an analysis: our database and Temporal; a start that keeps failing is reported.
START = ActivityOptions(
    timeout=timedelta(seconds=30),
    overall=timedelta(minutes=10),
    retry=RetryPolicy(
        initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)
    ),
)


@workflow.defn(name=messages.KPI_WATCH_WORKFLOW)
class KpiWatchWorkflow:
    @workflow.run
    async def run(self, inp: WatchInput) -> WatchResult:
        pass_id = workflow.info().workflow_id
        summary = WatchSummary(pass_id=pass_id, started_at=workflow.now())
        workflow.set_current_details("Listing the account's campaigns")
        campaigns: list[CampaignSummary] = await run_activity(
            names.LIST_WATCH_CAMPAIGNS,
            pass_id,
            list[CampaignSummary],
            PLATFORM_READS,
            "List the account's campaigns",
        )
        summary.campaigns = await self._judge(campaigns, inp)
        await self._start_analyses(summary.campaigns, inp.max_starts)
        summary.finished_at = workflow.now()
        await run_activity(
            names.SAVE_WATCH_PASS, summary, None, PERSISTENCE, "Store the watch pass"
        )
        counts = summary.counts()
        workflow.set_current_details(
            ", ".join(f"{count} {verdict}" for verdict, count in counts.items() if count)
        )
        return WatchResult(
            pass_id=pass_id,
            counts=counts,
            started=[
                c.recommendation_id
                for c in summary.campaigns
                if c.verdict is WatchVerdict.started and c.recommendation_id
            ],
        )

    async def _judge(
        self, campaigns: list[CampaignSummary], inp: WatchInput
    ) -> list[CampaignWatch]:
        size = inp.chunk_size
        chunks = [campaigns[i : i + size] for i in range(0, len(campaigns), size)]
        workflow.set_current_details(f"Reading the KPIs of {len(campaigns)} campaigns")
        judged = await asyncio.gather(
            *(
                run_activity(
                    names.ASSESS_KPI_MOVES,
                    WatchChunk(
                        campaigns=chunk,
                        at=workflow.now(),
                        thresholds=inp.thresholds,
                        change_cooldown=inp.change_cooldown,
                    ),
                    list[CampaignWatch],
                    PLATFORM_READS,
                    f"KPI moves of campaigns {n * size + 1}-{n * size + len(chunk)}",
                )
                for n, chunk in enumerate(chunks)
            )
        )
        return [verdict for chunk in judged for verdict in chunk]

    async def _start_analyses(self, verdicts: list[CampaignWatch], limit: int) -> None:
        to_start = [v for v in verdicts if v.verdict is WatchVerdict.started]
        for deferred in to_start[limit:]:
            deferred.verdict = WatchVerdict.deferred
            deferred.reason = f"over this pass's limit of {limit} analyses; {deferred.reason}"
        to_start = to_start[:limit]
        workflow.set_current_details(f"Starting {len(to_start)} analyses")
        for first in range(0, len(to_start), STARTS_AT_ONCE):
            batch = to_start[first : first + STARTS_AT_ONCE]
            results = await asyncio.gather(*(self._start(v.campaign_id) for v in batch))
            for verdict, result in zip(batch, results, strict=True):
                verdict.recommendation_id = result.recommendation_id
                if result.error:
                    verdict.verdict = WatchVerdict.failed
                    verdict.reason = f"could not start the analysis: {result.error}"

    async def _start(self, campaign_id: str) -> AnalysisStart:
        return await run_activity(
            names.START_WATCH_ANALYSIS,
            StartAnalysis(campaign_id=campaign_id, requested_by=WATCH_ACTOR),
            AnalysisStart,
            START,
            f"Start an analysis of {campaign_id}",
        )
