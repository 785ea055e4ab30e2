"""The numeric helpers never divide by zero and round like accountants."""

from __future__ import annotations

import math

import pytest

from domain.stats import (
    floor_to,
    grade,
    pct_change,
    rate_gap_p_value,
    round_half_up,
    safe_ratio,
    trailing_count,
    trailing_rise_days,
    weighted_share,
)


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [(30.0, 25.5, -15.0), (2.0, 3.0, 50.0), (0.0, 5.0, None), (None, 5.0, None), (5.0, None, None)],
)
def test_pct_change(before, after, expected) -> None:
    result = pct_change(before, after)
    assert result == expected if expected is None else math.isclose(result, expected)


def test_grade_is_linear_between_its_ends_and_clamped() -> None:
    assert grade(5.0, 5.0, 15.0) == 0.0
    assert grade(10.0, 5.0, 15.0) == 0.5
    assert grade(40.0, 5.0, 15.0) == 1.0
    assert grade(-3.0, 5.0, 15.0) == 0.0
    assert grade(2.0, 2.0, 2.0) == 1.0


def test_weighted_share_uses_weights_or_counts() -> None:
    assert weighted_share([(300, True), (100, False)]) == 0.75
    assert weighted_share([(0, True), (0, False)]) == 0.5
    assert weighted_share([]) is None


def test_safe_ratio() -> None:
    assert safe_ratio(10, 4) == 2.5
    assert safe_ratio(10, 0) is None and safe_ratio(None, 2) is None


def test_trailing_runs() -> None:
    assert trailing_rise_days([5, 4, 5, 6, 7]) == 3
    assert trailing_rise_days([5, 6, None, 7]) == 0  # a gap breaks the run
    assert trailing_rise_days([3]) == 0
    assert trailing_count([True, False, True, True]) == 2


def test_money_rounding() -> None:
    assert round_half_up(2.875) == 2.88
    assert round_half_up(0.125) == 0.13  # round() gives 0.12 (half to even)
    assert round_half_up(7.5, 0) == 8.0
    assert round_half_up(-6.95, 1) == -7.0
    assert floor_to(393.759, 2) == 393.75
    assert floor_to(187.5) == 187.0


def test_rate_gap_p_value() -> None:
    # Same conversions per dollar: no evidence of a gap at all.
    assert math.isclose(rate_gap_p_value(20, 200.0, 10, 100.0), 1.0)
    # 30 vs 10 on equal spend: z = (30 - 20) / sqrt(40 x 0.5 x 0.5) = 3.16, p = 0.0016.
    assert math.isclose(rate_gap_p_value(30, 100.0, 10, 100.0), 0.001565, rel_tol=1e-3)
    # Two-sided: the order of the two does not matter.
    assert rate_gap_p_value(10, 100.0, 30, 100.0) == rate_gap_p_value(30, 100.0, 10, 100.0)
    # 6 vs 3 conversions, 2.9x apart on CPA: not significant (p = 0.12).
    assert math.isclose(rate_gap_p_value(6, 23.64, 3, 33.93), 0.118, abs_tol=1e-3)
    # A side with no conversions on a large spend is strong evidence; nothing to compare is None.
    assert rate_gap_p_value(100, 1000.0, 0, 500.0) < 1e-6
    assert rate_gap_p_value(0, 100.0, 0, 100.0) is None
    assert rate_gap_p_value(5, 0.0, 5, 100.0) is None
