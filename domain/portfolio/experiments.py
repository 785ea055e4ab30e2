"""Experiment evaluation: which A/B tests can be called, and how.

For each experiment (a control and a variant arm, each with its samples, the unit the rate is
per, e.g. clicks, and its conversions):

1. **Sample-ratio mismatch** (SRM): when the planned split is known, a chi-square goodness-of-fit
   test of the arms' sample counts against it (``scipy.stats.chisquare``); p < 0.001 flags the
   experiment as untrustworthy (the assignment is broken, so its result means nothing). Without
   a planned split there is nothing to check against, and the report says so.
2. **Minimum sample**: fewer than ``min_samples`` (default 100) in an arm -> ``continue``.
3. **Two-proportion z-test**, pooled (``statsmodels.stats.proportion.proportions_ztest``), on
   the variant's rate against the control's; the relative lift's 95 % confidence interval
   (ratio of rates, log method: ``confint_proportions_2indep``).
4. **Multiple testing**: the p-values of the experiments whose result decides something (enough
   samples, no SRM) are corrected together, Holm (family-wise error) by default or
   Benjamini-Hochberg (false discovery rate) (``statsmodels.stats.multitest.multipletests``).
5. **Decision**: significant after correction with a lift at or above ``lift_threshold``
   (default 10 %) -> ``scale_variant``; significant otherwise (the variant loses, or wins too
   little to be worth it) -> ``stop`` and keep the control; not significant -> ``continue``;
   SRM -> ``stop``: fix the assignment and restart.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field, model_validator

# scipy and statsmodels are imported where they are used: the experiment models travel through
# the API, the store and the platform adapters, which never run a test.

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"


def _number(value: object) -> object:
    """A JSON number, not a numeric-looking string or a boolean (the import says which)."""
    if isinstance(value, str | bool):
        raise ValueError(f"must be a number, not {value!r}")
    return value


def _iso_date(value: object) -> object:
    if value is None or isinstance(value, date | str):
        return value
    raise ValueError(f"must be a date written YYYY-MM-DD, not {value!r}")


Count = Annotated[int, Field(ge=0), BeforeValidator(_number)]
Share = Annotated[float | None, Field(gt=0, lt=1), BeforeValidator(_number)]
Day = Annotated[date | None, BeforeValidator(_iso_date)]

Correction = Literal["holm", "fdr_bh"]
CORRECTION_NAMES = {"holm": "Holm (family-wise error rate)", "fdr_bh": "Benjamini-Hochberg (FDR)"}


class ExperimentArm(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    samples: Count = Field(description="units the rate is per (visitors, clicks ...)")
    conversions: Count

    @model_validator(mode="after")
    def _at_most_one_conversion_per_sample(self) -> ExperimentArm:
        if self.conversions > self.samples:
            raise ValueError(
                f"arm {self.name!r} has {self.conversions} conversions on only "
                f"{self.samples} samples"
            )
        return self

    @property
    def rate(self) -> float | None:
        return self.conversions / self.samples if self.samples else None


class Experiment(BaseModel):
    """An A/B test as imported (JSON or CSV) or served by the ad platform."""

    experiment_id: str = Field(min_length=1, max_length=128, pattern=ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    campaign_id: str | None = Field(default=None, max_length=128)
    metric: str = Field(default="conversion rate", min_length=1, max_length=100)
    control: ExperimentArm
    variant: ExperimentArm
    planned_variant_share: Share = Field(
        default=None, description="the variant's planned share of samples (SRM check)"
    )
    start_date: Day = None
    end_date: Day = None
    source: str = Field(default="import", max_length=64)

    @model_validator(mode="after")
    def _dates_in_order(self) -> Experiment:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError(f"end_date {self.end_date} is before start_date {self.start_date}")
        return self


class ExperimentPolicy(BaseModel):
    min_samples: int = Field(default=100, ge=1)
    lift_threshold: float = Field(default=0.10, ge=0, description="relative, 0.10 = 10 %")
    alpha: float = Field(default=0.05, gt=0, lt=1)
    srm_alpha: float = Field(default=0.001, gt=0, lt=1)
    correction: Correction = "holm"


class ExperimentDecision(StrEnum):
    scale_variant = "scale_variant"
    continue_ = "continue"
    stop = "stop"


class ExperimentEvaluation(BaseModel):
    experiment_id: str
    name: str
    campaign_id: str | None
    metric: str
    source: str
    control_name: str
    variant_name: str
    control_samples: int
    control_conversions: int
    variant_samples: int
    variant_conversions: int
    planned_variant_share: float | None = None
    control_rate: float | None
    variant_rate: float | None
    lift: float | None = Field(description="relative: (variant - control) / control")
    lift_ci_low: float | None = None
    lift_ci_high: float | None = None
    z: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = Field(default=None, description="after the review's correction")
    significant: bool = False
    enough_samples: bool
    srm_p_value: float | None = Field(default=None, description="None: no planned split")
    srm: bool = False
    trustworthy: bool = True
    decision: ExperimentDecision
    reason: str


class ExperimentsResult(BaseModel):
    evaluations: list[ExperimentEvaluation]
    correction: str = Field(description="the multiple-testing correction, in words")
    family_size: int = Field(description="experiments whose p-values were corrected together")
    policy: ExperimentPolicy


def two_proportion_ztest(
    variant: ExperimentArm, control: ExperimentArm
) -> tuple[float, float] | None:
    """Pooled two-sided z-test of variant vs control; None when it is undefined (an empty
    arm, or both arms at 0 % or 100 %: no variance to test against)."""
    if not variant.samples or not control.samples:
        return None
    pooled = (variant.conversions + control.conversions) / (variant.samples + control.samples)
    if pooled in (0.0, 1.0):
        return None
    from statsmodels.stats.proportion import proportions_ztest

    z, p = proportions_ztest(
        [variant.conversions, control.conversions], [variant.samples, control.samples]
    )
    return float(z), float(p)


def sample_ratio_p_value(experiment: Experiment) -> float | None:
    """Chi-square goodness of fit of the arms' samples to the planned split."""
    share = experiment.planned_variant_share
    total = experiment.control.samples + experiment.variant.samples
    if share is None or total == 0:
        return None
    from scipy import stats

    observed = [experiment.control.samples, experiment.variant.samples]
    expected = [total * (1 - share), total * share]
    return float(stats.chisquare(observed, f_exp=expected).pvalue)


def lift_interval(
    variant: ExperimentArm, control: ExperimentArm, alpha: float = 0.05
) -> tuple[float, float] | None:
    """Confidence interval of the relative lift (ratio of rates minus one, log method)."""
    if not (variant.conversions and control.conversions):
        return None  # the log of a zero rate: no interval
    if variant.conversions == variant.samples and control.conversions == control.samples:
        return None
    from statsmodels.stats.proportion import confint_proportions_2indep

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = confint_proportions_2indep(
            variant.conversions,
            variant.samples,
            control.conversions,
            control.samples,
            compare="ratio",
            method="log",
            alpha=alpha,
        )
    if not (math.isfinite(low) and math.isfinite(high)):
        return None
    return float(low) - 1, float(high) - 1


def adjust_p_values(p_values: Sequence[float], alpha: float, method: Correction) -> list[float]:
    if not p_values:
        return []
    from statsmodels.stats.multitest import multipletests

    _, adjusted, _, _ = multipletests(list(p_values), alpha=alpha, method=method)
    return [float(p) for p in adjusted]


def evaluate_experiments(
    experiments: Sequence[Experiment], policy: ExperimentPolicy | None = None
) -> ExperimentsResult:
    policy = policy or ExperimentPolicy()
    staged = [_stage(e, policy) for e in experiments]
    family = [i for i, s in enumerate(staged) if s["tested"]]
    adjusted = adjust_p_values(
        [staged[i]["p_value"] for i in family], policy.alpha, policy.correction
    )
    p_adjusted = dict(zip(family, adjusted, strict=True))
    evaluations = [
        _decide(e, s, p_adjusted.get(i), policy)
        for i, (e, s) in enumerate(zip(experiments, staged, strict=True))
    ]
    return ExperimentsResult(
        evaluations=evaluations,
        correction=(
            f"{CORRECTION_NAMES[policy.correction]} across the {len(family)} experiment(s) of "
            f"this review with enough samples and no sample-ratio mismatch, at alpha "
            f"{policy.alpha:g}"
        ),
        family_size=len(family),
        policy=policy,
    )


def _stage(e: Experiment, policy: ExperimentPolicy) -> dict:
    srm_p = sample_ratio_p_value(e)
    srm = srm_p is not None and srm_p < policy.srm_alpha
    enough = min(e.control.samples, e.variant.samples) >= policy.min_samples
    test = two_proportion_ztest(e.variant, e.control)
    return {
        "srm_p": srm_p,
        "srm": srm,
        "enough": enough,
        "z": test[0] if test else None,
        "p_value": test[1] if test else None,
        "tested": enough and not srm and test is not None,
    }


def _decide(
    e: Experiment, s: dict, p_adjusted: float | None, policy: ExperimentPolicy
) -> ExperimentEvaluation:
    control_rate, variant_rate = e.control.rate, e.variant.rate
    lift = (
        (variant_rate - control_rate) / control_rate
        if control_rate and variant_rate is not None
        else None
    )
    interval = lift_interval(e.variant, e.control)
    significant = p_adjusted is not None and p_adjusted < policy.alpha
    decision, reason = _decision(e, s, lift, significant, p_adjusted, policy)
    return ExperimentEvaluation(
        experiment_id=e.experiment_id,
        name=e.name,
        campaign_id=e.campaign_id,
        metric=e.metric,
        source=e.source,
        control_name=e.control.name,
        variant_name=e.variant.name,
        control_samples=e.control.samples,
        control_conversions=e.control.conversions,
        variant_samples=e.variant.samples,
        variant_conversions=e.variant.conversions,
        planned_variant_share=e.planned_variant_share,
        control_rate=control_rate,
        variant_rate=variant_rate,
        lift=lift,
        lift_ci_low=interval[0] if interval else None,
        lift_ci_high=interval[1] if interval else None,
        z=s["z"],
        p_value=s["p_value"],
        p_adjusted=p_adjusted,
        significant=significant,
        enough_samples=s["enough"],
        srm_p_value=s["srm_p"],
        srm=s["srm"],
        trustworthy=not s["srm"],
        decision=decision,
        reason=reason,
    )


def _decision(
    e: Experiment,
    s: dict,
    lift: float | None,
    significant: bool,
    p_adjusted: float | None,
    policy: ExperimentPolicy,
) -> tuple[ExperimentDecision, str]:
    if s["srm"]:
        planned = e.planned_variant_share or 0.0
        total = e.control.samples + e.variant.samples
        return ExperimentDecision.stop, (
            f"sample ratio mismatch: the variant got {e.variant.samples / total:.1%} of the "
            f"samples against a planned {planned:.0%} (chi-square p = {s['srm_p']:.2g} < "
            f"{policy.srm_alpha:g}); the assignment is broken, so the result cannot be trusted: "
            "fix it and restart"
        )
    if not s["enough"]:
        smaller = min(e.control.samples, e.variant.samples)
        return ExperimentDecision.continue_, (
            f"too few samples: {smaller:,} in the smaller arm, under the {policy.min_samples:,} "
            "minimum per arm"
        )
    if p_adjusted is None or lift is None:
        return ExperimentDecision.continue_, "no conversions to compare yet"
    shown = f"lift {lift:+.1%}, adjusted p = {p_adjusted:.2g}"
    if not significant:
        return ExperimentDecision.continue_, (
            f"not significant yet ({shown} >= {policy.alpha:g}): keep collecting"
        )
    if lift >= policy.lift_threshold:
        return ExperimentDecision.scale_variant, (
            f"the variant wins ({shown}), above the {policy.lift_threshold:.0%} lift threshold"
        )
    if lift < 0:
        return ExperimentDecision.stop, f"the variant loses ({shown}): keep the control"
    return ExperimentDecision.stop, (
        f"a real but small gain ({shown}), under the {policy.lift_threshold:.0%} lift "
        "threshold: not worth a change, keep the control"
    )
