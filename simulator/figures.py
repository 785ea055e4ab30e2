"""The committed figures the simulator is built on (``simulator/data/figures.json``).

Derived from the public datasets by ``python -m simulator.derive`` (see its docstring for the
provenance the file carries). Reading them needs nothing outside the repository.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

FIGURES_FILE = Path(__file__).resolve().parent / "data" / "figures.json"


@dataclass(frozen=True)
class DeliveryLevels:
    """What a campaign built on one slice of a dataset delivers on an ordinary day."""

    source: str
    daily_spend: float
    cpm: float
    ctr_pct: float
    cvr_pct: float  # conversions per click, in percent


@dataclass(frozen=True)
class SegmentLevel:
    segment_id: str
    name: str
    spend_share: float
    relative_cpa: float  # the segment's CPA divided by the CPA of the whole slice


@dataclass(frozen=True)
class Spread:
    median: float
    log_sd: float
    n: int


@dataclass(frozen=True)
class Figures:
    delivery: dict[str, DeliveryLevels]
    segments: dict[str, tuple[SegmentLevel, ...]]
    engagement_per_click: float
    daily_spread: dict[str, Spread]
    adset_spread: dict[str, Spread]
    weekday_factors: tuple[float, ...]  # Monday first, mean 1
    revenue_per_cost: Spread
    # The public A/B test as counts per arm ("control", "test"): days, spend, impressions,
    # clicks, purchases. Served as a demo experiment (simulator.experiments).
    ab_experiment: dict[str, dict[str, int]]
    provenance: dict


class FiguresError(RuntimeError):
    """The committed figures file is missing or broken (the message names it)."""


@lru_cache(maxsize=4)
def load_figures(path: Path = FIGURES_FILE) -> Figures:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        raw = document["figures"]
        figures = Figures(
            delivery={k: DeliveryLevels(**v) for k, v in raw["delivery"].items()},
            segments={k: tuple(SegmentLevel(**s) for s in v) for k, v in raw["segments"].items()},
            engagement_per_click=float(raw["engagement_per_click"]),
            daily_spread={k: Spread(**v) for k, v in raw["daily_spread"].items()},
            adset_spread={k: Spread(**v) for k, v in raw["adset_spread"].items()},
            weekday_factors=tuple(float(raw["weekday_factors"][d]) for d in _WEEKDAYS),
            revenue_per_cost=Spread(**raw["revenue_per_cost"]),
            ab_experiment={
                arm: {k: int(v) for k, v in counts.items()}
                for arm, counts in raw["ab_experiment"].items()
            },
            provenance=document["provenance"],
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise FiguresError(f"cannot read the simulator figures {path}: {error}") from error
    _check(figures, path)
    return figures


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _check(figures: Figures, path: Path) -> None:
    for name, level in figures.delivery.items():
        values = (level.daily_spend, level.cpm, level.ctr_pct, level.cvr_pct)
        if not all(math.isfinite(v) and v > 0 for v in values):
            raise FiguresError(f"{path}: delivery slice {name!r} has a non-positive figure")
    for name, segments in figures.segments.items():
        if abs(sum(s.spend_share for s in segments) - 1) > 1e-3:
            raise FiguresError(f"{path}: segment shares of {name!r} do not add up to 1")
