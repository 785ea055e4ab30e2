"""What an id may look like. Ids end up in Temporal workflow ids, search attributes, log lines
and ad-platform URL paths, so they are kept boring: letters, digits and ``_ : -``, with single
dots between them (``..`` could climb out of a URL path segment)."""

from __future__ import annotations

import re

ID_PATTERN = r"^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*$"
MAX_ID_LENGTH = 128
# "rec-" + campaign id + "-" + 8 hex must still fit in MAX_ID_LENGTH.
MAX_CAMPAIGN_ID_LENGTH = MAX_ID_LENGTH - len("rec--12345678")

_ID = re.compile(ID_PATTERN)


def campaign_id_problem(campaign_id: str) -> str | None:
    """Why ``campaign_id`` is not a usable campaign id (None: it is)."""
    if not 1 <= len(campaign_id) <= MAX_CAMPAIGN_ID_LENGTH:
        return f"a campaign id has 1 to {MAX_CAMPAIGN_ID_LENGTH} characters"
    if not _ID.match(campaign_id):
        return (
            f"campaign id {campaign_id[:60]!r} may hold only letters, digits, '_', ':', '-' "
            "and single dots between them"
        )
    return None
