"""One change at a time per campaign: what the per-campaign change queue exchanges and decides.

An approved recommendation asks ``CampaignChangesWorkflow`` (one per campaign) to apply its plan.
The queue applies plans one after the other and answers each with a ``ChangeOutcome``. Before
applying, it refuses a plan whose approval went stale (``approval_expired``) or that comes
inside the cooldown after another change to the campaign (``cooldown_refusal``); the execution
activity then re-validates the plan against the campaign's current settings
(``domain.platform.premise_changes``). These rules are pure, so the workflow runs them inline.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.lifecycle import ExecutionResult
from domain.recommendation import ActionParameters, ActionType


class ChangeRequest(BaseModel):
    """An approved plan, sent by the recommendation workflow ``recommendation_id``."""

    recommendation_id: str
    campaign_id: str
    action: ActionType
    parameters: ActionParameters
    idempotency_key: str
    requested_by: str = Field(description="the reviewer who approved it")
    approved_at: datetime
    override_cooldown: bool = False
    cooldown: timedelta
    max_approval_age: timedelta


class ChangeVerdict(StrEnum):
    executed = "executed"  # applied on the platform (or it already had been: idempotent)
    superseded = "superseded"  # not applied: the premise changed or the cooldown refused it
    expired = "expired"  # not applied: the approval was too old when its turn came
    manual = "manual"  # not applied: the platform cannot do it; a person must
    failed = "failed"  # not applied: the platform refused the change or stayed unreachable


class ChangeOutcome(BaseModel):
    """The queue's answer to one ChangeRequest (signalled back to the requester)."""

    idempotency_key: str
    verdict: ChangeVerdict
    reason: str = ""
    execution: ExecutionResult | None = None
    error_type: str | None = None


class LastChange(BaseModel):
    """The most recent change applied to a campaign: what the cooldown counts from."""

    recommendation_id: str
    action: ActionType
    at: datetime
    # How long the queue remembers it (the cooldown its own request carried); a change read
    # back from the store needs no remembering, the store has it.
    cooldown: timedelta = timedelta(0)


class CampaignChangesInput(BaseModel):
    """Start (and continue-as-new) arguments of CampaignChangesWorkflow."""

    campaign_id: str
    last_change: LastChange | None = None
    # Seeded from our store on the first run; carried over on continue-as-new.
    seeded: bool = False
    pending: list[ChangeRequest] = Field(default_factory=list)
    answered_keys: list[str] = Field(
        default_factory=list, description="idempotency keys already answered (newest last)"
    )


def cooldown_refusal(
    last: LastChange | None,
    recommendation_id: str,
    cooldown: timedelta,
    now: datetime,
    *,
    override: bool = False,
) -> str | None:
    """Why a change by ``recommendation_id`` may not be applied now (None: it may).

    Two changes in quick succession on one campaign stack up (two +16 % bid raises make +34 %,
    past what either reviewer approved) and make both outcomes unmeasurable, so a second change
    inside the cooldown needs a reviewer's explicit override.
    """
    if last is None or override or last.recommendation_id == recommendation_id:
        return None
    until = last.at + cooldown
    if now >= until:
        return None
    return (
        f"campaign changed by {last.recommendation_id} ({last.action.value}) at "
        f"{last.at:%Y-%m-%d %H:%M} UTC; no other change until {until:%Y-%m-%d %H:%M} UTC "
        "(cooldown) unless a reviewer overrides it"
    )


def approval_expired(request: ChangeRequest, now: datetime) -> str | None:
    """Why an approval is too old to act on when its turn comes (None: it is fresh enough)."""
    age = now - request.approved_at
    if age <= request.max_approval_age:
        return None
    hours = request.max_approval_age.total_seconds() / 3600
    return (
        f"approved {age.total_seconds() / 3600:.1f} h before its execution could start, more "
        f"than the {hours:g} h an approval stays valid; analyse the campaign again"
    )
