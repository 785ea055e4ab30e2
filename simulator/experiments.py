"""Demo experiments the simulated ad platform serves (``GET /experiments``).

Five A/B tests in the shape the agent imports (docs/portfolio.md): the public A/B test as it was
recorded (counts from the committed figures), and four tests on named campaigns whose counts
grow with the simulated clock, drawn day by day from fixed true rates (seeded, so the same day
always shows the same counts):

- a creative test whose variant truly converts 18 % better (scaled once it has the samples),
- a headline test with no true difference (keeps collecting),
- a landing-page test whose assignment is broken: the variant gets ~46 % of a planned 50 %
  (sample ratio mismatch),
- a call-to-action test started two days ago (too few samples).

Nothing here is the agent's: the models spell the import shape field by field.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from pydantic import BaseModel

from simulator.figures import Figures


class ExperimentArm(BaseModel):
    name: str
    samples: int
    conversions: int


class Experiment(BaseModel):
    experiment_id: str
    name: str
    campaign_id: str | None
    metric: str
    control: ExperimentArm
    variant: ExperimentArm
    planned_variant_share: float | None
    start_date: date
    end_date: date | None
    source: str = "simulator"


@dataclass(frozen=True)
class _Running:
    """A test drawn day by day: ``daily`` samples split by ``variant_share`` (the real split,
    which a broken assignment makes differ from the planned one)."""

    experiment_id: str
    name: str
    campaign_id: str
    metric: str
    control: str
    variant: str
    started_days_ago: int  # before the simulator's seeded today
    daily: int
    control_rate: float
    lift: float
    variant_share: float = 0.5
    planned_share: float = 0.5


RUNNING = (
    _Running(
        "exp-fatigue-01-carousel",
        "Fresh carousel vs current carousel",
        "cmp-fatigue-01",
        "conversions per click",
        "Current carousel",
        "Fresh carousel",
        started_days_ago=14,
        daily=900,
        control_rate=0.09,
        lift=0.18,
    ),
    _Running(
        "exp-steady-02-headline",
        "Benefit headline vs brand headline",
        "cmp-steady-02",
        "conversions per click",
        "Brand headline",
        "Benefit headline",
        started_days_ago=10,
        daily=600,
        control_rate=0.05,
        lift=0.0,
    ),
    _Running(
        "exp-uneven-01-landing",
        "Short form vs long form landing page",
        "cmp-uneven-01",
        "sign-ups per visit",
        "Long form",
        "Short form",
        started_days_ago=12,
        daily=900,
        control_rate=0.06,
        lift=0.05,
        variant_share=0.46,
    ),
    _Running(
        "exp-competition-01-cta",
        "'Enrol today' vs 'Start free' call to action",
        "cmp-competition-01",
        "enrolments per click",
        "Enrol today",
        "Start free",
        started_days_ago=2,
        daily=30,
        control_rate=0.04,
        lift=0.1,
    ),
)


def demo_experiments(figures: Figures, seeded_today: date, today: date) -> list[Experiment]:
    return [_public_ab_test(figures)] + [_drawn(t, seeded_today, today) for t in RUNNING]


def _public_ab_test(figures: Figures) -> Experiment:
    control, test = figures.ab_experiment["control"], figures.ab_experiment["test"]
    return Experiment(
        experiment_id="exp-ab-public-2019",
        name="Control vs test campaign (public A/B dataset, Aug 2019)",
        campaign_id=None,
        metric="purchases per click",
        control=ExperimentArm(
            name="Control Campaign", samples=control["clicks"], conversions=control["purchases"]
        ),
        variant=ExperimentArm(
            name="Test Campaign", samples=test["clicks"], conversions=test["purchases"]
        ),
        planned_variant_share=None,  # two campaigns, not a randomised split of one audience
        start_date=date(2019, 8, 1),
        end_date=date(2019, 8, 30),
    )


def _drawn(test: _Running, seeded_today: date, today: date) -> Experiment:
    start = seeded_today - timedelta(days=test.started_days_ago)
    counts = {"control": [0, 0], "variant": [0, 0]}
    rates = {"control": test.control_rate, "variant": test.control_rate * (1 + test.lift)}
    for offset in range(max((today - start).days, 0)):
        day = start + timedelta(days=offset)
        rng = random.Random(f"experiment/{test.experiment_id}/{day.isoformat()}")
        visitors = max(0, round(rng.gauss(test.daily, test.daily**0.5)))
        variant = sum(rng.random() < test.variant_share for _ in range(visitors))
        for arm, samples in (("control", visitors - variant), ("variant", variant)):
            converted = sum(rng.random() < rates[arm] for _ in range(samples))
            counts[arm][0] += samples
            counts[arm][1] += converted
    return Experiment(
        experiment_id=test.experiment_id,
        name=test.name,
        campaign_id=test.campaign_id,
        metric=test.metric,
        control=ExperimentArm(
            name=test.control, samples=counts["control"][0], conversions=counts["control"][1]
        ),
        variant=ExperimentArm(
            name=test.variant, samples=counts["variant"][0], conversions=counts["variant"][1]
        ),
        planned_variant_share=test.planned_share,
        start_date=start,
        end_date=None,
    )
