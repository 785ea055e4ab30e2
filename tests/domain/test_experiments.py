"""Experiment evaluation against textbook formulas (scipy), statsmodels' own references, and the
public A/B dataset (committed counts; the raw CSVs when present, required in CI)."""

from __future__ import annotations

import json
import math
import os

import pytest
from scipy import stats

from domain.portfolio.experiments import (
    Experiment,
    ExperimentArm,
    ExperimentPolicy,
    adjust_p_values,
    evaluate_experiments,
    lift_interval,
    sample_ratio_p_value,
    two_proportion_ztest,
)
from simulator.datasets import (
    AB_CONTROL_FILE,
    AB_TEST_FILE,
    _read_rows,
    ab_experiment_counts,
    resolve_data_dir,
)
from simulator.figures import FIGURES_FILE

DATA_DIR = resolve_data_dir()


def arm(samples: int, conversions: int, name: str = "arm") -> ExperimentArm:
    return ExperimentArm(name=name, samples=samples, conversions=conversions)


def experiment(
    control: tuple[int, int], variant: tuple[int, int], share: float | None = None, **kw
) -> Experiment:
    return Experiment(
        experiment_id=kw.pop("experiment_id", "exp"),
        name=kw.pop("name", "test"),
        control=arm(*control, name="control"),
        variant=arm(*variant, name="variant"),
        planned_variant_share=share,
        **kw,
    )


@pytest.mark.parametrize(
    ("control", "variant"),
    [((1000, 100), (1000, 130)), ((5000, 250), (4800, 215)), ((120, 12), (150, 30))],
)
def test_the_z_test_is_the_pooled_textbook_one(control, variant) -> None:
    (n1, x1), (n2, x2) = control, variant
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (x2 / n2 - x1 / n1) / se
    p = 2 * stats.norm.sf(abs(z))

    got = two_proportion_ztest(arm(n2, x2), arm(n1, x1))

    assert got == pytest.approx((z, p), rel=1e-9)


def test_no_variance_no_test() -> None:
    assert two_proportion_ztest(arm(100, 0), arm(100, 0)) is None
    assert two_proportion_ztest(arm(100, 100), arm(50, 50)) is None
    assert two_proportion_ztest(arm(0, 0), arm(100, 5)) is None


def test_sample_ratio_mismatch_is_scipys_chi_square() -> None:
    planned_even = experiment((5_100, 300), (4_900, 290), share=0.5)
    skewed = experiment((5_400, 300), (4_600, 290), share=0.5)
    uneven_plan = experiment((8_000, 300), (2_000, 80), share=0.2)

    # chi2 = sum((o - e)^2 / e) with 1 degree of freedom: (100^2 / 5,000) x 2 = 4.0.
    assert sample_ratio_p_value(planned_even) == pytest.approx(stats.chi2.sf(4.0, 1))
    assert sample_ratio_p_value(skewed) == pytest.approx(stats.chi2.sf(128.0, 1))
    assert sample_ratio_p_value(uneven_plan) == pytest.approx(1.0)
    assert sample_ratio_p_value(experiment((10, 1), (10, 1))) is None  # no planned split


def test_a_mismatched_split_is_untrustworthy_whatever_its_result() -> None:
    result = evaluate_experiments([experiment((5_400, 300), (4_600, 390), share=0.5)])
    (e,) = result.evaluations

    assert e.srm and not e.trustworthy and e.decision.value == "stop"
    assert "sample ratio mismatch" in e.reason and e.p_adjusted is None
    assert result.family_size == 0  # its p-value decides nothing, so it is not corrected


def test_corrections_match_hand_computed_holm_and_benjamini_hochberg() -> None:
    p = [0.01, 0.04, 0.03, 0.005]
    # Holm: sorted 0.005, 0.01, 0.03, 0.04 x 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04 -> running max.
    assert adjust_p_values(p, 0.05, "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # BH: p x m / rank = 0.02, 0.02, 0.04, 0.04 (rank 1..4), then running min from the top.
    assert adjust_p_values(p, 0.05, "fdr_bh") == pytest.approx([0.02, 0.04, 0.04, 0.02])


def test_the_correction_can_turn_a_call_into_continue() -> None:
    borderline = experiment((1000, 100), (1000, 130), experiment_id="a")  # p = 0.0355
    null = experiment((500, 50), (500, 45), experiment_id="b")  # p = 0.595
    alone = evaluate_experiments([borderline]).evaluations[0]
    holm = evaluate_experiments([borderline, null]).evaluations[0]
    bh = evaluate_experiments(
        [borderline, null], ExperimentPolicy(correction="fdr_bh")
    ).evaluations[0]

    assert alone.decision.value == "scale_variant"
    assert holm.p_adjusted == pytest.approx(2 * alone.p_value)
    assert holm.decision.value == "continue"
    assert bh.p_adjusted == pytest.approx(2 * alone.p_value)  # rank 1 of 2: p x 2 / 1


@pytest.mark.parametrize(
    ("control", "variant", "decision", "reason"),
    [
        ((40, 4), (60, 9), "continue", "too few samples"),
        ((2000, 200), (2000, 210), "continue", "not significant"),
        ((5000, 500), (5000, 600), "scale_variant", "above the 10% lift threshold"),
        ((20000, 2000), (20000, 2130), "stop", "under the 10% lift threshold"),
        ((5000, 500), (5000, 400), "stop", "the variant loses"),
    ],
)
def test_each_decision(control, variant, decision, reason) -> None:
    (e,) = evaluate_experiments([experiment(control, variant)]).evaluations
    assert e.decision.value == decision
    assert reason in e.reason


def test_lift_interval_is_statsmodels_log_ratio() -> None:
    low, high = lift_interval(arm(5000, 600), arm(5000, 500))
    # log ratio 0.1823, se = sqrt(1/600 - 1/5000 + 1/500 - 1/5000) = 0.0571
    se = math.sqrt(1 / 600 - 1 / 5000 + 1 / 500 - 1 / 5000)
    z = stats.norm.ppf(0.975)
    assert low == pytest.approx(math.exp(math.log(1.2) - z * se) - 1, rel=1e-6)
    assert high == pytest.approx(math.exp(math.log(1.2) + z * se) - 1, rel=1e-6)
    assert lift_interval(arm(100, 0), arm(100, 3)) is None


def _committed_public_case() -> Experiment:
    counts = json.loads(FIGURES_FILE.read_text(encoding="utf-8"))["figures"]["ab_experiment"]
    return experiment(
        (counts["control"]["clicks"], counts["control"]["purchases"]),
        (counts["test"]["clicks"], counts["test"]["purchases"]),
        experiment_id="exp-ab-public-2019",
        metric="purchases per click",
    )


def test_the_public_ab_test_is_a_significant_loss_for_the_variant() -> None:
    (e,) = evaluate_experiments([_committed_public_case()]).evaluations

    # The dataset's README: purchases per click 9.825 % vs 8.641 %, z about -11.8, p about 2e-32.
    assert e.control_rate == pytest.approx(0.09825, abs=5e-6)
    assert e.variant_rate == pytest.approx(0.08641, abs=5e-6)
    assert e.z == pytest.approx(-11.84, abs=0.01)
    assert e.p_value < 1e-30 and e.significant
    assert e.lift == pytest.approx(-0.1206, abs=1e-4)
    assert e.lift_ci_high < 0  # the whole interval is a loss
    assert e.decision.value == "stop" and "the variant loses" in e.reason
    assert e.srm_p_value is None  # two campaigns, no planned split: nothing to check


def test_the_committed_counts_are_what_the_raw_files_give() -> None:
    if not (DATA_DIR / AB_CONTROL_FILE).is_file():
        if os.environ.get("REQUIRE_PUBLIC_DATA") == "1":
            pytest.fail(f"REQUIRE_PUBLIC_DATA=1 but the A/B files are not in {DATA_DIR}")
        pytest.skip(f"public datasets not in {DATA_DIR}")
    control = ab_experiment_counts(list(_read_rows(DATA_DIR / AB_CONTROL_FILE)), AB_CONTROL_FILE)
    test = ab_experiment_counts(list(_read_rows(DATA_DIR / AB_TEST_FILE)), AB_TEST_FILE)
    committed = json.loads(FIGURES_FILE.read_text(encoding="utf-8"))["figures"]["ab_experiment"]

    assert {"control": control, "test": test} == committed
    # The README's totals: control 154,303 clicks and 15,161 purchases over the 29 days with
    # delivery (5.08.2019 has spend only); test 180,970 and 15,637 over 30.
    assert (control["clicks"], control["purchases"], control["days"]) == (154_303, 15_161, 29)
    assert (test["clicks"], test["purchases"], test["days"]) == (180_970, 15_637, 30)


def test_bad_experiments_are_refused_by_the_model() -> None:
    with pytest.raises(ValueError, match="conversions on only"):
        arm(10, 11)
    with pytest.raises(ValueError, match="before start_date"):
        experiment((10, 1), (10, 1), start_date="2026-02-01", end_date="2026-01-01")
