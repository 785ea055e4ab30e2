"""Process configuration from the environment (and an optional .env file).

One home for every knob the worker, API, simulator and demo read. Workflows never read this:
the API/starter copies the relevant part into the workflow input (``LifecyclePolicy``).
"""

from __future__ import annotations

import os
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.lifecycle import LifecyclePolicy
from domain.pacing import PacingPolicy
from domain.portfolio.model import PortfolioPolicy
from domain.thresholds import AutoApprovalPolicy, Guardrails, SignalThresholds
from platforms.config import GoogleAdsConfig, MetaConfig, PlatformName, PlatformsConfig

ROOT = Path(__file__).resolve().parent


class ConfigurationError(ValueError):
    """A setting or configuration file that cannot work: the worker refuses to start."""


class ModelPrice(BaseModel):
    """USD per million tokens."""

    input: float = Field(ge=0)
    output: float = Field(ge=0)


# List prices (USD per 1M tokens) of common models; LLM_PRICES adds to or overrides them. A model
# is priced by the longest name here that its own name starts with ("gpt-4o-mini-2024-07-18"
# costs what "gpt-4o-mini" does).
DEFAULT_LLM_PRICES: dict[str, ModelPrice] = {
    "gpt-4o-mini": ModelPrice(input=0.15, output=0.60),
    "gpt-4o": ModelPrice(input=2.50, output=10.00),
    "gpt-4.1-nano": ModelPrice(input=0.10, output=0.40),
    "gpt-4.1-mini": ModelPrice(input=0.40, output=1.60),
    "gpt-4.1": ModelPrice(input=2.00, output=8.00),
    "claude-haiku-4-5": ModelPrice(input=1.00, output=5.00),
    "claude-sonnet-4": ModelPrice(input=3.00, output=15.00),
    "claude-opus-4-5": ModelPrice(input=5.00, output=25.00),
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_nested_delimiter="__", extra="ignore", frozen=True
    )

    # Temporal
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    temporal_task_queue: str = "marketing-agent"
    temporal_api_key: str | None = None
    temporal_tls: bool = False
    max_cached_workflows: int = Field(default=2000, ge=1)
    max_concurrent_activities: int = Field(default=100, ge=1)
    # Worker versioning: both set, the worker polls as this version of this worker deployment
    # (the Helm chart sets them from the image tag); unset, it is an unversioned worker.
    temporal_deployment_name: str | None = None
    temporal_build_id: str | None = None

    # Storage
    database_url: str = f"sqlite+aiosqlite:///{ROOT / 'var' / 'agent.db'}"

    # Ad platforms (docs/platforms.md). AD_PLATFORM serves every campaign whose account is not
    # in AD_PLATFORM_ACCOUNTS ({"1234567890": "google_ads", "act_42": "meta"}).
    ad_platform: PlatformName = PlatformName.simulator
    ad_platform_accounts: dict[str, PlatformName] = Field(default_factory=dict)
    ad_platform_url: str = "http://127.0.0.1:8100"  # the simulator
    ad_platform_timeout_seconds: float = Field(default=10.0, gt=0)
    # Google Ads: the variable names the google-ads library documents.
    google_ads_developer_token: SecretStr | None = None
    google_ads_client_id: str | None = None
    google_ads_client_secret: SecretStr | None = None
    google_ads_refresh_token: SecretStr | None = None
    google_ads_login_customer_id: str | None = None
    google_ads_customer_id: str | None = None
    google_ads_endpoint: str = "googleads.googleapis.com"
    google_ads_token_uri: str = "https://oauth2.googleapis.com/token"
    # Meta Marketing API
    meta_access_token: SecretStr | None = None
    meta_app_id: str | None = None
    meta_app_secret: SecretStr | None = None
    meta_ad_account_id: str | None = None
    meta_api_version: str = "v26.0"
    meta_graph_url: str = "https://graph.facebook.com"
    meta_conversion_action_type: str = "offsite_conversion.fb_pixel_purchase"

    # Reasoning: "rules" (default, no model), "openai" (also any OpenAI-compatible server via
    # LLM_BASE_URL) or "anthropic". See the README's "LLM reasoning" section.
    reasoner: str = "rules"
    llm_model: str | None = Field(default=None, description="cheap model; provider default")
    llm_strong_model: str | None = Field(
        default=None, description="for complex cases; defaults to LLM_MODEL, else the provider's"
    )
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    openai_api_key: SecretStr | None = None
    anthropic_api_key: SecretStr | None = None
    llm_timeout_seconds: float = Field(default=30.0, gt=0)
    llm_prices: dict[str, ModelPrice] = Field(default_factory=dict)
    llm_max_cost_per_run_usd: float | None = Field(default=0.50, ge=0)
    llm_cache: bool = False
    llm_complexity_threshold: float = Field(default=0.5, ge=0, le=1)
    llm_circuit_failures: int = Field(default=5, ge=1)
    llm_circuit_cooldown_seconds: float = Field(default=60.0, gt=0)
    # Per worker process, every LLM activity together: requests in flight at once, and started
    # per minute (unset: no rate limit); a call over either waits for capacity.
    llm_max_concurrency: int = Field(default=8, ge=1)
    llm_requests_per_minute: int | None = Field(default=None, ge=1)
    prompts_dir: Path = ROOT / "prompts"
    prompt_version: str = "latest"
    # Evals only: the LLM-as-judge, "provider:model" (e.g. openai:gpt-4o-mini); unset skips it.
    judge_model: str | None = None
    thresholds: SignalThresholds = Field(default_factory=SignalThresholds)
    guardrails: Guardrails = Field(default_factory=Guardrails)
    auto_approval: AutoApprovalPolicy = Field(default_factory=AutoApprovalPolicy)
    max_regenerations: int = Field(default=2, ge=0)

    # Lifecycle timing. The demo shortens the outcome delay; the default is the seed's 3 days.
    review_timeout_seconds: float = Field(default=72 * 3600, gt=0)
    outcome_delay_seconds: float = Field(default=3 * 24 * 3600, ge=0)
    dedup_window_hours: float = Field(default=24, ge=0)
    # One change at a time per campaign: no second executed change inside the cooldown unless
    # a reviewer overrides it (default: the outcome window); an approval older than the
    # maximum age when its execution could start is not applied; reanalyses per recommendation.
    change_cooldown_seconds: float = Field(default=72 * 3600, ge=0)
    max_approval_age_seconds: float = Field(default=24 * 3600, gt=0)
    max_reanalyses: int = Field(default=5, ge=0)

    # Portfolio review (docs/portfolio.md): its thresholds and assumptions (PORTFOLIO__*, e.g.
    # PORTFOLIO__VALUE_PER_CONVERSION=30, PORTFOLIO__REVIEW_MINUTES=10), whether scheduled
    # reviews write the LLM executive summary and with which provider (default: an LLM
    # REASONER's), and the weekly schedule (a cron expression, UTC).
    portfolio: PortfolioPolicy = Field(default_factory=PortfolioPolicy)
    portfolio_summary: bool = False
    portfolio_summary_provider: Literal["openai", "anthropic"] | None = None
    portfolio_schedule_cron: str = "0 6 * * 1"
    # Always watching (docs/monitoring.md): the KPI watch and the spend-pacing monitor run on
    # Temporal Schedules the worker creates or updates at start-up (or `python -m
    # workers.schedules apply`). Intervals: seconds or ISO 8601 (PT6H).
    schedules_apply_on_start: bool = True
    watch_interval: timedelta = Field(default=timedelta(hours=6), gt=timedelta(0))
    pacing_interval: timedelta = Field(default=timedelta(hours=4), gt=timedelta(0))
    pacing: PacingPolicy = Field(default_factory=PacingPolicy)
    # False (test mode): a critical overspend is recommended for a halt and nothing is paused.
    pacing_autonomous_halt: bool = False
    # Notifications: apprise URLs separated by spaces or new lines (they hold tokens and
    # passwords: a secret), e.g. `slack://T/B/C mailto://user:pass@smtp.example.com?to=ops@x`.
    # Every notification is also logged (logger "notifications"), the embedded default.
    notify_urls: SecretStr | None = None
    notify_timeout_seconds: float = Field(default=10.0, gt=0)
    notify_review_reminder_hours: float = Field(default=12.0, ge=0)
    # Where people reach the API and console: the links in notifications.
    public_base_url: str = "http://127.0.0.1:8000"

    # Traces (OpenTelemetry; standard variable names). none: no tracing; console: spans on
    # stdout; otlp: OTLP over HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (base URL, /v1/traces added).
    otel_traces_exporter: Literal["none", "console", "otlp"] = "none"
    otel_exporter_otlp_endpoint: str = "http://localhost:4318"
    otel_service_name: str | None = Field(default=None, description="default: per process")
    # LLM spans carry model, tokens, cost and prompt version; the prompt and answer text only
    # when this is true (they contain campaign data).
    otel_instrumentation_genai_capture_message_content: bool = False

    # API
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # "key:role:name" entries separated by commas; roles: client, reviewer, admin.
    api_keys: str = ""
    api_keys_file: Path | None = None
    rate_limit: str = "120/minute"

    # Reviewer console (/console). The session cookie is signed with this secret; unset, each
    # API process makes up its own (sessions then end when it restarts and do not carry over
    # to another replica), and says so in its log.
    console_session_secret: SecretStr | None = None
    console_session_hours: float = Field(default=8, gt=0, le=24 * 30)
    # Secure cookies travel over HTTPS only (browsers also accept them from http://localhost);
    # false only for a console served over plain HTTP on another host name.
    console_cookie_secure: bool = True

    def llm_api_key_for(self, provider: str) -> str | None:
        """LLM_API_KEY, else the provider's own variable (OPENAI_API_KEY, ANTHROPIC_API_KEY)."""
        own = {"openai": self.openai_api_key, "anthropic": self.anthropic_api_key}.get(provider)
        key = self.llm_api_key or own
        return key.get_secret_value() if key else None

    def llm_price_table(self) -> dict[str, ModelPrice]:
        return {**DEFAULT_LLM_PRICES, **self.llm_prices}

    def platforms_config(self) -> PlatformsConfig:
        return PlatformsConfig(
            default=self.ad_platform,
            accounts=self.ad_platform_accounts,
            simulator_url=self.ad_platform_url,
            simulator_timeout_seconds=self.ad_platform_timeout_seconds,
            google_ads=GoogleAdsConfig(
                developer_token=self.google_ads_developer_token,
                client_id=self.google_ads_client_id,
                client_secret=self.google_ads_client_secret,
                refresh_token=self.google_ads_refresh_token,
                login_customer_id=self.google_ads_login_customer_id,
                customer_id=self.google_ads_customer_id,
                endpoint=self.google_ads_endpoint,
                token_uri=self.google_ads_token_uri,
                timeout_seconds=self.ad_platform_timeout_seconds,
            ),
            meta=MetaConfig(
                access_token=self.meta_access_token,
                app_id=self.meta_app_id,
                app_secret=self.meta_app_secret,
                ad_account_id=self.meta_ad_account_id,
                api_version=self.meta_api_version,
                graph_url=self.meta_graph_url,
                conversion_action_type=self.meta_conversion_action_type,
                timeout_seconds=self.ad_platform_timeout_seconds,
            ),
        )

    @field_validator("watch_interval", "pacing_interval", mode="before")
    @classmethod
    def _seconds(cls, value: object) -> object:
        """`21600` (seconds) as well as `PT6H` or `06:00:00`."""
        if isinstance(value, str) and value.strip().replace(".", "", 1).isdigit():
            return float(value)
        return value

    def pacing_policy(self) -> PacingPolicy:
        return self.pacing.model_copy(update={"autonomous_halt": self.pacing_autonomous_halt})

    def notify_url_list(self) -> list[str]:
        return self.notify_urls.get_secret_value().split() if self.notify_urls else []

    def lifecycle_policy(self) -> LifecyclePolicy:
        return LifecyclePolicy(
            thresholds=self.thresholds,
            guardrails=self.guardrails,
            auto_approval=self.auto_approval,
            max_regenerations=self.max_regenerations,
            review_timeout=timedelta(seconds=self.review_timeout_seconds),
            outcome_delay=timedelta(seconds=self.outcome_delay_seconds),
            max_llm_cost_usd=self.llm_max_cost_per_run_usd,
            change_cooldown=timedelta(seconds=self.change_cooldown_seconds),
            max_approval_age=timedelta(seconds=self.max_approval_age_seconds),
            max_reanalyses=self.max_reanalyses,
        )


@lru_cache
def get_settings() -> Settings:
    # SECRETS_DIR: one file per setting, named like its variable (a mounted Kubernetes secret).
    secrets_dir = os.environ.get("SECRETS_DIR")
    return Settings(_secrets_dir=secrets_dir) if secrets_dir else Settings()
