"""The metric functions against values worked out by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from evals import metrics

EXPECTED = ["A", "A", "B", "B", "C"]
PREDICTED = ["A", "B", "B", "B", "A"]
LABELS = ["A", "B", "C"]


def test_agreement_is_the_share_of_exact_matches() -> None:
    # matches at positions 0, 2, 3 -> 3 of 5
    assert metrics.agreement(EXPECTED, PREDICTED) == pytest.approx(0.6)


def test_agreement_refuses_unpaired_sequences() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        metrics.agreement(["A"], ["A", "B"])


def test_per_class_precision_recall_f1() -> None:
    scores = metrics.per_class_scores(EXPECTED, PREDICTED, LABELS)
    # A: 1 true positive, predicted twice, expected twice -> P = R = F1 = 1/2
    assert (scores["A"].precision, scores["A"].recall, scores["A"].f1) == (0.5, 0.5, 0.5)
    # B: 2 true positives, predicted 3 times, expected twice -> P = 2/3, R = 1, F1 = 4/5
    assert scores["B"].precision == pytest.approx(2 / 3)
    assert scores["B"].recall == 1.0
    assert scores["B"].f1 == pytest.approx(0.8)
    # C: never predicted -> precision undefined, recall 0, F1 = 0 / (0 + 0 + 1) = 0
    assert scores["C"].precision is None
    assert scores["C"].recall == 0.0
    assert scores["C"].f1 == 0.0
    assert (scores["C"].support, scores["C"].predicted) == (1, 0)


def test_macro_f1_averages_classes_present_in_the_data() -> None:
    scores = metrics.per_class_scores(EXPECTED, PREDICTED, [*LABELS, "D"])
    # D never occurs and is left out: (0.5 + 0.8 + 0) / 3
    assert metrics.macro_f1(scores) == pytest.approx(1.3 / 3)


def test_confusion_matrix_rows_expected_columns_predicted() -> None:
    assert metrics.confusion_matrix(EXPECTED, PREDICTED, LABELS) == [
        [1, 1, 0],
        [0, 2, 0],
        [1, 0, 0],
    ]


def test_cohens_kappa() -> None:
    # p_o = 0.6; chance p_e = 0.4*0.4 (A) + 0.4*0.6 (B) + 0.2*0 (C) = 0.4
    # kappa = (0.6 - 0.4) / (1 - 0.4) = 1/3
    assert metrics.cohens_kappa(EXPECTED, PREDICTED, LABELS) == pytest.approx(1 / 3)


def test_cohens_kappa_is_one_for_perfect_agreement_and_undefined_for_one_label() -> None:
    assert metrics.cohens_kappa(EXPECTED, EXPECTED, LABELS) == pytest.approx(1.0)
    assert metrics.cohens_kappa(["A", "A"], ["A", "A"], LABELS) is None


CONFIDENCES = [0.9, 0.9, 0.6, 0.6, 0.3]
CORRECT = [True, False, True, True, False]


def test_brier_score() -> None:
    # (0.9-1)^2 + (0.9-0)^2 + (0.6-1)^2 + (0.6-1)^2 + (0.3-0)^2 = 0.01+0.81+0.16+0.16+0.09 = 1.23
    assert metrics.brier_score(CONFIDENCES, CORRECT) == pytest.approx(1.23 / 5)


def test_expected_calibration_error() -> None:
    # bin 0.9: conf 0.9, acc 0.5 -> gap 0.4 (2 cases); bin 0.6: conf 0.6, acc 1.0 -> 0.4 (2);
    # bin 0.3: conf 0.3, acc 0 -> 0.3 (1). ECE = (2*0.4 + 2*0.4 + 1*0.3) / 5 = 0.38
    assert metrics.expected_calibration_error(CONFIDENCES, CORRECT) == pytest.approx(0.38)


def test_reliability_table_bins_and_the_closed_top_bin() -> None:
    table = metrics.reliability_table([*CONFIDENCES, 1.0], [*CORRECT, True], bins=10)
    assert len(table) == 10
    top = table[9]
    # 0.9, 0.9 and 1.0 land in the last bin: mean confidence 2.8/3, accuracy 2/3
    assert top.count == 3
    assert top.mean_confidence == pytest.approx(2.8 / 3)
    assert top.accuracy == pytest.approx(2 / 3)
    assert table[0].count == 0 and table[0].accuracy is None


def test_calibration_refuses_confidence_outside_0_1() -> None:
    with pytest.raises(ValueError, match="outside"):
        metrics.brier_score([1.2], [True])


def test_mcnemar_exact_for_few_discordant_pairs() -> None:
    a = [True] * 1 + [False] * 6 + [True] * 5
    b = [False] * 1 + [True] * 6 + [True] * 5
    result = metrics.mcnemar(a, b)
    # 7 discordant pairs, 1 vs 6: two-sided binomial p = 2 * (C(7,0) + C(7,1)) / 2^7 = 0.125
    assert (result.only_a, result.only_b, result.method) == (1, 6, "exact")
    assert result.p_value == pytest.approx(0.125)
    assert result.statistic is None


def test_mcnemar_chi_square_with_continuity_correction() -> None:
    a = [True] * 10 + [False] * 20
    b = [False] * 10 + [True] * 20
    result = metrics.mcnemar(a, b)
    # (|10 - 20| - 1)^2 / 30 = 2.7; P(chi2_1 >= 2.7) = 2 * (1 - Phi(sqrt 2.7)) = 0.1003
    assert result.method == "chi-square"
    assert result.statistic == pytest.approx(2.7)
    assert result.p_value == pytest.approx(0.10035, abs=1e-4)


def test_mcnemar_chi_square_with_equal_discordant_counts_is_zero() -> None:
    a = [True] * 13 + [False] * 13 + [True] * 4
    b = [False] * 13 + [True] * 13 + [True] * 4
    result = metrics.mcnemar(a, b)
    # 26 discordant pairs, 13 vs 13: max(0, |13 - 13| - 1)^2 / 26 = 0 (not (0 - 1)^2 / 26),
    # so p = P(chi2_1 >= 0) = 1: no evidence either way.
    assert (result.only_a, result.only_b, result.method) == (13, 13, "chi-square")
    assert result.statistic == 0.0
    assert result.p_value == 1.0


def test_the_readme_states_where_mcnemar_switches_to_chi_square() -> None:
    readme = (Path(__file__).resolve().parents[2] / "evals" / "README.md").read_text()
    below, at = metrics.EXACT_BELOW - 1, metrics.EXACT_BELOW
    assert metrics.mcnemar([True] * below, [False] * below).method == "exact"
    assert metrics.mcnemar([True] * at, [False] * at).method == "chi-square"
    assert f"exact binomial below {at} such cases" in readme
    assert f"chi-square with continuity correction from {at} on" in readme


def test_mcnemar_without_discordant_pairs_is_not_significant() -> None:
    assert metrics.mcnemar([True, False], [True, False]).p_value == 1.0


def test_wilson_interval() -> None:
    z2 = metrics.Z_95**2
    # 0 of 10: low 0, high = (z^2/10) / (1 + z^2/10)
    zero = metrics.wilson_interval(0, 10)
    assert zero.low == 0.0
    assert zero.high == pytest.approx((z2 / 10) / (1 + z2 / 10))
    # 47 of 50, worked through the formula: 0.8378 - 0.9794
    interval = metrics.wilson_interval(47, 50)
    assert interval.low == pytest.approx(0.8378, abs=1e-4)
    assert interval.high == pytest.approx(0.9794, abs=1e-4)
    assert metrics.wilson_interval(0, 0) == metrics.Interval(0.0, 1.0)


def test_percentile_interpolates_linearly() -> None:
    assert metrics.percentile([4, 1, 3, 2], 50) == 2.5
    assert metrics.percentile([1, 2, 3, 4], 95) == pytest.approx(3.85)
    assert metrics.percentile([], 50) is None
    assert math.isclose(metrics.percentile([7], 95) or 0, 7)
