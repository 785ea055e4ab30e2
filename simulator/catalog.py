"""The seeded campaigns: two per root cause, each built on one slice of the public datasets.

`delivery` names a DeliveryLevels slice of simulator.datasets (its CPM, CTR, conversion rate and
daily spend), `segments` a segment source (the CPA spread between audience segments), and
`spend_scale` resizes the slice so the account holds campaigns of different sizes.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.recommendation import RootCause


@dataclass(frozen=True)
class CreativeSpec:
    name: str
    age_days: int  # age on the seeded "today"
    weight: float  # share of the campaign's impressions


@dataclass(frozen=True)
class CampaignSpec:
    campaign_id: str
    campaign_name: str
    platform: str
    scenario: RootCause
    delivery: str
    segments: str
    spend_scale: float
    creatives: tuple[CreativeSpec, ...]
    onset_days: int | None = None  # overrides the scenario's onset
    competitors: int = 6


def _old(*names: str) -> tuple[CreativeSpec, ...]:
    """Creatives that have run for about two months: past the fatigue threshold of 30 days."""
    return _rotation(names, ages=(50, 53, 57))


def _young(*names: str) -> tuple[CreativeSpec, ...]:
    """Creatives three to four weeks old: settled, far from wearing out."""
    return _rotation(names, ages=(21, 24, 26))


def _rotation(names: tuple[str, ...], ages: tuple[int, ...]) -> tuple[CreativeSpec, ...]:
    weights = (0.45, 0.35, 0.20)[: len(names)]
    total = sum(weights)
    return tuple(
        CreativeSpec(name, age, weight / total)
        for name, age, weight in zip(names, ages, weights, strict=False)
    )


CATALOG: tuple[CampaignSpec, ...] = (
    CampaignSpec(
        "cmp-fatigue-01",
        "Summer Sale - Carousel",
        "meta",
        RootCause.creative_fatigue,
        delivery="ab_control",
        segments="kag_1178_age",
        spend_scale=1.0,
        creatives=_old("Carousel: Beach Bundle", "Carousel: Sunset Deals", "Story: Last Chance"),
    ),
    CampaignSpec(
        "cmp-fatigue-02",
        "Back to School - Video",
        "meta",
        RootCause.creative_fatigue,
        delivery="kag_936",
        segments="kag_1178_gender",
        spend_scale=6.0,
        creatives=_old("Video: Backpack Haul", "Video: Teacher Picks"),
    ),
    CampaignSpec(
        "cmp-saturation-01",
        "Loyalty Retargeting",
        "meta",
        RootCause.audience_saturation,
        delivery="ab_test",
        segments="kag_936_gender",
        spend_scale=0.6,
        creatives=_young("Static: Members Save 20%", "Carousel: Back in Stock"),
    ),
    CampaignSpec(
        "cmp-saturation-02",
        "Lookalike Prospecting",
        "meta",
        RootCause.audience_saturation,
        delivery="kag_1178",
        segments="kag_1178_age",
        spend_scale=0.8,
        creatives=_young("Video: Unboxing", "Static: Free Shipping", "Story: Reviews"),
        competitors=5,
    ),
    CampaignSpec(
        "cmp-competition-01",
        "Brand Search - Data Analytics Course",
        "google",
        RootCause.competitive_pressure,
        delivery="google_desktop",
        segments="google_device",
        spend_scale=0.5,
        creatives=_young("RSA: Official Course Site", "RSA: Enrol Today"),
        competitors=7,
    ),
    CampaignSpec(
        "cmp-competition-02",
        "Generic Search - Learn Data Analytics",
        "google",
        RootCause.competitive_pressure,
        delivery="google_mobile",
        segments="google_device",
        spend_scale=0.35,
        creatives=_young("RSA: Learn Analytics Online", "RSA: Certificate"),
    ),
    CampaignSpec(
        "cmp-tracking-01",
        "Course Signups - Search",
        "google",
        RootCause.fundamental_problem,
        delivery="google_tablet",
        segments="google_device",
        spend_scale=0.3,
        creatives=_young("RSA: Free Syllabus", "RSA: Start This Week"),
    ),
    CampaignSpec(
        "cmp-tracking-02",
        "Webinar Registrations",
        "meta",
        RootCause.fundamental_problem,
        delivery="ab_test",
        segments="kag_1178_age",
        spend_scale=0.4,
        creatives=_young("Static: Live Webinar", "Video: Speaker Teaser"),
        onset_days=17,  # broken for over two weeks: no conversions in either week
    ),
    CampaignSpec(
        "cmp-uneven-01",
        "Prospecting by Age Group",
        "meta",
        RootCause.uneven_efficiency,
        delivery="kag_1178",
        segments="kag_1178_age",
        spend_scale=1.0,
        creatives=_young("Static: Spring Range", "Video: How It Works"),
    ),
    CampaignSpec(
        "cmp-uneven-02",
        "Interest Targeting by Age",
        "meta",
        RootCause.uneven_efficiency,
        delivery="ab_control",
        segments="kag_936_age",
        spend_scale=0.8,
        creatives=_young("Carousel: Bestsellers", "Static: New Arrivals"),
        competitors=8,
    ),
    CampaignSpec(
        "cmp-steady-01",
        "Always-on Search - Analytics Training",
        "google",
        RootCause.normal_variance,
        delivery="google_mobile",
        segments="google_device",
        spend_scale=0.25,
        creatives=_young("RSA: Analytics Training", "RSA: Weekend Classes"),
    ),
    CampaignSpec(
        "cmp-steady-02",
        "Evergreen Awareness",
        "meta",
        RootCause.normal_variance,
        delivery="ab_control",
        segments="kag_936_gender",
        spend_scale=0.7,
        creatives=_young("Video: Brand Story", "Static: Our Promise", "Story: Community"),
    ),
)
