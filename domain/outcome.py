"""Outcome judging: did the executed recommendation move its metric as expected?

With the daily history (what the workflow collects at outcome time since the
``outcome-forecast`` patch), the after-window is compared with what would have happened anyway:
a no-action forecast of each daily count from the days before the window (log-linear trend and
weekday pattern, ``domain.forecast``), and a significance test on the counts behind the metric
(quasi-Poisson: conversions for CPA and conversion rate, clicks for CTR, impressions for CPM).

- An action other than a pause or monitoring: **success** when its metric moved the expected way
  against the forecast and the move is significant (p < 0.05); **failure** when it moved
  significantly the wrong way; **inconclusive** when the data cannot tell.
- Continue Monitoring: **failure** when CPA came out significantly worse than forecast by more
  than the significant-change threshold, **success** otherwise, inconclusive without conversions.
- Campaign Pause: **success** only if the spend it stopped was wasted: the days before it
  recorded no conversions where the earlier conversion rate expected some (significantly), or a
  CPA significantly above the critical threshold over the earlier baseline. Paused spend that
  was converting at a normal CPA is a **failure**; spend that did not stop is a failure.
  ``success`` is true only for a success verdict.

Without the history (runs started before the patch), the before/after rule below applies, as
it did (also what the outcome-labelled eval dataset is built on):
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

import math
import re
from datetime import datetime
from enum import StrEnum

from domain.context import CampaignMetrics, DailyPoint, HistoryData
from domain.forecast import CountTest, count_test, forecast
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
    history: HistoryData | None = None,
) -> Outcome:
    """Compare the after-window with the no-action forecast from `history` (its last days are
    the window `after` covers), or, without history, with the metrics at decision time.

    The two snapshots go with the outcome: the store keeps them, and the portfolio review's
    budget optimiser reads the after-window's spend and conversions as a delayed reward."""
    outcome = _judge(recommendation, before, after, now, thresholds, history)
    return outcome.model_copy(update={"before_metrics": before, "after_metrics": after})


def _judge(
    recommendation: Recommendation,
    before: CampaignMetrics,
    after: CampaignMetrics,
    now: datetime,
    thresholds: SignalThresholds | None,
    history: HistoryData | None,
) -> Outcome:
    if history is not None:
        window = (after.period_end - after.period_start).days + 1
        judged = judge_against_forecast(
            recommendation, after, history.daily, window, now, thresholds or SignalThresholds()
        )
        if judged is not None:
            return judged
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


# --------------------------------------------------------------------------- the forecast path

SIGNIFICANCE = 0.05
# The metric's counts: (numerator, denominator) of the daily points; the test is on the
# numerator's count given the denominator (e.g. conversions given spend for CPA).
_COUNTS: dict[str, tuple[str, str | None]] = {
    "conversions": ("conversions", None),
    "clicks": ("clicks", None),
    "impressions": ("impressions", None),
    "spend": ("spend", None),
    "cpa": ("conversions", "spend"),
    "conversion_rate": ("conversions", "clicks"),
    "ctr": ("clicks", "impressions"),
    "cpm": ("impressions", "spend"),
}
# Metrics whose value falls when their tested count rises (CPA = spend / conversions).
_INVERSE = {"cpa", "cpm"}


def _split(daily: list[DailyPoint], window: int) -> tuple[list[DailyPoint], list[DailyPoint]]:
    ordered = sorted(daily, key=lambda p: p.date)
    return ordered[:-window], ordered[-window:]


def _expected_count(
    pre: list[DailyPoint], post: list[DailyPoint], numerator: str, denominator: str | None
) -> tuple[float, float, float]:
    """(observed, expected, dispersion) of the numerator over the window, under no action."""
    days = [p.date for p in pre]
    window = [p.date for p in post]
    fitted = forecast(days, [getattr(p, numerator) for p in pre], window)
    observed = sum(getattr(p, numerator) for p in post)
    if denominator is None:
        return observed, fitted.total, fitted.dispersion
    base = forecast(days, [getattr(p, denominator) for p in pre], window)
    rate = fitted.total / base.total if base.total > 0 else 0.0
    return observed, rate * sum(getattr(p, denominator) for p in post), fitted.dispersion


def _metric_change(metric: str, test: CountTest) -> float | None:
    """The metric's change against the forecast, from its tested count."""
    if test.expected <= 0:
        return None
    if metric in _INVERSE:
        return None if test.observed <= 0 else (test.expected / test.observed - 1) * 100
    return (test.observed / test.expected - 1) * 100


def judge_against_forecast(
    recommendation: Recommendation,
    after: CampaignMetrics,
    daily: list[DailyPoint],
    window: int,
    now: datetime,
    thresholds: SignalThresholds,
) -> Outcome | None:
    """None when the history is too short to forecast from (the caller falls back)."""
    pre, post = _split(daily, window)
    if len(pre) < 7 or len(post) < window:
        return None
    action = recommendation.recommended_action
    expected = recommendation.expected_impact.change_pct
    if action is ActionType.campaign_pause:
        verdict, detail, test, metric = _judge_pause_wasted(pre, post, thresholds)
        change = pct_change(sum(p.spend for p in pre[-window:]), sum(p.spend for p in post))
        forecast_value = None
    else:
        metric = (
            "cpa"
            if action is ActionType.continue_monitoring
            else metric_name(recommendation.expected_impact.metric)
        )
        if metric not in _COUNTS:
            return None  # impression share has no daily counts: the before/after rule judges it
        numerator, denominator = _COUNTS[metric]
        observed, expected_count, dispersion = _expected_count(pre, post, numerator, denominator)
        test = count_test(observed, expected_count, dispersion)
        change = _metric_change(metric, test)
        forecast_value = _forecast_value(metric, test, post)
        if action is ActionType.continue_monitoring:
            verdict, detail = _judge_monitoring_forecast(test, change, thresholds)
        else:
            verdict, detail = _judge_move(metric, test, change, expected)
    return Outcome(
        campaign_id=recommendation.campaign_id,
        metric=metric,
        before_value=None if forecast_value is None else round(forecast_value, 4),
        after_value=_value(after, metric),
        actual_change_pct=None if change is None else round(change, 2),
        expected_change_pct=expected,
        success=verdict == "success",
        summary=f"{action.value}: {verdict}: {detail}",
        measured_at=now,
        verdict=verdict,
        forecast_value=None if forecast_value is None else round(forecast_value, 4),
        p_value=None if test is None else round(test.p_value, 4),
    )


def _forecast_value(metric: str, test: CountTest, post: list[DailyPoint]) -> float | None:
    """The metric's value had the forecast come true (e.g. the CPA it expected)."""
    numerator, denominator = _COUNTS[metric]
    if denominator is None:
        return test.expected
    base = sum(getattr(p, denominator) for p in post)
    if metric in _INVERSE:
        scale = 1000 if metric == "cpm" else 1
        return None if test.expected <= 0 else scale * base / test.expected
    return None if base <= 0 else 100 * test.expected / base


def _judge_move(
    metric: str, test: CountTest, change: float | None, expected: float
) -> tuple[str, str]:
    shown = "n/a" if change is None else f"{change:+.1f} %"
    detail = (
        f"{metric} {shown} against the no-action forecast "
        f"(p = {test.p_value:.3f}; expected {expected:+.1f} %)"
    )
    if change is None:
        return "inconclusive", f"{metric} not measurable against the forecast"
    if test.p_value >= SIGNIFICANCE:
        return "inconclusive", detail + ": within what the forecast expects"
    right_way = (change > 0) == (expected > 0) if expected else abs(change) < 1e-9
    return ("success" if right_way else "failure"), detail


def _judge_monitoring_forecast(
    test: CountTest, change: float | None, thresholds: SignalThresholds
) -> tuple[str, str]:
    sig = thresholds.significant_change_pct
    if test.expected <= 0 and test.observed <= 0:
        return "inconclusive", "no conversions expected or recorded: CPA cannot be judged"
    if change is None:
        return "failure", "no conversions recorded where the forecast expected some"
    detail = f"CPA {change:+.1f} % against the no-action forecast (p = {test.p_value:.3f})"
    if change > sig and test.p_value < SIGNIFICANCE:
        return "failure", detail + f": worse than forecast by more than {sig:g} %"
    return "success", detail + ": held"


def _judge_pause_wasted(
    pre: list[DailyPoint], post: list[DailyPoint], thresholds: SignalThresholds
) -> tuple[str, str, CountTest | None, str]:
    stopped_spend = sum(p.spend for p in post)
    before_spend = sum(p.spend for p in pre[-len(post) :])
    if stopped_spend > _PAUSE_RESIDUAL_SHARE * before_spend and stopped_spend > 0:
        return "failure", f"spend continued: ${stopped_spend:,.2f} in the window", None, "spend"
    recent, earlier = pre[-7:], pre[:-7]
    spend = sum(p.spend for p in recent)
    conversions = sum(p.conversions for p in recent)
    earlier_spend = sum(p.spend for p in earlier)
    earlier_conversions = sum(p.conversions for p in earlier)
    if earlier_spend <= 0 or earlier_conversions <= 0:
        return (
            "inconclusive",
            "no earlier conversions to tell wasted spend from normal",
            None,
            "spend",
        )
    # Under "nothing was wrong", the week before the pause converts at the earlier rate per dollar.
    test = count_test(conversions, spend * earlier_conversions / earlier_spend)
    baseline_cpa = earlier_spend / earlier_conversions
    critical = 1 + thresholds.critical_change_pct / 100
    if conversions == 0 and test.p_value < SIGNIFICANCE:
        return (
            "success",
            f"the ${spend:,.2f} it stopped had recorded no conversions in 7 days where "
            f"{test.expected:.1f} were due (p = {test.p_value:.3f}): wasted",
            test,
            "spend",
        )
    cpa = spend / conversions if conversions else math.inf
    if cpa > critical * baseline_cpa and test.p_value < SIGNIFICANCE:
        return (
            "success",
            f"the spend it stopped ran at CPA ${cpa:,.2f}, over {critical:.2g}x the baseline "
            f"${baseline_cpa:,.2f} (p = {test.p_value:.3f}): wasted",
            test,
            "spend",
        )
    if test.p_value >= SIGNIFICANCE:
        return (
            "failure",
            f"the spend it stopped was converting as before (CPA ${cpa:,.2f} vs baseline "
            f"${baseline_cpa:,.2f}): not wasted",
            test,
            "spend",
        )
    return (
        "inconclusive",
        "the spend it stopped converted worse, but not clearly wasted",
        test,
        "spend",
    )
