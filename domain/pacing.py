"""The spend-pacing monitor's reasoning (seed 004), pure: match, trust, measure, decide, explain.

For one media-plan line and what the ad platform reports:

1. **Match** the line to a platform campaign: by id when the plan names one, else by the most
   similar campaign name (``rapidfuzz``; "Data Analytics Course" matches "Data Analytcis
   Course" at 0.95, never at 1.0).
2. **Confidence** that the comparison is right = ``metadata_weight`` x metadata match (market,
   product, start and end date agree) + ``name_weight`` x name similarity + ``freshness_weight``
   x freshness of the platform's figures (< 4 h 1.0, < 12 h 0.8, < 24 h 0.5, older 0.2).
3. **Pacing** on flight-to-date spend against the spend expected for the elapsed share of the
   flight, measured up to the instant the platform's figures reach (later hours are not
   reported yet, so they count on neither side). Platforms may spend up to twice the daily
   budget on one day and even it out later, so a gap of up to one planned day's spend
   (``burst_allowance_days``) is the platform's normal rhythm and is not counted.
4. **Severity**: |variance| < 10 % healthy, 10-25 % warning, > 25 % critical; no spend over the
   last reported day(s) of a live flight (zero delivery) is critical whatever the variance.
5. **Action** (the seed's decision matrix, ``decide``): zero delivery alerts with its checklist;
   otherwise confidence < 0.7 escalates to a person whatever the variance; healthy does
   nothing; warning alerts; critical under-delivery alerts; critical over-delivery halts the
   campaign (``autonomous_halt``) or, in test mode, recommends the halt. A halt in effect is
   never undone here: a person releases it.
6. **Root cause and mitigation**, rule-based: over/under delivery against the daily budget,
   and for zero delivery the checklist status, audience, bid, budget, creative.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field
from rapidfuzz import fuzz, process, utils

from domain.media_plan import PlanLine
from domain.platform import CampaignSettings, CampaignSummary, SpendReport

METADATA_FIELDS = ("market", "product", "start_date", "end_date")


class FreshnessBand(BaseModel):
    max_age_hours: float = Field(gt=0)
    score: float = Field(ge=0, le=1)


class PacingPolicy(BaseModel):
    """Every number of the monitor (``PACING__*`` settings)."""

    metadata_weight: float = Field(default=0.5, ge=0, le=1)
    name_weight: float = Field(default=0.3, ge=0, le=1)
    freshness_weight: float = Field(default=0.2, ge=0, le=1)
    freshness_bands: list[FreshnessBand] = Field(
        default_factory=lambda: [
            FreshnessBand(max_age_hours=4, score=1.0),
            FreshnessBand(max_age_hours=12, score=0.8),
            FreshnessBand(max_age_hours=24, score=0.5),
        ]
    )
    stale_score: float = Field(default=0.2, ge=0, le=1)
    warning_variance_pct: float = Field(default=10.0, ge=0)
    critical_variance_pct: float = Field(default=25.0, ge=0)
    min_confidence: float = Field(default=0.7, ge=0, le=1)
    # A campaign name at least this similar is a candidate match (without an id).
    min_name_similarity: float = Field(default=0.6, ge=0, le=1)
    # Market and product spellings at least this similar are the same ("Hyderbad").
    same_text_similarity: float = Field(default=0.8, ge=0, le=1)
    date_tolerance_days: int = Field(default=1, ge=0)
    burst_allowance_days: float = Field(default=1.0, ge=0)
    zero_delivery_days: int = Field(default=1, ge=1)
    # False (test mode): a critical overspend is recommended for a halt, nothing is paused.
    autonomous_halt: bool = False


class Severity(StrEnum):
    healthy = "healthy"
    warning = "warning"
    critical = "critical"
    unknown = "unknown"  # nothing to compare: no matching campaign or no figures


class PacingAction(StrEnum):
    none = "none"
    alert = "alert"
    escalate = "escalate"  # a person must look before anything is done
    halt = "halt"  # pause the campaign through the change queue
    recommend_halt = "recommend_halt"  # test mode: what a halt would be, nothing paused


class Direction(StrEnum):
    over = "over"
    under = "under"
    on_plan = "on_plan"


class CampaignMatch(BaseModel):
    campaign_id: str
    campaign_name: str
    by: str = Field(description="id or name")
    name_similarity: float
    runner_up: str | None = Field(default=None, description="the next most similar name")


class Confidence(BaseModel):
    total: float
    metadata: float
    name: float
    freshness: float
    data_age_hours: float
    metadata_fields: dict[str, bool | None] = Field(
        description="market, product, start_date, end_date: agree, disagree or unknown (None)"
    )


class Check(BaseModel):
    """One item of the zero-delivery checklist: ok, problem or unknown (None)."""

    item: str
    ok: bool | None
    detail: str


class HaltState(BaseModel):
    """The monitor's halt of a campaign, as the store knows it."""

    halted_at: datetime
    released_at: datetime | None = None
    released_until: datetime | None = None

    def in_effect(self) -> bool:
        return self.released_at is None

    def releases(self, now: datetime) -> bool:
        """A person released it and asked for no new halt until ``released_until``."""
        return (
            self.released_at is not None
            and self.released_until is not None
            and now < self.released_until
        )


class PacingAssessment(BaseModel):
    line_id: str
    plan_campaign_name: str
    campaign_id: str | None = None
    campaign_name: str | None = None
    matched_by: str | None = None
    confidence: float = 0.0
    confidence_parts: Confidence | None = None
    flight_start: date
    flight_end: date
    measured_through: datetime | None = None
    elapsed_share: float = 0.0
    target_spend: float
    expected_spend: float = 0.0
    actual_spend: float = 0.0
    variance_pct: float | None = Field(
        default=None, description="signed, after the burst allowance: what severity is read on"
    )
    raw_variance_pct: float | None = None
    zero_delivery: bool = False
    severity: Severity
    direction: Direction = Direction.on_plan
    action: PacingAction
    reason: str
    root_cause: str = ""
    checks: list[Check] = Field(default_factory=list)
    mitigation: list[str] = Field(default_factory=list)
    platform_status: str | None = None

    @property
    def subject(self) -> str:
        """What an alert is about: the campaign, or the plan line when none matched."""
        return self.campaign_id or f"line:{self.line_id}"

    def alert_key(self, day: date) -> str:
        """One alert per campaign and severity per day at most."""
        return f"pacing:{self.subject}:{self.severity.value}:{day.isoformat()}"

    @property
    def needs_settings(self) -> bool:
        """The root cause reads the campaign's settings (not for healthy or unmatched lines)."""
        return self.campaign_id is not None and (
            self.zero_delivery or self.severity in (Severity.warning, Severity.critical)
        )


# ----------------------------------------------------------------------------- matching


def name_similarity(a: str, b: str) -> float:
    """0-1: the edit-distance similarity of the two names, case and punctuation aside."""
    return fuzz.ratio(a, b, processor=utils.default_process) / 100


def match_campaign(
    line: PlanLine, campaigns: list[CampaignSummary], policy: PacingPolicy
) -> CampaignMatch | None:
    """By id when the plan names a campaign the platform has, else by the most similar name."""
    if line.campaign_id:
        for campaign in campaigns:
            if campaign.campaign_id == line.campaign_id:
                return CampaignMatch(
                    campaign_id=campaign.campaign_id,
                    campaign_name=campaign.campaign_name,
                    by="id",
                    name_similarity=name_similarity(line.campaign_name, campaign.campaign_name),
                )
    if not campaigns:
        return None
    names = [c.campaign_name for c in campaigns]
    best = process.extract(
        line.campaign_name, names, scorer=fuzz.ratio, processor=utils.default_process, limit=2
    )
    name, score, index = best[0]
    if score / 100 < policy.min_name_similarity:
        return None
    return CampaignMatch(
        campaign_id=campaigns[index].campaign_id,
        campaign_name=name,
        by="name",
        name_similarity=score / 100,
        runner_up=best[1][0] if len(best) > 1 else None,
    )


def confidence(
    line: PlanLine,
    match: CampaignMatch,
    report: SpendReport,
    now: datetime,
    policy: PacingPolicy,
) -> Confidence:
    fields = metadata_agreement(line, report, policy)
    # An unknown field (one side does not say) is neither for nor against: half credit.
    metadata = sum(1.0 if v else 0.5 if v is None else 0.0 for v in fields.values()) / len(fields)
    age = max(0.0, (now - report.refreshed_at).total_seconds() / 3600)
    fresh = freshness(age, policy)
    total = (
        policy.metadata_weight * metadata
        + policy.name_weight * match.name_similarity
        + policy.freshness_weight * fresh
    )
    return Confidence(
        total=round(total, 4),
        metadata=metadata,
        name=match.name_similarity,
        freshness=fresh,
        data_age_hours=round(age, 2),
        metadata_fields=fields,
    )


def metadata_agreement(
    line: PlanLine, report: SpendReport, policy: PacingPolicy
) -> dict[str, bool | None]:
    def same_text(a: str | None, b: str | None) -> bool | None:
        if not a or not b:
            return None
        return name_similarity(a, b) >= policy.same_text_similarity

    def same_day(a: date | None, b: date | None) -> bool | None:
        if a is None or b is None:
            return None
        return abs((a - b).days) <= policy.date_tolerance_days

    return {
        "market": same_text(line.market, report.market),
        "product": same_text(line.product, report.product),
        "start_date": same_day(line.start_date, report.start_date),
        "end_date": same_day(line.end_date, report.end_date),
    }


def freshness(age_hours: float, policy: PacingPolicy) -> float:
    for band in sorted(policy.freshness_bands, key=lambda b: b.max_age_hours):
        if age_hours < band.max_age_hours:
            return band.score
    return policy.stale_score


# ----------------------------------------------------------------------------- pacing


class Pacing(BaseModel):
    measured_through: datetime
    elapsed_share: float
    expected_spend: float
    actual_spend: float
    variance_pct: float | None
    raw_variance_pct: float | None
    zero_delivery: bool
    started: bool


def pacing(line: PlanLine, report: SpendReport, policy: PacingPolicy) -> Pacing:
    """Flight-to-date spend against the plan, up to where the platform's figures reach."""
    start = datetime.combine(line.start_date, time.min, tzinfo=UTC)
    end = datetime.combine(line.end_date + timedelta(days=1), time.min, tzinfo=UTC)
    through = min(report.reported_through.astimezone(UTC), end)
    share = max(0.0, min(1.0, (through - start) / (end - start)))
    expected = line.target_spend * share
    actual = sum(
        spend
        for day, spend in report.daily_spend.items()
        if line.start_date <= day <= line.end_date and day <= through.date()
    )
    started = through > start
    if not started or expected <= 0:
        return Pacing(
            measured_through=through,
            elapsed_share=share,
            expected_spend=round(expected, 2),
            actual_spend=round(actual, 2),
            variance_pct=None,
            raw_variance_pct=None,
            zero_delivery=False,
            started=started,
        )
    gap = actual - expected
    allowance = line.planned_daily * policy.burst_allowance_days
    counted = max(0.0, abs(gap) - allowance)
    return Pacing(
        measured_through=through,
        elapsed_share=share,
        expected_spend=round(expected, 2),
        actual_spend=round(actual, 2),
        variance_pct=round((counted if gap >= 0 else -counted) / expected * 100, 2),
        raw_variance_pct=round(gap / expected * 100, 2),
        zero_delivery=_zero_delivery(line, report, through, policy),
        started=True,
    )


def _zero_delivery(
    line: PlanLine, report: SpendReport, through: datetime, policy: PacingPolicy
) -> bool:
    """No spend over the last ``zero_delivery_days`` full reported days, all inside the flight."""
    last_full_day = (through - timedelta(microseconds=1)).date()
    if through.time() != time.min:
        last_full_day -= timedelta(days=1)  # the day in progress is partial
    days = [last_full_day - timedelta(days=n) for n in range(policy.zero_delivery_days)]
    if any(day < line.start_date or day > line.end_date for day in days):
        return False
    return all(report.daily_spend.get(day, 0.0) <= 0 for day in days)


def severity(variance_pct: float | None, zero_delivery: bool, policy: PacingPolicy) -> Severity:
    if zero_delivery:
        return Severity.critical
    if variance_pct is None:
        return Severity.healthy
    size = abs(variance_pct)
    if size < policy.warning_variance_pct:
        return Severity.healthy
    if size <= policy.critical_variance_pct:
        return Severity.warning
    return Severity.critical


def direction(variance_pct: float | None) -> Direction:
    if not variance_pct:
        return Direction.on_plan
    return Direction.over if variance_pct > 0 else Direction.under


# ----------------------------------------------------------------------------- decision


def decide(
    level: Severity,
    zero_delivery: bool,
    way: Direction,
    confidence_total: float,
    policy: PacingPolicy,
    *,
    paused: bool = False,
    halt: HaltState | None = None,
    now: datetime,
) -> tuple[PacingAction, str]:
    """The seed's decision matrix: what to do about one line, and why in one sentence."""
    if halt is not None and halt.in_effect():
        since = f"halted by the pacing monitor at {halt.halted_at:%Y-%m-%d %H:%M} UTC"
        if not paused:
            return PacingAction.none, (
                f"{since} and resumed on the platform since; release the halt to let the "
                "monitor act on this campaign again"
            )
        return PacingAction.none, f"{since}; it stays paused until a person releases the halt"
    if zero_delivery:
        return PacingAction.alert, "no delivery in a live flight: a person works the checklist"
    if confidence_total < policy.min_confidence:
        return PacingAction.escalate, (
            f"confidence {confidence_total:.2f} is under {policy.min_confidence:.2f}: a person "
            "confirms the match and the figures before anything is done"
        )
    if level is Severity.healthy:
        return PacingAction.none, "on plan"
    if level is Severity.warning:
        return PacingAction.alert, f"{way.value}-delivering beyond the warning band"
    if way is Direction.under:
        return PacingAction.alert, "critically under-delivering: pausing would not help"
    if paused:
        return PacingAction.alert, "critically over plan, but the campaign is paused already"
    if halt is not None and halt.releases(now):
        until = f" until {halt.released_until:%Y-%m-%d %H:%M} UTC" if halt.released_until else ""
        return PacingAction.alert, f"critically over plan; a person released the halt{until}"
    if policy.autonomous_halt:
        return PacingAction.halt, "critically over plan with enough confidence: halting it"
    return PacingAction.recommend_halt, (
        "critically over plan with enough confidence: a halt is recommended (test mode, "
        "PACING_AUTONOMOUS_HALT=false: nothing was paused)"
    )


# ----------------------------------------------------------------------------- the whole line


def assess(
    line: PlanLine,
    match: CampaignMatch | None,
    report: SpendReport | None,
    now: datetime,
    policy: PacingPolicy,
    *,
    halt: HaltState | None = None,
    runner_up: str | None = None,
    unavailable: str | None = None,
) -> PacingAssessment:
    """Everything but the root cause (which may need the campaign's settings: ``diagnose``)."""
    base = {
        "line_id": line.line_id,
        "plan_campaign_name": line.campaign_name,
        "flight_start": line.start_date,
        "flight_end": line.end_date,
        "target_spend": line.target_spend,
    }
    if match is None:
        why = "no platform campaign matches the plan line"
        if line.campaign_id:
            why += f" (the platform has no campaign {line.campaign_id!r}"
            why += f"; nearest name {runner_up!r})" if runner_up else ")"
        elif runner_up:
            why += f" (nearest name {runner_up!r} is too far)"
        return PacingAssessment(
            **base, severity=Severity.unknown, action=PacingAction.escalate, reason=why
        )
    matched = {
        "campaign_id": match.campaign_id,
        "campaign_name": match.campaign_name,
        "matched_by": match.by,
    }
    if report is None:
        return PacingAssessment(
            **base,
            **matched,
            severity=Severity.unknown,
            action=PacingAction.escalate,
            reason=f"the platform gave no spend figures: {unavailable or 'unknown error'}",
        )
    trust = confidence(line, match, report, now, policy)
    measured = pacing(line, report, policy)
    level = severity(measured.variance_pct, measured.zero_delivery, policy)
    way = direction(measured.variance_pct)
    if not measured.started:
        action, reason = PacingAction.none, f"the flight starts on {line.start_date}"
    else:
        action, reason = decide(
            level,
            measured.zero_delivery,
            way,
            trust.total,
            policy,
            paused=report.is_paused,
            halt=halt,
            now=now,
        )
    return PacingAssessment(
        **base,
        **matched,
        confidence=trust.total,
        confidence_parts=trust,
        measured_through=measured.measured_through,
        elapsed_share=round(measured.elapsed_share, 4),
        expected_spend=measured.expected_spend,
        actual_spend=measured.actual_spend,
        variance_pct=measured.variance_pct,
        raw_variance_pct=measured.raw_variance_pct,
        zero_delivery=measured.zero_delivery,
        severity=level,
        direction=way,
        action=action,
        reason=reason,
        platform_status=report.status,
    )


def diagnose(
    assessment: PacingAssessment,
    line: PlanLine,
    report: SpendReport | None,
    settings: CampaignSettings | None,
) -> PacingAssessment:
    """The rule-based root cause and mitigation of a line that is not healthy."""
    if assessment.severity is Severity.unknown:
        return assessment.model_copy(
            update={
                "root_cause": "the plan line cannot be reconciled with the platform",
                "mitigation": [
                    "check the plan line's campaign_id and name against the platform's "
                    "campaigns, fix the plan and import it again"
                ],
            }
        )
    if assessment.severity is Severity.healthy and not assessment.zero_delivery:
        return assessment
    budget = settings.daily_budget if settings else (report.daily_budget if report else None)
    if assessment.zero_delivery:
        checks = zero_delivery_checklist(settings, budget)
        problems = [c for c in checks if c.ok is False]
        cause = (
            "zero delivery: " + "; ".join(c.detail for c in problems)
            if problems
            else "zero delivery with every setting live: check the platform's delivery "
            "diagnostics (policy review, billing, learning limits)"
        )
        fixes = [_FIXES[c.item] for c in problems] or [
            "open the campaign in the platform and read its delivery status"
        ]
        return assessment.model_copy(
            update={"root_cause": cause, "checks": checks, "mitigation": fixes}
        )
    cause, fixes = _delivery_cause(assessment, line, budget)
    return assessment.model_copy(update={"root_cause": cause, "mitigation": fixes})


def zero_delivery_checklist(settings: CampaignSettings | None, budget: float | None) -> list[Check]:
    if settings is None:
        unknown = "the campaign's settings could not be read"
        return [Check(item=item, ok=None, detail=unknown) for item in _FIXES]
    return [
        Check(
            item="status",
            ok=not settings.is_paused,
            detail="the campaign is paused" if settings.is_paused else f"status {settings.status}",
        ),
        _check("audience", settings.audience_size, "the audience is empty", "people"),
        _check("bid", settings.bid, "the bid is zero", "bid"),
        _check("budget", budget, "there is no daily budget", "daily budget"),
        Check(
            item="creative",
            ok=bool(settings.creative_ids),
            detail=f"{len(settings.creative_ids)} creative(s) running"
            if settings.creative_ids
            else "no creative is running",
        ),
    ]


def _check(item: str, value: float | None, problem: str, unit: str) -> Check:
    if value is None:
        return Check(item=item, ok=None, detail=f"no {unit} reported (automated?)")
    return Check(item=item, ok=value > 0, detail=problem if value <= 0 else f"{unit} {value:g}")


_FIXES = {
    "status": "resume the campaign if it should be running (the plan says it should)",
    "audience": "widen the targeting: the audience is empty",
    "bid": "set a bid (or a bid strategy) that can win auctions",
    "budget": "set the daily budget the plan calls for",
    "creative": "add creatives or get the rejected ones approved again",
}


def _delivery_cause(
    a: PacingAssessment, line: PlanLine, budget: float | None
) -> tuple[str, list[str]]:
    planned = line.planned_daily
    through = a.measured_through.date() if a.measured_through else line.start_date
    days_left = max(0, (line.end_date - through).days + 1)
    remaining = line.target_spend - a.actual_spend
    pct = f"{abs(a.variance_pct or 0):.0f} %"
    if a.direction is Direction.over:
        if budget is not None and budget > planned * 1.1:
            cause = (
                f"over-delivery ({pct} over plan): the daily budget {budget:,.2f} is above the "
                f"plan's {planned:,.2f} a day"
            )
        else:
            cause = (
                f"over-delivery ({pct} over plan): spend ran ahead of the plan's "
                f"{planned:,.2f} a day beyond the platform's daily bursts"
            )
        if remaining <= 0 or days_left == 0:
            fixes = [f"the flight's {line.target_spend:,.2f} is spent: pause the campaign"]
        else:
            fixes = [
                f"set the daily budget to {remaining / days_left:,.2f} to land on "
                f"{line.target_spend:,.2f} by {line.end_date}"
            ]
        if a.severity is Severity.critical:
            fixes.append("pause it until the plan and the budget are reconciled")
        return cause, fixes
    if budget is not None and budget < planned * 0.9:
        cause = (
            f"under-delivery ({pct} under plan): the daily budget {budget:,.2f} is below the "
            f"plan's {planned:,.2f} a day"
        )
    else:
        cause = (
            f"under-delivery ({pct} under plan): it spends less than its budget allows "
            "(bid, audience or creative limit delivery)"
        )
    fixes = []
    if days_left:
        fixes.append(
            f"raise the daily budget to {max(remaining, 0) / days_left:,.2f} to land on "
            f"{line.target_spend:,.2f} by {line.end_date}"
        )
    fixes.append("check the bid's competitiveness, the audience size and creative approvals")
    return cause, fixes
