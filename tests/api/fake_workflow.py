"""A test double for RecommendationWorkflow, registered under the same name.

It speaks the real contract (input AnalyzeInput, signals submit_decision / request_reanalysis,
query state, sync_state activity) but skips collecting and reasoning: it goes straight to
pending_review at revision 1 with a canned recommendation. The real workflow has its own tests;
here we only need something honest for the API to start, query and signal.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from domain.lifecycle import (
        AnalyzeInput,
        Decision,
        DecisionKind,
        LifecycleState,
        ReanalysisRequest,
        RecommendationStatus,
    )
    from domain.recommendation import (
        ActionType,
        ExpectedImpact,
        Recommendation,
        RiskLevel,
        RootCause,
    )
    from store.repository import Store


class StoreActivities:
    """The real sync_state activity's job (mirror the state into the store), on a real Store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @activity.defn(name="sync_state")
    async def sync_state(self, state: LifecycleState) -> None:
        await self.store.sync_state(state)


@workflow.defn(name="RecommendationWorkflow")
class FakeRecommendationWorkflow:
    @workflow.init
    def __init__(self, analyze: AnalyzeInput) -> None:
        self._state = LifecycleState(
            recommendation_id=analyze.recommendation_id, campaign_id=analyze.campaign_id
        )
        self._decision: Decision | None = None
        self._reanalysis: ReanalysisRequest | None = None

    @workflow.run
    async def run(self, analyze: AnalyzeInput) -> LifecycleState:
        await self._publish_revision()
        while True:
            await workflow.wait_condition(lambda: bool(self._decision or self._reanalysis))
            if self._decision is not None:
                break
            self._reanalysis = None
            await self._publish_revision()
        self._state.decision = self._decision
        approved = self._decision.decision is DecisionKind.approved
        self._state.status = (
            RecommendationStatus.completed if approved else RecommendationStatus.rejected
        )
        await self._sync()
        return self._state

    @workflow.signal
    def submit_decision(self, decision: Decision) -> None:
        current = self._state.revision
        if self._state.status is not RecommendationStatus.pending_review or (
            decision.revision is not None and decision.revision != current
        ):
            self._state.refused_decisions.append(
                f"{decision.decision.value} by {decision.reviewer} for revision "
                f"{decision.revision} (current {current})"
            )
            return
        self._decision = decision

    @workflow.signal
    def request_reanalysis(self, request: ReanalysisRequest) -> None:
        if self._state.status is RecommendationStatus.pending_review and self._decision is None:
            self._reanalysis = request

    @workflow.query
    def state(self) -> LifecycleState:
        return self._state

    async def _publish_revision(self) -> None:
        self._state.revision += 1
        self._state.iterations += 1
        self._state.recommendation = _canned(self._state.campaign_id)
        self._state.status = RecommendationStatus.pending_review
        await self._sync()

    async def _sync(self) -> None:
        await workflow.execute_activity(
            "sync_state", self._state, start_to_close_timeout=timedelta(seconds=10)
        )


def _canned(campaign_id: str) -> Recommendation:
    return Recommendation(
        campaign_id=campaign_id,
        recommended_action=ActionType.bid_adjustment,
        specific_action="increase bid 15 % from $2.50 to $2.88",
        reasoning="competitor bids up 25 % while creative performance is stable",
        signal_analysis="CPA +32 % over 4 days; impression share down 12 %",
        root_cause=RootCause.competitive_pressure,
        supporting_evidence=["competitor activity +25 %"],
        expected_impact=ExpectedImpact(metric="cpa", change_pct=-12.0),
        risk_level=RiskLevel.medium,
        confidence=0.78,
        confidence_reasoning="three consistent signals",
        generated_at=workflow.now(),
    )
