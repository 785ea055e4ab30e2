"""Custom search attributes that make every run findable in the Temporal UI (DESIGN §6).

The dev server needs them registered once (``make demo`` does it; tests register them on their
own servers with ``ALL_SEARCH_ATTRIBUTES``). The starter sets ``CampaignId`` at start with
``start_search_attributes`` so a run is findable before its first workflow task.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

CAMPAIGN_ID = SearchAttributeKey.for_keyword("CampaignId")
RECOMMENDATION_STATUS = SearchAttributeKey.for_keyword("RecommendationStatus")
RECOMMENDED_ACTION = SearchAttributeKey.for_keyword("RecommendedAction")
CONFIDENCE = SearchAttributeKey.for_float("Confidence")  # indexed as Double
# Pacing alerts' notification workflows and halts: find every critical one, every escalation.
PACING_SEVERITY = SearchAttributeKey.for_keyword("PacingSeverity")
PACING_ACTION = SearchAttributeKey.for_keyword("PacingAction")

ALL_SEARCH_ATTRIBUTES: tuple[SearchAttributeKey, ...] = (
    CAMPAIGN_ID,
    RECOMMENDATION_STATUS,
    RECOMMENDED_ACTION,
    CONFIDENCE,
    PACING_SEVERITY,
    PACING_ACTION,
)


def start_search_attributes(campaign_id: str) -> TypedSearchAttributes:
    """What a starter passes as ``search_attributes=`` to ``start_workflow``."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(CAMPAIGN_ID, campaign_id),
            SearchAttributePair(RECOMMENDATION_STATUS, "analyzing"),
        ]
    )


def campaign_search_attributes(campaign_id: str) -> TypedSearchAttributes:
    """A campaign's change queue is findable by the campaign it serialises."""
    return TypedSearchAttributes([SearchAttributePair(CAMPAIGN_ID, campaign_id)])


def pacing_search_attributes(
    campaign_id: str | None, severity: str | None, action: str | None
) -> TypedSearchAttributes:
    """A pacing alert's workflows are findable by campaign, severity and action."""
    pairs = [
        SearchAttributePair(key, value)
        for key, value in (
            (CAMPAIGN_ID, campaign_id),
            (PACING_SEVERITY, severity),
            (PACING_ACTION, action),
        )
        if value
    ]
    return TypedSearchAttributes(pairs)
