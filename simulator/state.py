"""The simulator's whole in-memory state: campaigns, the simulated clock, applied mutations.

One re-entrant lock guards every read and write, so concurrent requests in one uvicorn process
(async handlers or threads) always see a consistent campaign.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from simulator import oracle
from simulator.actions import PlannedChange, plan_action
from simulator.catalog import NAMED, generated_plans
from simulator.contract import Action, ActionBody, ActionParameters
from simulator.figures import Figures
from simulator.mechanics import CampaignState, simulate_day
from simulator.world import CampaignPlan, build_campaign

DEMO_SEED = "demo"  # the named campaigns' noise; generated ones use the world seed


class CampaignNotFound(LookupError):
    def __init__(self, campaign_id: str) -> None:
        super().__init__(f"campaign '{campaign_id}' not found")


class MissingIdempotencyKey(ValueError):
    pass


class IdempotencyConflict(ValueError):
    pass


class ActionResult(BaseModel):
    """Answer of POST /campaigns/{id}/actions."""

    applied: bool
    already_applied: bool = False
    dry_run: bool = False
    before: dict[str, Any]
    after: dict[str, Any]
    message: str
    executed_at: datetime
    campaign_id: str
    action: Action
    idempotency_key: str | None = None
    effective_date: date
    mutation_id: str | None = None


class Mutation(BaseModel):
    """One applied (not dry-run, not duplicate) change, as GET /admin/mutations lists it."""

    mutation_id: str
    campaign_id: str
    action: Action
    parameters: ActionParameters
    idempotency_key: str
    before: dict[str, Any]
    after: dict[str, Any]
    effective_date: date
    executed_at: datetime


@dataclass(frozen=True)
class _Replay:
    request: tuple[str, ActionBody]
    result: ActionResult


@dataclass(frozen=True)
class WorldSpec:
    """Which campaigns a simulator holds: the named ones unless left out, and N generated."""

    campaigns: int = 0
    seed: int = 0
    named: bool = True


def build_world(figures: Figures, today: date, spec: WorldSpec) -> dict[str, CampaignState]:
    plans: list[tuple[CampaignPlan, str]] = []
    if spec.named:
        plans += [(plan, DEMO_SEED) for plan in NAMED]
    plans += [
        (plan, f"world-{spec.seed}") for plan in generated_plans(figures, spec.seed, spec.campaigns)
    ]
    return {plan.campaign_id: build_campaign(plan, figures, today, seed) for plan, seed in plans}


class SimulatorState:
    def __init__(self, figures: Figures, today: date, spec: WorldSpec | None = None) -> None:
        self.figures = figures
        self.spec = spec or WorldSpec()
        self._seeded_today = today
        self._lock = threading.RLock()
        self.reset()

    @property
    def seeded_today(self) -> date:
        """The first simulated day (what a reset goes back to)."""
        return self._seeded_today

    @contextmanager
    def locked(self) -> Iterator[SimulatorState]:
        with self._lock:
            yield self

    def reset(self) -> None:
        """Back to the seeded campaigns, clock and an empty mutation log."""
        with self._lock:
            self.today = self._seeded_today
            # Campaign -> hours its spend report lags behind (default: pacing's default delay).
            self.report_delays: dict[str, float] = {}
            self.campaigns: dict[str, CampaignState] = build_world(
                self.figures, self.today, self.spec
            )
            self.plans = {plan.campaign_id: plan for plan in self._plans()}
            self.mutations: list[Mutation] = []
            self._replays: dict[str, _Replay] = {}

    def _plans(self) -> list[CampaignPlan]:
        named = list(NAMED) if self.spec.named else []
        return named + generated_plans(self.figures, self.spec.seed, self.spec.campaigns)

    def campaign(self, campaign_id: str) -> CampaignState:
        campaign = self.campaigns.get(campaign_id)
        if campaign is None:
            raise CampaignNotFound(campaign_id)
        return campaign

    @property
    def last_reported_day(self) -> date:
        return self.today - timedelta(days=1)

    def advance(self, days: int) -> None:
        """Report `days` more days for every campaign, moving today forward."""
        with self._lock:
            for _ in range(days):
                for campaign in self.campaigns.values():
                    simulate_day(campaign, self.today)
                self.today += timedelta(days=1)

    def evaluate(
        self,
        campaign_id: str,
        *,
        extra: list[oracle.Plan] | None = None,
        horizon_days: int = oracle.DEFAULT_HORIZON_DAYS,
        replications: int = oracle.DEFAULT_REPLICATIONS,
    ) -> oracle.OracleResult:
        with self._lock:
            return oracle.evaluate(
                self.campaign(campaign_id),
                self.today,
                extra=extra,
                horizon_days=horizon_days,
                replications=replications,
            )

    def execute(
        self, campaign_id: str, body: ActionBody, *, dry_run: bool, idempotency_key: str | None
    ) -> ActionResult:
        with self._lock:
            campaign = self.campaign(campaign_id)
            if dry_run:
                return self._result(campaign, body, plan_action(campaign, body, self.today))
            if not idempotency_key:
                raise MissingIdempotencyKey(
                    "the Idempotency-Key header is required unless dry_run=true"
                )
            replay = self._replays.get(idempotency_key)
            if replay is not None:
                return self._replayed(replay, campaign_id, body, idempotency_key)
            return self._apply(campaign, body, idempotency_key)

    def _replayed(
        self, replay: _Replay, campaign_id: str, body: ActionBody, key: str
    ) -> ActionResult:
        if replay.request != (campaign_id, body):
            raise IdempotencyConflict(
                f"Idempotency-Key '{key}' was already used for a different request"
            )
        return replay.result.model_copy(update={"already_applied": True})

    def _apply(self, campaign: CampaignState, body: ActionBody, key: str) -> ActionResult:
        change = plan_action(campaign, body, self.today)
        change.apply(campaign)
        campaign.applied.append((body.action.value, self.today))
        mutation = Mutation(
            mutation_id=f"mut-{len(self.mutations) + 1:04d}",
            campaign_id=campaign.campaign_id,
            action=body.action,
            parameters=body.parameters,
            idempotency_key=key,
            before=change.before,
            after=change.after,
            effective_date=self.today,
            executed_at=datetime.now(UTC),
        )
        self.mutations.append(mutation)
        result = self._result(campaign, body, change, mutation)
        self._replays[key] = _Replay((campaign.campaign_id, body), result)
        return result

    def _result(
        self,
        campaign: CampaignState,
        body: ActionBody,
        change: PlannedChange,
        mutation: Mutation | None = None,
    ) -> ActionResult:
        return ActionResult(
            applied=mutation is not None,
            dry_run=mutation is None,
            before=change.before,
            after=change.after,
            message=change.message if mutation else f"dry run: {change.message}",
            executed_at=mutation.executed_at if mutation else datetime.now(UTC),
            campaign_id=campaign.campaign_id,
            action=body.action,
            idempotency_key=mutation.idempotency_key if mutation else None,
            effective_date=self.today,
            mutation_id=mutation.mutation_id if mutation else None,
        )
