"""Pick the adapter for a campaign: ``AD_PLATFORM`` by default, ``AD_PLATFORM_ACCOUNTS`` per
account.

A campaign id may name its account: ``ACCOUNT:CAMPAIGN`` (``1234567890:111`` on Google Ads,
``act_42:2385`` on Meta). An account listed in ``AD_PLATFORM_ACCOUNTS`` goes to that platform;
every other id (``cmp-fatigue-01``, a bare ``111``) goes to ``AD_PLATFORM``. Adapters list their
campaigns with the account in the id, so a listed id always finds its way back.

The SDK adapters are imported only when configured: a worker on the simulator never loads the
Google Ads or Meta libraries.
"""

from __future__ import annotations

from datetime import date

from domain.context import (
    AudienceData,
    CampaignMetrics,
    CompetitorSignals,
    CreativeMetrics,
    HistoryData,
)
from domain.platform import CampaignSettings, CampaignSummary, SpendReport
from domain.portfolio.experiments import Experiment
from domain.recommendation import ActionParameters, ActionType
from platforms.config import PlatformName, PlatformsConfig
from platforms.port import ActionOutcome, AdPlatform, ExperimentSource
from platforms.tasks import all_of


class PlatformConfigurationError(ValueError):
    """The configured platform cannot work (missing credentials, unknown name)."""


def split_campaign_id(campaign_id: str) -> tuple[str | None, str]:
    """``"act_42:2385"`` -> ``("act_42", "2385")``; ``"2385"`` -> ``(None, "2385")``."""
    account, sep, campaign = campaign_id.rpartition(":")
    return (account, campaign) if sep and account else (None, campaign_id)


def open_platform(config: PlatformsConfig) -> AdPlatform:
    """The adapter(s) the configuration names; one adapter when only one is in use."""
    adapters = {name: _build(name, config) for name in config.platforms_in_use}
    if len(adapters) == 1 and not config.accounts:
        return adapters[config.default]
    return PlatformRouter(adapters, default=config.default, accounts=config.accounts)


def _build(name: PlatformName, config: PlatformsConfig) -> AdPlatform:
    if name is PlatformName.simulator:
        from platforms.simulator import SimulatorPlatform

        return SimulatorPlatform.connect(config.simulator_url, config.simulator_timeout_seconds)
    if name is PlatformName.google_ads:
        _require(config.google_ads.missing(), "AD_PLATFORM=google_ads")
        from platforms.google_ads import GoogleAdsPlatform

        return GoogleAdsPlatform(config.google_ads)
    if name is PlatformName.meta:
        _require(config.meta.missing(), "AD_PLATFORM=meta")
        from platforms.meta import MetaPlatform

        return MetaPlatform(config.meta)
    raise PlatformConfigurationError(f"unknown ad platform {name!r}")


def _require(missing: list[str], what: str) -> None:
    if missing:
        raise PlatformConfigurationError(f"{what} needs {', '.join(missing)} (unset)")


class PlatformRouter:
    """An ``AdPlatform`` that forwards each call to the adapter holding the campaign."""

    name = "router"

    def __init__(
        self,
        adapters: dict[PlatformName, AdPlatform],
        *,
        default: PlatformName,
        accounts: dict[str, PlatformName],
    ) -> None:
        self._adapters = adapters
        self._default = default
        self._accounts = accounts

    def platform_for(self, campaign_id: str) -> AdPlatform:
        account, _ = split_campaign_id(campaign_id)
        name = self._accounts.get(account or "", self._default)
        return self._adapters[name]

    async def list_campaigns(self) -> list[CampaignSummary]:
        lists = await all_of(*(a.list_campaigns() for a in self._adapters.values()))
        return [campaign for campaigns in lists for campaign in campaigns]

    async def campaign_metrics(self, campaign_id: str, days: int) -> CampaignMetrics:
        return await self.platform_for(campaign_id).campaign_metrics(campaign_id, days)

    async def creatives(self, campaign_id: str, days: int) -> list[CreativeMetrics]:
        return await self.platform_for(campaign_id).creatives(campaign_id, days)

    async def audience(self, campaign_id: str, days: int) -> AudienceData:
        return await self.platform_for(campaign_id).audience(campaign_id, days)

    async def competitors(self, campaign_id: str, days: int) -> CompetitorSignals:
        return await self.platform_for(campaign_id).competitors(campaign_id, days)

    async def history(self, campaign_id: str, days: int) -> HistoryData:
        return await self.platform_for(campaign_id).history(campaign_id, days)

    async def settings(self, campaign_id: str) -> CampaignSettings:
        return await self.platform_for(campaign_id).settings(campaign_id)

    async def spend_report(self, campaign_id: str, since: date) -> SpendReport:
        return await self.platform_for(campaign_id).spend_report(campaign_id, since)

    async def dry_run(
        self, campaign_id: str, action: ActionType, parameters: ActionParameters
    ) -> ActionOutcome:
        return await self.platform_for(campaign_id).dry_run(campaign_id, action, parameters)

    async def apply(
        self,
        campaign_id: str,
        action: ActionType,
        parameters: ActionParameters,
        idempotency_key: str,
    ) -> ActionOutcome:
        adapter = self.platform_for(campaign_id)
        return await adapter.apply(campaign_id, action, parameters, idempotency_key)

    async def experiments(self) -> list[Experiment]:
        """Every adapter's experiments that has any (an ``ExperimentSource``)."""
        sources = [a for a in self._adapters.values() if isinstance(a, ExperimentSource)]
        lists = await all_of(*(source.experiments() for source in sources))
        return [experiment for found in lists for experiment in found]

    async def aclose(self) -> None:
        for adapter in self._adapters.values():
            await adapter.aclose()
