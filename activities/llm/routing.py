"""Model routing: the cheap model for straightforward cases, the strong one for hard cases.

"Hard" is the seed's complexity score (``domain.rules.complexity_score``: causes that score
close together, a weak fit, a big move, missing data), computed by the rules from the context
alone, so it is deterministic and no campaign text can talk a case into a pricier model.
"""

from __future__ import annotations

from dataclasses import dataclass

from activities.llm.prompts import ModelTier
from domain import rules
from domain.context import CampaignContext
from domain.thresholds import SignalThresholds


@dataclass(frozen=True)
class ModelRouter:
    cheap: str
    strong: str
    complexity_threshold: float

    def route(self, tier: ModelTier, complexity: float) -> str:
        if tier is ModelTier.cheap:
            return self.cheap
        if tier is ModelTier.strong or complexity >= self.complexity_threshold:
            return self.strong
        return self.cheap


def case_complexity(context: CampaignContext, thresholds: SignalThresholds) -> float:
    facts = rules.build_facts(context, thresholds)
    return rules.complexity_score(facts, rules.assess_causes(facts))
