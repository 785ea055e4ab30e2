"""Names of the workflows' types, updates, signals and queries: the contract with the API, the
Temporal UI/CLI and between the two workflows (docs/ARCHITECTURE.md, "Workflows")."""

from __future__ import annotations

RECOMMENDATION_WORKFLOW = "RecommendationWorkflow"
# Updates (a refusal is an error answered to the caller, never a silent no-op).
DECIDE = "decide"
REANALYZE = "reanalyze"
# Query.
STATE = "state"
# Signals of runs started before decisions became updates (see RecommendationWorkflow).
LEGACY_DECISION_SIGNAL = "submit_decision"
LEGACY_REANALYSIS_SIGNAL = "request_reanalysis"
# The campaign's change queue answers a queued plan with this signal (workflow to workflow).
CHANGE_OUTCOME = "change_outcome"

CAMPAIGN_CHANGES_WORKFLOW = "CampaignChangesWorkflow"
SUBMIT_CHANGE = "submit_change"  # signal (signal-with-start by submit_campaign_change)
CHANGES_QUERY = "changes"


def campaign_changes_id(campaign_id: str) -> str:
    """Workflow id of a campaign's change queue: one per campaign, findable in the UI."""
    return f"campaign-changes-{campaign_id}"


PORTFOLIO_REVIEW_WORKFLOW = "PortfolioReviewWorkflow"
PORTFOLIO_STATUS_QUERY = "status"


def portfolio_review_id(suffix: str) -> str:
    """Workflow id (= review id) of an on-demand portfolio review."""
    return f"portfolio-review-{suffix}"


# Always watching (issue 10): the scheduled passes, a pacing halt (a requester of the change
# queue, like a recommendation), and one workflow per notification.
KPI_WATCH_WORKFLOW = "KpiWatchWorkflow"
PACING_MONITOR_WORKFLOW = "PacingMonitorWorkflow"
PACING_HALT_WORKFLOW = "PacingHaltWorkflow"
NOTIFICATION_WORKFLOW = "NotificationWorkflow"


def notification_id(key: str) -> str:
    """One delivery workflow per event key: a second start of the same event is refused."""
    return f"notify-{key}"


def pacing_halt_id(campaign_id: str, day: str) -> str:
    """At most one halt of a campaign per day, however many passes see it critical."""
    return f"pacing-halt-{campaign_id}-{day}"
