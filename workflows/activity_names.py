"""Activity names: the contract between RecommendationWorkflow, the real activities and test
doubles (docs/ARCHITECTURE.md, "Activities"). Plain strings so the workflow never imports I/O code.
"""

from __future__ import annotations

COLLECT_CAMPAIGN = "collect_campaign"
COLLECT_CREATIVES = "collect_creatives"
COLLECT_COMPETITORS = "collect_competitors"
COLLECT_AUDIENCE = "collect_audience"
COLLECT_HISTORY = "collect_history"
# Campaign metrics over an explicit window, for the outcome's before/after snapshots.
MEASURE_CAMPAIGN = "measure_campaign"

ANALYZE_SIGNALS = "analyze_signals"
GENERATE_RECOMMENDATION = "generate_recommendation"
CRITIQUE_RECOMMENDATION = "critique_recommendation"

SYNC_STATE = "sync_state"
RECORD_AUDIT_EVENT = "record_audit_event"
# The state and its audit entries in one activity and one transaction (FOLDED_PERSISTENCE).
SAVE_STATE = "save_state"

EXECUTE_ACTION = "execute_action"

# The per-campaign change queue (workflows.campaign_changes): queue an approved plan (signal-
# with-start of the campaign's queue workflow), and the campaign's last applied change.
SUBMIT_CAMPAIGN_CHANGE = "submit_campaign_change"
LAST_CAMPAIGN_CHANGE = "last_campaign_change"

# The portfolio review (workflows.portfolio_review): its status in our store, the review itself
# (read the ad platform and our store, analyse, render and store the report), and the optional
# LLM executive summary (draft one attempt, checked against the review; attach it or a note).
SAVE_PORTFOLIO_STATUS = "save_portfolio_status"
RUN_PORTFOLIO_REVIEW = "run_portfolio_review"
DRAFT_PORTFOLIO_SUMMARY = "draft_portfolio_summary"
ATTACH_PORTFOLIO_SUMMARY = "attach_portfolio_summary"
PORTFOLIO_ACTIVITY_NAMES = frozenset(
    {
        SAVE_PORTFOLIO_STATUS,
        RUN_PORTFOLIO_REVIEW,
        DRAFT_PORTFOLIO_SUMMARY,
        ATTACH_PORTFOLIO_SUMMARY,
    }
)
# Notifications (workflows.notifications): deliver one to every target once; start the
# delivery workflows of a batch (delayed ones too) without waiting for them.
DELIVER_NOTIFICATION = "deliver_notification"
QUEUE_NOTIFICATIONS = "queue_notifications"

# The KPI watch (workflows.watch).
LIST_WATCH_CAMPAIGNS = "list_watch_campaigns"
ASSESS_KPI_MOVES = "assess_kpi_moves"
START_WATCH_ANALYSIS = "start_watch_analysis"
SAVE_WATCH_PASS = "save_watch_pass"

# The spend-pacing monitor (workflows.pacing).
BEGIN_PACING_PASS = "begin_pacing_pass"
ASSESS_PACING = "assess_pacing"
FINISH_PACING_PASS = "finish_pacing_pass"
START_PACING_HALTS = "start_pacing_halts"
RECORD_HALT_OUTCOME = "record_halt_outcome"

# Optional context sources: context field name -> collector activity name.
OPTIONAL_COLLECTORS: dict[str, str] = {
    "creatives": COLLECT_CREATIVES,
    "competitors": COLLECT_COMPETITORS,
    "audience": COLLECT_AUDIENCE,
    "history": COLLECT_HISTORY,
}

ALL_ACTIVITY_NAMES = frozenset(
    {
        COLLECT_CAMPAIGN,
        *OPTIONAL_COLLECTORS.values(),
        MEASURE_CAMPAIGN,
        ANALYZE_SIGNALS,
        GENERATE_RECOMMENDATION,
        CRITIQUE_RECOMMENDATION,
        SYNC_STATE,
        RECORD_AUDIT_EVENT,
        SAVE_STATE,
        EXECUTE_ACTION,
        SUBMIT_CAMPAIGN_CHANGE,
        LAST_CAMPAIGN_CHANGE,
        *PORTFOLIO_ACTIVITY_NAMES,
        DELIVER_NOTIFICATION,
        QUEUE_NOTIFICATIONS,
        LIST_WATCH_CAMPAIGNS,
        ASSESS_KPI_MOVES,
        START_WATCH_ANALYSIS,
        SAVE_WATCH_PASS,
        BEGIN_PACING_PASS,
        ASSESS_PACING,
        FINISH_PACING_PASS,
        START_PACING_HALTS,
        RECORD_HALT_OUTCOME,
    }
)

# Error types raised by activities that the workflow reacts to.
CAMPAIGN_NOT_FOUND = "CampaignNotFound"
MISSING_METRICS = "MissingMetrics"
ACTION_REJECTED = "ActionRejected"
