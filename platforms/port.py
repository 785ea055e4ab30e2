"""The ad-platform port (DESIGN §11): what the agent reads from and does on an ad platform, in
the domain's terms. Collectors and execution see only this; adapters (simulator, Google Ads,
Meta) implement it and keep their platform's vocabulary (micros, minor units, ad sets) inside.

Writes come in two steps, as the execution activity uses them: ``dry_run`` asks the platform to
validate a change without making it; ``apply`` makes it at most once per idempotency key (a
repeated key answers ``already_applied`` and changes nothing). An action the platform cannot
perform is not an error: both answer ``applied=False`` with ``manual_instructions`` saying what
a person should do in the platform's own interface.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, Field

from domain.context import (
    AudienceData,
    CampaignMetrics,
    CompetitorSignals,
    CreativeMetrics,
    HistoryData,
)
from domain.platform import CampaignSettings, CampaignSummary, SpendReport
from domain.portfolio.experiments import Experiment
from domain.recommendation import ActionParameters, ActionType


class ActionOutcome(BaseModel):
    """What a dry run would do, or what a write did."""

    applied: bool = Field(description="the change is in place (now or by an earlier write)")
    already_applied: bool = Field(
        default=False, description="an earlier write with the same idempotency key made it"
    )
    dry_run: bool = False
    before: dict = Field(default_factory=dict, description="the changed settings before")
    after: dict = Field(default_factory=dict, description="the changed settings after")
    message: str = ""
    executed_at: datetime | None = None
    manual_instructions: str | None = Field(
        default=None, description="set when the platform cannot perform the action"
    )

    @property
    def is_manual(self) -> bool:
        return self.manual_instructions is not None


def manual(message: str, instructions: str, *, dry_run: bool = False) -> ActionOutcome:
    """The platform cannot make this change: a person can, following the instructions."""
    return ActionOutcome(
        applied=False, dry_run=dry_run, message=message, manual_instructions=instructions
    )


@runtime_checkable
class AdPlatform(Protocol):
    """One ad platform (or one account of it). Every method raises ``PlatformError``."""

    name: str

    async def list_campaigns(self) -> list[CampaignSummary]: ...

    async def campaign_metrics(self, campaign_id: str, days: int) -> CampaignMetrics:
        """The last ``days`` reported days against the ``days`` before them."""
        ...

    async def creatives(self, campaign_id: str, days: int) -> list[CreativeMetrics]: ...

    async def audience(self, campaign_id: str, days: int) -> AudienceData: ...

    async def competitors(self, campaign_id: str, days: int) -> CompetitorSignals: ...

    async def history(self, campaign_id: str, days: int) -> HistoryData: ...

    async def settings(self, campaign_id: str) -> CampaignSettings: ...

    async def spend_report(self, campaign_id: str, since: date) -> SpendReport:
        """Spend per reported day from ``since``, what the platform knows of the campaign's
        plan, how far the figures reach and how fresh they are (the pacing monitor)."""
        ...

    async def dry_run(
        self, campaign_id: str, action: ActionType, parameters: ActionParameters
    ) -> ActionOutcome: ...

    async def apply(
        self,
        campaign_id: str,
        action: ActionType,
        parameters: ActionParameters,
        idempotency_key: str,
    ) -> ActionOutcome: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class ExperimentSource(Protocol):
    """An adapter whose platform lists the account's A/B tests (the simulator does; for the
    others the portfolio review reads imported experiments only)."""

    async def experiments(self) -> list[Experiment]: ...


# ----------------------------------------------------------------------------- request ids

_REQUEST_IDS: ContextVar[list[str] | None] = ContextVar("platform_request_ids", default=None)


@contextlib.contextmanager
def recording_request_ids() -> Iterator[list[str]]:
    """Collect the platform's id of every call made inside the block (for the audit).

    A context variable, so concurrent activities in one worker each see only their own calls;
    ``asyncio.to_thread`` copies the context, so calls made in threads are recorded too.
    """
    ids: list[str] = []
    token = _REQUEST_IDS.set(ids)
    try:
        yield ids
    finally:
        _REQUEST_IDS.reset(token)


def record_request_id(request_id: str | None) -> None:
    """Adapters call this with every request id a platform returns (success or failure)."""
    ids = _REQUEST_IDS.get()
    if ids is not None and request_id and request_id not in ids:
        ids.append(request_id)
