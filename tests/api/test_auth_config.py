"""API key configuration: formats, validation, and no plaintext kept in memory."""

from __future__ import annotations

import json

import pytest

from api.app import create_app
from api.auth import ConfigurationError, Role, load_keyring
from tests.api.conftest import make_settings


def test_keys_from_env_string_and_yaml_file(tmp_path):
    keys_file = tmp_path / "keys.yaml"
    keys_file.write_text("- {key: file-key-0001, role: reviewer, name: bob}\n")

    ring = load_keyring("env-key-0001:client:dash, admin:key:0001:admin:ops", keys_file)

    assert len(ring) == 3
    assert ring.lookup("env-key-0001").role is Role.client
    # The key may contain ':'; role and name are the last two fields.
    assert ring.lookup("admin:key:0001").name == "ops"
    assert ring.lookup("file-key-0001").name == "bob"
    assert ring.lookup("nope-nope-nope") is None


def test_json_key_file(tmp_path):
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(json.dumps([{"key": "json-key-0001", "role": "admin", "name": "ci"}]))

    assert load_keyring("", keys_file).lookup("json-key-0001").role is Role.admin


def test_only_digests_are_kept():
    ring = load_keyring("secret-key-0001:client:dash", None)

    assert "secret-key-0001" not in repr(vars(ring))
    assert "secret-key-0001" not in repr(ring._entries)


@pytest.mark.parametrize(
    ("api_keys", "message"),
    [
        ("", "no API keys configured"),
        ("short:client:a", "shorter than"),
        ("long-enough-key:superuser:a", "unknown role"),
        ("long-enough-key:client", "key:role:name"),
        ("long-enough-key:client:bad/name", "name"),
        ("long-enough-key:client:a,long-enough-key:admin:b", "configured twice"),
    ],
)
def test_bad_key_configuration_stops_start_up(api_keys, message):
    with pytest.raises(ConfigurationError, match=message):
        create_app(make_settings(api_keys=api_keys))


def test_bad_key_file_and_rate_limit_stop_start_up(tmp_path):
    bad_file = tmp_path / "keys.yaml"
    bad_file.write_text("key: not-a-list\n")
    with pytest.raises(ConfigurationError, match="list"):
        create_app(make_settings(api_keys="", api_keys_file=bad_file))
    with pytest.raises(ConfigurationError, match="missing.yaml"):
        create_app(make_settings(api_keys="", api_keys_file=tmp_path / "missing.yaml"))
    with pytest.raises(ConfigurationError, match="RATE_LIMIT"):
        create_app(make_settings(rate_limit="lots"))
