"""What the adapter reads about a Meta campaign before reporting its settings or changing it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Currencies Meta counts without minor units (budget 1000 = 1000 yen); all others have 100.
ZERO_DECIMAL_CURRENCIES = frozenset(
    {"CLP", "COP", "CRC", "HUF", "IDR", "ISK", "JPY", "KRW", "PYG", "TWD", "VND"}
)


def minor_unit_offset(currency: str) -> int:
    return 1 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 100


def _labels(raw: Any) -> list[dict]:
    """``adlabels`` arrive as a list, or as {"data": [...]} on some edges."""
    if isinstance(raw, dict):
        raw = raw.get("data", [])
    return [dict(label) for label in raw or []]


def _int(value: Any) -> int | None:
    return int(value) if value not in (None, "", "0", 0) else None


@dataclass(frozen=True)
class MetaCampaign:
    campaign_id: str
    name: str
    status: str
    account_id: str
    daily_budget: int | None  # minor units; set for campaign budget optimisation (CBO)
    labels: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class MetaAdSet:
    adset_id: str
    name: str
    status: str
    daily_budget: int | None  # minor units; set when the ad set has its own budget
    bid_amount: int | None  # minor units; set under bid cap / cost cap strategies
    bid_strategy: str | None
    targeting: dict
    labels: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class MetaAd:
    ad_id: str
    name: str
    status: str
    effective_status: str
    adset_id: str
    created: datetime
    labels: list[dict] = field(default_factory=list)


@dataclass
class MetaState:
    campaign: MetaCampaign
    adsets: list[MetaAdSet]
    ads: list[MetaAd]
    offset: int  # minor units per currency unit

    @classmethod
    def of(cls, campaign: dict, adsets: list[dict], ads: list[dict], offset: int) -> MetaState:
        return cls(
            campaign=MetaCampaign(
                campaign_id=str(campaign["id"]),
                name=campaign.get("name", ""),
                status=campaign.get("status", ""),
                account_id=str(campaign.get("account_id", "")),
                daily_budget=_int(campaign.get("daily_budget")),
                labels=_labels(campaign.get("adlabels")),
            ),
            adsets=[
                MetaAdSet(
                    adset_id=str(a["id"]),
                    name=a.get("name", ""),
                    status=a.get("status", ""),
                    daily_budget=_int(a.get("daily_budget")),
                    bid_amount=_int(a.get("bid_amount")),
                    bid_strategy=a.get("bid_strategy"),
                    targeting=dict(a.get("targeting") or {}),
                    labels=_labels(a.get("adlabels")),
                )
                for a in sorted(adsets, key=lambda a: int(a["id"]))
            ],
            ads=[
                MetaAd(
                    ad_id=str(a["id"]),
                    name=a.get("name", ""),
                    status=a.get("status", ""),
                    effective_status=a.get("effective_status", a.get("status", "")),
                    adset_id=str(a.get("adset_id", "")),
                    created=_time(a.get("created_time")),
                    labels=_labels(a.get("adlabels")),
                )
                for a in sorted(ads, key=lambda a: int(a["id"]))
            ],
            offset=offset,
        )

    @property
    def running_adsets(self) -> list[MetaAdSet]:
        return [a for a in self.adsets if a.status == "ACTIVE"]

    @property
    def active_ads(self) -> list[MetaAd]:
        return [a for a in self.ads if a.status == "ACTIVE"]

    @property
    def bid(self) -> float | None:
        """Mean bid cap of the running ad sets; None when Meta bids by itself (lowest cost)."""
        bids = [a.bid_amount for a in self.running_adsets if a.bid_amount]
        return round(sum(bids) / len(bids) / self.offset, 2) if bids else None

    @property
    def daily_budget(self) -> float:
        if self.campaign.daily_budget is not None:
            return self.campaign.daily_budget / self.offset
        return sum(a.daily_budget or 0 for a in self.running_adsets) / self.offset


def _time(value: Any) -> datetime:
    if not value:
        return datetime.now(UTC)
    text = str(value)
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"  # Meta writes +0000
    return datetime.fromisoformat(text)
