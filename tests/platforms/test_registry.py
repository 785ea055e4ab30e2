"""Which adapter serves which campaign, and a configuration that cannot work refused at start."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from platforms.config import PlatformName, PlatformsConfig
from platforms.google_ads import GoogleAdsPlatform
from platforms.meta import MetaPlatform
from platforms.registry import open_platform, split_campaign_id
from platforms.simulator import SimulatorPlatform
from settings import ConfigurationError, Settings
from tests.fakes import meta_graph as fake_meta
from tests.platforms.conftest import google_config, meta_config
from workers.worker import prepare_platform


def test_campaign_ids_may_name_their_account() -> None:
    assert split_campaign_id("act_42:2385") == ("act_42", "2385")
    assert split_campaign_id("1234567890:111") == ("1234567890", "111")
    assert split_campaign_id("cmp-fatigue-01") == (None, "cmp-fatigue-01")


async def test_the_simulator_is_the_default() -> None:
    platform = open_platform(Settings().platforms_config())
    assert isinstance(platform, SimulatorPlatform)
    await platform.aclose()


@pytest.mark.parametrize(
    ("name", "missing"),
    [
        ("google_ads", "GOOGLE_ADS_DEVELOPER_TOKEN, GOOGLE_ADS_CLIENT_ID"),
        ("meta", "META_ACCESS_TOKEN"),
    ],
)
def test_a_platform_without_credentials_refuses_to_start_naming_them(
    name: str, missing: str
) -> None:
    settings = Settings(ad_platform=name)
    with pytest.raises(ConfigurationError) as err:
        prepare_platform(settings)
    assert f"AD_PLATFORM={name} needs {missing}" in str(err.value)


def test_an_unknown_platform_name_is_refused() -> None:
    with pytest.raises(ValueError, match="simulator"):
        Settings(ad_platform="tiktok")


def test_secrets_stay_out_of_reprs() -> None:
    settings = Settings(meta_access_token="EAAB-secret", google_ads_refresh_token="1//secret")
    shown = repr(settings) + repr(settings.platforms_config())
    assert "EAAB-secret" not in shown and "1//secret" not in shown


async def test_accounts_are_routed_to_their_platform(google_server, graph_server) -> None:  # noqa: ANN001
    google_server.fake.reset()
    graph_server.fake.reset()
    config = PlatformsConfig(
        default=PlatformName.meta,
        accounts={"1234567890": PlatformName.google_ads},
        google_ads=google_config(google_server),
        meta=meta_config(graph_server),
    )
    router = open_platform(config)
    try:
        assert isinstance(router.platform_for("1234567890:111"), GoogleAdsPlatform)
        assert isinstance(router.platform_for("act_1001:2002"), MetaPlatform)
        assert isinstance(router.platform_for("2002"), MetaPlatform)

        google = await router.campaign_metrics("1234567890:111", 7)
        meta = await router.campaign_metrics("act_1001:2002", 7)
        listed = {c.campaign_id: c.platform for c in await router.list_campaigns()}
    finally:
        await router.aclose()
    assert (google.platform, meta.platform) == ("google_ads", "meta")
    assert listed["1234567890:111"] == "google_ads"
    assert listed[f"act_{fake_meta.ACCOUNT_ID}:2001"] == "meta"


def test_a_secrets_directory_supplies_credentials(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    from settings import get_settings

    (tmp_path / "meta_access_token").write_text("EAAB-from-file")
    monkeypatch.setenv("SECRETS_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        token = get_settings().meta_access_token
    finally:
        get_settings.cache_clear()
    assert isinstance(token, SecretStr) and token.get_secret_value() == "EAAB-from-file"
