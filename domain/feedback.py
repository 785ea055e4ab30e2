"""Reading a reviewer's feedback: which actions did they rule out?

A reviewer who sends a revision back usually says why in a sentence ("don't pause, the tracking
fix ships tomorrow", "not a bid problem, look at the creatives"). The rules reasoner cannot
understand prose, but it can honour the one instruction that matters most: an action named
after a negation ("don't", "not", "no", "avoid", "rather than", ...) in the same clause is
ruled out for the next revisions. LLM reasoners get the whole text; this reading is also the
check that an LLM's draft did not recommend what a reviewer ruled out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from domain.lifecycle import ReviewerFeedback
from domain.recommendation import ActionType

# Words that name each action in a reviewer's sentence (lower case, matched as word prefixes).
ACTION_WORDS: dict[ActionType, tuple[str, ...]] = {
    ActionType.campaign_pause: ("campaign pause", "paus", "stop the campaign", "turn it off"),
    ActionType.bid_adjustment: ("bid adjustment", "bid", "cpc"),
    ActionType.creative_refresh: ("creative refresh", "creative", "refresh", "new ads"),
    ActionType.audience_expansion: ("audience expansion", "expan", "widen", "broaden"),
    ActionType.budget_reallocation: ("budget reallocation", "realloc", "budget", "move spend"),
    ActionType.continue_monitoring: ("continue monitoring", "monitoring", "wait and see"),
}
_NEGATION = re.compile(
    r"\b(?:don'?t|do not|does not|doesn'?t|not|no|never|avoid|without|rule out|ruled out|"
    r"instead of|rather than|against|won'?t|can'?t|cannot|stop recommending)\b"
)
# A clause ends at sentence punctuation or a contrast ("but", "however"): the negation in
# "don't pause, but raise the bid" does not reach "bid".
_CLAUSE_END = re.compile(r"[.;:!?,\n]|\bbut\b|\bhowever\b|\binstead\b(?! of)")


def ruled_out_actions(feedback: Iterable[ReviewerFeedback]) -> dict[ActionType, ReviewerFeedback]:
    """Each action some reviewer ruled out, with the feedback that did it (the first)."""
    ruled: dict[ActionType, ReviewerFeedback] = {}
    for item in feedback:
        for action in _ruled_out_in(item.feedback):
            ruled.setdefault(action, item)
    return ruled


def _ruled_out_in(text: str) -> list[ActionType]:
    found: list[ActionType] = []
    for clause in _CLAUSE_END.split(text.lower()):
        negation = _NEGATION.search(clause)
        if negation is None:
            continue
        after = clause[negation.end() :]
        for action, words in ACTION_WORDS.items():
            if action not in found and any(re.search(rf"\b{w}", after) for w in words):
                found.append(action)
    return found


def quote(feedback: ReviewerFeedback, limit: int = 120) -> str:
    text = " ".join(feedback.feedback.split())
    return f'"{text[: limit - 1]}…"' if len(text) > limit else f'"{text}"'
