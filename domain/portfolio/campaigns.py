"""Each campaign against its target KPI, and the risk signals the account shows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from domain.portfolio.model import (
    Band,
    CampaignAnalysis,
    CampaignSnapshot,
    CampaignTarget,
    PortfolioPolicy,
    RiskSignal,
    Severity,
    TargetKpi,
)

# Lower is better for these; attainment is target / actual.
_LOWER_IS_BETTER = {TargetKpi.cpa}


def analyse_campaign(snapshot: CampaignSnapshot, policy: PortfolioPolicy) -> CampaignAnalysis:
    m = snapshot.metrics
    value = policy.value_of(snapshot.campaign_id)
    target, source = _target(snapshot, policy)
    kpi = target.kpi if target else _set_kpi(snapshot, policy)
    if m is None:
        return CampaignAnalysis(
            campaign_id=snapshot.campaign_id,
            campaign_name=snapshot.campaign_name,
            platform=snapshot.platform,
            status=snapshot.status,
            kpi=kpi,
            target=target.target if target else None,
            target_source=source,
            actual=None,
            attainment=None,
            band=Band.unknown,
            spend=0.0,
            conversions=0.0,
            clicks=0,
            cpa=None,
            daily_budget=None,
            estimated_value=None,
            note="no metrics: " + "; ".join(snapshot.problems.values()),
        )
    actual = _actual(kpi, snapshot, value)
    attainment = _attainment(kpi, actual, target.target if target else None, m.spend)
    return CampaignAnalysis(
        campaign_id=snapshot.campaign_id,
        campaign_name=snapshot.campaign_name,
        platform=snapshot.platform,
        status=snapshot.status,
        kpi=kpi,
        target=target.target if target else None,
        target_source=source,
        actual=actual,
        attainment=attainment,
        band=band_of(attainment, policy),
        spend=m.spend,
        conversions=m.conversions,
        clicks=m.clicks,
        cpa=m.cpa,
        daily_budget=m.daily_budget,
        estimated_value=None if value is None else m.conversions * value,
        note=_note(kpi, actual, m.spend),
    )


def band_of(attainment: float | None, policy: PortfolioPolicy) -> Band:
    if attainment is None:
        return Band.unknown
    if attainment > policy.exceeding_ratio:
        return Band.exceeding
    if attainment < policy.below_ratio:
        return Band.below
    return Band.meeting


def _set_kpi(snapshot: CampaignSnapshot, policy: PortfolioPolicy) -> TargetKpi:
    chosen = policy.campaign_targets.get(snapshot.campaign_id)
    return chosen.kpi if chosen else TargetKpi.cpa


def _target(
    snapshot: CampaignSnapshot, policy: PortfolioPolicy
) -> tuple[CampaignTarget | None, str]:
    """The campaign's own target, else the account's CPA target, else its baseline CPA."""
    if snapshot.campaign_id in policy.campaign_targets:
        return policy.campaign_targets[snapshot.campaign_id], "set for the campaign"
    if policy.account_target_cpa is not None:
        return CampaignTarget(target=policy.account_target_cpa), "the account's target CPA"
    baseline = snapshot.history.baseline_cpa if snapshot.history else None
    if baseline:
        return (
            CampaignTarget(target=baseline),
            "none set: the campaign's baseline CPA (the platform's history before this window)",
        )
    return None, "none set and no baseline"


def _actual(kpi: TargetKpi, snapshot: CampaignSnapshot, value: float | None) -> float | None:
    m = snapshot.metrics
    assert m is not None
    if kpi is TargetKpi.cpa:
        return m.cpa
    if kpi is TargetKpi.roas:
        return None if value is None or not m.spend else m.conversions * value / m.spend
    if kpi is TargetKpi.conversions:
        return m.conversions
    if kpi is TargetKpi.conversion_rate:
        return m.conversion_rate
    return m.ctr


def _attainment(
    kpi: TargetKpi, actual: float | None, target: float | None, spend: float
) -> float | None:
    if target is None:
        return None
    if actual is None:
        # A CPA without a conversion: money spent and nothing bought is as far below as it gets.
        return 0.0 if kpi is TargetKpi.cpa and spend > 0 else None
    if kpi in _LOWER_IS_BETTER:
        return target / actual if actual > 0 else None
    return actual / target


def _note(kpi: TargetKpi, actual: float | None, spend: float) -> str:
    if kpi is TargetKpi.cpa and actual is None and spend > 0:
        return "spend without a single conversion"
    return ""


# ----------------------------------------------------------------------------- risks


def risk_signals(
    snapshot: CampaignSnapshot, policy: PortfolioPolicy, today: date
) -> list[RiskSignal]:
    """Zero conversions with spend, spend spikes, tracking and data-quality gaps."""
    found: list[RiskSignal] = []

    def add(kind: str, severity: Severity, detail: str, value: float | None = None) -> None:
        found.append(
            RiskSignal(
                campaign_id=snapshot.campaign_id,
                campaign_name=snapshot.campaign_name,
                kind=kind,
                severity=severity,
                detail=detail,
                value=value,
            )
        )

    m = snapshot.metrics
    if m is None:
        why = "; ".join(snapshot.problems.values()) or "no answer"
        add("no_data", Severity.critical, f"no metrics could be read: {why}")
        return found
    if m.spend > 0 and m.conversions == 0:
        enough = m.clicks >= policy.zero_conversion_min_clicks
        add(
            "zero_conversions",
            Severity.critical if enough else Severity.warning,
            f"${m.spend:,.2f} spent on {m.clicks:,} clicks without a conversion"
            + ("" if enough else f" (fewer than {policy.zero_conversion_min_clicks} clicks)"),
            m.spend,
        )
    change = m.spend_change_pct
    if change is not None and change > policy.spend_spike_pct:
        critical = change > policy.spend_spike_critical_pct
        add(
            "spend_spike",
            Severity.critical if critical else Severity.warning,
            f"spend up {change:+.1f} % on the previous period",
            change,
        )
    _history_gaps(snapshot, add)
    if m.conversions > m.clicks > 0:
        add(
            "tracking_gap",
            Severity.warning,
            f"{m.conversions:,.0f} conversions on {m.clicks:,} clicks: view-through attribution "
            "or double counting",
        )
    age = (today - m.period_end).days
    if age > policy.stale_after_days:
        add(
            "stale_data",
            Severity.warning,
            f"the platform's last reported day is {m.period_end}, {age} days ago",
            float(age),
        )
    for source, why in snapshot.problems.items():
        add("data_gap", Severity.info, f"{source} unavailable: {why}")
    if snapshot.status.lower() == "paused":
        # What it spent before the pause is history, not a risk to act on any more.
        found = [
            r.model_copy(
                update={
                    "severity": Severity.info,
                    "detail": r.detail + " (the campaign is paused now)",
                }
            )
            if r.kind in ("zero_conversions", "tracking_gap", "spend_spike")
            else r
            for r in found
        ]
    return found


def _history_gaps(snapshot: CampaignSnapshot, add: Callable[..., None]) -> None:
    """Days inside the window that are missing, spend without delivery, overspent days, and
    conversions that stopped (tracking broken while spend goes on)."""
    m, history = snapshot.metrics, snapshot.history
    if history is None or m is None:
        return
    window = [p for p in history.daily if m.period_start <= p.date <= m.period_end]
    present = {p.date for p in window}
    expected = (m.period_end - m.period_start).days + 1
    missing = [
        m.period_start + timedelta(days=i)
        for i in range(expected)
        if m.period_start + timedelta(days=i) not in present
    ]
    if missing:
        add(
            "data_gap",
            Severity.warning,
            f"{len(missing)} day(s) missing from the daily report: "
            + ", ".join(d.isoformat() for d in missing[:5]),
            float(len(missing)),
        )
    blank = [p.date for p in window if p.spend > 0 and p.impressions == 0 and p.clicks == 0]
    if blank:
        add(
            "data_gap",
            Severity.warning,
            f"{len(blank)} day(s) with spend but no delivery figures: "
            + ", ".join(d.isoformat() for d in blank[:5]),
            float(len(blank)),
        )
    if m.daily_budget > 0:
        overspent = [p for p in window if p.spend > 2 * m.daily_budget]
        if overspent:
            add(
                "spend_spike",
                Severity.warning,
                f"{len(overspent)} day(s) spent more than twice the "
                f"${m.daily_budget:,.2f} daily budget",
                float(len(overspent)),
            )
    ordered = sorted(history.daily, key=lambda p: p.date)
    trailing = 0
    for point in reversed(ordered):
        if point.spend > 0 and point.conversions == 0:
            trailing += 1
        else:
            break
    converted_before = any(p.conversions > 0 for p in ordered[: len(ordered) - trailing])
    if trailing >= 2 and converted_before:
        add(
            "tracking_gap",
            Severity.critical,
            f"conversions stopped {trailing} days ago while spend goes on: tracking may be broken",
            float(trailing),
        )
