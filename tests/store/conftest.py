"""Store fixtures: the same tests run on SQLite and on PostgreSQL.

PostgreSQL: a throwaway database on 127.0.0.1:5432 (trust auth, user postgres) per test session,
dropped at the end. When the server is unreachable the PostgreSQL cases are skipped, unless
REQUIRE_POSTGRES=1 (CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy import delete

from domain.context import CampaignMetrics
from domain.lifecycle import (
    Decision,
    DecisionKind,
    ExecutionResult,
    LifecycleState,
    Outcome,
    RecommendationStatus,
    TraceStep,
)
from domain.recommendation import (
    ActionParameters,
    ActionType,
    Alternative,
    ExpectedImpact,
    Recommendation,
    RiskLevel,
    RootCause,
)
from store import Store, open_store
from store.models import Base

POSTGRES_ADMIN_DSN = os.environ.get(
    "POSTGRES_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


class PostgresServer:
    """The test server: creates throwaway databases, drop_all() removes them.

    ``problem`` says why the server is unusable (None when it answered).
    """

    def __init__(self, admin_dsn: str, problem: str | None) -> None:
        self.admin_dsn = admin_dsn
        self.problem = problem
        self.databases: list[str] = []

    def require(self) -> PostgresServer:
        """Skip the calling test when the server is unusable; fail instead in CI."""
        if self.problem is None:
            return self
        reason = f"PostgreSQL unreachable at {self.admin_dsn}: {self.problem}"
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{reason} (REQUIRE_POSTGRES=1)")
        pytest.skip(reason)

    async def create_database(self) -> str:
        name = f"agent_test_{uuid.uuid4().hex[:12]}"
        await self._admin(f'CREATE DATABASE "{name}"')
        self.databases.append(name)
        server = self.admin_dsn.removeprefix("postgresql://").rsplit("/", 1)[0]
        return f"postgresql+asyncpg://{server}/{name}"

    async def drop_all(self) -> None:
        for name in self.databases:
            await self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    async def _admin(self, sql: str) -> None:
        connection = await asyncpg.connect(self.admin_dsn, timeout=10)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()


async def _problem_reaching(admin_dsn: str) -> str | None:
    try:
        connection = await asyncpg.connect(admin_dsn, timeout=5)
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        return f"{type(error).__name__}: {error}"
    await connection.close()
    return None


@pytest.fixture(scope="session")
async def postgres_server() -> AsyncIterator[PostgresServer]:
    server = PostgresServer(POSTGRES_ADMIN_DSN, await _problem_reaching(POSTGRES_ADMIN_DSN))
    yield server
    await server.drop_all()


@pytest.fixture(scope="session")
async def postgres_session_url(postgres_server: PostgresServer) -> str | None:
    """The session's shared PostgreSQL database (tables are emptied before each test)."""
    if postgres_server.problem is not None:
        return None
    return await postgres_server.create_database()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def empty_database_url(backend: str, tmp_path, postgres_server: PostgresServer) -> str:
    """A database nobody has migrated yet (SQLite: in a directory that does not exist yet)."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'not-yet' / 'agent.db'}"
    return await postgres_server.require().create_database()


@pytest.fixture
async def database_url(
    backend: str, tmp_path, postgres_server: PostgresServer, postgres_session_url: str | None
) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'agent.db'}"
    postgres_server.require()
    assert postgres_session_url is not None
    return postgres_session_url


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """A migrated, empty Store."""
    store = await open_store(database_url)
    await _empty_all_tables(store)
    try:
        yield store
    finally:
        await store.close()


async def _empty_all_tables(store: Store) -> None:
    # Test isolation on the shared PostgreSQL database; the application never deletes audit rows.
    async with store.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            await connection.execute(delete(table))


# -- domain object factory ---------------------------------------------------------------------

NOW = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)


class Factory:
    """Realistic domain objects: a CPA spike caused by competitive pressure."""

    def __init__(self) -> None:
        self.token = uuid.uuid4().hex[:8]

    def campaign_id(self, name: str = "search-brand") -> str:
        return f"{name}-{self.token}"

    def recommendation_id(self, campaign_id: str) -> str:
        return f"rec-{campaign_id}-{uuid.uuid4().hex[:8]}"

    def metrics(
        self, campaign_id: str, cpa: float = 48.5, spend: float = 9_700.0
    ) -> CampaignMetrics:
        return CampaignMetrics(
            campaign_id=campaign_id,
            campaign_name="Brand Search - EMEA",
            platform="google_ads",
            spend=spend,
            impressions=412_000,
            clicks=11_536,
            conversions=round(spend / cpa, 1),
            cpa=cpa,
            ctr=2.8,
            conversion_rate=1.73,
            cpm=23.54,
            cpa_change_pct=31.2,
            cpm_change_pct=24.0,
            ctr_change_pct=-1.5,
            spend_change_pct=6.0,
            cpa_trend_days=4,
            daily_budget=1_500.0,
            budget_utilization=0.92,
            impression_share=0.61,
            impression_share_change_pct=-14.0,
            period_start=date(2026, 4, 27),
            period_end=date(2026, 5, 3),
            comparison_period_start=date(2026, 4, 20),
            comparison_period_end=date(2026, 4, 26),
        )

    def recommendation(self, campaign_id: str, confidence: float = 0.78) -> Recommendation:
        return Recommendation(
            campaign_id=campaign_id,
            recommended_action=ActionType.bid_adjustment,
            specific_action="increase bid 15 % from $2.50 to $2.88",
            parameters=ActionParameters(bid_change_pct=15.0, current_bid=2.50, new_bid=2.88),
            reasoning=(
                "CPA rose 31 % over 4 days while CTR held steady; CPM is up 24 % and impression "
                "share fell 14 %, while competitor activity grew 35 %: we are being outbid."
            ),
            signal_analysis="CPA +31.2 % (critical), CPM +24 %, impression share -14 %",
            root_cause=RootCause.competitive_pressure,
            supporting_evidence=[
                "competitor activity +35 % (threshold 20 %)",
                "impression share 0.61, down 14 %",
                "CTR stable (-1.5 %): creative is not fatigued",
            ],
            contradictory_evidence=["spend up 6 %, part of the CPA rise may be mix"],
            expected_impact=ExpectedImpact(
                metric="cpa", change_pct=-12.0, timeframe_days=3, description="CPA back to ~$43"
            ),
            risk_level=RiskLevel.medium,
            risk_factors=["higher CPC while competitors stay aggressive"],
            alternatives_considered=[
                Alternative(action=ActionType.creative_refresh, why_not="CTR is stable"),
                Alternative(action=ActionType.campaign_pause, why_not="still converting"),
            ],
            success_metrics=["CPA below $44 within 3 days", "impression share above 0.70"],
            confidence=confidence,
            confidence_reasoning="three independent signals agree; one weak contradiction",
            generated_at=NOW,
            model="rules",
            prompt_versions={"generate": "v3", "critique": "v2"},
            degraded=True,
            degraded_reasons=["audience source unavailable"],
        )

    def trace(self, iterations: int = 1) -> list[TraceStep]:
        steps = ["collect_context", "analyze_signals"]
        steps += [s for _ in range(iterations) for s in ("generate", "critique")] + ["validate"]
        started = NOW
        trace = []
        for position, step in enumerate(steps):
            iteration = max(0, (position - 2) // 2) if step in ("generate", "critique") else 0
            trace.append(
                TraceStep(
                    step=step,
                    iteration=iteration,
                    started_at=started,
                    duration_ms=12.5 + position,
                    detail=f"{step} ok",
                )
            )
            started += timedelta(milliseconds=40)
        return trace

    def state(
        self,
        recommendation_id: str,
        campaign_id: str,
        status: RecommendationStatus = RecommendationStatus.pending_review,
        *,
        decided: bool = False,
        executed: bool = False,
        measured: bool = False,
        iterations: int = 2,
        seq: int = 0,
    ) -> LifecycleState:
        state = LifecycleState(
            recommendation_id=recommendation_id,
            campaign_id=campaign_id,
            status=status,
            seq=seq,
            revision=1,
            iterations=iterations,
            recommendation=self.recommendation(campaign_id),
            trace=self.trace(iterations),
        )
        if decided or executed or measured:
            state.decision = Decision(
                decision=DecisionKind.approved,
                reviewer="maria@example.com",
                feedback="go ahead, watch CPC",
                revision=1,
            )
        if executed or measured:
            state.execution = self.execution(recommendation_id, campaign_id)
        if measured:
            state.outcome = self.outcome(campaign_id)
        return state

    def execution(self, recommendation_id: str, campaign_id: str) -> ExecutionResult:
        return ExecutionResult(
            campaign_id=campaign_id,
            action=ActionType.bid_adjustment,
            idempotency_key=f"{recommendation_id}:r1:execute",
            applied=True,
            before={"bid": 2.5},
            after={"bid": 2.88},
            executed_at=NOW + timedelta(hours=2),
            message="bid updated",
        )

    def outcome(self, campaign_id: str) -> Outcome:
        return Outcome(
            campaign_id=campaign_id,
            metric="cpa",
            before_value=48.5,
            after_value=42.1,
            actual_change_pct=-13.2,
            expected_change_pct=-12.0,
            success=True,
            summary="CPA fell 13.2 % (expected -12 %)",
            measured_at=NOW + timedelta(days=3, hours=2),
        )


@pytest.fixture
def make() -> Factory:
    return Factory()
