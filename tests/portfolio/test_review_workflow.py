"""PortfolioReviewWorkflow on the real dev server: the stored report's numbers are the hand
computations of the fixed fixture (tests/fakes/portfolio_platform.py, tests/portfolio/records.py);
a recommendation goes into the lifecycle with one call; the schedule is created idempotently."""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from activities import build_activities
from api.auth import Principal, Role
from api.portfolio import PortfolioService
from domain.lifecycle import LifecycleState
from domain.portfolio.model import CampaignTarget, PortfolioPolicy, PortfolioReport
from domain.portfolio.runs import PortfolioReviewInput, PortfolioReviewResult
from settings import Settings
from store import Store
from tests.fakes.portfolio_platform import fixture_platform
from tests.portfolio.records import seed
from workers import schedules
from workers.worker import WORKFLOWS
from workflows import messages
from workflows.portfolio_review import PortfolioReviewWorkflow

POLICY = PortfolioPolicy(
    value_per_conversion=50.0,
    account_target_cpa=30.0,
    target_roas=1.5,
    campaign_targets={
        "cmp-a": CampaignTarget(target=25.0),
        "cmp-b": CampaignTarget(target=30.0),
        "cmp-c": CampaignTarget(target=30.0),
    },
)
PNG = b"\x89PNG\r\n\x1a\n"


@asynccontextmanager
async def worker(client: Client, store: Store, settings: Settings) -> AsyncIterator[Worker]:
    platform = fixture_platform(datetime.now(UTC).date())
    activities = build_activities(settings, store, platform, client)
    async with Worker(
        client, task_queue=settings.temporal_task_queue, workflows=WORKFLOWS, activities=activities
    ) as running:
        yield running
    await platform.aclose()


async def review(client: Client, task_queue: str, **changes) -> PortfolioReviewResult:
    review_id = f"portfolio-review-test-{uuid.uuid4().hex[:8]}"
    inp = PortfolioReviewInput(
        review_id=review_id,
        requested_by="tester",
        trigger="api",
        policy=POLICY,
        include_summary=False,
        seed=1234,
    ).model_copy(update=changes)
    return await client.execute_workflow(
        PortfolioReviewWorkflow.run, inp, id=review_id, task_queue=task_queue
    )


async def stored_report(store: Store, review_id: str) -> PortfolioReport:
    record = await store.portfolio.get(review_id)
    assert record is not None and record.status == "completed", record
    return PortfolioReport.model_validate(record.report)


async def test_the_report_matches_a_hand_computation_of_the_fixture(
    dev_server, store, task_queue
) -> None:
    await seed(store)
    settings = Settings(temporal_task_queue=task_queue)
    async with worker(dev_server.client, store, settings):
        result = await review(dev_server.client, task_queue)
    report = await stored_report(store, result.review_id)

    # Campaigns: CPA 700/35 = 20 against 25 -> 25/20 = 125 % (exceeding, above 120 %);
    # 1,400/40 = 35 against 30 -> 85.7 % (meeting); no conversion on $700 -> 0 % (below).
    campaigns = {c.campaign_id: c for c in report.campaigns}
    assert campaigns["cmp-a"].attainment == pytest.approx(1.25)
    assert campaigns["cmp-b"].attainment == pytest.approx(30 / 35)
    assert campaigns["cmp-c"].attainment == 0.0
    assert [campaigns[c].band.value for c in ("cmp-a", "cmp-b", "cmp-c")] == [
        "exceeding",
        "meeting",
        "below",
    ]

    kpis = {k.name: k for k in report.kpis}
    # r1 applied, r2 approved and failed: 1 of 2 -> 50 % of a 95 % target = 0.526: at risk.
    assert kpis["execution_success_rate"].value == 0.5
    assert (kpis["execution_success_rate"].status, kpis["execution_success_rate"].severity) == (
        "at_risk",
        "warning",
    )
    # Latencies 10, 20, 40 s: the nearest-rank p95 is 40 s; 30/40 = 75 %: at risk.
    assert kpis["analysis_latency_p95_seconds"].value == pytest.approx(40.0)
    assert kpis["analysis_latency_p95_seconds"].attainment == pytest.approx(0.75)
    # Decisions by alice, the auto-approval policy and bob: 2 of 3 by a person (at most 100 %).
    assert kpis["human_review_rate"].value == pytest.approx(2 / 3)
    assert kpis["human_review_rate"].status == "exceeded"
    # One guardrail violation against a target of none: critical.
    assert kpis["policy_violations"].value == 1
    assert kpis["policy_violations"].severity == "critical"
    # Snapshots of cmp-a and cmp-b were taken moments ago.
    assert kpis["data_freshness_hours"].value < 1 and kpis["data_freshness_hours"].status == (
        "exceeded"
    )
    # 2 of 3 decisions approved: 66.7 % of a 70 % target = 95 %: on track.
    assert kpis["acceptance_rate"].value == pytest.approx(2 / 3)
    assert kpis["acceptance_rate"].status == "on_track"
    assert kpis["outcome_success_rate"].value == 1.0
    # Account CPA 2,800 / 75 = 37.33 against 30: 80.4 %, on track; ROAS 3,750 / 2,800 =
    # 1.339 against 1.5: 89.3 %, on track.
    assert kpis["account_cpa"].value == pytest.approx(2800 / 75)
    assert kpis["account_cpa"].attainment == pytest.approx(30 / (2800 / 75))
    assert kpis["account_cpa"].status == "on_track"
    assert kpis["roas"].value == pytest.approx(3750 / 2800)
    assert kpis["roas"].status == "on_track"

    roi = report.roi
    # LLM $0.10 + $0.02; 2 decisions by a person x 10 min x $60/h = $20.
    assert roi.llm_cost_usd == pytest.approx(0.12) and roi.llm_calls == 2
    assert roi.human_reviews == 2 and roi.human_review_cost == pytest.approx(20.0)
    assert roi.agent_cost == pytest.approx(20.12)
    assert roi.media_spend == 2800 and roi.estimated_value == pytest.approx(75 * 50)
    assert roi.total_cost == pytest.approx(2820.12)
    assert roi.net == pytest.approx(3750 - 2820.12)
    assert roi.net_roi == pytest.approx((3750 - 2820.12) / 2820.12)
    assert roi.status == "profitable"
    # r1's outcome: 15 conversions after, CPA 25 -> 20: $75 saved; (75 - 20.12) / 20.12.
    assert roi.measured_savings == pytest.approx(75.0) and roi.outcomes_counted == 1
    assert roi.agent_roi == pytest.approx((75 - 20.12) / 20.12)
    assert roi.agent_status == "paying_for_itself"

    # Experiments. Imported: 100/1,000 vs 130/1,000, pooled p = 0.115, se =
    # sqrt(0.115 x 0.885 x 2/1,000) = 0.014267, z = 0.03 / 0.014267 = 2.1027, p = 0.0355.
    # Platform: 50/500 vs 45/500, p = 0.595. Holm over the two: 0.0355 x 2 = 0.071 -> not
    # significant after the correction, although 0.0355 alone would have scaled it.
    experiments = {e.experiment_id: e for e in report.experiments.evaluations}
    imported = experiments["exp-imported"]
    assert imported.z == pytest.approx(2.1027, abs=1e-4)
    assert imported.p_value == pytest.approx(0.03549, abs=1e-4)
    assert imported.p_adjusted == pytest.approx(2 * imported.p_value)
    assert imported.lift == pytest.approx(0.30)
    assert imported.decision.value == "continue" and not imported.significant
    assert experiments["exp-platform"].p_adjusted == pytest.approx(
        experiments["exp-platform"].p_value
    )
    assert "Holm" in report.experiments.correction and report.experiments.family_size == 2

    # Risk: $700 on 300 clicks without a conversion (>= 100 clicks): critical.
    assert [(r.campaign_id, r.kind, r.severity.value) for r in report.risks] == [
        ("cmp-c", "zero_conversions", "critical")
    ]

    # Budget across cmp-a and cmp-b (cmp-c left out for its critical risk): 300/day. Every
    # arm starts at its lower bound (cmp-a 100 - 25 % = 75, cmp-b 200 - 25 % = 150) and the
    # 75 left go to the better arm of each draw up to its cap: 125/175 when cmp-a is better,
    # 75/225 when cmp-b is. Posteriors (prior: 1 conversion at the pooled 75/2,100): cmp-a
    # Gamma(36, 728), mean 0.0495 (sd 0.0082); cmp-b Gamma(41, 1,428), mean 0.0287 (sd
    # 0.0045): P(cmp-a better) = Phi(0.0208 / 0.0094) = Phi(2.2) = 0.986, so cmp-a gets
    # 75 + 50 x 0.986 = 124.3 on average over the draws.
    budget = report.budget
    assert budget is not None and budget.seed != 1234  # derived from the review's seed
    p_best = budget.arm("cmp-a").p_best
    assert 0.98 < p_best < 0.995
    assert budget.arm("cmp-a").recommended == pytest.approx(75 + 50 * p_best, abs=0.01)
    assert budget.arm("cmp-b").recommended == pytest.approx(300 - 75 - 50 * p_best, abs=0.01)
    assert sum(a.recommended for a in budget.arms) == pytest.approx(300.0)
    assert "cmp-c (critical risk)" in report.budget_note

    # Recommendations: the pause first (high: $700 a week), then the segment move on cmp-a
    # (Thompson: s1 converts 30/400, s2 5/300; s2 may lose 25 % of its 40 = 10, s1 gains it),
    # then the move between campaigns (a person changes campaign budgets).
    items = report.recommendations
    assert [(i.number, i.priority, i.action, i.target) for i in items] == [
        (1, "high", "Campaign Pause", "cmp-c"),
        (2, "medium", "Budget Reallocation", "cmp-a"),
        (3, "medium", "Move daily budget between campaigns", "cmp-b -> cmp-a"),
    ]
    assert items[0].expected_value_per_week == pytest.approx(700.0)
    assert items[0].lifecycle is not None and items[0].lifecycle.proposal is not None
    segment = items[1].lifecycle.proposal
    assert segment.parameters.from_segment_id == "s2" and segment.parameters.to_segment_id == "s1"
    assert segment.parameters.budget_shift_amount == pytest.approx(10.0)
    assert segment.budget_allocation is not None  # its propensities go with it
    assert items[2].lifecycle is None and "daily budget" in items[2].manual_reason

    # Stored as markdown and PNG charts too; the provenance names what and how.
    record = await store.portfolio.get(result.review_id)
    assert record.markdown.startswith(f"# Portfolio review {result.review_id}")
    assert "| Top recommendation | #1 Campaign Pause on cmp-c" in record.markdown
    assert sorted(record.charts) == ["experiment_lift", "kpi_status", "spend_value"]
    for name in record.charts:
        assert (await store.portfolio.chart(result.review_id, name)).startswith(PNG)
    assert report.provenance.seed == 1234 and "statsmodels" in report.provenance.versions
    assert result.headline == report.headline and result.recommendations == 3
    assert not math.isnan(report.roi.net_roi)


async def test_a_recommendation_enters_the_lifecycle_with_one_call(
    dev_server, store, task_queue
) -> None:
    settings = Settings(temporal_task_queue=task_queue, api_keys="")
    client = dev_server.client
    async with worker(client, store, settings):
        result = await review(client, task_queue)
        service = PortfolioService(settings, store, client)
        someone = Principal(name="dana", role=Role.client, key_id="k")
        sent = await service.send(result.review_id, 1, someone)
        again = await service.send(result.review_id, 1, someone)
        state = await _wait_pending(client, sent.recommendation_id)

    assert (sent.campaign_id, sent.proposal, sent.deduplicated) == ("cmp-c", True, False)
    assert again.recommendation_id == sent.recommendation_id and again.deduplicated
    rec = state.recommendation
    # The review's proposal was the first draft; the critique kept it.
    assert rec.recommended_action.value == "Campaign Pause" and rec.model == "portfolio-review"
    assert f"Proposed by portfolio review {result.review_id}, recommendation 1" in rec.reasoning
    assert state.revision == 1
    await client.get_workflow_handle(sent.recommendation_id).terminate("test done")


async def _wait_pending(client: Client, workflow_id: str, within: float = 60) -> LifecycleState:
    handle = client.get_workflow_handle(workflow_id)
    deadline = time.monotonic() + within
    state = None
    while time.monotonic() < deadline:
        state = await handle.query(messages.STATE, result_type=LifecycleState)
        if state.status.value in ("pending_review", "failed"):
            return state
        await asyncio.sleep(0.2)
    raise AssertionError(f"{workflow_id} never reached review; last {state}")


async def test_the_weekly_review_is_scheduled_on_its_cron(dev_server, task_queue):
    client = dev_server.client
    settings = Settings(temporal_task_queue=task_queue, portfolio_schedule_cron="0 7 * * 2")
    sid = schedules.schedule_id(settings, schedules.PORTFOLIO_REVIEW)
    try:
        assert (await schedules.apply(client, settings))[sid] == "created"
        described = await client.get_schedule_handle(sid).describe()
        # The server keeps the cron as a calendar: the next review is a Tuesday at 07:00 UTC.
        upcoming = described.info.next_action_times[0]
        assert (upcoming.weekday(), upcoming.hour, upcoming.minute) == (1, 7, 0)
        action = described.schedule.action
        assert action.workflow == messages.PORTFOLIO_REVIEW_WORKFLOW
        assert action.task_queue == task_queue
    finally:
        for name in schedules.NAMES:
            await client.get_schedule_handle(schedules.schedule_id(settings, name)).delete()
