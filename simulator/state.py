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

from domain.recommendation import ActionParameters, ActionType
from simulator.actions import ActionBody, PlannedChange, plan_action
from simulator.datasets import DatasetLevels
from simulator.generator import generate_day
from simulator.model import AppliedAction, Campaign
from simulator.seeding import build_campaigns


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
    action: ActionType
    idempotency_key: str | None = None
    effective_date: date  # the simulated day from which the change applies
    mutation_id: str | None = None


class Mutation(BaseModel):
    """One applied (not dry-run, not duplicate) change, as GET /admin/mutations lists it."""

    mutation_id: str
    campaign_id: str
    action: ActionType
    parameters: ActionParameters
    idempotency_key: str
    before: dict[str, Any]
    after: dict[str, Any]
    effective_date: date
    executed_at: datetime


@dataclass(frozen=True)
class _Replay:
    request: tuple[str, ActionBody]  # what the key was first used for
    result: ActionResult


class SimulatorState:
    def __init__(self, levels: DatasetLevels, today: date) -> None:
        self.levels = levels
        self._seeded_today = today
        self._lock = threading.RLock()
        self.reset()

    @contextmanager
    def locked(self) -> Iterator[SimulatorState]:
        with self._lock:
            yield self

    def reset(self) -> None:
        """Back to the seeded campaigns, clock and an empty mutation log."""
        with self._lock:
            self.today = self._seeded_today
            self.campaigns: dict[str, Campaign] = build_campaigns(self.levels, self.today)
            self.mutations: list[Mutation] = []
            self._replays: dict[str, _Replay] = {}

    def campaign(self, campaign_id: str) -> Campaign:
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
                    campaign.days.append(generate_day(campaign, self.today))
                self.today += timedelta(days=1)

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

    def _apply(self, campaign: Campaign, body: ActionBody, key: str) -> ActionResult:
        change = plan_action(campaign, body, self.today)
        change.apply()
        campaign.applied_actions.append(AppliedAction(body.action, self.today))
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
        campaign: Campaign,
        body: ActionBody,
        change: PlannedChange,
        mutation: Mutation | None = None,
    ) -> ActionResult:
        """The answer for an applied change (with its mutation) or for a dry run (without)."""
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
