"""Settings for a fake provider, and lifecycle runs with the REAL reasoning and persistence
activities (LLM reasoner against the fake, rules fallback, SQLite store); only the ad platform
is a double (tests.workflows.doubles.FakeAdPlatform)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.changes import CampaignChangeActivities
from activities.persistence import PersistenceActivities
from activities.reasoning import ReasoningActivities, build_reasoner, close_reasoner
from domain.lifecycle import Decision, DecisionKind, LifecycleState
from settings import Settings
from store import Store
from tests.llm.fake_providers import API_KEY, FakeProvider
from tests.workflows.doubles import FakeAdPlatform
from tests.workflows.harness import (
    Scenario,
    fast_policy,
    finish,
    pending_review,
    wait_for_state,
)
from workflows.recommendation import RecommendationWorkflow


def llm_settings(fake: FakeProvider, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "reasoner": fake.wire,
        "llm_base_url": fake.base_url,
        "llm_api_key": API_KEY,
        "llm_timeout_seconds": 5.0,
        **changes,
    }
    return Settings(**values)


class RealReasoningBoundary:
    """What Scenario needs from its doubles: activities and a store."""

    def __init__(self, settings: Settings, store: Store, platform: FakeAdPlatform) -> None:
        self.settings = settings
        self.store = store
        self.platform = platform
        self.reasoner = build_reasoner(settings)

    def activities(self, client: Client) -> list[Callable[..., Any]]:
        reasoning = ReasoningActivities(self.reasoner)
        persistence = PersistenceActivities(self.store)
        changes = CampaignChangeActivities(client, self.store)
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


async def run_lifecycle(
    env: WorkflowEnvironment,
    settings: Settings,
    store: Store,
    platform: FakeAdPlatform | None = None,
) -> tuple[LifecycleState, LifecycleState]:
    """Start, wait for review, approve, and wait for the outcome: (pending, final) states."""
    boundary = RealReasoningBoundary(settings, store, platform or FakeAdPlatform())
    scenario = Scenario(env, boundary)  # type: ignore[arg-type]
    policy = fast_policy(max_llm_cost_usd=settings.llm_max_cost_per_run_usd)
    try:
        async with scenario.worker():
            handle: WorkflowHandle = await scenario.start(policy=policy)
            pending = await wait_for_state(handle, pending_review, within=30)
            approval = Decision(
                decision=DecisionKind.approved, reviewer="alice", revision=pending.revision
            )
            await handle.execute_update(RecommendationWorkflow.decide, approval)
            final = await finish(handle)
    finally:
        await close_reasoner(boundary.reasoner)
    return pending, final
