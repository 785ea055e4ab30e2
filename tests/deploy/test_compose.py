"""docker-compose.yml and the Dockerfile cannot run here (no Docker engine), so check what would
break them: every command runs a module we ship, every variable is one the code reads, and every
folder the image copies exists."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import yaml

from settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
BUILT = {name: svc for name, svc in COMPOSE["services"].items() if "build" in svc}
# SIMULATOR_DATA_DIR is read by the derivation of the simulator's figures (simulator.derive).
SIMULATOR_VARIABLES = {
    "SIMULATOR_DATA_DIR",
    "SIMULATOR_TODAY",
    "SIMULATOR_TIMEOUT_SECONDS",
    "SIMULATOR_CAMPAIGNS",
    "SIMULATOR_SEED",
}


@pytest.mark.parametrize("name", sorted(BUILT))
def test_every_service_runs_a_module_we_ship(name: str) -> None:
    command = BUILT[name]["command"]
    assert command[:2] == ["python", "-m"], command
    assert importlib.util.find_spec(command[2]) is not None, f"{name}: no module {command[2]}"


@pytest.mark.parametrize("name", sorted(BUILT))
def test_every_variable_is_read_by_the_code(name: str) -> None:
    known = {field.upper() for field in Settings.model_fields} | SIMULATOR_VARIABLES
    unknown = set(BUILT[name].get("environment", {})) - known
    assert not unknown, f"{name}: variables nobody reads: {sorted(unknown)}"


def test_services_depend_only_on_services_that_exist() -> None:
    for name, service in COMPOSE["services"].items():
        for dependency in service.get("depends_on", {}):
            assert dependency in COMPOSE["services"], f"{name} depends on unknown {dependency}"


def test_the_image_copies_folders_that_exist() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    sources = re.findall(r"^COPY (\S+) ", dockerfile, flags=re.MULTILINE)
    assert sources, "the Dockerfile copies nothing"
    for source in sources:
        assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"


def test_the_image_copies_every_package() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    packages = ["domain", "workflows", "activities", "workers", "api", "store", "simulator"]
    for package in [*packages, "evals", "prompts", "settings.py"]:
        assert f"COPY {package} " in dockerfile, f"the image lacks {package}"


def test_published_ports_stay_on_this_machine() -> None:
    # Temporal's frontend and the simulator's admin API have no authentication.
    for name, service in COMPOSE["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} to the network"


def test_the_api_keys_must_be_given() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    assert "API_KEYS: ${API_KEYS:?" in text, "compose must not fall back to well-known keys"
