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

ALL_SEARCH_ATTRIBUTES: tuple[SearchAttributeKey, ...] = (
    CAMPAIGN_ID,
    RECOMMENDATION_STATUS,
    RECOMMENDED_ACTION,
    CONFIDENCE,
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
