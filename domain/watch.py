"""The KPI watch's reasoning, pure: which campaigns moved, and which of those to analyse now.

A campaign moved when one of its KPIs changed for the worse by at least the significant-change
threshold over the last week against the week before (critical at the critical threshold), when
its CPA has risen for ``trend_days`` days in a row, or when it spends without converting.
A campaign that moved is analysed unless a recommendation for it is still open (analysing,
pending review, approved and queued) or it was changed inside the change cooldown: a second
analysis would only repeat the first, and a change is measured on its own before the next.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.changes import LastChange
from domain.context import CampaignMetrics
from domain.thresholds import SignalThresholds

# KPI (CampaignMetrics field) -> the direction that is worse for the advertiser.
WORSE_WHEN = {
    "cpa_change_pct": +1,
    "ctr_change_pct": -1,
    "cpm_change_pct": +1,
    "impression_share_change_pct": -1,
}
KPI_NAMES = {
    "cpa_change_pct": "CPA",
    "ctr_change_pct": "CTR",
    "cpm_change_pct": "CPM",
    "impression_share_change_pct": "impression share",
}
METRICS_DAYS = 7


class KpiMove(BaseModel):
    kpi: str
    change_pct: float | None = None
    critical: bool = False
    detail: str


class WatchVerdict(StrEnum):
    started = "started"  # a recommendation run was started
    no_move = "no_move"
    pending = "pending"  # an open recommendation exists
    cooling_down = "cooling_down"  # changed inside the cooldown
    inactive = "inactive"  # paused on the platform
    unavailable = "unavailable"  # the platform gave no metrics
    deferred = "deferred"  # moved, but over the pass's limit of analyses: the next pass
    failed = "failed"  # moved, but the analysis could not be started


class OpenRecommendation(BaseModel):
    recommendation_id: str
    status: str


class CampaignWatch(BaseModel):
    """One campaign in one watch pass: what moved and what the watch did about it."""

    campaign_id: str
    campaign_name: str = ""
    verdict: WatchVerdict
    reason: str
    moves: list[KpiMove] = Field(default_factory=list)
    recommendation_id: str | None = None

    @property
    def should_start(self) -> bool:
        return self.verdict is WatchVerdict.started


class WatchSummary(BaseModel):
    """What one pass looked at and why it started or skipped each campaign."""

    pass_id: str
    started_at: datetime
    finished_at: datetime | None = None
    campaigns: list[CampaignWatch] = Field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = {verdict.value: 0 for verdict in WatchVerdict}
        for campaign in self.campaigns:
            counts[campaign.verdict.value] += 1
        return counts


def kpi_moves(metrics: CampaignMetrics, thresholds: SignalThresholds) -> list[KpiMove]:
    """Each KPI that moved the wrong way by at least the significant change, worst first."""
    moves = []
    for field, worse in WORSE_WHEN.items():
        change = getattr(metrics, field)
        if change is None or change * worse < thresholds.significant_change_pct:
            continue
        critical = change * worse >= thresholds.critical_change_pct
        moves.append(
            KpiMove(
                kpi=KPI_NAMES[field],
                change_pct=change,
                critical=critical,
                detail=f"{KPI_NAMES[field]} {change:+.1f} % week on week"
                + (" (critical)" if critical else ""),
            )
        )
    if metrics.cpa_trend_days >= thresholds.trend_days:
        moves.append(
            KpiMove(
                kpi="CPA trend",
                detail=f"CPA rose {metrics.cpa_trend_days} days in a row",
            )
        )
    if metrics.conversions == 0 and metrics.clicks >= thresholds.zero_conversion_min_clicks:
        moves.append(
            KpiMove(
                kpi="conversions",
                critical=True,
                detail=f"no conversion from {metrics.clicks} clicks and {metrics.spend:,.2f} spend",
            )
        )
    return sorted(moves, key=lambda m: (not m.critical, -abs(m.change_pct or 0)))


def watch_verdict(
    campaign_id: str,
    campaign_name: str,
    moves: list[KpiMove],
    *,
    open_recommendation: OpenRecommendation | None,
    last_change: LastChange | None,
    cooldown: timedelta,
    now: datetime,
) -> CampaignWatch:
    """Start an analysis of a campaign that moved, unless one is open or it is cooling down."""

    def verdict(kind: WatchVerdict, reason: str) -> CampaignWatch:
        return CampaignWatch(
            campaign_id=campaign_id,
            campaign_name=campaign_name,
            verdict=kind,
            reason=reason,
            moves=moves,
            recommendation_id=open_recommendation.recommendation_id
            if kind is WatchVerdict.pending and open_recommendation
            else None,
        )

    if not moves:
        return verdict(WatchVerdict.no_move, "no KPI moved beyond the thresholds")
    if open_recommendation is not None:
        return verdict(
            WatchVerdict.pending,
            f"recommendation {open_recommendation.recommendation_id} is "
            f"{open_recommendation.status.replace('_', ' ')}",
        )
    if last_change is not None and now < last_change.at + cooldown:
        until = last_change.at + cooldown
        return verdict(
            WatchVerdict.cooling_down,
            f"changed by {last_change.recommendation_id} ({last_change.action.value}) at "
            f"{last_change.at:%Y-%m-%d %H:%M} UTC; cooling down until {until:%Y-%m-%d %H:%M} UTC",
        )
    return verdict(WatchVerdict.started, "; ".join(move.detail for move in moves))
