"""Small numeric helpers shared by the rules reasoner, guardrails and outcome judging.

Pure and deterministic: no I/O, no clocks, no randomness. Every helper tolerates None and zero
where the context contract allows them, so callers never divide by zero.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal


def clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return max(low, min(high, value))


def grade(value: float, start: float, full: float) -> float:
    """How far ``value`` has gone from ``start`` (0) to ``full`` (1), clamped to 0-1.

    Graded credit instead of a hard threshold keeps borderline cases from flipping on a hair.
    """
    if full == start:
        return 1.0 if value >= full else 0.0
    return clamp((value - start) / (full - start))


def pct_change(before: float | None, after: float | None) -> float | None:
    """Percentage change from ``before`` to ``after``; None when it is undefined (None or 0)."""
    if before is None or after is None or before == 0:
        return None
    return (after - before) / abs(before) * 100.0


def safe_ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def weighted_share(items: Iterable[tuple[float, bool]]) -> float | None:
    """Share of the total weight carried by the flagged items (count-based if weights are 0)."""
    pairs = list(items)
    if not pairs:
        return None
    total = sum(weight for weight, _ in pairs)
    if total <= 0:
        return sum(1 for _, flag in pairs if flag) / len(pairs)
    return sum(weight for weight, flag in pairs if flag) / total


def trailing_rise_days(values: Sequence[float | None]) -> int:
    """Consecutive steps at the end of the series where the value rose (None breaks the run)."""
    days = 0
    for index in range(len(values) - 1, 0, -1):
        current, previous = values[index], values[index - 1]
        if current is None or previous is None or current <= previous:
            break
        days += 1
    return days


def trailing_count(flags: Sequence[bool]) -> int:
    """How many flags at the end of the sequence are True in a row."""
    count = 0
    for flag in reversed(flags):
        if not flag:
            break
        count += 1
    return count


def round_half_up(value: float, places: int = 2) -> float:
    """Commercial rounding (2.875 -> 2.88), not Python's banker's rounding."""
    quantum = Decimal(1).scaleb(-places)
    return float(Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def floor_to(value: float, places: int = 0) -> float:
    """Round down, so a capped amount never exceeds its cap after rounding."""
    factor = 10**places
    return math.floor(value * factor + 1e-9) / factor


def rate_gap_p_value(
    count_a: float, exposure_a: float, count_b: float, exposure_b: float
) -> float | None:
    """Two-sided p-value that two event counts come from one common rate per unit of exposure.

    E.g. conversions per dollar of two audience segments. The conditional Poisson test: given
    n = a + b events at one common rate, a is Binomial(n, exposure_a / (exposure_a + exposure_b));
    its normal approximation gives z, and p = P(|Z| >= |z|). Accurate once both expected counts
    (each exposure's share of n) are about 10 or more; fractional counts (modelled conversions)
    are fine. None when there is no event to compare or an exposure is not positive.
    """
    events = count_a + count_b
    if events <= 0 or exposure_a <= 0 or exposure_b <= 0:
        return None
    share = exposure_a / (exposure_a + exposure_b)
    z = (count_a - events * share) / math.sqrt(events * share * (1 - share))
    return math.erfc(abs(z) / math.sqrt(2))
