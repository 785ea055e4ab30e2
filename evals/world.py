"""Evals against the world: seeded simulator campaigns, the collectors' contexts, the oracle.

``build_cases`` generates N campaigns from a seed (``simulator``), collects each context exactly
as the workflow's collectors do (``AdPlatformCollectors`` over the simulator's HTTP API,
in-process), and asks the counterfactual oracle to value the six actions over the outcome
window. ``score`` turns a reasoner's answers into the report's figures; ``outcome_agreement``
lets each recommended action actually happen in a fork of the world and compares the outcome
verdict (``domain.outcome``, forecast and significance) with the oracle's.

Nothing here gives a reasoner anything but the collected context: the oracle's labels and the
campaigns' mechanisms stay on the eval's side.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime

import httpx
from pydantic import BaseModel, Field
from temporalio.testing import ActivityEnvironment

from activities.collectors import AdPlatformCollectors
from domain.context import CampaignContext, CampaignMetrics, HistoryData
from domain.outcome import judge_outcome
from domain.recommendation import ActionType, Recommendation
from evals import metrics
from platforms.simulator import SimulatorPlatform
from simulator import reports
from simulator.actions import InvalidAction, plan_action
from simulator.app import create_app
from simulator.contract import ActionBody
from simulator.mechanics import simulate_day
from simulator.oracle import fork
from simulator.state import SimulatorState, WorldSpec

WORLD_TODAY = date(2025, 6, 1)
ACTIONS = [action.value for action in ActionType]
CALIBRATION_BINS = 10


class ActionValue(BaseModel):
    mean: float | None = None  # expected profit over the window; None: not possible here
    regret: float | None = None
    acceptable: bool


class WorldCase(BaseModel):
    """One campaign of a seeded world: what the agent sees, and what the oracle knows."""

    id: str
    context: CampaignContext
    best: str
    acceptable: list[str]
    values: dict[str, ActionValue]
    spend: float = Field(description="expected spend over the window if nothing is done")
    tags: list[str] = Field(default_factory=list)

    def regret_of(self, action: str) -> float:
        value = self.values[action]
        return value.regret if value.regret is not None else self.worst_regret

    @property
    def worst_regret(self) -> float:
        return max(v.regret for v in self.values.values() if v.regret is not None)

    @property
    def best_value(self) -> float:
        return self.values[self.best].mean or 0.0


async def collect_context(client: httpx.AsyncClient, campaign_id: str) -> CampaignContext:
    collectors = AdPlatformCollectors(SimulatorPlatform(client))
    env = ActivityEnvironment()
    return CampaignContext(
        campaign=await env.run(collectors.collect_campaign, campaign_id),
        creatives=await env.run(collectors.collect_creatives, campaign_id),
        competitors=await env.run(collectors.collect_competitors, campaign_id),
        audience=await env.run(collectors.collect_audience, campaign_id),
        history=await env.run(collectors.collect_history, campaign_id),
    )


def world_app(seed: int, campaigns: int, today: date = WORLD_TODAY):
    return create_app(today=today, world=WorldSpec(campaigns=campaigns, seed=seed, named=False))


async def build_cases(
    seed: int, campaigns: int, *, replications: int = 20, today: date = WORLD_TODAY, progress=None
) -> tuple[list[WorldCase], SimulatorState]:
    """The world's campaigns, each as a case: collected context plus the oracle's valuation."""
    app = world_app(seed, campaigns, today)
    state: SimulatorState = app.state.simulator
    cases = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://simulator") as client:
        for index, campaign_id in enumerate(state.campaigns):
            context = await collect_context(client, campaign_id)
            result = state.evaluate(campaign_id, replications=replications)
            strengths = state.plans[campaign_id].strengths
            cases.append(
                WorldCase(
                    id=campaign_id,
                    context=context,
                    best=result.best.action,
                    acceptable=result.acceptable_actions,
                    values={
                        p.action: ActionValue(
                            mean=p.mean if p.available else None,
                            regret=p.regret if p.available else None,
                            acceptable=p.acceptable,
                        )
                        for p in result.plans
                        if p.label == p.action
                    },
                    spend=result.by_action("Continue Monitoring").spend,
                    tags=sorted(k for k, v in strengths.items() if v >= 0.6) or ["no_strong_issue"],
                )
            )
            if progress is not None:
                progress(index + 1, len(state.campaigns))
    return cases, state


# --------------------------------------------------------------------------- scoring


class ActionRegret(BaseModel):
    action: str
    chosen: int
    total_regret: float
    mean_regret: float | None


class ReliabilityRow(BaseModel):
    low: float
    high: float
    count: int
    mean_confidence: float | None
    accuracy: float | None


class WorldSummary(BaseModel):
    cases: int
    failed: int
    best_agreement: float
    acceptable_agreement: float
    acceptable_low: float
    acceptable_high: float
    total_regret: float
    mean_regret: float
    regret_pct_of_best: float | None  # total regret / total best value (cases where best > 0)
    continue_total_regret: float
    random_total_regret: float  # expected regret of picking one of the possible actions at random
    regret_ratio: float | None  # agent / always-continue
    oracle_best_counts: dict[str, int]
    confusion_labels: list[str]
    confusion: list[list[int]]  # rows oracle best, columns predicted (last column: ERROR)
    regret_by_action: list[ActionRegret]
    ece: float | None
    brier: float | None
    reliability: list[ReliabilityRow]
    acceptable_by_tag: dict[str, float]
    outcome: OutcomeAgreement | None = None


class OutcomeAgreement(BaseModel):
    """How often the outcome verdict agrees with the oracle on whether the action paid off."""

    measured: int
    conclusive: int
    inconclusive: int
    agreed: int  # among conclusive verdicts
    agreement: float | None  # agreed / conclusive
    by_verdict: dict[str, int]


WorldSummary.model_rebuild()


def score(
    cases: Sequence[WorldCase], predictions: Sequence[tuple[str | None, float | None]]
) -> WorldSummary:
    """`predictions`: (action or None when the case failed, confidence) per case, in order."""
    n = len(cases)
    chosen = [action for action, _ in predictions]
    acceptable = [a is not None and a in c.acceptable for c, a in zip(cases, chosen, strict=True)]
    regrets = [
        c.regret_of(a) if a is not None else c.worst_regret
        for c, a in zip(cases, chosen, strict=True)
    ]
    continue_regrets = [c.regret_of(ActionType.continue_monitoring.value) for c in cases]
    random_regrets = [
        _mean([v.regret for v in c.values.values() if v.regret is not None]) for c in cases
    ]
    positive = [c.best_value for c in cases if c.best_value > 0]
    total_regret = sum(regrets)
    interval = metrics.wilson_interval(sum(acceptable), n)
    labels = [*ACTIONS, "ERROR"]
    confidences = [
        (conf, ok)
        for (a, conf), ok in zip(predictions, acceptable, strict=True)
        if a and conf is not None
    ]
    by_action: dict[str, list[float]] = defaultdict(list)
    for action, regret in zip(chosen, regrets, strict=True):
        by_action[action or "ERROR"].append(regret)
    tags: dict[str, list[bool]] = defaultdict(list)
    for case, ok in zip(cases, acceptable, strict=True):
        for tag in case.tags:
            tags[tag].append(ok)
    table = metrics.reliability_table(
        [c for c, _ in confidences], [ok for _, ok in confidences], CALIBRATION_BINS
    )
    return WorldSummary(
        cases=n,
        failed=sum(a is None for a in chosen),
        best_agreement=_share(sum(a == c.best for c, a in zip(cases, chosen, strict=True)), n),
        acceptable_agreement=_share(sum(acceptable), n),
        acceptable_low=interval.low,
        acceptable_high=interval.high,
        total_regret=round(total_regret, 2),
        mean_regret=round(total_regret / n, 2) if n else 0.0,
        regret_pct_of_best=round(
            100
            * sum(r for c, r in zip(cases, regrets, strict=True) if c.best_value > 0)
            / sum(positive),
            2,
        )
        if positive
        else None,
        continue_total_regret=round(sum(continue_regrets), 2),
        random_total_regret=round(sum(random_regrets), 2),
        regret_ratio=round(total_regret / sum(continue_regrets), 4)
        if sum(continue_regrets) > 0
        else None,
        oracle_best_counts={a: sum(c.best == a for c in cases) for a in ACTIONS},
        confusion_labels=labels,
        confusion=metrics.confusion_matrix(
            [c.best for c in cases], [a or "ERROR" for a in chosen], labels
        ),
        regret_by_action=[
            ActionRegret(
                action=a,
                chosen=len(by_action.get(a, [])),
                total_regret=round(sum(by_action.get(a, [])), 2),
                mean_regret=round(_mean(by_action[a]), 2) if by_action.get(a) else None,
            )
            for a in labels
        ],
        ece=metrics.expected_calibration_error(
            [c for c, _ in confidences], [ok for _, ok in confidences], CALIBRATION_BINS
        ),
        brier=metrics.brier_score([c for c, _ in confidences], [ok for _, ok in confidences]),
        reliability=[ReliabilityRow(**vars(row)) for row in table],
        acceptable_by_tag={tag: round(sum(v) / len(v), 4) for tag, v in sorted(tags.items())},
    )


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


# --------------------------------------------------------------------------- outcome verdicts


def outcome_agreement(
    state: SimulatorState,
    cases: Sequence[WorldCase],
    recommendations: Sequence[Recommendation | None],
    window_days: int = 3,
) -> OutcomeAgreement:
    """Carry out each recommendation in a fork of its campaign, judge the outcome the way the
    workflow does, and compare with the oracle: an action paid off when its value beat doing
    nothing by more than the oracle's tolerance; Continue Monitoring when it was acceptable."""
    verdicts: dict[str, int] = defaultdict(int)
    conclusive = agreed = measured = 0
    for case, rec in zip(cases, recommendations, strict=True):
        if rec is None:
            continue
        judged = _judge_in_fork(state, case.id, rec, window_days)
        if judged is None:
            continue
        measured += 1
        verdicts[judged] += 1
        if judged == "inconclusive":
            continue
        conclusive += 1
        agreed += (judged == "success") == _paid_off(case, rec.recommended_action.value)
    return OutcomeAgreement(
        measured=measured,
        conclusive=conclusive,
        inconclusive=verdicts.get("inconclusive", 0),
        agreed=agreed,
        agreement=round(agreed / conclusive, 4) if conclusive else None,
        by_verdict=dict(verdicts),
    )


def _paid_off(case: WorldCase, action: str) -> bool:
    if action == ActionType.continue_monitoring.value:
        return action in case.acceptable
    value, nothing = (
        case.values[action].mean,
        case.values[ActionType.continue_monitoring.value].mean,
    )
    return value is not None and nothing is not None and value > nothing + 0.01 * case.spend


def _judge_in_fork(
    state: SimulatorState, campaign_id: str, rec: Recommendation, window: int
) -> str | None:
    today = state.today
    twin = fork(state.campaign(campaign_id))
    before = CampaignMetrics.model_validate(
        reports.campaign_metrics(twin, today, window).model_dump()
    )
    if rec.recommended_action.is_executable:
        body = ActionBody.model_validate(
            {"action": rec.recommended_action.value, "parameters": rec.parameters.model_dump()}
        )
        try:
            plan_action(twin, body, today).apply(twin)
        except InvalidAction:
            return None
    for offset in range(window):
        simulate_day(twin, today.fromordinal(today.toordinal() + offset))
    end = today.fromordinal(today.toordinal() + window)
    after = CampaignMetrics.model_validate(reports.campaign_metrics(twin, end, window).model_dump())
    history = HistoryData.model_validate(reports.history_data(twin, end, 30).model_dump())
    outcome = judge_outcome(rec, before, after, datetime.now(UTC), history=history)
    return outcome.verdict or ("success" if outcome.success else "failure")
