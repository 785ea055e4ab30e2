"""Process configuration from the environment (and an optional .env file).

One home for every knob the worker, API, simulator and demo read. Workflows never read this:
the API/starter copies the relevant part into the workflow input (``LifecyclePolicy``).
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.lifecycle import LifecyclePolicy
from domain.thresholds import AutoApprovalPolicy, Guardrails, SignalThresholds

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

    # Storage
    database_url: str = f"sqlite+aiosqlite:///{ROOT / 'var' / 'agent.db'}"

    # Ad platform (the simulator by default)
    ad_platform_url: str = "http://127.0.0.1:8100"
    ad_platform_timeout_seconds: float = Field(default=10.0, gt=0)

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

    def lifecycle_policy(self) -> LifecyclePolicy:
        return LifecyclePolicy(
            thresholds=self.thresholds,
            guardrails=self.guardrails,
            auto_approval=self.auto_approval,
            max_regenerations=self.max_regenerations,
            review_timeout=timedelta(seconds=self.review_timeout_seconds),
            outcome_delay=timedelta(seconds=self.outcome_delay_seconds),
            max_llm_cost_usd=self.llm_max_cost_per_run_usd,
        )


@lru_cache
def get_settings() -> Settings:
    return Settings()
