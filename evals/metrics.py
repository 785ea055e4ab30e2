"""Pure evaluation statistics: agreement, per-class scores, kappa, calibration, McNemar.

Everything here is deterministic and free of I/O so it can be checked against hand-computed
values (tests/evals/test_metrics.py). Only the standard library is used: the few distributions
we need (binomial, chi-square with one degree of freedom, the normal quantile for 95 %) have
closed forms small enough to write out.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

Z_95 = 1.959963984540054  # two-sided 95 % normal quantile


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True)
class ClassScores:
    """Precision and recall are None when undefined (no prediction / no case of the class)."""

    precision: float | None
    recall: float | None
    f1: float | None
    support: int  # cases whose expected label is this class
    predicted: int  # cases predicted as this class


@dataclass(frozen=True)
class ReliabilityBin:
    low: float
    high: float
    count: int
    mean_confidence: float | None
    accuracy: float | None


@dataclass(frozen=True)
class McNemarResult:
    """Paired test on the cases where exactly one of two systems is right.

    ``only_a`` = cases A got right and B wrong, ``only_b`` the reverse. With fewer than
    ``EXACT_BELOW`` discordant pairs the exact binomial test is used, otherwise the chi-square
    approximation with continuity correction.
    """

    only_a: int
    only_b: int
    statistic: float | None  # chi-square statistic (None for the exact test)
    p_value: float
    method: str  # "exact" or "chi-square"


EXACT_BELOW = 25


def _check_paired(first: Sequence[object], second: Sequence[object]) -> None:
    if len(first) != len(second):
        raise ValueError(f"paired sequences differ in length: {len(first)} != {len(second)}")


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


def wilson_interval(successes: int, n: int, z: float = Z_95) -> Interval:
    """Wilson score interval for a proportion; well behaved at 0, 1 and small n."""
    if n == 0:
        return Interval(0.0, 1.0)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def agreement(expected: Sequence[Hashable], predicted: Sequence[Hashable]) -> float:
    """Share of cases where the prediction equals the expected label (0 for no cases)."""
    _check_paired(expected, predicted)
    if not expected:
        return 0.0
    return sum(e == p for e, p in zip(expected, predicted, strict=True)) / len(expected)


def confusion_matrix(
    expected: Sequence[Hashable], predicted: Sequence[Hashable], labels: Sequence[Hashable]
) -> list[list[int]]:
    """Rows are expected labels, columns predicted labels, both in ``labels`` order.

    A prediction outside ``labels`` (e.g. a failed case) is counted in no column, so a row can
    sum to less than its support; the report shows failures separately.
    """
    _check_paired(expected, predicted)
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for e, p in zip(expected, predicted, strict=True):
        if e in index and p in index:
            matrix[index[e]][index[p]] += 1
    return matrix


def per_class_scores(
    expected: Sequence[Hashable], predicted: Sequence[Hashable], labels: Sequence[Hashable]
) -> dict[Hashable, ClassScores]:
    _check_paired(expected, predicted)
    scores: dict[Hashable, ClassScores] = {}
    for label in labels:
        true_pos = sum(e == label and p == label for e, p in zip(expected, predicted, strict=True))
        support = sum(e == label for e in expected)
        n_predicted = sum(p == label for p in predicted)
        # F1 = 2TP / (2TP + FP + FN): defined (possibly 0) whenever the class occurs at all.
        f1_denominator = support + n_predicted
        scores[label] = ClassScores(
            precision=_ratio(true_pos, n_predicted),
            recall=_ratio(true_pos, support),
            f1=_ratio(2 * true_pos, f1_denominator),
            support=support,
            predicted=n_predicted,
        )
    return scores


def macro_f1(scores: dict[Hashable, ClassScores]) -> float | None:
    """Mean F1 over the classes that occur in the data (support > 0)."""
    values = [s.f1 or 0.0 for s in scores.values() if s.support > 0]
    return sum(values) / len(values) if values else None


def cohens_kappa(
    expected: Sequence[Hashable], predicted: Sequence[Hashable], labels: Sequence[Hashable]
) -> float | None:
    """Agreement corrected for chance: (p_o - p_e) / (1 - p_e).

    None when chance agreement is already 1 (both raters use one and the same label), where
    kappa is undefined.
    """
    _check_paired(expected, predicted)
    n = len(expected)
    if n == 0:
        return None
    observed = agreement(expected, predicted)
    chance = sum(
        (sum(e == label for e in expected) / n) * (sum(p == label for p in predicted) / n)
        for label in labels
    )
    if chance >= 1.0:
        return None
    return (observed - chance) / (1 - chance)


def _check_probabilities(confidences: Sequence[float], correct: Sequence[bool]) -> None:
    _check_paired(confidences, correct)
    for value in confidences:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"confidence {value} is outside [0, 1]")


def brier_score(confidences: Sequence[float], correct: Sequence[bool]) -> float | None:
    """Mean squared gap between the stated confidence and the 0/1 outcome (lower is better)."""
    _check_probabilities(confidences, correct)
    if not confidences:
        return None
    return sum((c - float(ok)) ** 2 for c, ok in zip(confidences, correct, strict=True)) / len(
        confidences
    )


def reliability_table(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> list[ReliabilityBin]:
    """Equal-width confidence bins; the last bin is closed so confidence 1.0 lands in it."""
    _check_probabilities(confidences, correct)
    if bins < 1:
        raise ValueError("bins must be at least 1")
    members: list[list[tuple[float, bool]]] = [[] for _ in range(bins)]
    for confidence, ok in zip(confidences, correct, strict=True):
        members[min(int(confidence * bins), bins - 1)].append((confidence, ok))
    table = []
    for i, items in enumerate(members):
        count = len(items)
        table.append(
            ReliabilityBin(
                low=i / bins,
                high=(i + 1) / bins,
                count=count,
                mean_confidence=_ratio(sum(c for c, _ in items), count),
                accuracy=_ratio(sum(ok for _, ok in items), count),
            )
        )
    return table


def expected_calibration_error(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> float | None:
    """ECE: the count-weighted mean |accuracy - confidence| over the reliability bins."""
    table = reliability_table(confidences, correct, bins)
    total = sum(b.count for b in table)
    if total == 0:
        return None
    return (
        sum(
            b.count * abs(b.accuracy - b.mean_confidence)
            for b in table
            if b.count and b.accuracy is not None and b.mean_confidence is not None
        )
        / total
    )


def mcnemar(a_correct: Sequence[bool], b_correct: Sequence[bool]) -> McNemarResult:
    _check_paired(a_correct, b_correct)
    only_a = sum(a and not b for a, b in zip(a_correct, b_correct, strict=True))
    only_b = sum(b and not a for a, b in zip(a_correct, b_correct, strict=True))
    discordant = only_a + only_b
    if discordant < EXACT_BELOW:
        return McNemarResult(only_a, only_b, None, _exact_two_sided(only_a, discordant), "exact")
    # The continuity correction shrinks |b - c| by 1 but never below 0 (b == c means no evidence).
    statistic = max(0, abs(only_a - only_b) - 1) ** 2 / discordant
    return McNemarResult(only_a, only_b, statistic, _chi2_df1_sf(statistic), "chi-square")


def _exact_two_sided(k: int, n: int) -> float:
    """Two-sided binomial test of k successes in n trials at p = 0.5 (doubling the smaller tail)."""
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(k, n - k) + 1)) / 2**n
    return min(1.0, 2 * tail)


def _chi2_df1_sf(statistic: float) -> float:
    """Survival function of chi-square with one degree of freedom: P(X >= x) = erfc(sqrt(x/2))."""
    return math.erfc(math.sqrt(statistic / 2))


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in [0, 100]), as numpy's default."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    lower = math.floor(position)
    upper = math.ceil(position)
    fraction = position - lower
    return ordered[lower] + (ordered[upper] - ordered[lower]) * fraction
