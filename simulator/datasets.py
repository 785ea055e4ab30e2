"""Read the raw public ad datasets (../shared/data) and reduce them to figures: derivation only.

Nothing reads this module at run or test time except the derivation (``python -m
simulator.derive``) and its tests: the simulator reads the committed figures
(``simulator/data/figures.json``, see ``simulator.figures``).

The CSVs are real-world shaped and dirty (``$`` prefixes, blank cells, rows with zero clicks, a day
with spend but no delivery). Every reader here skips what it cannot use instead of failing, so one
bad cell never takes the simulator down. Only the *levels* are taken from the data (cost per
thousand impressions, click-through rate, conversion rate, daily spend, the CPA spread between
audience segments), the spreads around them (day to day, weekday, between ad sets) and the
value of a conversion; the dynamics come from the simulator's mechanisms.
"""

from __future__ import annotations

import csv
import math
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_DIR_ENV = "SIMULATOR_DATA_DIR"
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"

AB_CONTROL_FILE = "ab_control_group.csv"
AB_TEST_FILE = "ab_test_group.csv"
KAG_FILE = "KAG_conversion_data.csv"
GOOGLE_FILE = "GoogleAds_DataAnalytics_Sales_Uncleaned.csv"
REQUIRED_FILES = (AB_CONTROL_FILE, AB_TEST_FILE, KAG_FILE, GOOGLE_FILE)

# The Facebook export has no dates; we read its totals as one month of delivery.
KAG_ASSUMED_DAYS = 30
# A segment with spend but no conversion counts as if it had half a conversion: very expensive,
# but no division by zero.
ZERO_CONVERSION_STANDIN = 0.5


class DatasetError(RuntimeError):
    """The datasets are missing or unusable; the message names the directory."""


@dataclass(frozen=True)
class DeliveryLevels:
    """What a campaign built on one slice of a dataset delivers on an ordinary day."""

    source: str
    daily_spend: float
    cpm: float
    ctr_pct: float
    cvr_pct: float  # conversions per click, in percent


@dataclass(frozen=True)
class SegmentLevel:
    segment_id: str
    name: str
    spend_share: float
    relative_cpa: float  # the segment's CPA divided by the CPA of the whole slice


@dataclass(frozen=True)
class DatasetLevels:
    delivery: dict[str, DeliveryLevels]
    segments: dict[str, tuple[SegmentLevel, ...]]
    # Engaged actions (clicks plus on-site searches) per click, from the A/B test data.
    engagement_per_click: float


def resolve_data_dir(explicit: Path | None = None) -> Path:
    """The factory argument wins, then $SIMULATOR_DATA_DIR, then ../shared/data next to the repo."""
    if explicit is not None:
        return Path(explicit)
    from_env = os.environ.get(DATA_DIR_ENV)
    return Path(from_env) if from_env else DEFAULT_DATA_DIR


@lru_cache(maxsize=8)
def load_levels(data_dir: Path) -> DatasetLevels:
    """Read and reduce the four CSVs (cached: the files are read-only inputs)."""
    missing = [name for name in REQUIRED_FILES if not (data_dir / name).is_file()]
    if missing:
        raise DatasetError(
            f"simulator datasets not found in {data_dir}: missing {', '.join(missing)}. "
            f"Point ${DATA_DIR_ENV} (or create_app(seed_data_dir=...)) at the shared data folder."
        )
    control = list(_read_rows(data_dir / AB_CONTROL_FILE))
    test = list(_read_rows(data_dir / AB_TEST_FILE))
    kag = list(_read_rows(data_dir / KAG_FILE))
    google = list(_read_rows(data_dir / GOOGLE_FILE))
    delivery = {
        "ab_control": ab_delivery(control, AB_CONTROL_FILE),
        "ab_test": ab_delivery(test, AB_TEST_FILE),
        **{f"kag_{cid}": kag_delivery(kag, cid) for cid in ("916", "936", "1178")},
        **{f"google_{device}": google_delivery(google, device) for device in GOOGLE_DEVICES},
    }
    segments = {
        **{f"kag_{cid}_age": kag_segments(kag, cid, "age") for cid in ("936", "1178")},
        **{f"kag_{cid}_gender": kag_segments(kag, cid, "gender") for cid in ("936", "1178")},
        "google_device": google_segments(google),
    }
    return DatasetLevels(delivery, segments, ab_engagement_per_click(control + test))


# --- parsing dirty cells ----------------------------------------------------------------------


def parse_number(text: str | None) -> float | None:
    """'$231.88' -> 231.88, '1,200' -> 1200.0, '' or 'n/a' -> None."""
    if text is None:
        return None
    cleaned = text.strip().replace("$", "").replace(",", "")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _read_rows(path: Path) -> Iterator[dict[str, str]]:
    # utf-8-sig drops a BOM if an editor added one; newline="" lets csv handle CRLF.
    with path.open(newline="", encoding="utf-8-sig") as handle:
        yield from csv.DictReader(handle)


def _numbers(row: dict[str, str], *columns: str) -> tuple[float, ...] | None:
    """The row's values for every column, or None when any of them is blank or unreadable."""
    values = tuple(parse_number(row.get(column)) for column in columns)
    return None if any(value is None for value in values) else values  # type: ignore[return-value]


def _column_sums(rows: list[tuple[float, ...]], source: str) -> tuple[float, ...]:
    if not rows:
        raise DatasetError(f"{source}: no row has every value needed")
    return tuple(sum(column) for column in zip(*rows, strict=True))


def _ratio(numerator: float, denominator: float, source: str, what: str) -> float:
    if denominator <= 0:
        raise DatasetError(f"{source}: cannot derive {what}, no usable rows")
    return numerator / denominator


# --- A/B test campaign (daily, Aug 2019) -------------------------------------------------------

AB_SPEND = "Spend [USD]"
AB_IMPRESSIONS = "# of Impressions"
AB_CLICKS = "# of Website Clicks"
AB_SEARCHES = "# of Searches"
AB_PURCHASES = "# of Purchase"


def ab_delivery(rows: list[dict[str, str]], source: str) -> DeliveryLevels:
    spends = [value for row in rows if (value := parse_number(row.get(AB_SPEND))) is not None]
    # 5.08.2019 of the control group has spend but no delivery: it counts for spend only.
    complete = [
        values
        for row in rows
        if (values := _numbers(row, AB_SPEND, AB_IMPRESSIONS, AB_CLICKS, AB_PURCHASES))
    ]
    spend, impressions, clicks, purchases = _column_sums(complete, source)
    return DeliveryLevels(
        source=source,
        daily_spend=_ratio(sum(spends), len(spends), source, "daily spend"),
        cpm=1000 * _ratio(spend, impressions, source, "CPM"),
        ctr_pct=100 * _ratio(clicks, impressions, source, "CTR"),
        cvr_pct=100 * _ratio(purchases, clicks, source, "conversion rate"),
    )


def ab_experiment_counts(rows: list[dict[str, str]], source: str) -> dict[str, int]:
    """One arm of the public A/B test as counts: purchases per click over the days with
    delivery (the control's 5.08.2019, spend without any delivery figure, is left out)."""
    complete = [
        values
        for row in rows
        if (values := _numbers(row, AB_SPEND, AB_IMPRESSIONS, AB_CLICKS, AB_PURCHASES))
    ]
    spend, impressions, clicks, purchases = _column_sums(complete, source)
    return {
        "days": len(complete),
        "spend": round(spend),
        "impressions": round(impressions),
        "clicks": round(clicks),
        "purchases": round(purchases),
    }


def ab_engagement_per_click(rows: list[dict[str, str]]) -> float:
    pairs = [values for row in rows if (values := _numbers(row, AB_CLICKS, AB_SEARCHES))]
    clicks = sum(clicks for clicks, _ in pairs)
    searches = sum(searches for _, searches in pairs)
    return _ratio(clicks + searches, clicks, "A/B test data", "engagement per click")


# --- Facebook ad-level export (no dates) -------------------------------------------------------


def _kag_campaign_rows(rows: list[dict[str, str]], campaign_id: str) -> list[dict[str, str]]:
    return [row for row in rows if row.get("xyz_campaign_id", "").strip() == campaign_id]


def kag_delivery(rows: list[dict[str, str]], campaign_id: str) -> DeliveryLevels:
    source = f"{KAG_FILE} campaign {campaign_id}"
    usable = [
        values
        for row in _kag_campaign_rows(rows, campaign_id)
        if (values := _numbers(row, "Spent", "Impressions", "Clicks", "Total_Conversion"))
    ]
    spend, impressions, clicks, conversions = _column_sums(usable, source)
    # Conversions include view-through ones (rows with zero clicks but conversions), so the
    # rate is conversions per click of the whole campaign, never per row.
    return DeliveryLevels(
        source=source,
        daily_spend=spend / KAG_ASSUMED_DAYS,
        cpm=1000 * _ratio(spend, impressions, source, "CPM"),
        ctr_pct=100 * _ratio(clicks, impressions, source, "CTR"),
        cvr_pct=100 * _ratio(conversions, clicks, source, "conversion rate"),
    )


KAG_SEGMENT_NAMES = {"M": "Men", "F": "Women"}


def kag_segments(
    rows: list[dict[str, str]], campaign_id: str, column: str
) -> tuple[SegmentLevel, ...]:
    """Segments by `column` (age or gender): spend and total conversions of each group."""
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for row in _kag_campaign_rows(rows, campaign_id):
        values = _numbers(row, "Spent", "Total_Conversion")
        key = row.get(column, "").strip()
        if values and key:
            totals[key][0] += values[0]
            totals[key][1] += values[1]
    groups = [(key, spend, conversions) for key, (spend, conversions) in sorted(totals.items())]
    return _segments(groups, prefix=column, names=KAG_SEGMENT_NAMES, label=column.title())


# --- Google Ads export (dirty, Nov 2024) -------------------------------------------------------

GOOGLE_DEVICES = ("desktop", "mobile", "tablet")


def _google_device(row: dict[str, str]) -> str:
    return row.get("Device", "").strip().lower()  # 'MOBILE', 'Mobile', 'mobile' are one device


def google_delivery(rows: list[dict[str, str]], device: str) -> DeliveryLevels:
    source = f"{GOOGLE_FILE} device {device}"
    device_rows = [row for row in rows if _google_device(row) == device]
    costs = [value for row in device_rows if (value := parse_number(row.get("Cost"))) is not None]
    dates = {row.get("Ad_Date", "").strip() for row in device_rows} - {""}
    # Rows with a blank cost still ran: estimate a day's spend from the average ad's cost.
    average_cost = _ratio(sum(costs), len(costs), source, "cost")
    daily_spend = average_cost * len(device_rows) / max(1, len(dates))
    delivery = [values for row in device_rows if (values := _numbers(row, "Cost", "Impressions"))]
    clicks = [values for row in device_rows if (values := _numbers(row, "Clicks", "Impressions"))]
    converted = [
        values for row in device_rows if (values := _numbers(row, "Conversions", "Clicks"))
    ]
    return DeliveryLevels(
        source=source,
        daily_spend=daily_spend,
        cpm=1000 * _sum_ratio(delivery, source, "CPM"),
        ctr_pct=100 * _sum_ratio(clicks, source, "CTR"),
        cvr_pct=100 * _sum_ratio(converted, source, "conversion rate"),
    )


def google_segments(rows: list[dict[str, str]]) -> tuple[SegmentLevel, ...]:
    groups = []
    for device in GOOGLE_DEVICES:
        pairs = [
            values
            for row in rows
            if _google_device(row) == device and (values := _numbers(row, "Cost", "Conversions"))
        ]
        groups.append((device, sum(cost for cost, _ in pairs), sum(conv for _, conv in pairs)))
    return _segments(groups, prefix="device", names={}, label="")


def _sum_ratio(pairs: Iterable[tuple[float, ...]], source: str, what: str) -> float:
    pairs = list(pairs)
    return _ratio(sum(pair[0] for pair in pairs), sum(pair[1] for pair in pairs), source, what)


# --- segments ----------------------------------------------------------------------------------


def _segments(
    groups: list[tuple[str, float, float]], prefix: str, names: dict[str, str], label: str
) -> tuple[SegmentLevel, ...]:
    """(key, spend, conversions) groups -> segments with spend share and CPA relative to all."""
    groups = [group for group in groups if group[1] > 0]
    total_spend = sum(spend for _, spend, _ in groups)
    total_conversions = sum(conversions for _, _, conversions in groups)
    if not groups or total_conversions <= 0:
        raise DatasetError(f"no usable segments for {prefix}")
    overall_cpa = total_spend / total_conversions
    return tuple(
        SegmentLevel(
            segment_id=f"{prefix}-{key.lower()}",
            name=names.get(key) or f"{label} {key}".strip().title(),
            spend_share=spend / total_spend,
            relative_cpa=spend / max(conversions, ZERO_CONVERSION_STANDIN) / overall_cpa,
        )
        for key, spend, conversions in groups
    )


# --- spreads and distributions (the world generator's randomness) -------------------------------


@dataclass(frozen=True)
class Spread:
    """Log-normal spread: the median and the standard deviation of the natural log."""

    median: float
    log_sd: float
    n: int  # observations behind it


def _log_spread(values: list[float], source: str) -> Spread:
    logs = [math.log(value) for value in values if value > 0]
    if len(logs) < 3:
        raise DatasetError(f"{source}: fewer than 3 usable values for a spread")
    mean = sum(logs) / len(logs)
    variance = sum((x - mean) ** 2 for x in logs) / (len(logs) - 1)
    ordered = sorted(logs)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return Spread(math.exp(median), math.sqrt(variance), len(logs))


def _centred_log_sd(groups: list[list[float]], source: str) -> Spread:
    """Pooled within-group log spread: each group's values around the group's own mean."""
    residuals: list[float] = []
    medians: list[float] = []
    for values in groups:
        logs = [math.log(v) for v in values if v > 0]
        if len(logs) < 2:
            continue
        mean = sum(logs) / len(logs)
        residuals += [x - mean for x in logs]
        medians.append(math.exp(mean))
    degrees = len(residuals) - len(medians)
    if degrees < 2:
        raise DatasetError(f"{source}: too few values for a spread")
    log_sd = math.sqrt(sum(r * r for r in residuals) / degrees)
    return Spread(sorted(medians)[len(medians) // 2], log_sd, len(residuals))


def ab_daily_spread(groups: list[list[dict[str, str]]]) -> dict[str, Spread]:
    """Day-to-day spread of spend, CPM, CTR and conversion rate within each A/B campaign."""
    series: dict[str, list[list[float]]] = {"spend": [], "cpm": [], "ctr": [], "cvr": []}
    for rows in groups:
        days = [
            values
            for row in rows
            if (values := _numbers(row, AB_SPEND, AB_IMPRESSIONS, AB_CLICKS, AB_PURCHASES))
        ]
        series["spend"].append([spend for spend, *_ in days])
        series["cpm"].append([1000 * s / i for s, i, _, _ in days if i])
        series["ctr"].append([c / i for _, i, c, _ in days if i])
        series["cvr"].append([p / c for _, _, c, p in days if c])
    return {name: _centred_log_sd(values, f"A/B daily {name}") for name, values in series.items()}


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _google_date(text: str | None):
    from datetime import datetime

    cleaned = (text or "").strip()
    for pattern in ("%d-%m-%Y", "%Y/%m/%d", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(cleaned, pattern).date()
        except ValueError:
            continue
    return None


def google_weekday_factors(rows: list[dict[str, str]]) -> dict[str, float]:
    """Mean clicks per calendar day of each weekday, relative to the mean over the week."""
    per_date: dict[object, float] = defaultdict(float)
    for row in rows:
        day = _google_date(row.get("Ad_Date"))
        clicks = parse_number(row.get("Clicks"))
        if day is not None and clicks is not None:
            per_date[day] += clicks
    by_weekday: dict[int, list[float]] = defaultdict(list)
    for day, clicks in per_date.items():
        by_weekday[day.weekday()].append(clicks)  # type: ignore[attr-defined]
    if len(by_weekday) < 7:
        raise DatasetError(f"{GOOGLE_FILE}: dates do not cover every weekday")
    means = [sum(by_weekday[d]) / len(by_weekday[d]) for d in range(7)]
    overall = sum(means) / 7
    return {WEEKDAYS[d]: means[d] / overall for d in range(7)}


def google_revenue_per_cost(rows: list[dict[str, str]]) -> Spread:
    """Sale amount over cost (revenue ROAS) of the rows that converted."""
    ratios = [
        sale / cost
        for row in rows
        if (values := _numbers(row, "Sale_Amount", "Cost", "Conversions"))
        for sale, cost, conversions in [values]
        if cost > 0 and sale > 0 and conversions > 0
    ]
    return _log_spread(ratios, f"{GOOGLE_FILE} sale amount / cost")


KAG_MIN_ADSET_CLICKS = 20


def kag_adset_spread(rows: list[dict[str, str]]) -> dict[str, Spread]:
    """How far ad sets (fb_campaign_id) of one campaign differ in CPM, CTR and conversion rate."""
    totals: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    for row in rows:
        values = _numbers(row, "Spent", "Impressions", "Clicks", "Total_Conversion")
        key = (row.get("xyz_campaign_id", "").strip(), row.get("fb_campaign_id", "").strip())
        if values and all(key):
            for index, value in enumerate(values):
                totals[key][index] += value
    by_campaign: dict[str, list[tuple[float, ...]]] = defaultdict(list)
    for (campaign, _), (spend, impressions, clicks, conversions) in totals.items():
        if clicks >= KAG_MIN_ADSET_CLICKS and spend > 0 and conversions > 0:
            by_campaign[campaign].append((spend, impressions, clicks, conversions))
    groups = list(by_campaign.values())
    return {
        "cpm": _centred_log_sd([[1000 * s / i for s, i, _, _ in g] for g in groups], "KAG CPM"),
        "ctr": _centred_log_sd([[c / i for _, i, c, _ in g] for g in groups], "KAG CTR"),
        "cvr": _centred_log_sd([[v / c for _, _, c, v in g] for g in groups], "KAG CVR"),
    }
