"""Which ad platform serves which campaign, and the credentials each adapter needs.

Plain data: ``settings.Settings`` fills it from the environment; ``platforms.registry`` builds
the adapters from it. Secrets stay ``SecretStr`` until the adapter hands them to its SDK, so a
repr, a log line or an error message never shows them.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, SecretStr


class PlatformName(StrEnum):
    simulator = "simulator"
    google_ads = "google_ads"
    meta = "meta"


class GoogleAdsConfig(BaseModel):
    developer_token: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = None
    login_customer_id: str | None = Field(
        default=None, description="manager account the calls are made through (digits only)"
    )
    customer_id: str | None = Field(
        default=None, description="account of campaign ids given without one"
    )
    endpoint: str = "googleads.googleapis.com"
    token_uri: str = "https://oauth2.googleapis.com/token"
    api_version: str = "v26"
    timeout_seconds: float = 30.0

    def missing(self) -> list[str]:
        """The settings (environment variable names) still needed to call the API."""
        required = {
            "GOOGLE_ADS_DEVELOPER_TOKEN": self.developer_token,
            "GOOGLE_ADS_CLIENT_ID": self.client_id,
            "GOOGLE_ADS_CLIENT_SECRET": self.client_secret,
            "GOOGLE_ADS_REFRESH_TOKEN": self.refresh_token,
        }
        return [name for name, value in required.items() if not value]


class MetaConfig(BaseModel):
    access_token: SecretStr | None = None
    app_id: str | None = None
    app_secret: SecretStr | None = Field(
        default=None, description="signs every call (appsecret_proof) when set"
    )
    ad_account_id: str | None = Field(
        default=None, description="act_... account of campaign ids given without one"
    )
    api_version: str = "v26.0"
    graph_url: str = "https://graph.facebook.com"
    conversion_action_type: str = Field(
        default="offsite_conversion.fb_pixel_purchase",
        description="the insights action_type counted as a conversion",
    )
    timeout_seconds: float = 30.0

    def missing(self) -> list[str]:
        return ["META_ACCESS_TOKEN"] if not self.access_token else []


class PlatformsConfig(BaseModel):
    default: PlatformName = PlatformName.simulator
    # Account id (the part of a campaign id before ':') -> the platform that holds it.
    accounts: dict[str, PlatformName] = Field(default_factory=dict)
    simulator_url: str = "http://127.0.0.1:8100"
    simulator_timeout_seconds: float = 10.0
    google_ads: GoogleAdsConfig = Field(default_factory=GoogleAdsConfig)
    meta: MetaConfig = Field(default_factory=MetaConfig)

    @property
    def platforms_in_use(self) -> list[PlatformName]:
        return list(dict.fromkeys([self.default, *self.accounts.values()]))
