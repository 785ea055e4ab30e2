"""``critique_recommendation``: checks a recommendation (ours or a model's) against the data.

Each ``_check_*`` returns issues with a severity; critical issues or a low adjusted
confidence make the reasoning loop regenerate.
"""

from __future__ import annotations

from domain.feedback import quote, ruled_out_actions
from domain.lifecycle import CritiqueInput
from domain.outcome import metric_name
from domain.recommendation import (
    ACTION_FOR_ROOT_CAUSE,
    ActionType,
    Critique,
    CritiqueIssue,
    Recommendation,
    RootCause,
    Severity,
)
from domain.rules.causes import _HALLMARK_PRESENT, Assessment, assess_causes
from domain.rules.facts import Facts, build_facts
from domain.rules.recommend import PARTIAL_CONTEXT_MAX_CONFIDENCE
from domain.rules.text import cause_label, fmt_money, moved
from domain.stats import clamp

# The cause an action treats (the inverse of ACTION_FOR_ROOT_CAUSE).
CAUSE_FOR_ACTION: dict[ActionType, RootCause] = {a: c for c, a in ACTION_FOR_ROOT_CAUSE.items()}
# Confidence taken off per issue: a critical finding alone pushes most proposals under 0.6.
_SEVERITY_PENALTY = {Severity.critical: 0.3, Severity.major: 0.1, Severity.minor: 0.02}


def _issue(severity: Severity, code: str, description: str) -> CritiqueIssue:
    return CritiqueIssue(severity=severity, code=code, description=description)


def _check_required(rec: Recommendation) -> list[CritiqueIssue]:
    issues = []
    texts = {
        "specific_action": rec.specific_action,
        "reasoning": rec.reasoning,
        "signal_analysis": rec.signal_analysis,
        "confidence_reasoning": rec.confidence_reasoning,
    }
    for name, value in texts.items():
        if not value.strip():
            issues.append(_issue(Severity.critical, "empty_field", f"{name} is empty"))
    if not rec.supporting_evidence:
        issues.append(_issue(Severity.critical, "empty_field", "no supporting evidence"))
    issues += _check_parameters(rec)
    return issues


def _check_parameters(rec: Recommendation) -> list[CritiqueIssue]:
    p, action = rec.parameters, rec.recommended_action
    missing = None
    if action is ActionType.bid_adjustment and not p.bid_change_pct:
        missing = "Bid Adjustment without a bid change"
    elif action is ActionType.audience_expansion and not p.audience_expansion_pct:
        missing = "Audience Expansion without an expansion percentage"
    elif action is ActionType.budget_reallocation and not (
        p.budget_shift_amount and p.from_segment_id and p.to_segment_id
    ):
        missing = "Budget Reallocation without an amount and from/to segments"
    return [_issue(Severity.critical, "empty_field", missing)] if missing else []


def _check_action_matches_cause(rec: Recommendation) -> list[CritiqueIssue]:
    expected = ACTION_FOR_ROOT_CAUSE[rec.root_cause]
    if rec.recommended_action is expected:
        return []
    return [
        _issue(
            Severity.critical,
            "action_mismatch",
            f"{rec.recommended_action.value} does not treat {cause_label(rec.root_cause)}; "
            f"that calls for {expected.value}",
        )
    ]


def _pause_contradiction(f: Facts) -> str | None:
    c, t = f.campaign, f.thresholds
    if f.conversion_break_credit >= _HALLMARK_PRESENT:
        return None
    cpa_normal = c.cpa_change_pct is None or c.cpa_change_pct <= t.significant_change_pct
    if cpa_normal:
        return (
            f"Campaign Pause while {c.conversions:,.0f} conversions were recorded and CPA is "
            f"normal ({moved('CPA', c.cpa_change_pct)}): pausing would throw them away"
        )
    return (
        f"Campaign Pause while {c.conversions:,.0f} conversions are still recorded: no sign of "
        f"broken tracking or a collapsed conversion rate ({moved('CPA', c.cpa_change_pct)})"
    )


def _monitoring_contradiction(f: Facts) -> str | None:
    c, t = f.campaign, f.thresholds
    if f.conversion_break_credit >= 0.5:
        return f"Continue Monitoring while {fmt_money(c.spend)} is spent with no conversions"
    change = c.cpa_change_pct
    if change is not None and change > t.critical_change_pct and f.trend_days >= t.trend_days:
        return f"Continue Monitoring while CPA is up {change:.1f} % for {f.trend_days} days"
    return None


def _check_action_fits_evidence(
    rec: Recommendation, f: Facts, assessments: dict[RootCause, Assessment]
) -> list[CritiqueIssue]:
    action = rec.recommended_action
    if action is ActionType.campaign_pause:
        problem = _pause_contradiction(f)
    elif action is ActionType.continue_monitoring:
        problem = _monitoring_contradiction(f)
    else:
        cause = CAUSE_FOR_ACTION[action]
        assessment = assessments[cause]
        if assessment.hallmark is None:
            sources = ", ".join(assessment.missing_sources) or "the key data"
            return [
                _issue(
                    Severity.major,
                    "unverifiable",
                    f"cannot verify {cause_label(cause)}: {sources} missing",
                )
            ]
        problem = None
        if assessment.hallmark < _HALLMARK_PRESENT:
            against = "; ".join(assessment.counter[:2]) or "its defining signal is absent"
            problem = f"{action.value} but no sign of {cause_label(cause)}: {against}"
    issues = [_issue(Severity.critical, "contradicts_evidence", problem)] if problem else []
    return issues + _check_targets(rec, f)


def _check_targets(rec: Recommendation, f: Facts) -> list[CritiqueIssue]:
    """Named creatives and segments must exist in the context (when it has that source)."""
    p, ctx = rec.parameters, f.context
    issues = []
    if rec.recommended_action is ActionType.creative_refresh and ctx.creatives is not None:
        known = {c.creative_id for c in ctx.creatives}
        unknown = [cid for cid in p.creative_ids if cid not in known]
        if unknown:
            issues.append(
                _issue(
                    Severity.critical,
                    "contradicts_evidence",
                    f"unknown creatives: {', '.join(unknown)}",
                )
            )
    if rec.recommended_action is ActionType.budget_reallocation and ctx.audience is not None:
        known = {s.segment_id for s in ctx.audience.segments}
        unknown = [s for s in (p.from_segment_id, p.to_segment_id) if s and s not in known]
        if unknown:
            issues.append(
                _issue(
                    Severity.critical,
                    "contradicts_evidence",
                    f"unknown segments: {', '.join(unknown)}",
                )
            )
    return issues


def _check_evidence(
    rec: Recommendation, assessments: dict[RootCause, Assessment]
) -> list[CritiqueIssue]:
    issues = []
    if 0 < len(rec.supporting_evidence) < 2:
        issues.append(
            _issue(Severity.major, "weak_evidence", "only one piece of supporting evidence")
        )
    assessment = assessments[rec.root_cause]
    if assessment.score < 0.3:
        issues.append(
            _issue(
                Severity.major,
                "weak_evidence",
                f"the data gives {cause_label(rec.root_cause)} only {assessment.score:.2f}",
            )
        )
    best = max(assessments.values(), key=lambda a: a.score)
    if best.cause != rec.root_cause and best.score - assessment.score >= 0.3:
        issues.append(
            _issue(
                Severity.major,
                "stronger_cause",
                f"{cause_label(best.cause)} fits the data better ({best.score:.2f} vs "
                f"{assessment.score:.2f})",
            )
        )
    return issues


def _check_alternatives(rec: Recommendation) -> list[CritiqueIssue]:
    if len(rec.alternatives_considered) >= 2:
        return []
    return [
        _issue(Severity.major, "missing_alternatives", "fewer than two alternatives considered")
    ]


def _check_magnitude(rec: Recommendation, f: Facts) -> list[CritiqueIssue]:
    p, c, comp = rec.parameters, f.campaign, f.context.competitors
    issues = []
    if rec.recommended_action is ActionType.bid_adjustment and p.bid_change_pct:
        market = max(c.cpm_change_pct or 0.0, comp.avg_bid_increase_pct if comp else 0.0)
        if abs(p.bid_change_pct) > market + f.sig:
            issues.append(
                _issue(
                    Severity.major,
                    "magnitude",
                    f"bid change {p.bid_change_pct:+.0f} % is larger than the market moved "
                    f"({market:+.1f} %): make it smaller",
                )
            )
    if rec.recommended_action is ActionType.budget_reallocation and p.budget_shift_amount:
        source = next((s for s in f.segments if s.segment_id == p.from_segment_id), None)
        if source is not None and p.budget_shift_amount > source.spend / f.period_days:
            issues.append(
                _issue(
                    Severity.major,
                    "magnitude",
                    f"moves {fmt_money(p.budget_shift_amount)}/day, more than "
                    f"'{source.name}' spends per day",
                )
            )
    return issues


_LOWER_IS_BETTER = {"cpa", "cpm"}


def _check_impact(rec: Recommendation) -> list[CritiqueIssue]:
    metric, change = metric_name(rec.expected_impact.metric), rec.expected_impact.change_pct
    action = rec.recommended_action
    if action is ActionType.continue_monitoring:
        return []
    if action is ActionType.campaign_pause:
        wrong = change >= 0
    elif metric in _LOWER_IS_BETTER:
        wrong = change > 0
    else:
        wrong = change < 0
    if not wrong:
        return []
    return [
        _issue(
            Severity.major,
            "impact_direction",
            f"expected {metric} {change:+.1f} % is a change for the worse",
        )
    ]


def _check_confidence(rec: Recommendation, f: Facts) -> list[CritiqueIssue]:
    if (rec.degraded or f.missing) and rec.confidence > PARTIAL_CONTEXT_MAX_CONFIDENCE:
        return [
            _issue(
                Severity.major,
                "overconfident",
                f"confidence {rec.confidence:.2f} with partial context",
            )
        ]
    return []


def _check_style(
    rec: Recommendation, assessments: dict[RootCause, Assessment]
) -> list[CritiqueIssue]:
    issues = []
    if assessments[rec.root_cause].counter and not rec.contradictory_evidence:
        issues.append(
            _issue(
                Severity.minor,
                "unacknowledged_counter_evidence",
                f"does not mention: {assessments[rec.root_cause].counter[0]}",
            )
        )
    if rec.specific_action and not any(ch.isdigit() for ch in rec.specific_action):
        issues.append(_issue(Severity.minor, "vague_action", "specific action has no numbers"))
    if rec.reasoning and len(rec.reasoning) < 60:
        issues.append(_issue(Severity.minor, "short_reasoning", "reasoning is too short to follow"))
    if not rec.success_metrics:
        issues.append(_issue(Severity.minor, "no_success_metrics", "no success metrics"))
    return issues


def _check_reviewer_feedback(inp: CritiqueInput) -> list[CritiqueIssue]:
    """A reviewer who sent a revision back ruled an action out: recommending it again ignores
    the person who will decide."""
    action = inp.recommendation.recommended_action
    feedback = ruled_out_actions(inp.reviewer_feedback).get(action)
    if feedback is None:
        return []
    return [
        _issue(
            Severity.critical,
            "ruled_out_by_reviewer",
            f"{action.value} was ruled out by {feedback.reviewer} on revision "
            f"{feedback.revision}: {quote(feedback)}",
        )
    ]


def critique_recommendation(inp: CritiqueInput) -> Critique:
    """Check a recommendation against the context; CRITICAL issues or low confidence regenerate."""
    f = build_facts(inp.context, inp.thresholds)
    assessments = {a.cause: a for a in assess_causes(f)}
    rec = inp.recommendation
    issues = [
        *_check_required(rec),
        *_check_action_matches_cause(rec),
        *_check_action_fits_evidence(rec, f, assessments),
        *_check_evidence(rec, assessments),
        *_check_alternatives(rec),
        *_check_magnitude(rec, f),
        *_check_impact(rec),
        *_check_confidence(rec, f),
        *_check_style(rec, assessments),
        *_check_reviewer_feedback(inp),
    ]
    penalty = sum(_SEVERITY_PENALTY[i.severity] for i in issues)
    adjusted = round(clamp(rec.confidence - penalty), 2)
    return Critique(
        issues=issues, adjusted_confidence=adjusted, summary=_critique_summary(issues, adjusted)
    )


def _critique_summary(issues: list[CritiqueIssue], adjusted: float) -> str:
    if not issues:
        return f"no issues; confidence {adjusted:.2f} stands"
    counts = ", ".join(
        f"{sum(1 for i in issues if i.severity is s)} {s.value}"
        for s in Severity
        if any(i.severity is s for i in issues)
    )
    worst = min(issues, key=lambda i: list(Severity).index(i.severity))
    return (
        f"{len(issues)} issue(s) ({counts}); first: {worst.description}; "
        f"adjusted confidence {adjusted:.2f}"
    )
