"""Process configuration from the environment (and an optional .env file).

One home for every knob the worker, API, simulator and demo read. Workflows never read this:
the API/starter copies the relevant part into the workflow input (``LifecyclePolicy``).
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.lifecycle import LifecyclePolicy
from domain.thresholds import AutoApprovalPolicy, Guardrails, SignalThresholds

ROOT = Path(__file__).resolve().parent


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

    # Reasoning
    reasoner: str = "rules"
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

    def lifecycle_policy(self) -> LifecyclePolicy:
        return LifecyclePolicy(
            thresholds=self.thresholds,
            guardrails=self.guardrails,
            auto_approval=self.auto_approval,
            max_regenerations=self.max_regenerations,
            review_timeout=timedelta(seconds=self.review_timeout_seconds),
            outcome_delay=timedelta(seconds=self.outcome_delay_seconds),
        )


@lru_cache
def get_settings() -> Settings:
    return Settings()
