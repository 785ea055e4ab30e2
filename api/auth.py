"""API keys with roles, and the FastAPI dependencies that enforce them.

Keys come from ``settings.api_keys`` ("key:role:name" entries separated by commas) and/or
``settings.api_keys_file`` (a YAML or JSON list of ``{key, role, name}``). Only SHA-256 digests
are kept in memory; lookups compare digests with ``hmac.compare_digest``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import yaml
from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from api.errors import ApiError
from api.metrics import AUTH_FAILURES, RATE_LIMITED
from api.state import get_services

log = logging.getLogger("api.auth")

API_KEY_HEADER = "X-API-Key"
MIN_KEY_LENGTH = 8
_NAME_RE = re.compile(r"^[A-Za-z0-9_.@ -]{1,64}$")


class Role(StrEnum):
    client = "client"
    reviewer = "reviewer"
    admin = "admin"


ANALYZE_ROLES = (Role.client, Role.reviewer, Role.admin)
READ_ROLES = (Role.client, Role.reviewer, Role.admin)
REVIEW_ROLES = (Role.reviewer, Role.admin)


class ConfigurationError(RuntimeError):
    """The API cannot start with this configuration (message says what to fix)."""


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    # First hex chars of the key's digest: identifies the key in logs and rate limits
    # without revealing it.
    key_id: str


@dataclass(frozen=True)
class _KeyEntry:
    digest: bytes
    principal: Principal


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


class KeyRing:
    def __init__(self, entries: Iterable[tuple[str, str, str]]) -> None:
        self._entries: list[_KeyEntry] = []
        self._by_key_id: dict[str, Principal] = {}
        seen: set[bytes] = set()
        for key, role, name in entries:
            entry = _make_entry(key, role, name)
            if entry.digest in seen:
                raise ConfigurationError(f"API key for {name!r} is configured twice")
            seen.add(entry.digest)
            self._entries.append(entry)
            self._by_key_id[entry.principal.key_id] = entry.principal

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, key: str) -> Principal | None:
        digest = _digest(key)
        found: Principal | None = None
        # Compare against every entry (no early exit) so timing does not reveal which matched.
        for entry in self._entries:
            if hmac.compare_digest(entry.digest, digest):
                found = entry.principal
        return found

    def by_key_id(self, key_id: str) -> Principal | None:
        """The principal of a key already checked (the console keeps only the key id in its
        session): None once that key is no longer configured."""
        return self._by_key_id.get(key_id)


def _make_entry(key: str, role: str, name: str) -> _KeyEntry:
    key, role, name = key.strip(), role.strip(), name.strip()
    if len(key) < MIN_KEY_LENGTH:
        raise ConfigurationError(
            f"API key for {name or '?'!r} is shorter than {MIN_KEY_LENGTH} characters"
        )
    try:
        parsed_role = Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise ConfigurationError(
            f"API key for {name!r} has unknown role {role!r} (allowed: {allowed})"
        ) from None
    if not _NAME_RE.match(name):
        raise ConfigurationError(
            f"API key name {name!r} must be 1-64 chars of letters, digits, space, _ . @ -"
        )
    digest = _digest(key)
    return _KeyEntry(digest, Principal(name=name, role=parsed_role, key_id=digest.hex()[:12]))


def parse_key_string(raw: str) -> list[tuple[str, str, str]]:
    """Parse "key:role:name,key:role:name". The key may contain ':'; role and name may not."""
    entries = []
    for item in raw.split(","):
        if not item.strip():
            continue
        parts = item.strip().rsplit(":", 2)
        if len(parts) != 3:
            raise ConfigurationError(
                "API_KEYS entries must look like 'key:role:name' (comma-separated); "
                f"got an entry with {len(parts)} part(s)"
            )
        entries.append((parts[0], parts[1], parts[2]))
    return entries


def parse_key_file(path: Path) -> list[tuple[str, str, str]]:
    """Read a YAML or JSON list of {key, role, name} objects."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read API_KEYS_FILE {path}: {exc}") from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"API_KEYS_FILE {path} is not valid YAML/JSON: {exc}") from exc
    if not isinstance(data, list):
        raise ConfigurationError(f"API_KEYS_FILE {path} must contain a list of {{key, role, name}}")
    entries = []
    for index, item in enumerate(data):
        if not isinstance(item, dict) or not {"key", "role", "name"} <= item.keys():
            raise ConfigurationError(
                f"API_KEYS_FILE {path} entry {index} needs the fields key, role and name"
            )
        entries.append((str(item["key"]), str(item["role"]), str(item["name"])))
    return entries


def load_keyring(api_keys: str, api_keys_file: Path | None) -> KeyRing:
    entries = parse_key_string(api_keys)
    if api_keys_file is not None:
        entries += parse_key_file(api_keys_file)
    if not entries:
        # No silent "open" mode: an API without keys would let anyone approve ad spend.
        raise ConfigurationError(
            "no API keys configured: set API_KEYS='key:role:name,...' "
            "(roles: client, reviewer, admin) or API_KEYS_FILE=/path/to/keys.yaml"
        )
    return KeyRing(entries)


# ---------------------------------------------------------------- dependencies

api_key_scheme = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    description="API key; its role (client, reviewer, admin) decides what it may call.",
)


def _client_host(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _rate_limit(request: Request, identity: str) -> None:
    retry_after = await get_services(request).limiter.hit(identity)
    if retry_after is not None:
        RATE_LIMITED.inc()
        raise ApiError(
            429,
            "rate_limited",
            f"rate limit of {get_services(request).limiter.description} exceeded; "
            f"retry in {int(retry_after)} s",
            headers={"Retry-After": str(int(retry_after))},
        )


async def authenticate(
    request: Request, api_key: str | None = Security(api_key_scheme)
) -> Principal:
    principal = get_services(request).keyring.lookup(api_key) if api_key else None
    if principal is None:
        reason = "missing" if not api_key else "unknown"
        AUTH_FAILURES.labels(reason=reason).inc()
        # Failed attempts share a per-client-address budget so keys cannot be brute-forced.
        await _rate_limit(request, f"anonymous:{_client_host(request)}")
        raise ApiError(
            401,
            "unauthorized",
            f"{reason} API key: send a valid key in the {API_KEY_HEADER} header",
            headers={"WWW-Authenticate": f'APIKey header="{API_KEY_HEADER}"'},
        )
    request.state.principal = principal
    await _rate_limit(request, f"key:{principal.key_id}")
    return principal


def require_roles(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """Dependency factory: authenticate, rate-limit, then check the key's role."""

    async def dependency(principal: Principal = Depends(authenticate)) -> Principal:
        if principal.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise ApiError(
                403,
                "forbidden",
                f"role {principal.role.value!r} may not do this (needs one of: {allowed})",
            )
        return principal

    return dependency
