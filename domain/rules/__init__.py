"""The rules reasoner: deterministic, explainable root-cause analysis, recommendation and critique.

How the analysis scores a root cause
- Each cause has weighted indicators (weights sum to 1). An indicator gives graded credit 0-1
  (e.g. "CTR falling" gives 0 below half the significant change and 1 at 1.5x it), or None
  when the source it needs is missing (None counts as 0: missing data never proves a cause).
- raw = sum(weight x credit). Each cause also has a hallmark (the signal without which the cause
  is implausible, e.g. declining CTR for creative fatigue); score = raw x (0.4 + 0.6 x hallmark),
  and for a fundamental problem score = raw x hallmark (no zero-conversion signal, no problem).
- Indicators with credit >= 0.5 become supporting evidence; the others, when their data is
  there, become counter-evidence.
- Hallmarks must be more than noise. Creative fatigue's CTR decline counts only as far as wear on
  the creatives (frequency or age above the fatigue thresholds) or a CPA rise corroborates it;
  uneven efficiency's segment CPA gap counts only when it rests on enough conversions
  (``segment_min_conversions`` worth of spend per compared segment, and significant at
  ``segment_gap_confidence``). Otherwise the gap is named as a small sample in the evidence.

- Normal variance says nothing is going on, so it cannot outrank a cause with evidence: once a
  cause has its hallmark and scores ``evidence_score`` or more, normal variance's score is capped
  at that cause's (ties go to the cause).
- Confidence is the probability that the action is acceptable, measured on seeded worlds per
  action and conversions band (``calibration``); the fit and lead stay in its reasoning.

Every number comes from ``SignalThresholds`` and ``Guardrails`` (and the fitted table in
``calibration``); nothing here reads a clock,
does I/O or draws random numbers, so the same input always gives the same output (it runs
inside Temporal workflows too).

The modules, in the order the reasoning runs (each imports only the ones above it)
- ``text``: formatting shared with the guardrails (money, shares, KPI moves, action wording).
- ``facts``: ``Facts``, every derived quantity computed once from the context, and the graded
  credits indicators are made of.
- ``causes``: the per-cause indicators and hallmarks, scored into ``Assessment``s.
- ``calibration``: the fitted P(acceptable) table confidence is read from (with its provenance).
- ``analysis``: ``analyze_signals`` (signals, ranked causes, summary) and ``complexity_score``.
- ``drafts``: one ``ActionDraft`` builder per action (parameters, impact, success metrics).
- ``planning``: which cause to act on, first time and after a critique (``plan_attempt``).
- ``recommend``: ``generate_recommendation`` (confidence, risk, evidence, alternatives, text).
- ``critique``: ``critique_recommendation`` and its checks.

Names with a leading underscore are private to this package (shared between its modules, not
meant for importers). The names below are the package's public interface.
"""

from domain.rules.analysis import analyze_signals, complexity_score
from domain.rules.causes import assess_causes
from domain.rules.critique import critique_recommendation
from domain.rules.facts import build_facts
from domain.rules.recommend import generate_recommendation
from domain.rules.text import (
    current_bid_of,
    describe_audience_expansion,
    describe_bid_change,
    describe_budget_shift,
    fmt_money,
    fmt_share,
    new_bid_for,
)

__all__ = [
    "analyze_signals",
    "assess_causes",
    "build_facts",
    "complexity_score",
    "critique_recommendation",
    "current_bid_of",
    "describe_audience_expansion",
    "describe_bid_change",
    "describe_budget_shift",
    "fmt_money",
    "fmt_share",
    "generate_recommendation",
    "new_bid_for",
]
