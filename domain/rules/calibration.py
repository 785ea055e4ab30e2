"""Confidence as the probability of being acceptable: a table fitted on seeded worlds.

The rules' evidence score says how well a cause fits; it does not say how often acting on it
turns out well. On the simulator's worlds the raw score barely separated good calls from bad
ones within an action, while the action and the sample size did. So the confidence of a rules
recommendation is the share of recommendations of that action, in that conversions band, that
the counterfactual oracle found acceptable (within noise of the best action) on the tuning
worlds; the evidence score stays in the confidence reasoning.

Provenance: ``python -m evals.tune_rules --seeds 1 2 3 --campaigns 300 --fit`` (seeds 1-3 of the
tuning range 1-99, 900 campaigns, the rules as committed with this table). Each cell is shrunk
toward its action's pooled rate by ``PRIOR_WEIGHT`` pseudo-cases (a Beta prior), so thin cells
(a reallocation on under 30 conversions happened twice) stay near the action's rate. Refit and
commit the printed table whenever the rules' choices change. Checked on never-tuned seeds
(9001, 9002): see evals/README.md.
"""

from __future__ import annotations

from domain.recommendation import ActionType

# Conversions in the analysed period: under 30 (the small-sample line, ``min_conversions``),
# 30-299, 300 and more.
CONVERSION_BANDS = (30.0, 300.0)
PRIOR_WEIGHT = 10

CALIBRATION: dict[ActionType, tuple[float, float, float]] = {
    ActionType.creative_refresh: (0.52, 0.48, 0.69),
    ActionType.audience_expansion: (0.75, 0.78, 0.75),
    ActionType.bid_adjustment: (0.58, 0.59, 0.35),
    ActionType.campaign_pause: (0.72, 0.51, 0.62),
    ActionType.budget_reallocation: (0.71, 0.57, 0.76),
    ActionType.continue_monitoring: (0.65, 0.51, 0.41),
}


def conversion_band(conversions: float) -> int:
    return sum(conversions >= edge for edge in CONVERSION_BANDS)


def calibrated(action: ActionType, conversions: float) -> float:
    """P(acceptable) of recommending ``action`` on a campaign with this many conversions."""
    return CALIBRATION[action][conversion_band(conversions)]
