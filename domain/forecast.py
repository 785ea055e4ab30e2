"""What would have happened anyway: a no-action forecast of daily counts, and count tests.

Pure and deterministic. ``forecast`` fits, on the days before an outcome window, a log-linear
trend with a weekday pattern to a daily count series (spend, impressions, clicks, conversions),
by least squares on log(count + 0.5), and projects it over the window. Its overdispersion (how
much more the days scatter around the fit than Poisson counts would) widens every test made
against it, so a noisy campaign needs a bigger move to count as one.

``count_test`` asks whether an observed count differs from what the forecast expected: a
quasi-Poisson z-test (variance = dispersion x expected), two-sided.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

MIN_DAYS_FOR_WEEKDAYS = 14  # two of each weekday before a weekday pattern is fitted
MIN_DAYS_FOR_TREND = 7
FIT_DAYS = 28  # the most recent days the forecast learns from
SHRINK = 1.0  # ridge on the weekday effects: a weekday seen twice does not swing the forecast


@dataclass(frozen=True)
class Forecast:
    expected: list[float]  # per window day
    dispersion: float  # >= 1
    method: str  # "trend+weekday", "trend", "mean"

    @property
    def total(self) -> float:
        return sum(self.expected)


@dataclass(frozen=True)
class CountTest:
    observed: float
    expected: float
    z: float
    p_value: float

    @property
    def change_pct(self) -> float | None:
        return None if self.expected <= 0 else (self.observed / self.expected - 1) * 100


def forecast(days: Sequence[date], values: Sequence[float], window: Sequence[date]) -> Forecast:
    """Project `values` (one per day of `days`, oldest first) over the `window` days."""
    pairs = list(zip(days, values, strict=True))[-FIT_DAYS:]
    if not pairs:
        return Forecast([0.0 for _ in window], 1.0, "mean")
    origin = pairs[0][0]
    if len(pairs) < MIN_DAYS_FOR_TREND:
        mean = sum(v for _, v in pairs) / len(pairs)
        return Forecast([mean for _ in window], _dispersion(pairs, [mean] * len(pairs), 1), "mean")
    weekdays = len(pairs) >= MIN_DAYS_FOR_WEEKDAYS

    def features(day: date) -> list[float]:
        row = [1.0, (day - origin).days / 7.0]
        if weekdays:
            row += [1.0 if day.weekday() == d else 0.0 for d in range(1, 7)]
        return row

    x = [features(day) for day, _ in pairs]
    y = [math.log(v + 0.5) for _, v in pairs]
    penalties = [0.0, 0.0] + ([SHRINK] * 6 if weekdays else [])
    beta = _least_squares(x, y, penalties)
    fitted = [max(0.0, math.exp(_dot(row, beta)) - 0.5) for row in x]
    projected = [max(0.0, math.exp(_dot(features(day), beta)) - 0.5) for day in window]
    method = "trend+weekday" if weekdays else "trend"
    return Forecast(projected, _dispersion(pairs, fitted, len(beta)), method)


def count_test(observed: float, expected: float, dispersion: float = 1.0) -> CountTest:
    if expected <= 0:
        return CountTest(
            observed, expected, 0.0 if observed == 0 else math.inf, 1.0 if observed == 0 else 0.0
        )
    z = (observed - expected) / math.sqrt(dispersion * expected)
    return CountTest(observed, expected, z, math.erfc(abs(z) / math.sqrt(2)))


def _dispersion(pairs: list[tuple[date, float]], fitted: list[float], parameters: int) -> float:
    degrees = len(pairs) - parameters
    if degrees < 1:
        return 1.0
    chi2 = sum((v - f) ** 2 / max(f, 1.0) for (_, v), f in zip(pairs, fitted, strict=True))
    return max(1.0, chi2 / degrees)


def _dot(row: list[float], beta: list[float]) -> float:
    return sum(a * b for a, b in zip(row, beta, strict=True))


def _least_squares(x: list[list[float]], y: list[float], penalties: list[float]) -> list[float]:
    """Solve (X'X + diag(penalties)) b = X'y by Gaussian elimination (a handful of columns)."""
    k = len(x[0])
    a = [
        [sum(r[i] * r[j] for r in x) + (penalties[i] if i == j else 0.0) for j in range(k)]
        for i in range(k)
    ]
    b = [sum(r[i] * v for r, v in zip(x, y, strict=True)) for i in range(k)]
    for col in range(k):
        pivot = max(range(col, k), key=lambda r: abs(a[r][col]))
        a[col], a[pivot], b[col], b[pivot] = a[pivot], a[col], b[pivot], b[col]
        if abs(a[col][col]) < 1e-12:
            continue
        for row in range(col + 1, k):
            factor = a[row][col] / a[col][col]
            for j in range(col, k):
                a[row][j] -= factor * a[col][j]
            b[row] -= factor * b[col]
    beta = [0.0] * k
    for row in range(k - 1, -1, -1):
        if abs(a[row][row]) < 1e-12:
            continue
        beta[row] = (b[row] - sum(a[row][j] * beta[j] for j in range(row + 1, k))) / a[row][row]
    return beta
