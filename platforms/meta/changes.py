"""The writes each executable action becomes on Meta, or why it cannot be made.

- Bid Adjustment: ``bid_amount`` of every running ad set that has one (bid cap, cost cap);
  campaigns where Meta bids by itself (lowest cost): manual.
- Budget Reallocation: ``daily_budget`` of two ad sets; a campaign budget (Advantage+
  campaign budget) has no ad-set budgets to move: manual.
- Campaign Pause: the campaign's ``status``.
- Audience Expansion: Advantage+ audience (``targeting.targeting_automation.advantage_audience``)
  on the running ad sets; already on everywhere: manual.
- Creative Refresh: pause the fatigued ads and activate the prepared (paused) ad of the same ad
  set; nothing prepared: manual.

Every write carries the key's label in ``adlabels``; a write whose object already carries it is
``done`` (an earlier attempt made it), so a retry only makes the writes still missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from domain.recommendation import ActionParameters, ActionType
from platforms.errors import ErrorKind, PlatformError
from platforms.meta.state import MetaAd, MetaAdSet, MetaState
from platforms.port import ActionOutcome, manual

UI = "in Meta Ads Manager"


@dataclass(frozen=True)
class Write:
    kind: str  # campaign, adset or ad
    object_id: str
    params: dict[str, Any]
    done: bool  # the object already carries the key's label: its change is in


@dataclass(frozen=True)
class Plan:
    writes: list[Write]
    before: dict
    after: dict
    message: str


def plan(
    state: MetaState, action: ActionType, parameters: ActionParameters, *, label: str | None
) -> Plan | ActionOutcome:
    planner = _PLANNERS.get(action)
    if planner is None:
        raise _invalid(f"'{action.value}' changes nothing on the ad platform")
    return planner(state, parameters, _Labeller(label))


class _Labeller:
    """Adds the key's label to a write and tells whether an object already has it."""

    def __init__(self, label: str | None) -> None:
        self.label = label

    def has(self, labels: list[dict]) -> bool:
        return self.label is not None and any(x.get("name") == self.label for x in labels)

    def write(self, kind: str, object_id: str, labels: list[dict], **params: Any) -> Write:
        if self.label is not None:
            kept = [{"id": x["id"]} if "id" in x else {"name": x["name"]} for x in labels]
            params["adlabels"] = [*kept, {"name": self.label}]
        return Write(kind, object_id, params, done=self.has(labels))


def _plan_pause(state: MetaState, p: ActionParameters, labels: _Labeller) -> Plan:
    campaign = state.campaign
    if campaign.status == "PAUSED" and not labels.has(campaign.labels):
        raise _invalid(f"campaign '{campaign.name}' is already paused")
    return Plan(
        writes=[labels.write("campaign", campaign.campaign_id, campaign.labels, status="PAUSED")],
        before={"status": "active"},
        after={"status": "paused"},
        message="campaign paused: no spend from now on",
    )


def _plan_bid(state: MetaState, p: ActionParameters, labels: _Labeller) -> Plan | ActionOutcome:
    capped = [a for a in state.running_adsets if a.bid_amount]
    current = state.bid
    if not capped or current is None:
        return manual(
            "Meta sets the bids of this campaign itself (lowest cost): there is no bid to move",
            f"{UI}, switch the ad sets of '{state.campaign.name}' to a bid cap or cost cap "
            f"and set it {_pct_text(p)}, or change the budget instead.",
        )
    if p.bid_change_pct is not None:
        change = p.bid_change_pct
    elif p.new_bid is not None:
        change = 100 * (p.new_bid / current - 1)
    else:
        raise _invalid("Bid Adjustment needs parameters.bid_change_pct (e.g. 15.0) or new_bid")
    writes, after = [], {}
    for adset in capped:
        new = round(adset.bid_amount * (1 + change / 100))
        writes.append(labels.write("adset", adset.adset_id, adset.labels, bid_amount=new))
        after[adset.name] = new / state.offset
    new_bid = round(sum(after.values()) / len(after), 2)
    direction = "raised" if change > 0 else "lowered"
    return Plan(
        writes=writes,
        before={"bid": current},
        after={"bid": new_bid, "bid_change_pct": round(change, 2), "adset_bids": after},
        message=f"bid {direction} {abs(change):.1f} % from {current:.2f} to {new_bid:.2f}",
    )


def _pct_text(p: ActionParameters) -> str:
    if p.bid_change_pct is not None:
        return f"{p.bid_change_pct:+.1f} % from today's level"
    return f"to {p.new_bid:.2f}" if p.new_bid is not None else "as recommended"


def _plan_budget(state: MetaState, p: ActionParameters, labels: _Labeller) -> Plan | ActionOutcome:
    source_id, target_id, amount = p.from_segment_id, p.to_segment_id, p.budget_shift_amount
    if source_id is None or target_id is None or amount is None:
        raise _invalid(
            "Budget Reallocation needs parameters.from_segment_id, to_segment_id and "
            "budget_shift_amount"
        )
    if state.campaign.daily_budget is not None:
        return manual(
            "the campaign uses a campaign budget (Advantage+ campaign budget): Meta spreads it "
            "across ad sets itself, so there are no ad-set budgets to move",
            f"{UI}, set ad set spending limits on '{state.campaign.name}' (minimum for "
            f"{target_id}, maximum for {source_id}), or turn off the campaign budget and give "
            "each ad set its own.",
        )
    adsets = {a.adset_id: a for a in state.running_adsets if a.daily_budget is not None}
    unknown = [s for s in (source_id, target_id) if s not in adsets]
    if unknown:
        raise _invalid(
            f"unknown segment(s) {', '.join(unknown)}: the ad sets with their own budget are "
            f"{', '.join(adsets) or 'none'}"
        )
    if source_id == target_id:
        raise _invalid("from_segment_id and to_segment_id must be different ad sets")
    shift = round(amount * state.offset)
    source, target = adsets[source_id], adsets[target_id]
    new = {source_id: source.daily_budget - shift, target_id: target.daily_budget + shift}
    writes = [
        labels.write("adset", a.adset_id, a.labels, daily_budget=new[a.adset_id])
        for a in (source, target)
    ]
    return Plan(
        writes=writes,
        before={
            "segment_budgets": {a.adset_id: a.daily_budget / state.offset for a in (source, target)}
        },
        after={"segment_budgets": {k: v / state.offset for k, v in new.items()}},
        message=(
            f"moved {shift / state.offset:.2f} of daily budget from '{source.name}' to "
            f"'{target.name}'"
        ),
    )


def _advantage_audience(adset: MetaAdSet) -> bool:
    automation = adset.targeting.get("targeting_automation") or {}
    return bool(automation.get("advantage_audience"))


def _plan_audience(
    state: MetaState, p: ActionParameters, labels: _Labeller
) -> Plan | ActionOutcome:
    pct = f" by about {p.audience_expansion_pct:g} %" if p.audience_expansion_pct else ""
    closed = [a for a in state.running_adsets if not _advantage_audience(a) or labels.has(a.labels)]
    if not closed:
        return manual(
            "Advantage+ audience is already on for every running ad set",
            f"{UI}, widen '{state.campaign.name}'{pct}: raise the lookalike percentage or add "
            "interests to the ad sets' audiences.",
        )
    writes = []
    for adset in closed:
        targeting = {**adset.targeting, "targeting_automation": {"advantage_audience": 1}}
        writes.append(labels.write("adset", adset.adset_id, adset.labels, targeting=targeting))
    names = [a.name for a in closed]
    return Plan(
        writes=writes,
        before={"advantage_audience": {n: False for n in names}},
        after={"advantage_audience": {n: True for n in names}},
        message=(
            f"Advantage+ audience turned on for {len(closed)} ad set(s): Meta may reach people "
            "beyond the targeted audience when it expects better results"
        ),
    )


def _plan_refresh(state: MetaState, p: ActionParameters, labels: _Labeller) -> Plan | ActionOutcome:
    ads = {ad.ad_id: ad for ad in state.ads}
    running = [ad.ad_id for ad in state.active_ads]
    requested = list(dict.fromkeys(p.creative_ids)) or running
    # An ad this key already paused still counts as one of the requested, running ones.
    unknown = [
        c for c in requested if c not in ads or (c not in running and not labels.has(ads[c].labels))
    ]
    if unknown:
        raise _invalid(
            f"unknown creative(s) {', '.join(unknown)} for campaign '{state.campaign.name}'; "
            f"running ads: {', '.join(running) or 'none'}"
        )
    taken: set[str] = set()
    swaps: dict[str, MetaAd] = {}
    missing = []
    for ad_id in requested:
        old = ads[ad_id]
        new = _replacement(state, old, labels, taken | set(requested))
        if new is None:
            missing.append(old)
        else:
            taken.add(new.ad_id)
            swaps[ad_id] = new
    if missing:
        listed = "; ".join(f"'{ad.name}' (ad set {ad.adset_id})" for ad in missing)
        return manual(
            f"no prepared (paused) ad to rotate in for {listed}",
            f"{UI}, create a new ad in the ad set of each of {listed}; once it is approved, "
            "turn the fatigued ad off.",
        )
    writes = []
    for old_id, new in swaps.items():
        old = ads[old_id]
        writes.append(labels.write("ad", old.ad_id, old.labels, status="PAUSED"))
        writes.append(labels.write("ad", new.ad_id, new.labels, status="ACTIVE"))
    after_ids = [swaps[c].ad_id if c in swaps else c for c in running]
    return Plan(
        writes=writes,
        before={"creative_ids": running},
        after={"creative_ids": after_ids, "replaced": {k: v.ad_id for k, v in swaps.items()}},
        message=f"paused {len(swaps)} fatigued ad(s) and activated the prepared replacement(s)",
    )


def _replacement(
    state: MetaState, old: MetaAd, labels: _Labeller, taken: set[str]
) -> MetaAd | None:
    same_set = [a for a in state.ads if a.adset_id == old.adset_id and a.ad_id not in taken]
    rotated_in = [a for a in same_set if a.status == "ACTIVE" and labels.has(a.labels)]
    prepared = [a for a in same_set if a.status == "PAUSED" and not labels.has(a.labels)]
    candidates = rotated_in or prepared
    return candidates[0] if candidates else None


def _invalid(message: str) -> PlatformError:
    return PlatformError(ErrorKind.invalid, message, retryable=False)


_PLANNERS: dict[ActionType, Callable[[MetaState, ActionParameters, _Labeller], Any]] = {
    ActionType.campaign_pause: _plan_pause,
    ActionType.bid_adjustment: _plan_bid,
    ActionType.budget_reallocation: _plan_budget,
    ActionType.audience_expansion: _plan_audience,
    ActionType.creative_refresh: _plan_refresh,
}
