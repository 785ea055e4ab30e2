"""Build ``evals/datasets/golden.jsonl``, the golden eval set, from the public data.

    python -m evals.datasets.build_golden            # rewrite golden.jsonl
    python -m evals.datasets.build_golden --check    # exit 1 if golden.jsonl is out of date

Deterministic: no randomness, no clock; the same CSVs always give the same file. Tests and CI
read the committed ``golden.jsonl`` and never run this script.

How the numbers are derived (so a reviewer can follow every level):

1. **Real base weeks** (``public_data.py``). Each case starts from a real 7-day aggregate of
   one of the public datasets in ``../shared/data`` (see its README):
   - ``search``: the Google Ads export (all four spellings of "Data Analytics Course"; rows
     with a missing number dropped), week 17-23 Nov 2024; its device split gives the segments.
   - ``social``: the A/B test of Aug 2019, control and test campaigns as two ad sets of one
     campaign, week 10-16 Aug 2019; ``control``: the control campaign alone.
   - ``kag1178`` / ``kag936`` / ``kag916``: the Facebook ad-level data, one xyz campaign each,
     approved conversions; the age, gender or age x gender split gives the segments. The file
     has no dates, so these cases get a nominal week in March 2024.
   The comparison period of a case is its base week, scaled in volume (never in rates) so the
   set covers small and large accounts. Daily history follows the real day-by-day shape of the
   base week (KAG has no days, so it borrows the A/B week's shape).
2. **Scenario moves** (``synthesis.py``). The current period applies percentage moves to the
   rates the data gives (CPM, CTR, conversion rate, spend); CPA and every count follow from
   them, so each context is arithmetically consistent. The moves sit inside the bands of
   docs/SCENARIOS.md for clear cases, and deliberately straddle or mix them for the hard ones.
   What the CSVs do not have (creative age and frequency, competitor activity, impression
   share) is set per case, inside the same bands.
3. **Real noise.** Three Continue Monitoring cases are real consecutive weeks, unmodified.
4. **The analyst's call** follows the seed's suitability matrix (root cause -> action) as a
   marketing analyst would apply it; ``human_reasoning`` says why, quoting the case's own
   numbers, and ends with where its levels come from. Hard cases carry tags: contradictory,
   partial_context, small_sample, noise, multi_cause. That call is kept as ``analyst_action``.
5. **Labels come from the oracle** (``oracle_labels.py``): each case's simulated twin (the
   case's platform, scale, creatives and impression share, with the analyst's diagnosed
   mechanism) is valued by the counterfactual oracle; its best action is ``expected_action``
   and its acceptable set ``acceptable_actions``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from domain.context import (
    AudienceSegment,
    CampaignContext,
    CampaignMetrics,
    CompetitorSignals,
    CreativeMetrics,
)
from domain.recommendation import ActionType, RootCause
from evals.dataset import EvalCase, dump_case
from evals.datasets.oracle_labels import relabel
from evals.datasets.public_data import PERIOD_DAYS, Profile, PublicData, load_public_data, week_of
from evals.datasets.synthesis import (
    Auction,
    AudienceSpec,
    CaseSpec,
    CreativeSpec,
    Moves,
    Totals,
    build_context,
)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = REPO.parent / "shared" / "data"
DEFAULT_OUT = Path(__file__).resolve().parent / "golden.jsonl"


# --------------------------------------------------------------------------- wording helpers


def pct(value: float | None) -> str:
    # round() then + 0.0 turns a -0.04 into "+0.0", not "-0.0"
    return "n/a" if value is None else f"{round(value, 1) + 0.0:+.1f} %"


def size(value: float | None) -> str:
    """The magnitude of a change, for sentences that already say its direction."""
    return "n/a" if value is None else f"{abs(value):.1f} %"


def trend_phrase(campaign: CampaignMetrics) -> str:
    days = campaign.cpa_trend_days
    if days == 0:
        return "CPA is not rising day over day"
    return f"CPA rose {days} day{'s' if days > 1 else ''} in a row"


def money(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"${value:,.0f}" if value >= 100 else f"${value:,.2f}"


@dataclass(frozen=True)
class Spread:
    best: AudienceSegment
    worst: AudienceSegment
    worst_spend_share: float

    @property
    def ratio(self) -> float:
        return (self.worst.cpa or 0) / (self.best.cpa or 1)


def segment_spread(ctx: CampaignContext) -> Spread | None:
    """Best and worst CPA among segments carrying at least 5 % of spend (None without two)."""
    segments = ctx.audience.segments if ctx.audience else []
    total = sum(s.spend for s in segments) or 1.0
    meaningful = [s for s in segments if s.cpa is not None and s.spend >= 0.05 * total]
    if len(meaningful) < 2:
        return None
    best = min(meaningful, key=lambda s: s.cpa or 0)
    worst = max(meaningful, key=lambda s: s.cpa or 0)
    return Spread(best, worst, worst.spend / total)


def tired(ctx: CampaignContext) -> list[CreativeMetrics]:
    return [c for c in ctx.creatives or [] if c.ctr_trend == "declining"]


def describe_creatives(creatives: Iterable[CreativeMetrics]) -> str:
    return ", ".join(
        f"'{c.creative_name}' {c.creative_age_days} days old at frequency {c.average_frequency:g} "
        f"(CTR {pct(c.ctr_change_pct)})"
        for c in creatives
    )


def ages(ctx: CampaignContext) -> str:
    return "/".join(str(c.creative_age_days) for c in ctx.creatives or [])


def competitors_line(ctx: CampaignContext) -> str:
    comp = ctx.competitors
    if comp is None:
        return "competitor data is missing"
    return (
        f"competitor activity {pct(comp.activity_change_pct)}, {comp.new_competitors_count} new, "
        f"bids {pct(comp.avg_bid_increase_pct)}"
    )


def kpis(ctx: CampaignContext) -> str:
    c = ctx.campaign
    return (
        f"CPA {pct(c.cpa_change_pct)}, CTR {pct(c.ctr_change_pct)}, CPM {pct(c.cpm_change_pct)}, "
        f"spend {pct(c.spend_change_pct)}"
    )


# --------------------------------------------------------------------------- reasoning templates
# One per root cause for the clear cases; hard cases add a note or write their own.


def why_fatigue(ctx: CampaignContext) -> str:
    c = ctx.campaign
    return (
        f"CTR fell {size(c.ctr_change_pct)} while CPM moved {pct(c.cpm_change_pct)}, so the CPA "
        f"rise ({pct(c.cpa_change_pct)}) comes {_auction_share(c)} from the ads earning fewer "
        f"clicks. Declining creatives: {describe_creatives(tired(ctx))}: old (> 30 days), "
        f"over-shown (frequency > 5) and losing CTR, the creative fatigue signature. "
        f"Impression share {c.impression_share:g} is below saturation and {competitors_line(ctx)}. "
        "Suitability matrix: creative fatigue -> Creative Refresh."
    )


def _auction_share(c: CampaignMetrics) -> str:
    if c.cpm_change_pct is not None and abs(c.cpm_change_pct) >= 10:
        return "mostly"  # a dearer auction contributes too (multi-cause cases say so)
    return "almost entirely"


def why_saturation(ctx: CampaignContext) -> str:
    c, aud = ctx.campaign, ctx.audience
    assert aud is not None
    return (
        f"Impression share is {c.impression_share:g} (over 0.90) with reach "
        f"{pct(aud.reach_change_pct)} and frequency {aud.frequency_trend} at "
        f"{aud.average_frequency:g}: the campaign already reaches almost everyone it can. CPM rose "
        f"{pct(c.cpm_change_pct)} while CTR held ({pct(c.ctr_change_pct)}), so the ads still work "
        f"but each extra impression costs more (CPA {pct(c.cpa_change_pct)}). Creatives are "
        f"young ({ages(ctx)} days) and {competitors_line(ctx)}. Suitability matrix: audience "
        "saturation -> Audience Expansion."
    )


def why_competition(ctx: CampaignContext) -> str:
    c = ctx.campaign
    return (
        f"CPM rose {size(c.cpm_change_pct)} and impression share fell "
        f"{size(c.impression_share_change_pct)} (to {c.impression_share:g}) while CTR held "
        f"({pct(c.ctr_change_pct)}): we are being outbid, not ignored. {competitors_line(ctx)}"
        f"; CPA {pct(c.cpa_change_pct)} follows the auction. Creatives are young ({ages(ctx)} "
        "days, frequency under 4), so not fatigue; share is falling, not saturated. Suitability "
        "matrix: competitive pressure -> Bid Adjustment."
    ).replace(". competitor", ". Competitor")


def why_pause(ctx: CampaignContext) -> str:
    c, hist = ctx.campaign, ctx.history
    prev_cvr = _previous_cvr(ctx)
    expected = c.clicks * prev_cvr / 100 if prev_cvr else None
    baseline = f" (baseline CPA {money(hist.baseline_cpa)})" if hist and hist.baseline_cpa else ""
    return (
        f"The campaign spent {money(c.spend)} on {c.clicks:,} clicks (CTR {c.ctr:.3g} %, "
        f"{pct(c.ctr_change_pct)}) and recorded zero conversions{baseline}. At the previous "
        f"conversion rate of {prev_cvr:.2f} % about {expected:,.0f} conversions were due; zero "
        "out of that many clicks is not variance but a broken funnel or conversion tracking. "
        "Every day it runs spends money that cannot be measured or earn anything. Suitability "
        "matrix: fundamental problem -> Campaign Pause until it is fixed."
    )


def _previous_cvr(ctx: CampaignContext) -> float:
    hist = ctx.history
    assert hist is not None, "pause reasoning needs the comparison week's conversion rate"
    first_week = hist.daily[:PERIOD_DAYS]
    return sum(p.conversions for p in first_week) / sum(p.clicks for p in first_week) * 100


def why_reallocation(ctx: CampaignContext) -> str:
    c = ctx.campaign
    spread = segment_spread(ctx)
    assert spread is not None, "reallocation cases need a segment split"
    return (
        f"CPA rose {size(c.cpa_change_pct)} while CTR ({pct(c.ctr_change_pct)}) and CPM "
        f"({pct(c.cpm_change_pct)}) held, so neither the ads nor the auction changed. Segments "
        f"differ {spread.ratio:.1f}x in CPA: '{spread.worst.name}' at {money(spread.worst.cpa)} "
        f"(taking {spread.worst_spend_share:.0%} of spend) vs '{spread.best.name}' at "
        f"{money(spread.best.cpa)}. Shifting budget from the worst to the best segment fixes the "
        "uneven efficiency without touching what works. Suitability matrix: uneven efficiency -> "
        "Budget Reallocation."
    )


def why_monitoring(ctx: CampaignContext) -> str:
    c = ctx.campaign
    spread = segment_spread(ctx)
    segments = f"segments are within {spread.ratio:.1f}x of each other, " if spread else ""
    return (
        f"Every KPI moved less than the 10 % significance line ({kpis(ctx)}), and "
        f"{trend_phrase(c)} (a trend needs 3). Also {segments}creatives are stable and "
        f"{competitors_line(ctx)}. Nothing here calls for a change; acting on noise would reset "
        "learning for no gain. Suitability matrix: normal variance -> Continue Monitoring."
    )


# --------------------------------------------------------------------------- assembling cases

Reasoning = Callable[[CampaignContext], str]


@dataclass(frozen=True)
class GoldenCase:
    case_id: str
    spec: CaseSpec
    action: ActionType
    root_cause: RootCause
    why: Reasoning
    tags: tuple[str, ...] = ("clear",)
    note: str = ""  # case-specific reasoning added after the template's

    def with_why(self, why: Reasoning) -> GoldenCase:
        return replace(self, why=why)

    def build(self, data: PublicData) -> EvalCase:
        ctx = build_context(data, self.spec)
        profile = data.profiles[self.spec.profile]
        reasoning = " ".join(
            part for part in (self.note.format(**_facts(ctx)), self.why(ctx)) if part
        )
        return EvalCase(
            id=self.case_id,
            context=ctx,
            expected_action=self.action,
            expected_root_cause=self.root_cause,
            human_reasoning=f"{reasoning} Levels: {_provenance(profile, self.spec)}.",
            tags=list(self.tags),
        )


def _facts(ctx: CampaignContext) -> dict[str, object]:
    """Numbers a hand-written note may quote as {name}."""
    c = ctx.campaign
    return {
        "cpa": pct(c.cpa_change_pct),
        "ctr": pct(c.ctr_change_pct),
        "cpm": pct(c.cpm_change_pct),
        "spend": money(c.spend),
        "clicks": f"{c.clicks:,}",
        "conversions": f"{c.conversions:g}",
        "is_share": c.impression_share,
        "is_change": pct(c.impression_share_change_pct),
        "competitors": competitors_line(ctx),
        "missing": ", ".join(ctx.missing_sources) or "nothing",
    }


def _provenance(profile: Profile, spec: CaseSpec) -> str:
    if spec.real_weeks is not None:
        first, second = spec.real_weeks
        return f"{profile.dataset}, real weeks from {first.start:%d %b} and {second.start:%d %b %Y}"
    if spec.totals is not None:
        return f"{profile.source}, exact counts as stated"
    return f"{profile.source}, volume x{spec.scale:.2g}"


# --------------------------------------------------------------------------- the cases

A, R = ActionType, RootCause


def fatigued(*specs: tuple[str, int, float, float, float]) -> tuple[CreativeSpec, ...]:
    """(name, age days, frequency, CTR change %, impression share) per creative."""
    return tuple(
        CreativeSpec(
            name, age, freq, change, share, frequency_trend="increasing" if freq > 5 else "stable"
        )
        for name, age, freq, change, share in specs
    )


def young(*specs: tuple[str, int, float, float, float]) -> tuple[CreativeSpec, ...]:
    return tuple(
        CreativeSpec(name, age, freq, change, share) for name, age, freq, change, share in specs
    )


def saturated(frequency: float, reach_change: float, split: str = "default") -> AudienceSpec:
    return AudienceSpec(frequency, reach_change, "increasing", penetration=0.93, split=split)


def market(active: int, new: int, activity: float, bids: float) -> CompetitorSignals:
    return CompetitorSignals(
        active_competitors_count=active,
        new_competitors_count=new,
        activity_change_pct=activity,
        avg_bid_increase_pct=bids,
    )


def trend(days: int, share: float | None, share_change: float | None) -> Auction:
    return Auction(
        impression_share=share, impression_share_change_pct=share_change, cpa_trend_days=days
    )


UNAVAILABLE = {
    "creatives": "collect_creatives: HTTP 500 from the ad platform after 3 attempts",
    "competitors": "collect_competitors: timed out after 3 attempts",
    "audience": "collect_audience: HTTP 503 from the ad platform after 3 attempts",
    "history": "collect_history: malformed payload",
}


def missing(*sources: str) -> dict[str, str]:
    return {source: UNAVAILABLE[source] for source in sources}


def poisson_interval(count: float) -> tuple[float, float]:
    """Rough 95 % interval of a count (normal approximation), enough to show what is noise."""
    half = 1.96 * count**0.5
    return max(0.0, count - half), count + half


def daily_cpa_range(ctx: CampaignContext) -> tuple[float, float, float]:
    """Lowest and highest daily CPA of the comparison week, and the weekly CPA."""
    assert ctx.history is not None
    week = ctx.history.daily[:PERIOD_DAYS]
    daily = [p.spend / p.conversions for p in week if p.conversions]
    weekly = sum(p.spend for p in week) / sum(p.conversions for p in week)
    return min(daily), max(daily), weekly


def why_improvement(ctx: CampaignContext) -> str:
    c = ctx.campaign
    return (
        "Real consecutive weeks of the A/B control campaign: CPA improved "
        f"{size(c.cpa_change_pct)} with CPM {pct(c.cpm_change_pct)} and spend "
        f"{pct(c.spend_change_pct)}, CTR {pct(c.ctr_change_pct)}. The only significant move is "
        "in our favour; no root cause needs fixing, and changing a campaign that is getting "
        "cheaper would risk the gain. Suitability matrix: normal variance -> Continue "
        "Monitoring."
    )


def why_small_counts(ctx: CampaignContext) -> str:
    c = ctx.campaign
    low, high = poisson_interval(c.conversions)
    return (
        f"CPA {pct(c.cpa_change_pct)} looks alarming, but it rests on {c.conversions:g} "
        f"conversions this week vs 33 the week before, in a {money(c.spend)} campaign. A 95 % "
        f"interval around {c.conversions:g} conversions spans roughly {low:.0f}-{high:.0f}, which "
        "contains last week's count: the change is within counting noise, and CTR and CPM are "
        f"flat ({pct(c.ctr_change_pct)}, {pct(c.cpm_change_pct)}). Too few conversions to "
        "diagnose anything; wait for more data. Suitability matrix: normal variance -> Continue "
        "Monitoring."
    )


def why_tiny_zero(ctx: CampaignContext) -> str:
    c = ctx.campaign
    prev_cvr = _previous_cvr(ctx)
    expected = c.clicks * prev_cvr / 100
    return (
        f"Zero conversions looks like the Campaign Pause signature, but the campaign spent only "
        f"{money(c.spend)} for {c.clicks} clicks. At its usual conversion rate ({prev_cvr:.1f} %) "
        f"about {expected:.1f} conversions were due, and a week with none happens by chance "
        f"{2.718281828**-expected:.0%} of the time. CTR and CPM are normal; there is no "
        "evidence of a broken funnel yet. Suitability matrix: normal variance (small sample) -> "
        "Continue Monitoring; pause only if zero persists on meaningful volume."
    )


def why_thin_segments(ctx: CampaignContext) -> str:
    c = ctx.campaign
    spread = segment_spread(ctx)
    assert spread is not None
    return (
        f"CPA rose {size(c.cpa_change_pct)}, just over the 10 % line, and the age segments differ "
        f"{spread.ratio:.1f}x in CPA ('{spread.worst.name}' {money(spread.worst.cpa)} vs "
        f"'{spread.best.name}' {money(spread.best.cpa)}), which would suggest Budget Reallocation. "
        f"But the segment CPAs rest on {spread.worst.conversions:g} and "
        f"{spread.best.conversions:g} conversions in a {money(c.spend)} week: one conversion more "
        "or less moves a segment CPA by 20-30 %, so the gap is not evidence. Suitability matrix: "
        "normal variance (small sample) -> Continue Monitoring until the segments have volume."
    )


def why_campaign_only(ctx: CampaignContext) -> str:
    c = ctx.campaign
    return (
        f"Partial context: only campaign metrics arrived ({', '.join(ctx.missing_sources)} "
        f"missing). CPA rose {size(c.cpa_change_pct)}, modestly over the 10 % line, and "
        f"{trend_phrase(c)} (not a trend), with CTR {pct(c.ctr_change_pct)} and CPM "
        f"{pct(c.cpm_change_pct)} inside normal variation. Nothing identifies a cause: every "
        "action in the matrix needs one, and acting blind risks a wrong change. Continue "
        "Monitoring and re-collect the missing sources."
    )


def why_offsetting(ctx: CampaignContext) -> str:
    c = ctx.campaign
    return (
        f"Contradictory signals: CTR fell {size(c.ctr_change_pct)} and both creatives show a "
        f"declining CTR, which reads like fatigue. But they are {ages(ctx)} days old at frequency "
        f"under 2, so not fatigued, and the conversion rate rose to offset it: CPA is flat "
        f"({pct(c.cpa_change_pct)}), CPM {pct(c.cpm_change_pct)}. Fewer but better clicks is not a "
        "problem to fix. Suitability matrix: normal variance -> Continue Monitoring."
    )


def why_daily_swings(ctx: CampaignContext) -> str:
    low, high, weekly = daily_cpa_range(ctx)
    return (
        f"In the real base week daily CPA ranged from {money(low)} to {money(high)} around a "
        f"weekly {money(weekly)}: this account swings far more from day to day than the "
        f"week-over-week change now ({kpis(ctx)}), and {trend_phrase(ctx.campaign)}, no trend. "
        "Segments are within 1.1x of each other, creatives are stable and "
        f"{competitors_line(ctx)}. Suitability matrix: normal variance -> Continue Monitoring."
    )


def labelled(action: ActionType, cause: RootCause, why: Reasoning) -> Callable[..., GoldenCase]:
    """A case maker for one label: (id, spec, tags=("clear",), note="") -> GoldenCase."""

    def make(
        case_id: str, spec: CaseSpec, tags: tuple[str, ...] = ("clear",), note: str = ""
    ) -> GoldenCase:
        return GoldenCase(case_id, spec, action, cause, why, tags, note)

    return make


refresh = labelled(A.creative_refresh, R.creative_fatigue, why_fatigue)
expand = labelled(A.audience_expansion, R.audience_saturation, why_saturation)
bid = labelled(A.bid_adjustment, R.competitive_pressure, why_competition)
pause = labelled(A.campaign_pause, R.fundamental_problem, why_pause)
reallocate = labelled(A.budget_reallocation, R.uneven_efficiency, why_reallocation)
monitor = labelled(A.continue_monitoring, R.normal_variance, why_monitoring)

# The case tables are laid out by hand (one case per block); the formatter would spread every
# argument over its own line.
# fmt: off


def creative_refresh_cases() -> list[GoldenCase]:
    return [
        refresh("fatigue-search-01", CaseSpec(
            "search", scale=0.10, moves=Moves(ctr=-28, cpm=2, cvr=-1), auction=trend(5, 0.71, -1),
            creatives=fatigued(("RSA - course benefits", 52, 6.8, -31, 0.55),
                               ("RSA - job outcomes", 41, 5.9, -26, 0.35))
            + young(("RSA - new cohort", 9, 2.1, 2, 0.10)))),
        refresh("fatigue-social-02", CaseSpec(
            "social", scale=1.0, moves=Moves(ctr=-24, cpm=3, cvr=1), auction=trend(4, 0.66, 0),
            creatives=fatigued(("Video - summer sale", 38, 5.8, -27, 0.6),
                               ("Carousel - bestsellers", 44, 5.4, -22, 0.3))
            + young(("Static - new arrivals", 6, 1.9, 4, 0.1)))),
        refresh("fatigue-kag1178-03", CaseSpec(
            "kag1178", scale=1.0, moves=Moves(ctr=-35, cpm=-1), auction=trend(6, 0.58, -2),
            creatives=fatigued(("Brand film 30s", 63, 7.4, -38, 0.7),
                               ("Brand film 15s", 58, 6.9, -33, 0.3)))),
        refresh("fatigue-kag936-04", CaseSpec(
            "kag936", scale=1.0, moves=Moves(ctr=-22, cpm=4, cvr=-2), auction=trend(4, 0.62, 1),
            creatives=fatigued(("Dynamic product ad", 71, 8.1, -25, 0.8))
            + young(("Testimonial", 12, 2.4, 1, 0.2)))),
        refresh("fatigue-search-05", CaseSpec(
            "search", scale=0.04, moves=Moves(ctr=-21, cpm=1, cvr=-3), auction=trend(3, 0.77, 0),
            creatives=fatigued(("RSA - evergreen", 90, 5.6, -23, 0.8))
            + young(("RSA - scholarship", 16, 2.0, 3, 0.2)))),
        refresh("fatigue-partial-06", CaseSpec(
            "social", scale=0.6, moves=Moves(ctr=-30, cpm=2), auction=trend(4, 0.69, 0),
            creatives=fatigued(("Video - summer sale", 47, 6.6, -33, 0.75),
                               ("Carousel - bestsellers", 39, 5.5, -25, 0.25)),
            missing=missing("competitors", "audience")),
            ("partial_context",),
            "Partial context: {missing} could not be collected, so competition and saturation "
            "cannot be checked directly; but CPM {cpm} shows no auction pressure and impression "
            "share {is_share} is far from saturation, and the creative data alone shows a "
            "complete fatigue signature. The missing sources lower confidence, not the label."),
        refresh("fatigue-contradictory-07", CaseSpec(
            "search", scale=0.08, moves=Moves(ctr=-30, cpm=1), auction=trend(4, 0.74, -2),
            creatives=fatigued(("RSA - course benefits", 58, 6.5, -33, 0.7),
                               ("RSA - job outcomes", 45, 5.7, -28, 0.3)),
            competitors=market(8, 1, 26, 6)),
            ("contradictory",),
            "Contradictory signals: competitors are busier ({competitors}), past the 20 % line, "
            "which alone would suggest Bid Adjustment. It does not reach our auction: CPM {cpm} "
            "and impression share {is_change} barely moved, and average competitor bids rose "
            "only 6 %. All of the CPA rise is explained by CTR."),
        refresh("fatigue-multi-08", CaseSpec(
            "kag1178", scale=0.5, moves=Moves(ctr=-32, cpm=12), auction=trend(5, 0.60, -6),
            creatives=fatigued(("Brand film 30s", 55, 7.2, -35, 0.65),
                               ("Brand film 15s", 61, 6.4, -30, 0.35)),
            competitors=market(9, 1, 22, 9)),
            ("multi_cause",),
            "Two causes at once: creative fatigue and mild competitive pressure ({competitors}, "
            "CPM {cpm}, impression share {is_change}). The CTR loss ({ctr}) accounts for about "
            "+47 % of CPA on its own, the CPM rise for +12 %: fatigue is the larger lever, and "
            "raising bids for tired ads would buy more impressions nobody clicks. Refresh "
            "first and re-check CPM afterwards."),
    ]


def audience_expansion_cases() -> list[GoldenCase]:
    fresh = young(("Video - spring", 12, 4.2, -2, 0.6), ("Static - offer", 18, 3.8, -1, 0.4))
    return [
        expand("saturation-social-01", CaseSpec(
            "social", scale=1.0, moves=Moves(cpm=17, ctr=-2), auction=trend(4, 0.94, 3),
            creatives=fresh, audience=saturated(4.4, -4))),
        expand("saturation-search-02", CaseSpec(
            "search", scale=0.06, moves=Moves(cpm=14, ctr=1, cvr=-1), auction=trend(3, 0.95, 2),
            creatives=young(("RSA - core", 14, 3.4, 1, 0.7), ("RSA - brand", 22, 3.1, 0, 0.3)),
            audience=saturated(3.6, 0))),
        expand("saturation-kag936-03", CaseSpec(
            "kag936", scale=1.0, moves=Moves(cpm=21, ctr=-4, cvr=-1), auction=trend(5, 0.92, 1),
            creatives=fresh, audience=saturated(4.8, -7))),
        expand("saturation-kag1178-04", CaseSpec(
            "kag1178", scale=0.3, moves=Moves(cpm=15, ctr=2, cvr=-3), auction=trend(3, 0.96, 2),
            creatives=fresh, audience=saturated(4.1, -2))),
        expand("saturation-social-05", CaseSpec(
            "social", scale=0.4, moves=Moves(cpm=24, ctr=-3, cvr=-2), auction=trend(6, 0.97, 1),
            creatives=fresh, audience=saturated(4.9, -9))),
        expand("saturation-partial-06", CaseSpec(
            "search", scale=0.05, moves=Moves(cpm=19, ctr=-1), auction=trend(4, 0.95, 2),
            audience=saturated(4.5, -5), missing=missing("creatives", "history")),
            ("partial_context",),
            "Partial context: {missing} could not be collected. Creative fatigue cannot be "
            "ruled out from creative data, but campaign CTR is flat ({ctr}), which fatigue would "
            "not leave intact, and the saturation signature is complete.",
        ).with_why(lambda ctx: why_saturation(ctx).replace(
            f"Creatives are young ({ages(ctx)} days) and", "Also,")),
        expand("saturation-contradictory-07", CaseSpec(
            "social", scale=0.7, moves=Moves(cpm=16, cvr=-2), auction=trend(4, 0.93, 4),
            creatives=fresh, competitors=market(7, 1, 15, 8), audience=saturated(4.6, -6)),
            ("contradictory",),
            "Contradictory signals: CPM up {cpm} with a new competitor looks like competitive "
            "pressure, but competitive pressure takes impression share away; ours rose "
            "({is_change}, to {is_share}) while reach fell, and competitor activity stays under "
            "the 20 % line. We are buying the same people more often, not losing auctions."),
        expand("saturation-multi-08", CaseSpec(
            "kag936", scale=1.0, moves=Moves(cpm=22, ctr=-7), auction=trend(5, 0.95, 1),
            creatives=young(("Dynamic product ad", 34, 5.3, -8, 0.6),
                            ("Testimonial", 31, 5.1, -6, 0.4)),
            audience=saturated(5.2, -6)),
            ("multi_cause",),
            "Two candidate causes: the creatives carry fatigue flags (just over 30 days, "
            "frequency just over 5), but their CTR is not breaking down ({ctr}, inside the 10 % "
            "line) and the high frequency is itself a product of the saturated audience. "
            "Expanding the audience lowers frequency for both problems; new creatives shown to "
            "the same exhausted audience would not.",
        ).with_why(lambda ctx: why_saturation(ctx).replace(
            f"Creatives are young ({ages(ctx)} days)", f"Creatives are {ages(ctx)} days old")),
    ]


def bid_adjustment_cases() -> list[GoldenCase]:
    fresh = young(("Ad A", 11, 2.8, -1, 0.55), ("Ad B", 19, 3.2, 1, 0.45))
    return [
        bid("competition-search-01", CaseSpec(
            "search", scale=0.12, moves=Moves(cpm=22, ctr=-1, cvr=-1),
            auction=trend(5, 0.61, -18), creatives=fresh, competitors=market(9, 2, 35, 18))),
        bid("competition-search-02", CaseSpec(
            "search", scale=0.05, moves=Moves(cpm=17, ctr=2, cvr=-2),
            auction=trend(4, 0.66, -12), creatives=fresh, competitors=market(7, 1, 26, 12))),
        bid("competition-social-03", CaseSpec(
            "social", scale=0.8, moves=Moves(cpm=26, ctr=-3),
            auction=trend(5, 0.55, -21), creatives=fresh, competitors=market(11, 3, 41, 22))),
        bid("competition-kag1178-04", CaseSpec(
            "kag1178", scale=0.4, moves=Moves(cpm=19, ctr=1, cvr=-1),
            auction=trend(4, 0.58, -14), creatives=fresh, competitors=market(10, 2, 29, 15))),
        bid("competition-kag936-05", CaseSpec(
            "kag936", scale=1.0, moves=Moves(cpm=31, ctr=-2, cvr=-2),
            auction=trend(6, 0.49, -24), creatives=fresh, competitors=market(8, 2, 52, 27))),
        bid("competition-partial-06", CaseSpec(
            "search", scale=0.07, moves=Moves(cpm=24, ctr=-2), auction=trend(4, 0.57, -20),
            competitors=market(9, 2, 38, 19), missing=missing("creatives", "audience")),
            ("partial_context",),
            "Partial context: {missing} could not be collected. CTR holding ({ctr}) argues "
            "against creative fatigue without the creative data, and falling impression share "
            "({is_change}) is the opposite of saturation, which raises share; the competitor "
            "data that is present shows the pressure directly.",
        ).with_why(lambda ctx: why_competition(ctx).split(" Creatives are young")[0]
                   + " Suitability matrix: competitive pressure -> Bid Adjustment."),
        bid("competition-contradictory-07", CaseSpec(
            "social", scale=0.9, moves=Moves(cpm=24, ctr=-3, cvr=-1), auction=trend(5, 0.60, -16),
            creatives=young(("Video - core", 10, 2.6, 1, 0.85))
            + fatigued(("Static - legacy", 36, 3.2, -14, 0.15)),
            competitors=market(10, 2, 40, 20)),
            ("contradictory",),
            "Contradictory signals: one creative ('Static - legacy', 36 days, CTR -14 %) is "
            "declining, which hints at fatigue. It carries 15 % of impressions at frequency 3.2 "
            "(under 5) and campaign CTR is stable ({ctr}), so it cannot explain CPA {cpa}; the "
            "campaign-level pattern is the auction.",
        ).with_why(lambda ctx: why_competition(ctx).replace(
            "Creatives are young", "The main creative is young")),
        bid("competition-multi-08", CaseSpec(
            "kag1178", scale=0.6, moves=Moves(cpm=23, cvr=-1), auction=trend(5, 0.56, -17),
            creatives=fresh, competitors=market(9, 2, 33, 17), audience=AudienceSpec(split="age")),
            ("multi_cause",),
            "Two causes at once: the age segments differ about 3x in CPA (uneven efficiency), "
            "and the auction turned against us. The segment gap is structural, the same in the "
            "comparison week, so it did not cause this week's CPA {cpa}; the new CPM {cpm} and "
            "impression share {is_change} did. Answer the competition now, rebalance segments "
            "in a later cycle."),
    ]


def dead(ctr: float = 0.0, cpm: float = 0.0, spend: float = 0.0) -> Moves:
    """Traffic as usual, not one conversion."""
    return Moves(ctr=ctr, cpm=cpm, spend=spend, zero_conversions=True)


def campaign_pause_cases() -> list[GoldenCase]:
    return [
        pause("pause-search-01", CaseSpec(
            "search", scale=0.08, moves=dead(ctr=-2, cpm=1), auction=trend(0, 0.75, 0))),
        pause("pause-social-02", CaseSpec(
            "social", scale=0.5, moves=dead(ctr=1, cpm=-2), auction=trend(0, 0.68, 1))),
        pause("pause-kag1178-03", CaseSpec(
            "kag1178", scale=0.2, moves=dead(ctr=-3, cpm=2), auction=trend(0, 0.63, -1))),
        pause("pause-kag936-04", CaseSpec(
            "kag936", scale=1.0, moves=dead(ctr=2), auction=trend(0, 0.7, 0))),
        pause("pause-social-05", CaseSpec(
            "social", scale=1.2, moves=dead(spend=12), auction=trend(0, 0.7, 2)),
            note="Spend even rose ({spend} this week) while nothing converts."),
        pause("pause-multi-06", CaseSpec(
            "search", scale=0.06, moves=dead(ctr=-24, cpm=2), auction=trend(0, 0.73, -1),
            creatives=fatigued(("RSA - evergreen", 58, 6.3, -26, 0.8))
            + young(("RSA - new", 12, 2.0, 1, 0.2))),
            ("multi_cause",),
            "Two causes at once: the main creative is fatigued (58 days, frequency 6.3, CTR "
            "-26 %), but fatigue cannot explain zero conversions: a {ctr} CTR drop lowers "
            "conversions by about a quarter, not to nothing. The fundamental problem comes "
            "first; refresh the creative once conversions are measured again."),
        pause("pause-partial-07", CaseSpec(
            "social", scale=0.3, moves=dead(ctr=-1, cpm=1), auction=trend(0, 0.66, 0),
            missing=missing("creatives", "competitors", "audience")),
            ("partial_context",),
            "Partial context: {missing} could not be collected, but they are not needed here: "
            "no creative, competitor or audience explanation turns {clicks} clicks into zero "
            "conversions."),
    ]


def budget_reallocation_cases() -> list[GoldenCase]:
    def split(name: str) -> AudienceSpec:
        return AudienceSpec(split=name)

    return [
        reallocate("realloc-kag1178-01", CaseSpec(
            "kag1178", scale=0.5, moves=Moves(cvr=-13, ctr=2, cpm=1), auction=trend(4, 0.7, 0),
            audience=split("age"))),
        reallocate("realloc-kag936-02", CaseSpec(
            "kag936", scale=1.0, moves=Moves(cvr=-15, ctr=-1, cpm=2), auction=trend(4, 0.68, 1),
            audience=split("age"))),
        reallocate("realloc-kag936-03", CaseSpec(
            "kag936", scale=2.0, moves=Moves(cvr=-11, cpm=3), auction=trend(3, 0.72, -1),
            audience=split("gender"))),
        reallocate("realloc-kag1178-04", CaseSpec(
            "kag1178", scale=0.8, moves=Moves(cvr=-14, ctr=-2), auction=trend(5, 0.66, 0),
            audience=split("age_gender"))),
        reallocate("realloc-kag936-05", CaseSpec(
            "kag936", scale=1.5, moves=Moves(cvr=-12, ctr=3, cpm=2), auction=trend(4, 0.71, 1),
            audience=split("age_gender"))),
        reallocate("realloc-partial-06", CaseSpec(
            "kag1178", scale=0.8, moves=Moves(cvr=-12, cpm=2), auction=trend(4, 0.69, 0),
            audience=split("age"), missing=missing("creatives", "competitors")),
            ("partial_context",),
            "Partial context: {missing} could not be collected. Stable CTR ({ctr}) and CPM "
            "({cpm}) leave no room for fatigue or competition to be hiding in the missing data, "
            "and the segment data that is present shows the cause."),
        reallocate("realloc-contradictory-07", CaseSpec(
            "kag1178", scale=0.4, moves=Moves(cvr=-14, cpm=4), auction=trend(4, 0.7, -2),
            competitors=market(8, 1, 18, 5), audience=split("age_gender")),
            ("contradictory",),
            "Contradictory signals: the competitor data ({competitors}) suggests competitive "
            "pressure, but it is below the 20 % line and does not show in the auction (CPM "
            "{cpm}, impression share {is_change}); the CPA rise comes from conversion rate in "
            "the weak segments."),
    ]


def continue_monitoring_cases(data: PublicData) -> list[GoldenCase]:
    def real(days: dict, first: date, second: date) -> tuple:
        return week_of(days, first), week_of(days, second)

    google, control = data.google_days, data.control_days
    kag916 = data.profiles["kag916"]
    real_916 = Totals.of_week(kag916.week)  # the campaign's real (tiny) totals
    tiny = 52 / data.profiles["search"].week.total("spend")  # a $52-a-week search campaign
    return [
        monitor("noise-search-real-01", CaseSpec(
            "search", auction=trend(1, 0.78, 1),
            real_weeks=real(google, date(2024, 11, 17), date(2024, 11, 24))),
            ("noise",)),
        monitor("noise-control-real-02", CaseSpec(
            "control", auction=trend(2, 0.71, -2),
            real_weeks=real(control, date(2019, 8, 11), date(2019, 8, 18))),
            ("noise",), "Real consecutive weeks of the A/B control campaign, unmodified."),
        GoldenCase("improvement-control-real-03", CaseSpec(
            "control", auction=trend(0, 0.73, 1),
            real_weeks=real(control, date(2019, 8, 17), date(2019, 8, 24))),
            A.continue_monitoring, R.normal_variance, why_improvement, ("noise", "improvement")),
        monitor("noise-kag1178-04", CaseSpec(
            "kag1178", scale=0.7, moves=Moves(cpm=4, ctr=-3, cvr=-1), auction=trend(2, 0.7, 1)),
            ("noise", "clear")),
        monitor("noise-search-05", CaseSpec(
            "search", scale=0.1, moves=Moves(cpm=5, ctr=-3, cvr=-1), auction=trend(2, 0.76, -1)),
            ("noise",),
            "Borderline: CPA {cpa} sits just under the 10 % line and is made of three small "
            "moves, none significant."),
        GoldenCase("small-sample-kag916-06", CaseSpec(
            "kag916", totals=(Totals(151.2, 489_000, 117, 33), real_916),
            auction=trend(2, 0.7, 0)),
            A.continue_monitoring, R.normal_variance, why_small_counts, ("small_sample",)),
        GoldenCase("small-sample-zero-07", CaseSpec(
            "search", scale=tiny, moves=Moves(spend=-8, zero_conversions=True),
            auction=trend(0, 0.8, 0)),
            A.continue_monitoring, R.normal_variance, why_tiny_zero, ("small_sample",)),
        GoldenCase("small-sample-segments-08", CaseSpec(
            "kag916", totals=(Totals(146.5, 472_600, 110, 26), real_916),
            auction=trend(2, 0.7, 1), audience=AudienceSpec(split="age")),
            A.continue_monitoring, R.normal_variance, why_thin_segments, ("small_sample",)),
        GoldenCase("partial-campaign-only-09", CaseSpec(
            "social", scale=0.5, moves=Moves(cvr=-8, cpm=5, ctr=-1), auction=trend(2, 0.7, 0),
            missing=missing("creatives", "competitors", "audience", "history")),
            A.continue_monitoring, R.normal_variance, why_campaign_only, ("partial_context",)),
        GoldenCase("contradictory-offsetting-10", CaseSpec(
            "search", scale=0.1, moves=Moves(ctr=-14, cvr=13, cpm=-2), auction=trend(1, 0.75, 0),
            creatives=fatigued(("RSA - core", 11, 1.8, -15, 0.7),
                               ("RSA - brand", 20, 1.6, -12, 0.3))),
            A.continue_monitoring, R.normal_variance, why_offsetting, ("contradictory",)),
        GoldenCase("noise-daily-swings-11", CaseSpec(
            "social", scale=0.8, moves=Moves(cvr=-6, cpm=1), auction=trend(1, 0.7, 0)),
            A.continue_monitoring, R.normal_variance, why_daily_swings, ("noise",)),
        monitor("noise-social-12", CaseSpec(
            "social", scale=0.3, moves=Moves(ctr=4, cpm=-3, cvr=2), auction=trend(0, 0.69, 2)),
            ("noise", "clear")),
    ]


# fmt: on


# --------------------------------------------------------------------------- main


def golden_cases(data: PublicData) -> list[EvalCase]:
    specs = [
        *creative_refresh_cases(),
        *audience_expansion_cases(),
        *bid_adjustment_cases(),
        *campaign_pause_cases(),
        *budget_reallocation_cases(),
        *continue_monitoring_cases(data),
    ]
    return [spec.build(data) for spec in specs]


def render(cases: list[EvalCase]) -> str:
    return "".join(dump_case(case) + "\n" for case in cases)


def summary(cases: list[EvalCase]) -> str:
    per_action = {action.value: 0 for action in ActionType}
    per_tag: dict[str, int] = defaultdict(int)
    for case in cases:
        per_action[case.expected_action.value] += 1
        for tag in case.tags:
            per_tag[tag] += 1
    actions = ", ".join(f"{action} {count}" for action, count in per_action.items())
    tags = ", ".join(f"{tag} {count}" for tag, count in sorted(per_tag.items()))
    return f"{len(cases)} cases; {actions}; tags: {tags}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("SIMULATOR_DATA_DIR", DEFAULT_DATA_DIR)),
        help="folder with the public CSVs (default: $SIMULATOR_DATA_DIR or ../shared/data)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSONL")
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 if --out differs from a rebuild"
    )
    args = parser.parse_args(argv)
    cases = relabel(golden_cases(load_public_data(args.data_dir)))
    text = render(cases)
    print(summary(cases))
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is out of date: run python -m evals.datasets.build_golden")
            return 1
        print(f"{args.out} is up to date")
        return 0
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
