"""Recommendation views as JSON, cached by what they are made of.

A view is a function of one stored row (its columns and its state document as text), and a
row changes whenever the workflow saves (``state_seq`` and ``updated_at`` move), so a cache keyed
by the whole row is never stale and needs no invalidation. Reads repeat — reviewers and clients
poll the same recommendations, list pages overlap from one poll to the next — and a hit skips
decoding, validating and serializing the state document, which was most of a list page's CPU
(bench/api_load.py).
"""

from __future__ import annotations

from functools import lru_cache

from api.schemas import RecommendationView
from store import mapping
from store.records import StoredRecommendation

# Entries, not bytes: a view is a few kB (the context is not part of it), the key holds the row's
# state document (tens of kB with a large context), so 1,024 entries stay within tens of MB.
VIEW_CACHE_ENTRIES = 1024


@lru_cache(maxsize=VIEW_CACHE_ENTRIES)
def view_json(row: StoredRecommendation) -> bytes:
    """The row's view (``source: store``) as the API returns it."""
    return RecommendationView.build(mapping.to_record(row)).model_dump_json().encode()


def page_json(rows: list[StoredRecommendation], total: int, limit: int, offset: int) -> bytes:
    """A RecommendationPage, assembled from the cached views of its rows."""
    items = b",".join(view_json(row) for row in rows)
    return b'{"items":[%s],"total":%d,"limit":%d,"offset":%d}' % (items, total, limit, offset)
