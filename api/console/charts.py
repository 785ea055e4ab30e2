"""Small server-rendered charts of a campaign's key metrics over the history window.

Pure geometry: from the context a recommendation was reasoned on (daily history and the
campaign's current and comparison periods) to lines, shaded period bands and labels in SVG
user units; the template draws them. Every chart also carries its numbers as rows for a data
table, so nothing is only visible as a picture.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from domain.context import CampaignContext, CampaignMetrics, DailyPoint

# SVG user units; the SVG scales to its container's width.
WIDTH = 320
HEIGHT = 130
PLOT_LEFT = 46
PLOT_RIGHT = WIDTH - 8
PLOT_TOP = 18
PLOT_BOTTOM = HEIGHT - 22


@dataclass(frozen=True)
class Band:
    """A shaded stretch of days: the comparison period or the current period."""

    x: float
    width: float
    label: str
    css_class: str


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    headline: str  # the current period's value and its change, e.g. "12.30 (+34.0 %)"
    description: str  # what a screen reader hears instead of the picture
    segments: list[str] = field(default_factory=list)  # "x,y x,y ..." for each unbroken run
    dots: list[tuple[float, float]] = field(default_factory=list)  # points standing alone
    bands: list[Band] = field(default_factory=list)
    y_labels: list[tuple[float, str]] = field(default_factory=list)
    x_labels: list[tuple[float, str, str]] = field(default_factory=list)  # x, text, anchor
    rows: list[tuple[str, str]] = field(default_factory=list)  # (day, value) for the table
    note: str = ""

    width: int = WIDTH
    height: int = HEIGHT


@dataclass(frozen=True)
class _Metric:
    key: str
    title: str
    daily: Callable[[DailyPoint], float | None]
    current: Callable[[CampaignMetrics], float | None]
    change_pct: Callable[[CampaignMetrics], float | None]
    unit: str = ""
    # What the campaign's figure for the current period is (spend is a total, not a day's).
    current_label: str = "current period"


def _ratio(part: float, whole: float, scale: float = 1.0) -> float | None:
    return scale * part / whole if whole else None


def _daily_share(point: DailyPoint) -> float | None:
    # Not part of the history contract: used when the platform reports it per day.
    value = (point.model_extra or {}).get("impression_share")
    return 100 * float(value) if isinstance(value, int | float) else None


def _share(campaign: CampaignMetrics) -> float | None:
    share = campaign.impression_share
    return None if share is None else 100 * share


METRICS = (
    _Metric("cpa", "CPA", lambda p: _ratio(p.spend, p.conversions), lambda c: c.cpa,
            lambda c: c.cpa_change_pct),
    _Metric("ctr", "CTR", lambda p: _ratio(p.clicks, p.impressions, 100), lambda c: c.ctr,
            lambda c: c.ctr_change_pct, unit=" %"),
    _Metric("spend", "Spend per day", lambda p: p.spend, lambda c: c.spend,
            lambda c: c.spend_change_pct, current_label="current period total"),
    _Metric("impression_share", "Impression share", _daily_share, _share,
            lambda c: c.impression_share_change_pct, unit=" %"),
)  # fmt: skip


def number(value: float, digits: int = 2, unit: str = "") -> str:
    return f"{value:,.{digits}f}{unit}"


def digits_for(low: float, high: float) -> int:
    """Decimals that show a tenth of the spread [low, high]: axis labels that differ."""
    spread = abs(high - low) or abs(high) or 1.0
    return max(0, min(6, 1 - math.floor(math.log10(spread))))


def campaign_charts(context: CampaignContext | None) -> list[Chart]:
    """One chart per key metric; none without a context or a daily history."""
    if context is None or context.history is None or not context.history.daily:
        return []
    days = sorted(context.history.daily, key=lambda point: point.date)
    return [_chart(metric, days, context.campaign) for metric in METRICS]


def _chart(metric: _Metric, days: list[DailyPoint], campaign: CampaignMetrics) -> Chart:
    dates = [point.date for point in days]
    values = [metric.daily(point) for point in days]
    note = ""
    if all(value is None for value in values) and metric.key == "impression_share":
        values = _period_steps(dates, campaign)
        note = "Not reported per day: the line shows each period's average."
    axis = _Axis(dates, [v for v in values if v is not None])
    segments, dots = _lines(axis, values)
    first, last = dates[0], dates[-1]
    digits = digits_for(axis.low, axis.high)
    headline = _headline(metric, campaign, digits)
    return Chart(
        key=metric.key,
        title=metric.title,
        headline=headline,
        description=(
            f"{metric.title} per day from {first} to {last}. Comparison period "
            f"{campaign.comparison_period_start} to {campaign.comparison_period_end}, current "
            f"period {campaign.period_start} to {campaign.period_end}: {headline}."
        ),
        segments=segments,
        dots=dots,
        bands=_bands(axis, campaign),
        y_labels=axis.y_labels(lambda value: number(value, digits, metric.unit)),
        x_labels=[
            (PLOT_LEFT, f"{first:%b %d}", "start"),
            (PLOT_RIGHT, f"{last:%b %d}", "end"),
        ],
        rows=[
            (
                day.isoformat(),
                "no data" if value is None else number(value, max(digits, 2), metric.unit),
            )
            for day, value in zip(dates, values, strict=True)
        ],
        note=note,
    )


def _headline(metric: _Metric, campaign: CampaignMetrics, digits: int) -> str:
    current = metric.current(campaign)
    if current is None:
        return f"{metric.current_label}: no data"
    text = f"{metric.current_label} {number(current, max(digits, 2), metric.unit)}"
    change = metric.change_pct(campaign)
    if change is not None:
        text += f", {change:+.1f} % vs comparison period"
    return text


def _period_steps(dates: list[date], campaign: CampaignMetrics) -> list[float | None]:
    """Each day of a period gets the period's impression share (the previous one derived
    from the current one and its change)."""
    current = _share(campaign)
    change = campaign.impression_share_change_pct
    previous = None
    if current is not None and change is not None and change > -100:
        previous = current / (1 + change / 100)
    values: list[float | None] = []
    for day in dates:
        if campaign.period_start <= day <= campaign.period_end:
            values.append(current)
        elif campaign.comparison_period_start <= day <= campaign.comparison_period_end:
            values.append(previous)
        else:
            values.append(None)
    return values


class _Axis:
    """Maps a day index and a value to SVG coordinates (y grows downwards)."""

    def __init__(self, dates: list[date], values: list[float]) -> None:
        self.dates = dates
        low = min(values, default=0.0)
        high = max(values, default=1.0)
        low = min(low, 0.0) if low >= 0 and low < 0.25 * high else low
        if high - low < 1e-9:
            low, high = low - 1, high + 1
        pad = 0.08 * (high - low)
        self.low = low if low == 0 else low - pad
        self.high = high + pad

    def x(self, days: float) -> float:
        """x of the day ``days`` after the first one."""
        span = max((self.dates[-1] - self.dates[0]).days, 1)
        return round(PLOT_LEFT + (PLOT_RIGHT - PLOT_LEFT) * days / span, 1)

    def y(self, value: float) -> float:
        share = (value - self.low) / (self.high - self.low)
        return round(PLOT_BOTTOM - (PLOT_BOTTOM - PLOT_TOP) * share, 1)

    def x_of_day(self, day: date) -> float:
        return self.x((day - self.dates[0]).days)

    def y_labels(self, fmt: Callable[[float], str]) -> list[tuple[float, str]]:
        middle = (self.low + self.high) / 2
        return [(self.y(value), fmt(value)) for value in (self.high, middle, self.low)]


def _lines(axis: _Axis, values: list[float | None]) -> tuple[list[str], list[tuple[float, float]]]:
    """Unbroken runs of values as polylines; a value with gaps on both sides as a dot."""
    runs: list[list[tuple[float, float]]] = [[]]
    for day, value in zip(axis.dates, values, strict=True):
        if value is None:
            runs.append([])
        else:
            runs[-1].append((axis.x_of_day(day), axis.y(value)))
    segments = [" ".join(f"{x},{y}" for x, y in run) for run in runs if len(run) > 1]
    dots = [run[0] for run in runs if len(run) == 1]
    return segments, dots


def _bands(axis: _Axis, campaign: CampaignMetrics) -> list[Band]:
    half_day = (axis.x(1) - axis.x(0)) / 2
    periods = (
        (campaign.comparison_period_start, campaign.comparison_period_end, "comparison", "before"),
        (campaign.period_start, campaign.period_end, "current", "now"),
    )
    bands = []
    for start, end, label, css_class in periods:
        left = max(PLOT_LEFT, axis.x_of_day(start) - half_day)
        right = min(PLOT_RIGHT, axis.x_of_day(end) + half_day)
        if right > left:
            bands.append(
                Band(
                    x=round(left, 1), width=round(right - left, 1), label=label, css_class=css_class
                )
            )
    return bands
