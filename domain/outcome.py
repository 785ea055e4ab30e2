"""Outcome judging: did the executed recommendation move its metric as expected?

The rule (also what the outcome-labelled eval dataset is built on):
- Campaign Pause: success when spend stopped, i.e. spend after is 0 or at most 1 % of before.
- Continue Monitoring: success when CPA did not worsen by more than the significant change
  threshold (10 % by default). No conversions after a period with conversions counts as worse.
- Every other action: success when the expected-impact metric moved in the expected direction
  by at least half the expected magnitude (expected -15 % CPA needs at least -7.5 %). An expected
  change of 0 succeeds when the metric stayed within the significant threshold.
- Missing or zero values never divide: from 0 (or no value) to a positive value counts as "up"
  with no percentage; a CPA that disappears because conversions stopped counts as "worse";
  no value on either side is not measurable and is not a success.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from domain.context import CampaignMetrics
from domain.lifecycle import Outcome
from domain.recommendation import ActionType, Recommendation
from domain.stats import pct_change
from domain.thresholds import SignalThresholds

# Spend "stopped" when what is left is no more than this share of the spend before.
_PAUSE_RESIDUAL_SHARE = 0.01


class ImpactMetric(StrEnum):
    """The metrics an expected impact can name and outcome judging can measure: the
    ``CampaignMetrics`` fields of the same names (an LLM's answer must use one of these)."""

    cpa = "cpa"
    ctr = "ctr"
    cpm = "cpm"
    conversions = "conversions"
    conversion_rate = "conversion_rate"
    impression_share = "impression_share"
    spend = "spend"
    clicks = "clicks"
    impressions = "impressions"


# Other spellings of the measurable metrics (after lower-casing, dropping parentheses and
# punctuation): "CPA (cost per acquisition)", "Cost per conversion", "click-through rate" ...
_ALIASES = {
    "cost per acquisition": "cpa",
    "cost per action": "cpa",
    "cost per conversion": "cpa",
    "cost per thousand": "cpm",
    "cost per thousand impressions": "cpm",
    "cost per mille": "cpm",
    "click through rate": "ctr",
    "clickthrough rate": "ctr",
    "conversion rate": "conversion_rate",
    "cvr": "conversion_rate",
    "conversion": "conversions",
    "impression share": "impression_share",
    "search impression share": "impression_share",
    "ad spend": "spend",
    "daily spend": "spend",
    "click": "clicks",
    "impression": "impressions",
}
_MONEY = {"cpa", "cpm", "spend"}
_PERCENT = {"ctr", "conversion_rate"}


def metric_name(metric: str) -> str:
    """The one normalisation of an expected-impact metric name, used by outcome judging and the
    critique: an ``ImpactMetric`` value when the name denotes one ("CPA (cost per
    acquisition)" -> "cpa", "Impression Share" -> "impression_share"), else the name cleaned
    up (lower case, underscores), which is not measurable ("ROAS" -> "roas")."""
    name = re.sub(r"\([^)]*\)", " ", metric.lower())  # "cpa (cost per acquisition)" -> "cpa"
    name = " ".join(re.sub(r"[^a-z0-9_]+", " ", name).split())
    name = _ALIASES.get(name, name).replace(" ", "_")
    if name not in _MEASURABLE:
        bracketed = re.findall(r"\(([^)]*)\)", metric)  # "cost per acquisition (CPA)"
        for inner in bracketed:
            candidate = metric_name(inner)
            if candidate in _MEASURABLE:
                return candidate
    return name


_MEASURABLE = frozenset(m.value for m in ImpactMetric)


def is_measurable(metric: str) -> bool:
    """Whether outcome judging can measure ``metric`` (any spelling ``metric_name`` knows)."""
    return metric_name(metric) in _MEASURABLE


def _value(metrics: CampaignMetrics, metric: str) -> float | None:
    if metric not in _MEASURABLE:
        return None
    value = getattr(metrics, metric, None)
    return float(value) if isinstance(value, int | float) else None


def _fmt(metric: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    if metric in _MONEY:
        return f"${value:,.2f}"
    if metric in _PERCENT:
        return f"{value:.2f} %"
    if metric == "impression_share":
        return f"{value * 100:.0f} %"
    return f"{value:,.0f}"


def _change(before: float | None, after: float | None) -> float | None:
    """Percentage change, rounded so a boundary case (exactly +10 %) is not lost to floats."""
    change = pct_change(before, after)
    return None if change is None else round(change, 6)


def _cpa_lost(metric: str, before: float | None, after_metrics: CampaignMetrics) -> bool:
    """CPA vanished because conversions stopped while money was still spent: worse, not unknown."""
    return (
        metric == "cpa"
        and before is not None
        and after_metrics.conversions == 0
        and after_metrics.spend > 0
    )


def _verdict(metric: str, before: float | None, after: float | None, after_metrics, expected, sig):
    """(success, actual_change_pct, how it moved) for a non-pause, non-monitoring action."""
    change = _change(before, after)
    if change is not None:
        if expected == 0:
            return abs(change) <= sig, change, "changed"
        moved_right = (change > 0) == (expected > 0) and change != 0
        return moved_right and abs(change) >= abs(expected) / 2, change, "changed"
    if _cpa_lost(metric, before, after_metrics):
        return False, None, "lost (no conversions after)"
    if not before and after:
        return expected > 0, None, "rose from nothing"
    return False, None, "not measurable"


def _judge_pause(before: CampaignMetrics, after: CampaignMetrics) -> tuple[bool, str]:
    stopped = after.spend == 0 or (
        before.spend > 0 and after.spend <= _PAUSE_RESIDUAL_SHARE * before.spend
    )
    state = "stopped" if stopped else "continued"
    return stopped, f"spend {state}: ${before.spend:,.2f} before, ${after.spend:,.2f} after"


def _judge_monitoring(
    before: CampaignMetrics, after: CampaignMetrics, sig: float
) -> tuple[bool, float | None, str]:
    change = _change(before.cpa, after.cpa)
    if change is not None:
        held = change <= sig
        verb = "held" if held else "worsened"
        return held, change, f"CPA {verb} ({change:+.1f} %, limit +{sig:g} %)"
    if _cpa_lost("cpa", before.cpa, after):
        return False, None, "CPA worsened: no conversions after while still spending"
    if before.cpa is None and after.cpa is not None:
        return True, None, "CPA improved: conversions resumed"
    return False, None, "CPA not measurable (no conversions before or after)"


def judge_outcome(
    recommendation: Recommendation,
    before: CampaignMetrics,
    after: CampaignMetrics,
    now: datetime,
    thresholds: SignalThresholds | None = None,
) -> Outcome:
    """Compare the metrics at decision time with those after the outcome delay."""
    sig = (thresholds or SignalThresholds()).significant_change_pct
    action = recommendation.recommended_action
    expected = recommendation.expected_impact.change_pct
    if action is ActionType.campaign_pause:
        metric = "spend"
        success, detail = _judge_pause(before, after)
        change = pct_change(before.spend, after.spend)
    elif action is ActionType.continue_monitoring:
        metric = "cpa"
        success, change, detail = _judge_monitoring(before, after, sig)
    else:
        metric = metric_name(recommendation.expected_impact.metric)
        b, a = _value(before, metric), _value(after, metric)
        success, change, how = _verdict(metric, b, a, after, expected, sig)
        needed = f", needed {expected / 2:+.1f} %" if expected else ""
        detail = (
            f"{metric} {how}: {_fmt(metric, b)} -> {_fmt(metric, a)} "
            f"(expected {expected:+.1f} %{needed})"
        )
    verdict = "success" if success else "failure"
    return Outcome(
        campaign_id=recommendation.campaign_id,
        metric=metric,
        before_value=_value(before, metric),
        after_value=_value(after, metric),
        actual_change_pct=None if change is None else round(change, 2),
        expected_change_pct=expected,
        success=success,
        summary=f"{action.value}: {verdict}: {detail}",
        measured_at=now,
    )
