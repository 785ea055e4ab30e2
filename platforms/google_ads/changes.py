"""The Mutate operations each executable action becomes on Google Ads, or why it cannot be made.

- Bid Adjustment: every enabled ad group's ``cpc_bid_micros`` (manual CPC), or the campaign's
  target CPA (Target CPA, Maximize Conversions with a target). Other strategies and portfolio
  strategies: manual.
- Budget Reallocation: two ``CampaignBudget`` amounts (budgets belong to campaigns, so the
  segments are the account's campaigns). A shared budget is refused: changing it would change
  every campaign using it; the instructions say what to do instead.
- Campaign Pause: the campaign's status.
- Audience Expansion: optimized targeting on the enabled ad groups (Display, Demand Gen,
  Video); Search campaigns have no audience to widen through the API: manual.
- Creative Refresh: pause the fatigued ads and enable the prepared (paused) ad of the same ad
  group; an ad group with nothing prepared: manual (a person writes the new ad).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf import field_mask_pb2

from domain.recommendation import ActionParameters, ActionType
from platforms.errors import ErrorKind, PlatformError
from platforms.google_ads.state import MANUAL_CPC, MICROS, AccountState, Ad
from platforms.google_ads.wire import GoogleAdsWire
from platforms.port import ActionOutcome, manual

CENT_MICROS = 10_000  # bids and budgets are whole multiples of the currency's minimum unit
UI = "in the Google Ads interface"


@dataclass(frozen=True)
class Plan:
    operations: list[Any]
    before: dict
    after: dict
    message: str


Planner = Callable[[GoogleAdsWire, AccountState, ActionParameters], "Plan | ActionOutcome"]


def plan(
    wire: GoogleAdsWire, account: AccountState, action: ActionType, parameters: ActionParameters
) -> Plan | ActionOutcome:
    planner = _PLANNERS.get(action)
    if planner is None:
        raise _invalid(f"'{action.value}' changes nothing on the ad platform")
    return planner(wire, account, parameters)


def key_label_operations(
    wire: GoogleAdsWire, account: AccountState, label: str, idempotency_key: str
) -> list[Any]:
    """Create the key's label and attach it to the campaign, in the change's own Mutate."""
    temporary = f"customers/{account.customer_id}/labels/-1"
    create = wire.message("MutateOperation")
    create.label_operation.create.resource_name = temporary
    create.label_operation.create.name = label
    create.label_operation.create.text_label.description = f"applied {idempotency_key}"[:200]
    attach = wire.message("MutateOperation")
    attach.campaign_label_operation.create.campaign = account.campaign.resource_name
    attach.campaign_label_operation.create.label = temporary
    return [create, attach]


# ----------------------------------------------------------------------------- bids


def _plan_bid(
    wire: GoogleAdsWire, account: AccountState, p: ActionParameters
) -> Plan | ActionOutcome:
    campaign = account.campaign
    current = account.bid
    if current is None:
        return manual(
            f"Google Ads cannot adjust bids of a {campaign.bidding_strategy_type} campaign here",
            f"{UI}, open campaign '{campaign.name}' > Settings > Bidding and adjust the "
            + ("portfolio strategy's target" if campaign.portfolio_strategy else "target or bid")
            + f" by {_pct_text(p)}.",
        )
    change_pct = _bid_change_pct(p, current)
    operations, before, after = [], {}, {}
    if campaign.target_cpa:
        new = _cents(campaign.target_cpa * (1 + change_pct / 100))
        op = wire.message("MutateOperation")
        op.campaign_operation.update.resource_name = campaign.resource_name
        if campaign.bidding_strategy_type == "TARGET_CPA":
            op.campaign_operation.update.target_cpa.target_cpa_micros = new
            path = "target_cpa.target_cpa_micros"
        else:
            op.campaign_operation.update.maximize_conversions.target_cpa_micros = new
            path = "maximize_conversions.target_cpa_micros"
        op.campaign_operation.update_mask = field_mask_pb2.FieldMask(paths=[path])
        operations.append(op)
        new_bid = new / MICROS
    else:
        assert campaign.bidding_strategy_type in MANUAL_CPC
        for group in account.ad_groups:
            new = _cents(group.cpc_bid_micros * (1 + change_pct / 100))
            op = wire.message("MutateOperation")
            op.ad_group_operation.update.resource_name = group.resource_name
            op.ad_group_operation.update.cpc_bid_micros = new
            op.ad_group_operation.update_mask = field_mask_pb2.FieldMask(paths=["cpc_bid_micros"])
            operations.append(op)
            before[group.name] = group.cpc_bid_micros / MICROS
            after[group.name] = new / MICROS
        new_bid = round(sum(after.values()) / len(after), 2) if after else current
    direction = "raised" if change_pct > 0 else "lowered"
    return Plan(
        operations=operations,
        before={"bid": current, **({"ad_group_bids": before} if before else {})},
        after={
            "bid": round(new_bid, 2),
            "bid_change_pct": round(change_pct, 2),
            **({"ad_group_bids": after} if after else {}),
        },
        message=f"bid {direction} {abs(change_pct):.1f} % from {current:.2f} to {new_bid:.2f}",
    )


def _bid_change_pct(p: ActionParameters, current: float) -> float:
    if p.bid_change_pct is not None:
        return p.bid_change_pct
    if p.new_bid is not None and current:
        return 100 * (p.new_bid / current - 1)
    raise _invalid("Bid Adjustment needs parameters.bid_change_pct (e.g. 15.0) or new_bid")


def _pct_text(p: ActionParameters) -> str:
    if p.bid_change_pct is not None:
        return f"{p.bid_change_pct:+.1f} %"
    return f"to {p.new_bid:.2f}" if p.new_bid is not None else "the recommended amount"


# ----------------------------------------------------------------------------- budgets


def _plan_budget(
    wire: GoogleAdsWire, account: AccountState, p: ActionParameters
) -> Plan | ActionOutcome:
    source_id, target_id, amount = p.from_segment_id, p.to_segment_id, p.budget_shift_amount
    if source_id is None or target_id is None or amount is None:
        raise _invalid(
            "Budget Reallocation needs parameters.from_segment_id, to_segment_id and "
            "budget_shift_amount"
        )
    campaigns = {c.campaign_id: c for c in account.campaigns}
    unknown = [s for s in (source_id, target_id) if s not in campaigns]
    if unknown:
        raise _invalid(
            f"unknown segment(s) {', '.join(unknown)}: on Google Ads the segments are the "
            f"account's enabled campaigns ({', '.join(campaigns)})"
        )
    if source_id == target_id:
        raise _invalid("from_segment_id and to_segment_id must be different campaigns")
    source, target = campaigns[source_id], campaigns[target_id]
    shared = [c for c in (source, target) if c.budget_shared]
    if shared:
        names = ", ".join(f"'{c.name}'" for c in shared)
        return manual(
            f"refused: the budget of {names} is shared with other campaigns, so changing it "
            "would move money for campaigns nobody reviewed",
            f"{UI}, decide how the shared budget should change (Tools > Shared library > "
            f"Budgets), or give '{source.name}' and '{target.name}' their own budgets, then "
            f"move {amount:.2f} a day from '{source.name}' to '{target.name}'.",
        )
    shift = _cents(amount * MICROS)
    operations = []
    new_amounts = {source_id: source.budget_micros - shift, target_id: target.budget_micros + shift}
    for campaign in (source, target):
        op = wire.message("MutateOperation")
        op.campaign_budget_operation.update.resource_name = campaign.budget_resource_name
        op.campaign_budget_operation.update.amount_micros = new_amounts[campaign.campaign_id]
        op.campaign_budget_operation.update_mask = field_mask_pb2.FieldMask(paths=["amount_micros"])
        operations.append(op)
    return Plan(
        operations=operations,
        before={
            "segment_budgets": {c.campaign_id: c.budget_micros / MICROS for c in (source, target)}
        },
        after={"segment_budgets": {k: v / MICROS for k, v in new_amounts.items()}},
        message=(
            f"moved {shift / MICROS:.2f} of daily budget from '{source.name}' to '{target.name}'"
        ),
    )


# ----------------------------------------------------------------------------- status


def _plan_pause(wire: GoogleAdsWire, account: AccountState, p: ActionParameters) -> Plan:
    campaign = account.campaign
    if campaign.status == "PAUSED":
        raise _invalid(f"campaign '{campaign.name}' is already paused")
    op = wire.message("MutateOperation")
    op.campaign_operation.update.resource_name = campaign.resource_name
    op.campaign_operation.update.status = "PAUSED"
    op.campaign_operation.update_mask = field_mask_pb2.FieldMask(paths=["status"])
    return Plan(
        operations=[op],
        before={"status": "active"},
        after={"status": "paused"},
        message="campaign paused: no spend from now on",
    )


# ----------------------------------------------------------------------------- audience


def _plan_audience(
    wire: GoogleAdsWire, account: AccountState, p: ActionParameters
) -> Plan | ActionOutcome:
    campaign = account.campaign
    pct = f" by about {p.audience_expansion_pct:g} %" if p.audience_expansion_pct else ""
    if campaign.channel == "SEARCH":
        return manual(
            "Google Ads Search campaigns have no audience to widen through optimized targeting",
            f"{UI}, widen '{campaign.name}'{pct}: add broad-match keywords or turn on "
            "broad match for the campaign (Settings > Keyword match type), or add audience "
            "segments in observation.",
        )
    closed = [g for g in account.ad_groups if not g.optimized_targeting]
    if not closed:
        return manual(
            "optimized targeting is already on for every enabled ad group",
            f"{UI}, add audience segments or lookalike segments to '{campaign.name}'{pct}.",
        )
    operations = []
    for group in closed:
        op = wire.message("MutateOperation")
        op.ad_group_operation.update.resource_name = group.resource_name
        op.ad_group_operation.update.optimized_targeting_enabled = True
        op.ad_group_operation.update_mask = field_mask_pb2.FieldMask(
            paths=["optimized_targeting_enabled"]
        )
        operations.append(op)
    names = [g.name for g in closed]
    return Plan(
        operations=operations,
        before={"optimized_targeting": {n: False for n in names}},
        after={"optimized_targeting": {n: True for n in names}},
        message=(
            f"optimized targeting turned on for {len(closed)} ad group(s): Google widens the "
            "audience beyond the targeted segments as far as it finds conversions"
        ),
    )


# ----------------------------------------------------------------------------- creatives


def _plan_refresh(
    wire: GoogleAdsWire, account: AccountState, p: ActionParameters
) -> Plan | ActionOutcome:
    enabled = {ad.creative_id: ad for ad in account.enabled_ads}
    requested = list(dict.fromkeys(p.creative_ids)) or list(enabled)
    unknown = [c for c in requested if c not in enabled]
    if unknown:
        raise _invalid(
            f"unknown creative(s) {', '.join(unknown)} for campaign '{account.campaign.name}'; "
            f"running ads: {', '.join(enabled) or 'none'}"
        )
    prepared = _prepared_ads(account)
    swaps: dict[str, Ad] = {}
    missing = []
    for creative_id in requested:
        old = enabled[creative_id]
        queue = prepared.get(old.ad_group_id, [])
        if queue:
            swaps[creative_id] = queue.pop(0)
        else:
            missing.append(old)
    if missing:
        listed = "; ".join(f"'{ad.name}' in ad group {ad.ad_group_id}" for ad in missing)
        return manual(
            f"no prepared (paused) ad to rotate in for {listed}",
            f"{UI}, create a new ad in the ad group of each of {listed}; once it is approved, "
            "pause the fatigued ad.",
        )
    operations = []
    for creative_id, new in swaps.items():
        operations.append(_ad_status(wire, enabled[creative_id], "PAUSED"))
        operations.append(_ad_status(wire, new, "ENABLED"))
    after_ids = [swaps[c].creative_id if c in swaps else c for c in enabled]
    return Plan(
        operations=operations,
        before={"creative_ids": list(enabled)},
        after={
            "creative_ids": after_ids,
            "replaced": {old: new.creative_id for old, new in swaps.items()},
        },
        message=f"paused {len(swaps)} fatigued ad(s) and enabled the prepared replacement(s)",
    )


def _prepared_ads(account: AccountState) -> dict[str, list[Ad]]:
    prepared: dict[str, list[Ad]] = {}
    for ad in account.ads:
        if ad.status == "PAUSED":
            prepared.setdefault(ad.ad_group_id, []).append(ad)
    return prepared


def _ad_status(wire: GoogleAdsWire, ad: Ad, status: str) -> Any:
    op = wire.message("MutateOperation")
    op.ad_group_ad_operation.update.resource_name = ad.resource_name
    op.ad_group_ad_operation.update.status = status
    op.ad_group_ad_operation.update_mask = field_mask_pb2.FieldMask(paths=["status"])
    return op


# ----------------------------------------------------------------------------- helpers


def _cents(micros: float) -> int:
    """Round to the currency's minimum unit (a cent is 10,000 micros)."""
    return int(round(micros / CENT_MICROS)) * CENT_MICROS


def _invalid(message: str) -> PlatformError:
    return PlatformError(ErrorKind.invalid, message, retryable=False)


_PLANNERS: dict[ActionType, Planner] = {
    ActionType.bid_adjustment: _plan_bid,
    ActionType.budget_reallocation: _plan_budget,
    ActionType.campaign_pause: _plan_pause,
    ActionType.audience_expansion: _plan_audience,
    ActionType.creative_refresh: _plan_refresh,
}
