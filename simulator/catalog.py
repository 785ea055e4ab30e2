"""The 12 named demo campaigns, and the generator of N more from a seed.

Named campaigns keep their ids (tests and the demo use them). Each was designed to show one
situation, written in its admin-only ``label``; the mechanisms below, not the label, make its
numbers, and the oracle, not the label, says what the right action is.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace

from simulator.figures import Figures
from simulator.world import GROSS_MARGIN, CampaignPlan, CreativePlan

OLD_AGES, YOUNG_AGES = (50, 53, 57), (21, 24, 26)


def _creatives(ages: tuple[int, ...], *names: str) -> tuple[CreativePlan, ...]:
    return tuple(CreativePlan(name, age) for name, age in zip(names, ages, strict=False))


def _old(*names: str) -> tuple[CreativePlan, ...]:
    return _creatives(OLD_AGES, *names)


def _young(*names: str) -> tuple[CreativePlan, ...]:
    return _creatives(YOUNG_AGES, *names)


NAMED: tuple[CampaignPlan, ...] = (
    CampaignPlan(
        "cmp-fatigue-01",
        "Summer Sale - Carousel",
        "meta",
        "ab_control",
        "kag_1178_age",
        1.0,
        _old("Carousel: Beach Bundle", "Carousel: Sunset Deals", "Story: Last Chance"),
        wear_half=30.0,
        wear_width=3.0,
        wear_max=0.55,
        opportunities_per_person=2.3,
        label="creative_fatigue",
    ),
    CampaignPlan(
        "cmp-fatigue-02",
        "Back to School - Video",
        "meta",
        "kag_936",
        "kag_1178_gender",
        6.0,
        _old("Video: Backpack Haul", "Video: Teacher Picks"),
        wear_half=30.0,
        wear_width=3.0,
        wear_max=0.55,
        opportunities_per_person=2.3,
        label="creative_fatigue",
    ),
    CampaignPlan(
        "cmp-saturation-01",
        "Loyalty Retargeting",
        "meta",
        "ab_test",
        "kag_936_gender",
        0.6,
        _young("Static: Members Save 20%", "Carousel: Back in Stock"),
        full_bid_share=0.985,
        operating_share=0.8,
        depletions=((12, 0.45, 12),),
        label="audience_saturation",
    ),
    CampaignPlan(
        "cmp-saturation-02",
        "Lookalike Prospecting",
        "meta",
        "kag_1178",
        "kag_1178_age",
        0.8,
        _young("Video: Unboxing", "Static: Free Shipping", "Story: Reviews"),
        full_bid_share=0.985,
        operating_share=0.8,
        depletions=((12, 0.45, 12),),
        competitors=5,
        label="audience_saturation",
    ),
    CampaignPlan(
        "cmp-competition-01",
        "Brand Search - Data Analytics Course",
        "google",
        "google_desktop",
        "google_device",
        0.5,
        _young("RSA: Official Course Site", "RSA: Enrol Today"),
        jumps=((10, 0.25, 0), (6, 0.2, 1), (3, 0.15, 1)),
        competitors=7,
        bid=2.5,
        margin=2.6,
        label="competitive_pressure",
    ),
    CampaignPlan(
        "cmp-competition-02",
        "Generic Search - Learn Data Analytics",
        "google",
        "google_mobile",
        "google_device",
        0.35,
        _young("RSA: Learn Analytics Online", "RSA: Certificate"),
        jumps=((10, 0.25, 0), (6, 0.2, 1), (3, 0.15, 1)),
        margin=2.6,
        label="competitive_pressure",
    ),
    CampaignPlan(
        "cmp-tracking-01",
        "Course Signups - Search",
        "google",
        "google_tablet",
        "google_device",
        0.3,
        _young("RSA: Free Syllabus", "RSA: Start This Week"),
        tracking=(10, 1.0, 0.07),
        margin=1.3,
        label="fundamental_problem",
    ),
    CampaignPlan(
        "cmp-tracking-02",
        "Webinar Registrations",
        "meta",
        "ab_test",
        "kag_1178_age",
        0.4,
        _young("Static: Live Webinar", "Video: Speaker Teaser"),
        tracking=(17, 1.0, 0.06),
        margin=1.3,
        label="fundamental_problem",
    ),
    CampaignPlan(
        "cmp-uneven-01",
        "Prospecting by Age Group",
        "meta",
        "kag_1178",
        "kag_1178_age",
        1.0,
        _young("Static: Spring Range", "Video: How It Works"),
        keep_segment_spread=True,
        shocks=(("age-45-49", 12, 0.4), ("age-40-44", 12, 0.5)),
        label="uneven_efficiency",
    ),
    CampaignPlan(
        "cmp-uneven-02",
        "Interest Targeting by Age",
        "meta",
        "ab_control",
        "kag_936_age",
        0.8,
        _young("Carousel: Bestsellers", "Static: New Arrivals"),
        keep_segment_spread=True,
        shocks=(("age-45-49", 12, 0.4), ("age-40-44", 12, 0.5)),
        competitors=8,
        label="uneven_efficiency",
    ),
    CampaignPlan(
        "cmp-steady-01",
        "Always-on Search - Analytics Training",
        "google",
        "google_mobile",
        "google_device",
        0.25,
        _young("RSA: Analytics Training", "RSA: Weekend Classes"),
        full_bid_share=0.82,
        operating_share=0.72,
        label="normal_variance",
    ),
    CampaignPlan(
        "cmp-steady-02",
        "Evergreen Awareness",
        "meta",
        "ab_control",
        "kag_936_gender",
        0.7,
        _young("Video: Brand Story", "Static: Our Promise", "Story: Community"),
        full_bid_share=0.82,
        operating_share=0.72,
        max_segment_spread=1.08,
        label="normal_variance",
    ),
)

# --- generated campaigns ------------------------------------------------------------------------

ISSUES = ("wear", "competition", "saturation", "tracking", "segments")
STRONG_COUNT_WEIGHTS = {0: 0.35, 1: 0.5, 2: 0.15}  # most campaigns: at most one strong issue
WEAK_ISSUE_PROBABILITY = 0.35
META_SEGMENTS = ("kag_936_age", "kag_936_gender", "kag_1178_age", "kag_1178_gender")
NAMES = (
    "Spring Launch",
    "Retargeting",
    "Prospecting",
    "Brand Search",
    "Generic Search",
    "Lookalikes",
    "Video Views",
    "Lead Gen",
    "Catalog Sales",
    "Webinar",
    "App Installs",
    "Holiday Push",
    "Evergreen",
    "Local Reach",
    "Competitor Terms",
)


def generated_plans(figures: Figures, seed: int, count: int) -> list[CampaignPlan]:
    """`count` campaigns drawn from `seed` (the same seed always gives the same campaigns)."""
    return [_generated(figures, random.Random(f"world/{seed}/{i}"), seed, i) for i in range(count)]


def _generated(figures: Figures, rng: random.Random, seed: int, index: int) -> CampaignPlan:
    slice_name = rng.choice(sorted(figures.delivery))
    google = slice_name.startswith("google")
    segments = "google_device" if google else rng.choice(META_SEGMENTS)
    base = figures.delivery[slice_name]
    # Daily spend from about $15 to $5,000: small accounts, where noise dominates, included.
    spend = math.exp(rng.uniform(math.log(15), math.log(5000)))
    strong = set(_strong_issues(rng))
    weak = {i for i in ISSUES if i not in strong and rng.random() < WEAK_ISSUE_PROBABILITY}
    strengths = {
        i: (rng.uniform(0.6, 1.0) if i in strong else rng.uniform(0.05, 0.3))
        for i in ISSUES  # a fixed order: set order varies between processes
        if i in strong or i in weak
    }
    ages = tuple(sorted((rng.randint(5, 80) for _ in range(rng.choice((1, 2, 3)))), reverse=True))
    adsets = figures.adset_spread
    full_share = rng.uniform(0.55, 0.97)
    budget_bound = rng.random() < 0.5
    plan = CampaignPlan(
        campaign_id=f"cmp-w{seed}-{index:04d}",
        campaign_name=f"{rng.choice(NAMES)} {index:04d}",
        platform="google" if google else "meta",
        delivery=slice_name,
        segments=segments,
        spend_scale=spend / base.daily_spend,
        creatives=tuple(CreativePlan(f"Creative {chr(65 + i)}", age) for i, age in enumerate(ages)),
        full_bid_share=full_share,
        operating_share=full_share * rng.uniform(0.7, 0.95) if budget_bound else None,
        margin=math.exp(
            math.log(figures.revenue_per_cost.median * GROSS_MARGIN)
            + rng.gauss(0, figures.revenue_per_cost.log_sd)
        ),
        competitors=rng.randint(2, 12),
        cpm_factor=math.exp(rng.gauss(0, adsets["cpm"].log_sd)),
        ctr_factor=math.exp(rng.gauss(0, adsets["ctr"].log_sd)),
        cvr_factor=math.exp(rng.gauss(0, adsets["cvr"].log_sd / 2)),
        strengths=strengths,
    )
    return _with_issues(plan, strengths, rng, figures)


def _strong_issues(rng: random.Random) -> list[str]:
    counts, weights = zip(*STRONG_COUNT_WEIGHTS.items(), strict=True)
    return rng.sample(ISSUES, rng.choices(counts, weights)[0])


def _with_issues(
    plan: CampaignPlan, strengths: dict[str, float], rng: random.Random, figures: Figures
) -> CampaignPlan:
    changes: dict[str, object] = {}
    if "wear" in strengths:
        s = strengths["wear"]
        # Per-person views of the oldest creative by today, roughly: a strong wear-out is
        # half-way around now, a weak one far later.
        oldest = plan.creatives[0].age_days
        views = oldest * 0.16 * (plan.full_bid_share / 0.78)
        changes["wear_half"] = max(1.0, views * (1.0 + (1 - s) * 2.5 + rng.uniform(-0.15, 0.1)))
        changes["wear_max"] = 0.3 + 0.3 * s
    if "competition" in strengths:
        s = strengths["competition"]
        steps = rng.randint(1, 3)
        changes["jumps"] = tuple(
            (rng.randint(1, 12), 0.55 * s / steps, rng.randint(0, 2) if s > 0.5 else 0)
            for _ in range(steps)
        )
    if "saturation" in strengths:
        s = strengths["saturation"]
        changes["depletions"] = ((rng.randint(4, 16), 0.5 * s, rng.randint(6, 14)),)
        if s > 0.5:
            changes["full_bid_share"] = rng.uniform(0.93, 0.99)
            changes["operating_share"] = rng.uniform(0.7, 0.88)
    if "tracking" in strengths and strengths["tracking"] > 0.5:
        changes["tracking"] = (rng.randint(1, 20), rng.uniform(0.8, 1.0), rng.uniform(0.0, 0.08))
    if "segments" in strengths:
        s = strengths["segments"]
        segment_ids = [level.segment_id for level in figures.segments[plan.segments]]
        hit = rng.sample(segment_ids, min(len(segment_ids) - 1, rng.choice((1, 2))))
        day = rng.randint(4, 16)
        changes["shocks"] = tuple((segment_id, day, 1 - 0.65 * s) for segment_id in hit)
        changes["keep_segment_spread"] = s > 0.5
    return replace(plan, **changes) if changes else plan
