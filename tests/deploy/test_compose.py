"""docker-compose.yml and the Dockerfile cannot run here (no Docker engine), so check what would
break them: every command runs a module we ship, every variable is one the code reads, every
folder the image copies exists, every image is pinned, every long-running service has a health
check and starts after what it needs is healthy, and nothing is read from outside the
repository (a fresh clone has no ../shared beside it)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import yaml
from temporalio.api.enums.v1 import IndexedValueType

from settings import Settings
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

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
# Services that run once and exit; the others wait for them to complete successfully.
ONE_SHOT = {
    dependency
    for service in COMPOSE["services"].values()
    for dependency, condition in service.get("depends_on", {}).items()
    if condition.get("condition") == "service_completed_successfully"
}
LONG_RUNNING = sorted(set(COMPOSE["services"]) - ONE_SHOT)


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


def test_the_whole_stack_is_there() -> None:
    services = set(COMPOSE["services"])
    assert {"postgres", "temporal", "temporal-ui", "api", "worker", "simulator"} <= services
    assert {"prometheus", "grafana", "jaeger"} <= services
    assert ONE_SHOT == {"temporal-schema", "temporal-register", "migrate"}


def test_temporal_persists_in_postgresql() -> None:
    temporal = COMPOSE["services"]["temporal"]
    assert temporal["environment"]["DB"] == "postgres12"
    assert temporal["environment"]["POSTGRES_SEEDS"] == "postgres"
    assert "start-dev" not in str(temporal.get("command", ""))


@pytest.mark.parametrize("name", sorted(COMPOSE["services"]))
def test_every_image_is_pinned_to_a_version(name: str) -> None:
    service = COMPOSE["services"][name]
    if "build" in service:
        assert "image" not in service, f"{name}: built here, so no image to pull"
        return
    image = service["image"]
    assert re.fullmatch(r"[\w./-]+:v?\d+(\.\d+)+([-\w.]*)?(@sha256:[0-9a-f]{64})?", image), (
        f"{name}: {image} is not pinned to a version"
    )


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_every_long_running_service_has_a_health_check(name: str) -> None:
    check = COMPOSE["services"][name].get("healthcheck", {})
    assert check.get("test") and check["test"][0] in ("CMD", "CMD-SHELL"), name
    assert not check.get("disable"), name


@pytest.mark.parametrize("name", sorted(COMPOSE["services"]))
def test_services_start_after_what_they_need_is_ready(name: str) -> None:
    for dependency, condition in COMPOSE["services"][name].get("depends_on", {}).items():
        wanted = "service_completed_successfully" if dependency in ONE_SHOT else "service_healthy"
        assert condition.get("condition") == wanted, f"{name} -> {dependency}: {condition}"


def test_nothing_is_read_from_outside_the_repository() -> None:
    assert "../" not in (ROOT / "docker-compose.yml").read_text()
    for name, service in COMPOSE["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume["source"]
            if source in COMPOSE.get("volumes", {}):
                continue  # a named volume
            assert source.startswith("./"), f"{name}: {source} is not a path in the repository"
            path = (ROOT / source).resolve()
            assert path.is_relative_to(ROOT), f"{name}: {source} leaves the repository"
            assert path.exists(), f"{name}: mounts missing {source}"
        build = service.get("build")
        if build is not None:
            context = build if isinstance(build, str) else build.get("context", ".")
            assert (ROOT / context).resolve() == ROOT, f"{name}: builds from {context}"


def test_the_image_builds_from_the_repository_alone() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert not re.search(r"^ADD ", dockerfile, flags=re.MULTILINE), "ADD may fetch URLs"
    assert not re.search(r"curl|wget|git clone", dockerfile), "the build downloads something"
    base = re.search(r"^FROM (\S+)", dockerfile, flags=re.MULTILINE).group(1)
    assert re.search(r":\d+\.\d+", base), f"base image {base} is not pinned"
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".env", "var"} <= set(ignored), "local state or secrets reach the image"


def test_every_python_package_is_in_the_image() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    pyproject = (ROOT / "pyproject.toml").read_text()
    packages = re.search(r"include = \[([^\]]*)\]", pyproject).group(1)
    for package in re.findall(r'"(\w+)\*"', packages):
        assert f"COPY {package} " in dockerfile, f"the image lacks {package}"


def test_prometheus_loads_the_alert_rules_and_scrapes_the_agent() -> None:
    prometheus = COMPOSE["services"]["prometheus"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in prometheus["volumes"]}
    config_path = mounts["/etc/prometheus/prometheus.yml"]
    config = yaml.safe_load((ROOT / config_path).read_text())
    for rule_file in config["rule_files"]:
        assert mounts[f"/etc/prometheus/{rule_file}"] == "./deploy/prometheus/alerts.yml"
    jobs = config["scrape_configs"]
    static = {t for job in jobs for s in job.get("static_configs", []) for t in s["targets"]}
    # Every replica is discovered on its own (DNS A records): a static name would answer from
    # a different replica at each scrape, so counters would jump between them.
    discovered = {
        f"{name}:{sd['port']}"
        for job in jobs
        for sd in job.get("dns_sd_configs", [])
        if sd["type"] == "A"
        for name in sd["names"]
    }
    worker = COMPOSE["services"]["worker"]["command"]
    assert "api:8000" in discovered
    for flag in ("--app-metrics-bind", "--metrics-bind"):
        port = next(arg for arg in worker if arg.startswith(flag + "=")).rsplit(":", 1)[1]
        assert f"worker:{port}" in discovered, flag
    assert not [t for t in static if t.split(":")[0] in ("api", "worker")]


def test_grafana_provisions_the_generated_dashboard() -> None:
    grafana = COMPOSE["services"]["grafana"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in grafana["volumes"]}
    provider = yaml.safe_load(
        (
            ROOT / mounts["/etc/grafana/provisioning"] / "dashboards" / "marketing-agent.yml"
        ).read_text()
    )
    dashboards_in_container = provider["providers"][0]["options"]["path"]
    assert (ROOT / mounts[dashboards_in_container] / "marketing-agent.json").exists()
    datasources = yaml.safe_load(
        (ROOT / mounts["/etc/grafana/provisioning"] / "datasources" / "prometheus.yml").read_text()
    )
    assert datasources["datasources"][0]["url"] == "http://prometheus:9090"


def test_the_temporal_register_script_adds_every_search_attribute() -> None:
    script = (ROOT / "deploy" / "temporal" / "register.sh").read_text()
    for key in ALL_SEARCH_ATTRIBUTES:
        kind = {"INDEXED_VALUE_TYPE_KEYWORD": "Keyword", "INDEXED_VALUE_TYPE_DOUBLE": "Double"}[
            IndexedValueType.Name(key.indexed_value_type)
        ]
        assert f"{key.name}:{kind}" in script, key.name
