"""The simulator adapter: the embedded default ad platform, over its HTTP API
(docs/ARCHITECTURE.md, "Ad platform HTTP API").

HTTP answers become ``PlatformError``s here: transport failures and timeouts are
``unavailable``, 5xx ``server_error``, 429 ``rate_limited`` (with its ``Retry-After``), 404
``not_found``, 422 ``invalid``, other 4xx ``invalid`` too; a body that does not match the
domain contract is ``malformed`` (retryable: a garbled answer is usually transient).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter, ValidationError

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
from platforms.errors import ErrorKind, PlatformError
from platforms.port import ActionOutcome

_CAMPAIGN = TypeAdapter(CampaignMetrics)
_CREATIVES = TypeAdapter(list[CreativeMetrics])
_COMPETITORS = TypeAdapter(CompetitorSignals)
_AUDIENCE = TypeAdapter(AudienceData)
_HISTORY = TypeAdapter(HistoryData)
_SETTINGS = TypeAdapter(CampaignSettings)
_SUMMARIES = TypeAdapter(list[CampaignSummary])
_EXPERIMENTS = TypeAdapter(list[Experiment])
_SPEND = TypeAdapter(SpendReport)

# Without these there is nothing to reason about, as opposed to a garbled body.
_DELIVERY_FIELDS = ("spend", "impressions")


class SimulatorPlatform:
    name = "simulator"

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    @classmethod
    def connect(cls, base_url: str, timeout_seconds: float) -> SimulatorPlatform:
        return cls(httpx.AsyncClient(base_url=base_url, timeout=timeout_seconds))

    async def aclose(self) -> None:
        await self._client.aclose()

    # ------------------------------------------------------------------------- reads

    async def list_campaigns(self) -> list[CampaignSummary]:
        return _validate(_SUMMARIES, await self._get("/campaigns"), "the campaign list")

    async def campaign_metrics(self, campaign_id: str, days: int) -> CampaignMetrics:
        body = await self._get(_campaign_path(campaign_id, "metrics"), params={"days": days})
        if body is None or body == {}:
            raise _missing(campaign_id, "the platform returned no metrics")
        if isinstance(body, dict) and all(body.get(f) is None for f in _DELIVERY_FIELDS):
            raise _missing(campaign_id, "the metrics lack spend and impressions")
        return _validate(_CAMPAIGN, body, f"metrics of {campaign_id}")

    async def creatives(self, campaign_id: str, days: int) -> list[CreativeMetrics]:
        body = await self._get(_campaign_path(campaign_id, "creatives"), params={"days": days})
        items = body.get("creatives") if isinstance(body, dict) else None
        if items is None:
            raise PlatformError(
                ErrorKind.malformed, f"creatives of {campaign_id}: expected {{'creatives': [...]}}"
            )
        return _validate(_CREATIVES, items, f"creatives of {campaign_id}")

    async def competitors(self, campaign_id: str, days: int) -> CompetitorSignals:
        body = await self._get(_campaign_path(campaign_id, "competitors"), params={"days": days})
        return _validate(_COMPETITORS, body, f"competitors of {campaign_id}")

    async def audience(self, campaign_id: str, days: int) -> AudienceData:
        body = await self._get(_campaign_path(campaign_id, "audience"), params={"days": days})
        return _validate(_AUDIENCE, body, f"audience of {campaign_id}")

    async def history(self, campaign_id: str, days: int) -> HistoryData:
        body = await self._get(_campaign_path(campaign_id, "history"), params={"days": days})
        return _validate(_HISTORY, body, f"history of {campaign_id}")

    async def settings(self, campaign_id: str) -> CampaignSettings:
        body = await self._get(_campaign_path(campaign_id, "settings"))
        return _validate(_SETTINGS, body, f"settings of {campaign_id}")

    async def experiments(self) -> list[Experiment]:
        """The account's A/B tests (``GET /experiments``)."""
        return _validate(_EXPERIMENTS, await self._get("/experiments"), "the experiment list")

    async def spend_report(self, campaign_id: str, since: date) -> SpendReport:
        path = _campaign_path(campaign_id, "spend")
        body = await self._get(path, params={"since": since.isoformat()})
        return _validate(_SPEND, body, f"spend of {campaign_id}")

    # ------------------------------------------------------------------------- writes

    async def dry_run(
        self, campaign_id: str, action: ActionType, parameters: ActionParameters
    ) -> ActionOutcome:
        return await self._act(campaign_id, action, parameters, key=None)

    async def apply(
        self,
        campaign_id: str,
        action: ActionType,
        parameters: ActionParameters,
        idempotency_key: str,
    ) -> ActionOutcome:
        return await self._act(campaign_id, action, parameters, key=idempotency_key)

    async def _act(
        self, campaign_id: str, action: ActionType, parameters: ActionParameters, key: str | None
    ) -> ActionOutcome:
        body = {
            "action": action.value,
            "parameters": parameters.model_dump(mode="json", exclude_none=True),
        }
        response = await self._send(
            "POST",
            _campaign_path(campaign_id, "actions"),
            json=body,
            headers={"Idempotency-Key": key} if key else None,
            params={"dry_run": "true"} if key is None else None,
        )
        answer = _json(response)
        if not isinstance(answer, dict) or "applied" not in answer:
            raise PlatformError(
                ErrorKind.malformed, f"unexpected action answer {str(answer)[:200]}"
            )
        already = bool(answer.get("already_applied", False))
        return ActionOutcome(
            applied=bool(answer.get("applied")) or already,
            already_applied=already,
            dry_run=key is None,
            before=answer.get("before") or {},
            after=answer.get("after") or {},
            message=str(answer.get("message", "")),
            executed_at=_timestamp(answer.get("executed_at")),
        )

    # ------------------------------------------------------------------------- HTTP

    async def _get(self, path: str, *, params: dict[str, Any] | None = None) -> Any:
        response = await self._send("GET", path, params=params)
        if response.status_code == 204 or not response.content.strip():
            return None  # "nothing here": the caller decides whether that is missing data
        return _json(response)

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._client.request(method, path, **kwargs)
        except httpx.TimeoutException as err:
            raise PlatformError(
                ErrorKind.unavailable, f"{method} {path} timed out: {err!r}"
            ) from err
        except httpx.TransportError as err:
            raise PlatformError(ErrorKind.unavailable, f"{method} {path} failed: {err!r}") from err
        _raise_for_status(response)
        return response


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    where = f"{response.request.method} {response.request.url.path}"
    detail = _error_detail(response)
    if status == 404:
        raise PlatformError(ErrorKind.not_found, f"{where}: not found ({detail})")
    if status == 429:
        raise PlatformError(
            ErrorKind.rate_limited,
            f"{where}: HTTP 429 ({detail})",
            retry_after=_retry_after(response),
        )
    if status >= 500:
        raise PlatformError(ErrorKind.server_error, f"{where}: HTTP {status} ({detail})")
    if status in (401, 403):
        raise PlatformError(ErrorKind.auth, f"{where}: HTTP {status} ({detail})")
    raise PlatformError(ErrorKind.invalid, detail, details={"status": status, "where": where})


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers["retry-after"]))
    except (KeyError, ValueError):
        return None


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise PlatformError(
            ErrorKind.malformed,
            f"{response.request.url.path}: body is not JSON ({response.text[:200]!r})",
        ) from err


def _validate(adapter: TypeAdapter[Any], body: Any, what: str) -> Any:
    """A body that does not match the domain contract is a (retryable) bad answer."""
    try:
        return adapter.validate_python(body)
    except ValidationError as err:
        problems = [f"{'.'.join(map(str, e['loc'])) or '<body>'}: {e['msg']}" for e in err.errors()]
        more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        raise PlatformError(
            ErrorKind.malformed,
            f"{what}: response does not match the contract: {'; '.join(problems[:3])}{more}",
        ) from err


def _error_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict) and "detail" in body:
        return str(body["detail"])[:300]
    return str(body)[:300]


def _campaign_path(campaign_id: str, what: str) -> str:
    """``/campaigns/{id}/{what}`` with the id as exactly one path segment: ``/`` is escaped,
    and so are dots, which clients and proxies would otherwise resolve (``..`` climbs to
    another endpoint, e.g. ``/admin/reset``)."""
    return f"/campaigns/{quote(campaign_id, safe='').replace('.', '%2E')}/{what}"


def _missing(campaign_id: str, why: str) -> PlatformError:
    return PlatformError(
        ErrorKind.missing_metrics, f"campaign {campaign_id} has no usable metrics: {why}"
    )


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None
