"""The world's mechanics: how one campaign's day comes out of its latent state.

Nothing here knows a "root cause" or which action a cause calls for. Numbers come from
mechanisms, and every action changes the mechanisms' inputs (a bid, the creatives, the audience,
the segment budgets, the status), so whether an action helps is whatever the mechanics make it.

One day of one campaign:

- **Opportunities**: the reachable audience (targeting size x the share not depleted, plus any
  expansion, which reaches people gradually) times the impressions a person is available for
  per day, times the weekday factor and a log-normal day factor.
- **Auction**: competitors' per-mille bids are log-normal around a landscape level that jumps
  when competitors enter or raise bids (and drifts a little every day). Our per-mille bid is the
  max CPC times the expected CTR (a quality score: worn creatives lose auctions). We win an
  opportunity when our bid beats the landscape (impression share) and pay the expected
  second price: a higher bid buys share at a higher price, whatever the reason.
- **Budget pacing**: when winning at the full bid would overspend the daily budget (split into
  segment budgets), the platform shades the bid down until it spends the budget; otherwise the
  bid binds and budget is left unspent. A raise of a bid that does not bind changes nothing.
- **Saturation**: the more often the reachable audience has seen the ads recently (weekly
  frequency), the dearer each further impression and the fewer clicks it gets.
- **Creatives**: each creative's CTR follows a wear-out curve in its cumulative per-person
  frequency (fine until the audience has seen it some times, then declining), and a new one
  pays a short learning period at a lower CTR.
- **Conversions**: clicks of each segment convert at its own rate, with diminishing returns
  when a segment gets more budget than it was sized for; newly added audience converts worse.
  Broken measurement records only part (or none) of the conversions, and an automated bidder
  that lost its conversion signal drifts towards traffic that does not convert.
- **Noise**: Poisson impressions, clicks and conversions, drawn by inverting the CDF at normal
  draws that are the same for every action on a given day and replication (common random
  numbers), so the oracle's comparison between actions is paired.

The value of a conversion (hidden) turns a day into profit: value x true conversions - spend.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import NormalDist

_NORMAL = NormalDist()
AUCTION_SPREAD = 0.55  # sd of the log of competitors' per-mille bids
QUALITY_EXPONENT = 0.5  # how much our CTR weighs in the auction (Google's quality score)
POSITION_CTR = 0.12  # share of CTR that depends on the position won (impression share)
FREE_FREQUENCY = 2.5  # weekly frequency an audience absorbs without saturating
SATURATION_CPM = 0.18  # CPM up this much per weekly view beyond FREE_FREQUENCY
SATURATION_CTR = 0.05  # CTR down this share per weekly view beyond FREE_FREQUENCY
SEGMENT_RETURNS = 0.35  # a segment's conversion rate ~ (budget / sized budget) ** -this
LEARNING_DAYS = 3  # a new creative's CTR settles over its first days...
LEARNING_CTR = 0.75  # ...starting at this share of its quality
EXPANSION_RAMP_DAYS = 2  # an audience expansion reaches its new people over this many days
BUDGET_RAMP_DAYS = 2  # pacing follows new segment budgets over this many days
MAX_SEGMENTS = 8  # noise streams reserved per day for segments
MIN_SHARE, MAX_SHARE = 1e-4, 0.995


@dataclass(frozen=True)
class Jump:
    """Competitors enter or raise bids: the landscape level grows by `size` over `ramp_days`."""

    day: date
    size: float
    entrants: int = 0
    ramp_days: int = 3

    def factor(self, day: date) -> float:
        progress = ((day - self.day).days + 1) / self.ramp_days
        return 1.0 + self.size * min(1.0, max(0.0, progress))


@dataclass(frozen=True)
class Depletion:
    """Part of the reachable audience is used up (converted, excluded, churned) from `day`."""

    day: date
    share: float  # of the audience no longer reachable once complete
    ramp_days: int = 10

    def remaining(self, day: date) -> float:
        progress = min(1.0, max(0.0, ((day - self.day).days + 1) / self.ramp_days))
        return 1.0 - self.share * progress


@dataclass(frozen=True)
class TrackingBreak:
    """From `day`, only (1 - loss) of conversions are recorded; an automated bidder without its
    signal loses `drift_per_day` of the true conversion rate a day, down to `floor`."""

    day: date
    loss: float = 1.0
    drift_per_day: float = 0.0
    floor: float = 0.35

    def recorded_share(self, day: date) -> float:
        return 1.0 - self.loss if day >= self.day else 1.0

    def true_cvr_factor(self, day: date) -> float:
        days = (day - self.day).days + 1
        if days <= 0:
            return 1.0
        return max(self.floor, 1.0 - self.drift_per_day * days)


@dataclass(frozen=True)
class SegmentShock:
    """From `day`, a segment's conversion rate moves to `factor` of its level over `ramp_days`."""

    segment_id: str
    day: date
    factor: float
    ramp_days: int = 10

    def on(self, day: date) -> float:
        progress = min(1.0, max(0.0, ((day - self.day).days + 1) / self.ramp_days))
        return 1.0 + (self.factor - 1.0) * progress


@dataclass(frozen=True)
class Mechanisms:
    """The latent world of one campaign: never reported, only its consequences are."""

    value_per_conversion: float
    wear_half_exposure: float = 12.0  # cumulative per-person views at which a creative half-wears
    wear_width: float = 2.5
    wear_max: float = 0.5  # CTR lost by a fully worn creative
    jumps: tuple[Jump, ...] = ()
    drift_sd: float = 0.01  # the landscape's daily random walk
    depletions: tuple[Depletion, ...] = ()
    tracking: TrackingBreak | None = None
    shocks: tuple[SegmentShock, ...] = ()
    noise_sd: float = 0.05  # log-normal day factor on opportunities
    rate_noise_sd: float = 0.03  # log-normal day factor on CTR and conversion rate


@dataclass
class Creative:
    creative_id: str
    name: str
    slot: int
    launched: date
    quality: float  # CTR relative to the campaign's when fresh
    exposure: float = 0.0  # cumulative impressions per reachable person
    retired: date | None = None

    def age_on(self, day: date) -> int:
        return (day - self.launched).days

    def is_live(self, day: date) -> bool:
        return self.launched <= day and (self.retired is None or day < self.retired)


@dataclass(frozen=True)
class Segment:
    segment_id: str
    name: str
    efficiency: float  # conversion rate relative to the campaign's
    sized_share: float  # the budget share it was sized for (diminishing returns beyond)


@dataclass(frozen=True)
class Expansion:
    day: date
    people: int
    ctr_quality: float
    cvr_quality: float

    def reached(self, day: date) -> float:
        progress = min(1.0, max(0.0, ((day - self.day).days + 1) / EXPANSION_RAMP_DAYS))
        return self.people * progress


@dataclass(frozen=True)
class BudgetChange:
    day: date
    before: dict[str, float]
    after: dict[str, float]


@dataclass(frozen=True)
class Levels:
    """The campaign's normal day, in the units the data gives (calibrated at set-up)."""

    cpm: float
    ctr: float  # fraction
    cvr: float  # fraction
    price_scale: float  # currency per auction unit
    bid_per_unit: float  # auction units of per-mille bid per currency of max CPC at quality 1
    opportunities_per_person: float = 0.45  # impressions a reachable person is available for a day
    landscape0: float = 1.0


@dataclass(frozen=True)
class SegmentDay:
    spend: float
    impressions: int
    clicks: int
    conversions: float


@dataclass(frozen=True)
class CreativeDay:
    impressions: int
    clicks: int


@dataclass(frozen=True)
class DayRecord:
    """One reported day. `true_conversions` and `value` are the world's secret."""

    day: date
    spend: float
    impressions: int
    clicks: int
    conversions: float
    true_conversions: float
    value: float
    opportunities: float
    reachable: float
    landscape: float
    active_competitors: int
    segments: dict[str, SegmentDay]
    creatives: dict[str, CreativeDay]

    @property
    def profit(self) -> float:
        return self.value - self.spend


@dataclass
class CampaignState:
    """Everything that evolves: settings, creatives, the landscape walk, applied changes."""

    campaign_id: str
    name: str
    platform: str
    first_day: date
    seed: str
    levels: Levels
    mechanisms: Mechanisms
    bid: float
    daily_budget: float
    audience_size: int
    segments: tuple[Segment, ...]
    segment_budgets: dict[str, float]
    creatives: list[Creative]
    slot_weights: tuple[float, ...]
    competitors: int
    weekday_factors: tuple[float, ...]
    status: str = "active"
    paused_on: date | None = None
    walk: float = 0.0  # log of the landscape's random-walk factor
    recent_impressions: float = 0.0  # exponentially weighted weekly impressions
    expansions: list[Expansion] = field(default_factory=list)
    budget_changes: list[BudgetChange] = field(default_factory=list)
    applied: list[tuple[str, date]] = field(default_factory=list)
    days: list[DayRecord] = field(default_factory=list)
    creative_serial: int = 0

    # ------------------------------------------------------------------ derived, per day

    def landscape(self, day: date) -> float:
        level = self.levels.landscape0 * math.exp(self.walk)
        for jump in self.mechanisms.jumps:
            level *= jump.factor(day)
        return level

    def active_competitors_on(self, day: date) -> int:
        return self.competitors + sum(j.entrants for j in self.mechanisms.jumps if j.day <= day)

    def reachable(self, day: date) -> float:
        base = float(self.audience_size - sum(e.people for e in self.expansions))
        for depletion in self.mechanisms.depletions:
            base *= depletion.remaining(day)
        return base + sum(e.reached(day) for e in self.expansions)

    def live_creatives(self, day: date) -> list[Creative]:
        return sorted((c for c in self.creatives if c.is_live(day)), key=lambda c: c.slot)

    def budgets_on(self, day: date) -> dict[str, float]:
        started = [c for c in self.budget_changes if c.day <= day]
        if not started:
            return dict(
                self.budget_changes[0].before if self.budget_changes else self.segment_budgets
            )
        change = started[-1]
        progress = min(1.0, ((day - change.day).days + 1) / BUDGET_RAMP_DAYS)
        return {
            key: change.before.get(key, 0.0)
            + (change.after.get(key, 0.0) - change.before.get(key, 0.0)) * progress
            for key in change.after
        }

    def records_between(self, start: date, end: date) -> list[DayRecord]:
        return [record for record in self.days if start <= record.day <= end]


# ---------------------------------------------------------------------- noise


class DayNoise:
    """The day's standard normal draws, the same whichever action was taken (paired)."""

    STREAMS = ("opportunities", "ctr", "cvr", "walk", "impressions")

    def __init__(self, seed: str, day_index: int, replication: int) -> None:
        # A string seed is hashed with SHA-512 by `random`: stable across processes and runs.
        rng = random.Random(f"{seed}/{day_index}/{replication}")
        self.named = {name: rng.gauss(0.0, 1.0) for name in self.STREAMS}
        self.clicks = [rng.gauss(0.0, 1.0) for _ in range(MAX_SEGMENTS)]
        self.conversions = [rng.gauss(0.0, 1.0) for _ in range(MAX_SEGMENTS)]
        self.recorded = [rng.gauss(0.0, 1.0) for _ in range(MAX_SEGMENTS)]


def poisson_at(mean: float, z: float) -> int:
    """The Poisson(mean) count at the normal draw z (inverse CDF at Phi(z)): monotone in z, so
    two actions drawing at the same z get counts as close as their means allow."""
    if mean <= 0:
        return 0
    if mean >= 40:
        return max(0, round(mean + math.sqrt(mean) * z))
    target = _NORMAL.cdf(z)
    probability = math.exp(-mean)
    cumulative, count = probability, 0
    while cumulative < target and count < 10_000:
        count += 1
        probability *= mean / count
        cumulative += probability
    return count


# ---------------------------------------------------------------------- the auction


def win_rate(bid_units: float, landscape: float) -> float:
    if bid_units <= 0:
        return 0.0
    return _NORMAL.cdf(math.log(bid_units / landscape) / AUCTION_SPREAD)


def price_units(bid_units: float, landscape: float) -> float:
    """Expected second price per mille when winning with `bid_units`: E[X | X < bid]."""
    s = AUCTION_SPREAD
    k = math.log(bid_units / landscape) / s
    won = _NORMAL.cdf(k)
    if won < 1e-12:
        return bid_units
    return landscape * math.exp(s * s / 2) * _NORMAL.cdf(k - s) / won


@dataclass(frozen=True)
class Delivery:
    impressions: float  # expected
    cpm: float
    share: float  # impression share (won / opportunities)


def deliver(
    state: CampaignState,
    bid_units: float,
    landscape: float,
    opportunities: float,
    budget: float,
    cpm_markup: float,
) -> Delivery:
    """Win at the full bid, or shade it down until the budget is spent (pacing)."""
    scale = state.levels.price_scale * cpm_markup

    def spend_at(units: float) -> tuple[float, float, float]:
        share = min(MAX_SHARE, win_rate(units, landscape))
        cpm = scale * price_units(units, landscape)
        return share * opportunities * cpm / 1000, share, cpm

    spend, share, cpm = spend_at(bid_units)
    if spend > budget > 0:
        low, high = math.log(bid_units) - 8 * AUCTION_SPREAD, math.log(bid_units)
        for _ in range(40):
            middle = (low + high) / 2
            if spend_at(math.exp(middle))[0] > budget:
                high = middle
            else:
                low = middle
        spend, share, cpm = spend_at(math.exp(low))
    if budget <= 0:
        return Delivery(0.0, cpm, 0.0)
    return Delivery(share * opportunities, cpm, share)


# ---------------------------------------------------------------------- creatives


def wear(mechanisms: Mechanisms, exposure: float) -> float:
    """CTR factor of a creative the audience has seen `exposure` times per person."""
    m = mechanisms
    worn = 1.0 / (1.0 + math.exp(-(exposure - m.wear_half_exposure) / m.wear_width))
    fresh = 1.0 / (1.0 + math.exp(m.wear_half_exposure / m.wear_width))
    return 1.0 - m.wear_max * max(0.0, worn - fresh) / (1.0 - fresh)


def learning(age_days: int) -> float:
    return LEARNING_CTR + (1 - LEARNING_CTR) * min(1.0, (age_days + 1) / LEARNING_DAYS)


def creative_ctr_factor(state: CampaignState, creative: Creative, day: date) -> float:
    return (
        creative.quality
        * learning(creative.age_on(day))
        * wear(state.mechanisms, creative.exposure)
    )


# ---------------------------------------------------------------------- one day


def simulate_day(state: CampaignState, day: date, replication: int = 0) -> DayRecord:
    """Report `day` and advance the state past it (creative wear, saturation, the landscape)."""
    noise = DayNoise(state.seed, (day - state.first_day).days, replication)
    m, levels = state.mechanisms, state.levels
    state.walk += m.drift_sd * noise.named["walk"]
    landscape = state.landscape(day)
    reachable = max(1.0, state.reachable(day))
    weekday = state.weekday_factors[day.weekday()]
    opportunities = (
        reachable
        * levels.opportunities_per_person
        * weekday
        * math.exp(m.noise_sd * noise.named["opportunities"])
    )
    live = state.live_creatives(day)
    weights = _slot_weights(state, live)
    mix = sum(w * creative_ctr_factor(state, c, day) for c, w in zip(live, weights, strict=True))
    weekly_frequency = state.recent_impressions / reachable
    excess = max(0.0, weekly_frequency - FREE_FREQUENCY)
    paused = state.paused_on is not None and day >= state.paused_on
    budgets = state.budgets_on(day)
    budget = 0.0 if paused else sum(budgets.values())
    bid_units = state.bid * levels.bid_per_unit * max(mix, 0.05) ** QUALITY_EXPONENT
    delivery = deliver(
        state, bid_units, landscape, opportunities, budget, 1 + SATURATION_CPM * excess
    )
    impressions = poisson_at(delivery.impressions, noise.named["impressions"])
    position = (1 - POSITION_CTR) + POSITION_CTR * delivery.share
    expanded = sum(e.reached(day) for e in state.expansions)
    added_share = expanded / reachable if reachable else 0.0
    ctr_quality = (
        1 - added_share + sum(e.reached(day) * e.ctr_quality for e in state.expansions) / reachable
    )
    cvr_quality = (
        1 - added_share + sum(e.reached(day) * e.cvr_quality for e in state.expansions) / reachable
    )
    ctr = (
        levels.ctr
        * mix
        * position
        * math.exp(-SATURATION_CTR * excess)
        * ctr_quality
        * math.exp(m.rate_noise_sd * noise.named["ctr"])
    )
    cvr = (
        levels.cvr
        * (0.85 + 0.15 * delivery.share)
        / (0.85 + 0.15 * 0.75)
        * cvr_quality
        * math.exp(m.rate_noise_sd * noise.named["cvr"])
    )
    if m.tracking is not None:
        cvr *= m.tracking.true_cvr_factor(day)
    recorded_share = m.tracking.recorded_share(day) if m.tracking is not None else 1.0
    segments = _segment_days(state, day, budgets, impressions, delivery.cpm, ctr, cvr, noise)
    recorded = {
        k: _recorded(v[3], recorded_share, noise.recorded[i])
        for i, (k, v) in enumerate(segments.items())
    }
    spend = round(sum(v[0] for v in segments.values()), 2)
    true_conversions = float(sum(v[3] for v in segments.values()))
    clicks = sum(v[2] for v in segments.values())
    creatives = _creative_days(state, live, weights, day, impressions, clicks)
    # The state moves on: creatives are seen more, the audience's recent frequency updates.
    for creative, weight in zip(live, weights, strict=True):
        creative.exposure += impressions * weight / reachable
    state.recent_impressions = state.recent_impressions * 6 / 7 + impressions
    record = DayRecord(
        day=day,
        spend=spend,
        impressions=impressions,
        clicks=clicks,
        conversions=float(sum(recorded.values())),
        true_conversions=true_conversions,
        value=round(true_conversions * m.value_per_conversion, 2),
        opportunities=opportunities,
        reachable=reachable,
        landscape=landscape,
        active_competitors=state.active_competitors_on(day),
        segments={
            key: SegmentDay(round(s, 2), i, c, recorded[key])
            for key, (s, i, c, _) in segments.items()
        },
        creatives=creatives,
    )
    state.days.append(record)
    return record


def _slot_weights(state: CampaignState, live: list[Creative]) -> list[float]:
    weights = [state.slot_weights[c.slot] for c in live]
    total = sum(weights)
    return [w / total for w in weights] if total else []


def _segment_days(
    state: CampaignState,
    day: date,
    budgets: dict[str, float],
    impressions: int,
    cpm: float,
    ctr: float,
    cvr: float,
    noise: DayNoise,
) -> dict[str, tuple[float, int, int, int]]:
    total = sum(budgets.values()) or 1.0
    days = {}
    for index, segment in enumerate(state.segments):
        share = budgets.get(segment.segment_id, 0.0) / total
        segment_impressions = round(impressions * share)
        clicks = poisson_at(segment_impressions * ctr, noise.clicks[index % MAX_SEGMENTS])
        returns = (max(share, 1e-6) / segment.sized_share) ** -SEGMENT_RETURNS
        rate = min(0.95, cvr * segment.efficiency * returns * _shock(state, segment, day))
        conversions = poisson_at(clicks * rate, noise.conversions[index % MAX_SEGMENTS])
        days[segment.segment_id] = (
            segment_impressions * cpm / 1000,
            segment_impressions,
            clicks,
            conversions,
        )
    return days


def _shock(state: CampaignState, segment: Segment, day: date) -> float:
    factor = 1.0
    for shock in state.mechanisms.shocks:
        if shock.segment_id == segment.segment_id:
            factor *= shock.on(day)
    return factor


def _recorded(true: int, share: float, z: float) -> float:
    if share >= 1.0:
        return float(true)
    return float(min(true, poisson_at(true * share, z)))


def _creative_days(
    state: CampaignState,
    live: list[Creative],
    weights: list[float],
    day: date,
    impressions: int,
    clicks: int,
) -> dict[str, CreativeDay]:
    factors = [w * creative_ctr_factor(state, c, day) for c, w in zip(live, weights, strict=True)]
    total = sum(factors) or 1.0
    return {
        c.creative_id: CreativeDay(round(impressions * w), round(clicks * f / total))
        for c, w, f in zip(live, weights, factors, strict=True)
    }


def advance_to(state: CampaignState, end: date, replication: int = 0) -> None:
    """Simulate every day after the last reported one up to `end` (excluded)."""
    day = state.days[-1].day + timedelta(days=1) if state.days else state.first_day
    while day < end:
        simulate_day(state, day, replication)
        day += timedelta(days=1)
