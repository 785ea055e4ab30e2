"""Turn case results into the numbers of the report (pure: no I/O).

Conventions, also documented in evals/README.md:
- A failed case (the reasoner raised) counts as a miss in agreement, per-action recall, kappa
  and the confusion matrix (as the predicted label ``ERROR``); it is left out of calibration,
  root-cause agreement, regeneration rate and latency percentiles, which need an answer.
- Calibration treats the recommendation's confidence as the probability that its action
  matches the expected one (top-label calibration).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from pydantic import BaseModel

from domain.recommendation import ActionType
from evals import metrics
from evals.harness import CaseResult

ACTIONS = [action.value for action in ActionType]
ERROR_LABEL = "ERROR"
CALIBRATION_BINS = 10


class ActionScores(BaseModel):
    action: str
    precision: float | None
    recall: float | None
    f1: float | None
    support: int
    predicted: int


class ReliabilityRow(BaseModel):
    low: float
    high: float
    count: int
    mean_confidence: float | None
    accuracy: float | None


class TagAgreement(BaseModel):
    tag: str
    cases: int
    agreed: int
    agreement: float


class Miss(BaseModel):
    case_id: str
    expected: str
    predicted: str | None
    expected_root_cause: str | None
    predicted_root_cause: str | None
    confidence: float | None
    tags: list[str]
    error: str | None = None


class EvalSummary(BaseModel):
    cases: int
    failed: int
    agreed: int
    agreement: float
    agreement_low: float
    agreement_high: float
    # Over the oracle-labelled cases (those with acceptable_actions): the share answered with an
    # action within noise of the best. None when no case carries an acceptable set.
    acceptable_cases: int = 0
    acceptable_agreement: float | None = None
    kappa: float | None
    macro_f1: float | None
    per_action: list[ActionScores]
    confusion_labels: list[str]  # row/column order; the last column is ERROR
    confusion: list[list[int]]  # rows expected, columns predicted
    root_cause_cases: int
    root_cause_agreement: float | None
    ece: float | None
    brier: float | None
    reliability: list[ReliabilityRow]
    regeneration_rate: float | None
    mean_regenerations: float | None
    latency_ms_mean: float | None
    latency_ms_p50: float | None
    latency_ms_p95: float | None
    latency_ms_max: float | None
    tokens_total: int | None
    tokens_per_case: float | None
    cost_usd_total: float | None
    cost_usd_per_case: float | None
    by_tag: list[TagAgreement]
    misses: list[Miss]


def summarize(results: Sequence[CaseResult]) -> EvalSummary:
    expected = [r.expected_action for r in results]
    predicted = [r.predicted_action or ERROR_LABEL for r in results]
    answered = [r for r in results if not r.failed]
    agreed = sum(r.correct for r in results)
    interval = metrics.wilson_interval(agreed, len(results))
    scores = metrics.per_class_scores(expected, predicted, ACTIONS)
    labels = [*ACTIONS, ERROR_LABEL]
    return EvalSummary(
        cases=len(results),
        failed=len(results) - len(answered),
        agreed=agreed,
        agreement=metrics.agreement(expected, predicted),
        agreement_low=interval.low,
        agreement_high=interval.high,
        **_acceptable(results),
        kappa=metrics.cohens_kappa(expected, predicted, labels),
        macro_f1=metrics.macro_f1(scores),
        per_action=[
            ActionScores(action=str(action), **vars(score)) for action, score in scores.items()
        ],
        confusion_labels=labels,
        confusion=metrics.confusion_matrix(expected, predicted, labels)[: len(ACTIONS)],
        **_root_causes(answered),
        **_calibration(answered),
        **_regenerations(answered),
        **_latency(answered),
        **_cost(results),
        by_tag=_by_tag(results),
        misses=[_miss(r) for r in results if not r.correct],
    )


def _acceptable(results: Sequence[CaseResult]) -> dict:
    judged = [r.acceptable for r in results if r.acceptable is not None]
    return {
        "acceptable_cases": len(judged),
        "acceptable_agreement": sum(judged) / len(judged) if judged else None,
    }


def _root_causes(answered: Sequence[CaseResult]) -> dict:
    labelled = [r for r in answered if r.expected_root_cause is not None]
    matched = sum(r.predicted_root_cause == r.expected_root_cause for r in labelled)
    return {
        "root_cause_cases": len(labelled),
        "root_cause_agreement": matched / len(labelled) if labelled else None,
    }


def _calibration(answered: Sequence[CaseResult]) -> dict:
    scored = [r for r in answered if r.confidence is not None]
    confidences = [r.confidence for r in scored if r.confidence is not None]
    correct = [r.correct for r in scored]
    table = metrics.reliability_table(confidences, correct, CALIBRATION_BINS)
    return {
        "ece": metrics.expected_calibration_error(confidences, correct, CALIBRATION_BINS),
        "brier": metrics.brier_score(confidences, correct),
        "reliability": [ReliabilityRow(**vars(row)) for row in table],
    }


def _regenerations(answered: Sequence[CaseResult]) -> dict:
    if not answered:
        return {"regeneration_rate": None, "mean_regenerations": None}
    regenerations = [(r.attempts or 1) - 1 for r in answered]
    return {
        "regeneration_rate": sum(r.regenerated for r in answered) / len(answered),
        "mean_regenerations": sum(regenerations) / len(answered),
    }


def _latency(answered: Sequence[CaseResult]) -> dict:
    values = [r.latency_ms for r in answered]
    return {
        "latency_ms_mean": sum(values) / len(values) if values else None,
        "latency_ms_p50": metrics.percentile(values, 50),
        "latency_ms_p95": metrics.percentile(values, 95),
        "latency_ms_max": max(values) if values else None,
    }


def _cost(results: Sequence[CaseResult]) -> dict:
    """Token totals over every case (failed ones spent tokens too); None if nothing reported."""
    reported = [r.usage for r in results if r.usage is not None]
    if not reported:
        return dict.fromkeys(
            ("tokens_total", "tokens_per_case", "cost_usd_total", "cost_usd_per_case")
        )
    tokens = sum(u.total_tokens for u in reported)
    cost = sum(u.cost_usd for u in reported)
    return {
        "tokens_total": tokens,
        "tokens_per_case": tokens / len(results),
        "cost_usd_total": cost,
        "cost_usd_per_case": cost / len(results),
    }


def _by_tag(results: Sequence[CaseResult]) -> list[TagAgreement]:
    groups: dict[str, list[CaseResult]] = defaultdict(list)
    for result in results:
        for tag in result.tags:
            groups[tag].append(result)
    rows = []
    for tag, members in sorted(groups.items()):
        agreed = sum(r.correct for r in members)
        rows.append(
            TagAgreement(
                tag=tag, cases=len(members), agreed=agreed, agreement=agreed / len(members)
            )
        )
    return rows


def _miss(result: CaseResult) -> Miss:
    return Miss(
        case_id=result.case_id,
        expected=result.expected_action,
        predicted=result.predicted_action,
        expected_root_cause=result.expected_root_cause,
        predicted_root_cause=result.predicted_root_cause,
        confidence=result.confidence,
        tags=result.tags,
        error=result.error,
    )
