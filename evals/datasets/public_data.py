"""The public reference data (../shared/data) as real campaign weeks: what golden cases start from.

Readers for the three datasets and the base-week "profiles" the golden set is built on. See the
datasets' README for provenance and quirks; see ``build_golden`` for how profiles become cases.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

PERIOD_DAYS = 7
COUNTS = ("spend", "impressions", "clicks", "conversions")


# --------------------------------------------------------------------------- reading the data


@dataclass(frozen=True)
class Day:
    day: date
    spend: float
    impressions: int
    clicks: int
    conversions: float
    reach: int = 0


@dataclass(frozen=True)
class Segment:
    segment_id: str
    name: str
    spend: float
    conversions: float


@dataclass(frozen=True)
class Week:
    """A real 7-day aggregate: the comparison period every case starts from."""

    start: date
    days: tuple[Day, ...]

    @property
    def end(self) -> date:
        return self.start + timedelta(days=PERIOD_DAYS - 1)

    def total(self, name: str) -> float:
        return sum(getattr(day, name) for day in self.days)

    @property
    def cpm(self) -> float:
        return self.total("spend") / self.total("impressions") * 1000

    @property
    def ctr(self) -> float:
        return self.total("clicks") / self.total("impressions") * 100

    @property
    def cvr(self) -> float:
        return self.total("conversions") / self.total("clicks") * 100

    @property
    def cpa(self) -> float:
        return self.total("spend") / self.total("conversions")

    @property
    def frequency(self) -> float:
        return self.total("impressions") / self.total("reach")


def _money(text: str) -> float:
    return float(text.strip().replace("$", "").replace(",", ""))


def read_ab_days(path: Path) -> dict[date, Day | None]:
    """Daily rows of one A/B file; a day with spend but empty delivery metrics maps to None."""
    days: dict[date, Day | None] = {}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            day = datetime.strptime(row["Date"], "%d.%m.%Y").date()
            if not row["# of Impressions"]:
                days[day] = None
                continue
            days[day] = Day(
                day=day,
                spend=float(row["Spend [USD]"]),
                impressions=int(row["# of Impressions"]),
                clicks=int(row["# of Website Clicks"]),
                conversions=float(row["# of Purchase"]),
                reach=int(row["Reach"]),
            )
    return days


def read_google_ads(path: Path) -> tuple[dict[date, Day], list[Segment]]:
    """Daily totals and the device split; rows with any missing number are dropped."""
    daily: dict[date, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    devices: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            try:
                cost = _money(row["Cost"])
                clicks = float(row["Clicks"])
                impressions = float(row["Impressions"])
                conversions = float(row["Conversions"])
            except ValueError:
                continue
            day = datetime.strptime(row["Ad_Date"].strip(), "%d-%m-%Y").date()
            totals = daily[day]
            totals[0] += cost
            totals[1] += impressions
            totals[2] += clicks
            totals[3] += conversions
            device = row["Device"].strip().lower()
            devices[device][0] += cost
            devices[device][1] += conversions
    days = {
        day: Day(day, spend, int(impressions), int(clicks), conversions)
        for day, (spend, impressions, clicks, conversions) in daily.items()
    }
    segments = [
        Segment(f"device-{name}", name.capitalize(), spend, conversions)
        for name, (spend, conversions) in sorted(devices.items())
    ]
    return days, segments


@dataclass(frozen=True)
class KagCampaign:
    campaign_id: str
    spend: float
    impressions: int
    clicks: int
    conversions: float  # approved conversions
    by_age: list[Segment]
    by_gender: list[Segment]
    by_age_gender: list[Segment]


def read_kag(path: Path) -> dict[str, KagCampaign]:
    rows: dict[str, list[dict[str, str]]] = defaultdict(list)
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            rows[row["xyz_campaign_id"]].append(row)
    return {campaign_id: _kag_campaign(campaign_id, ads) for campaign_id, ads in rows.items()}


def _kag_campaign(campaign_id: str, ads: list[dict[str, str]]) -> KagCampaign:
    return KagCampaign(
        campaign_id=campaign_id,
        spend=sum(float(ad["Spent"]) for ad in ads),
        impressions=sum(int(ad["Impressions"]) for ad in ads),
        clicks=sum(int(ad["Clicks"]) for ad in ads),
        conversions=sum(float(ad["Approved_Conversion"]) for ad in ads),
        by_age=_kag_split(ads, ("age",)),
        by_gender=_kag_split(ads, ("gender",)),
        by_age_gender=_kag_split(ads, ("age", "gender")),
    )


GENDER_NAMES = {"F": "women", "M": "men"}


def _kag_split(ads: list[dict[str, str]], columns: tuple[str, ...]) -> list[Segment]:
    totals: dict[tuple[str, ...], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for ad in ads:
        key = tuple(ad[column] for column in columns)
        totals[key][0] += float(ad["Spent"])
        totals[key][1] += float(ad["Approved_Conversion"])
    return [
        Segment(
            segment_id="-".join(value.lower() for value in key),
            name=" ".join(GENDER_NAMES.get(value, f"age {value}") for value in key),
            spend=spend,
            conversions=conversions,
        )
        for key, (spend, conversions) in sorted(totals.items())
    ]


# --------------------------------------------------------------------------- profiles


@dataclass(frozen=True)
class Profile:
    """A real campaign week (the comparison period) with its platform and segment splits."""

    key: str
    platform: str
    campaign_name: str
    dataset: str  # which public file, quoted in every case's human_reasoning
    base: str  # which part of it
    week: Week
    splits: dict[str, list[Segment]]  # "default" is the split normal cases show

    @property
    def source(self) -> str:
        return f"{self.dataset}, {self.base}"


@dataclass(frozen=True)
class PublicData:
    profiles: dict[str, Profile]
    google_days: dict[date, Day]
    control_days: dict[date, Day | None]


def week_of(days: dict[date, Day | None], start: date) -> Week:
    picked = [days.get(start + timedelta(days=offset)) for offset in range(PERIOD_DAYS)]
    if any(day is None for day in picked):
        raise ValueError(f"the week starting {start} has a day without data")
    return Week(start, tuple(day for day in picked if day is not None))


def combine_days(*series: dict[date, Day | None]) -> dict[date, Day | None]:
    """Per-day sums of several campaigns (ad sets of one campaign); a gap in any is a gap."""
    combined: dict[date, Day | None] = {}
    for day in series[0]:
        parts = [days.get(day) for days in series]
        if any(part is None for part in parts):
            combined[day] = None
            continue
        combined[day] = Day(
            day=day,
            spend=sum(part.spend for part in parts if part),
            impressions=sum(part.impressions for part in parts if part),
            clicks=sum(part.clicks for part in parts if part),
            conversions=sum(part.conversions for part in parts if part),
            reach=sum(part.reach for part in parts if part),
        )
    return combined


def shaped_week(start: date, shape: Week, totals: KagCampaign) -> Week:
    """A week with ``totals`` spread over the days the way ``shape``'s real days were."""
    days = []
    for offset, real in enumerate(shape.days):
        share = {name: getattr(real, name) / shape.total(name) for name in COUNTS}
        days.append(
            Day(
                day=start + timedelta(days=offset),
                spend=totals.spend * share["spend"],
                impressions=round(totals.impressions * share["impressions"]),
                clicks=round(totals.clicks * share["clicks"]),
                conversions=totals.conversions * share["conversions"],
            )
        )
    return Week(start, tuple(days))


SEARCH_WEEK = date(2024, 11, 17)
SOCIAL_WEEK = date(2019, 8, 10)
CONTROL_WEEK = date(2019, 8, 11)
KAG_WEEK = date(2024, 3, 4)  # nominal: the KAG file has no dates


def load_public_data(data_dir: Path) -> PublicData:
    google_days, devices = read_google_ads(data_dir / "GoogleAds_DataAnalytics_Sales_Uncleaned.csv")
    control = read_ab_days(data_dir / "ab_control_group.csv")
    test = read_ab_days(data_dir / "ab_test_group.csv")
    social_week = week_of(combine_days(control, test), SOCIAL_WEEK)
    profiles = [
        Profile(
            key="search",
            platform="google_ads",
            campaign_name="Data Analytics Course - Search",
            dataset="Google Ads export",
            base="week 17-23 Nov 2024",
            week=week_of(dict(google_days), SEARCH_WEEK),
            splits={"default": devices},
        ),
        Profile(
            key="social",
            platform="meta",
            campaign_name="Summer Promo - Prospecting",
            dataset="A/B test",
            base="control + test ad sets, week 10-16 Aug 2019",
            week=social_week,
            splits={"default": _ab_ad_sets(control, test)},
        ),
        Profile(
            key="control",
            platform="meta",
            campaign_name="Summer Promo - Control",
            dataset="A/B test",
            base="control campaign",
            week=week_of(control, CONTROL_WEEK),
            splits={"default": []},  # a single ad set: no segment split
        ),
        *_kag_profiles(read_kag(data_dir / "KAG_conversion_data.csv"), social_week),
    ]
    return PublicData({p.key: p for p in profiles}, dict(google_days), control)


KAG_NAMES = {"1178": "Brand Awareness", "936": "Retargeting", "916": "Lead Gen"}


def _kag_profiles(kag: dict[str, KagCampaign], shape: Week) -> list[Profile]:
    """One profile per xyz campaign; the days borrow the A/B week's shape (KAG has no dates)."""
    return [
        Profile(
            key=f"kag{campaign_id}",
            platform="meta",
            campaign_name=f"xyz {campaign_id} - {name}",
            dataset="Facebook ads data (KAG)",
            base=f"xyz campaign {campaign_id}, approved conversions",
            week=shaped_week(KAG_WEEK, shape, kag[campaign_id]),
            splits={
                "default": kag[campaign_id].by_gender,
                "age": kag[campaign_id].by_age,
                "gender": kag[campaign_id].by_gender,
                "age_gender": kag[campaign_id].by_age_gender,
            },
        )
        for campaign_id, name in KAG_NAMES.items()
    ]


def _ab_ad_sets(control: dict[date, Day | None], test: dict[date, Day | None]) -> list[Segment]:
    """The two A/B campaigns as the two ad sets of one campaign, over the social base week."""
    segments = []
    for segment_id, name, days in (
        ("adset-control", "Control ad set", control),
        ("adset-test", "Test ad set", test),
    ):
        week = week_of(days, SOCIAL_WEEK)
        segments.append(Segment(segment_id, name, week.total("spend"), week.total("conversions")))
    return segments
