"""What the console's forms and query strings may say, checked before anything is done."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData

from api.schemas import ID_PATTERN, MAX_CAMPAIGN_ID_LENGTH
from domain.lifecycle import DecisionKind, RecommendationStatus
from domain.recommendation import ActionType
from store.repository import ReviewOrder

MAX_FEEDBACK = 4000  # as the API's DecisionRequest
REANALYZE = "reanalyze"
_ID_RE = re.compile(ID_PATTERN)


class FilterError(ValueError):
    """An inbox query string the inbox cannot apply; the message says why."""


@dataclass(frozen=True)
class InboxFilters:
    status: RecommendationStatus | None
    campaign: str
    action: str
    order: ReviewOrder
    page: int

    @classmethod
    def parse(cls, query: Any) -> InboxFilters:
        raw_status = query.get("status") or RecommendationStatus.pending_review.value
        try:
            status = None if raw_status == "all" else RecommendationStatus(raw_status)
        except ValueError:
            raise FilterError(f"unknown status {raw_status!r}") from None
        campaign = (query.get("campaign") or "").strip()
        if campaign and not valid_id(campaign, MAX_CAMPAIGN_ID_LENGTH):
            raise FilterError("a campaign id has only letters, digits and . _ : -")
        action = query.get("action") or ""
        if action and action not in {a.value for a in ActionType}:
            raise FilterError(f"unknown action {action!r}")
        default_order = "deadline" if status is RecommendationStatus.pending_review else "newest"
        try:
            order = ReviewOrder(query.get("sort") or default_order)
        except ValueError:
            raise FilterError("sort by deadline or newest") from None
        page = query.get("page") or "1"
        if not page.isdigit() or not 1 <= int(page) <= 10_000:
            raise FilterError("the page is a number from 1")
        return cls(status, campaign, action, order, int(page))

    @property
    def status_value(self) -> str:
        return self.status.value if self.status else "all"

    def link(self, page: int) -> str:
        query = {
            "status": self.status_value,
            "campaign": self.campaign,
            "action": self.action,
            "sort": self.order.value,
            "page": str(page),
        }
        return "?" + urlencode({key: value for key, value in query.items() if value})


@dataclass(frozen=True)
class DecisionForm:
    choice: str
    revision: int
    feedback: str
    override_cooldown: bool
    seen_status: str | None
    opened_at: datetime | None
    problem: str = ""

    @classmethod
    def parse(cls, form: FormData) -> DecisionForm:
        choice = str(form.get("decision") or "")
        revision = str(form.get("revision") or "")
        feedback = str(form.get("feedback") or "").strip()
        problem = ""
        if choice not in (DecisionKind.approved.value, DecisionKind.rejected.value, REANALYZE):
            problem = "Choose approve, reject or reanalysis."
        elif not revision.isdigit():
            problem = "The form did not say which revision it decides; reload the page."
        elif len(feedback) > MAX_FEEDBACK:
            problem = f"Feedback is limited to {MAX_FEEDBACK} characters ({len(feedback)} sent)."
        elif choice == REANALYZE and not feedback:
            problem = "Say what the reanalysis should take into account (feedback is required)."
        return cls(
            choice=choice,
            revision=int(revision) if revision.isdigit() else 0,
            feedback=feedback,
            override_cooldown=form.get("override_cooldown") == "on",
            seen_status=str(form.get("status") or "") or None,
            opened_at=parse_time(form.get("opened_at")),
            problem=problem,
        )

    @property
    def verb(self) -> str:
        return {"approved": "approval", "rejected": "rejection"}.get(
            self.choice, "reanalysis request"
        )


def valid_id(value: str, max_length: int) -> bool:
    return 0 < len(value) <= max_length and _ID_RE.match(value) is not None


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
