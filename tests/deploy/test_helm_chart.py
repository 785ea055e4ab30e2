"""The Helm chart, linted and rendered by real Helm (helm-python-sdk: Helm's Go SDK as a C
library in the wheel, no binary download), its manifests validated in strict mode against the
current Kubernetes schemas (kubernetes-validate), and bad values refused by the schema."""

from __future__ import annotations

from pathlib import Path

import helm_python as helm
import kubernetes_validate
import pytest
import yaml

from settings import Settings

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "marketing-agent"
PRODUCTION = yaml.safe_load((CHART / "ci" / "production-values.yaml").read_text())
KUBERNETES = kubernetes_validate.latest_version()
# Custom resources kubernetes-validate has no schema for; checked for consistency below.
CUSTOM_KINDS = {"ServiceMonitor", "ScaledObject", "TriggerAuthentication"}
VALUES = {"default": None, "production": PRODUCTION}


def render(values: dict | None) -> list[dict]:
    with helm.Chart.load(CHART) as chart:
        manifests = chart.render(values, name="agent", namespace="marketing", is_install=True)
    return [
        doc
        for path, text in sorted(manifests.items())
        if not path.endswith("NOTES.txt")
        for doc in yaml.safe_load_all(text)
        if doc
    ]


def of_kind(docs: list[dict], kind: str) -> list[dict]:
    return [doc for doc in docs if doc["kind"] == kind]


def named(docs: list[dict], kind: str, suffix: str) -> dict:
    (found,) = [d for d in of_kind(docs, kind) if d["metadata"]["name"].endswith(suffix)]
    return found


def containers(docs: list[dict]) -> list[dict]:
    return [
        container
        for doc in docs
        if doc["kind"] in ("Deployment", "Job")
        for container in doc["spec"]["template"]["spec"]["containers"]
    ]


@pytest.mark.parametrize("values", VALUES.values(), ids=VALUES.keys())
def test_the_chart_lints_without_errors_or_warnings(values: dict | None) -> None:
    report = helm.lint(CHART, values, strict=True, kube_version=f"v{KUBERNETES}")
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert not report["errors"] and not problems, report


@pytest.mark.parametrize("values", VALUES.values(), ids=VALUES.keys())
def test_every_manifest_is_valid_kubernetes_in_strict_mode(values: dict | None) -> None:
    docs = render(values)
    validated = 0
    for doc in docs:
        if doc["kind"] in CUSTOM_KINDS:
            continue
        # strict: unknown fields are errors too (a typo in a template is not silently dropped)
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)
        validated += 1
    assert validated >= 12


def test_the_default_release_has_everything_a_team_needs() -> None:
    docs = render(None)
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    expected = {
        ("Deployment", "agent-marketing-agent-api"),
        ("Deployment", "agent-marketing-agent-worker"),
        ("Deployment", "agent-marketing-agent-simulator"),
        ("HorizontalPodAutoscaler", "agent-marketing-agent-worker"),
        ("PodDisruptionBudget", "agent-marketing-agent-api"),
        ("PodDisruptionBudget", "agent-marketing-agent-worker"),
        ("Job", "agent-marketing-agent-migrate"),
    }
    assert expected <= kinds
    migrate = named(docs, "Job", "-migrate")
    assert migrate["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert migrate["spec"]["template"]["spec"]["containers"][0]["command"] == [
        "python",
        "-m",
        "store",
        "upgrade",
    ]
    # Optional parts stay off by default.
    assert not of_kind(docs, "ServiceMonitor") and not of_kind(docs, "NetworkPolicy")
    assert not of_kind(docs, "ScaledObject")


def test_probes_hit_the_real_endpoints() -> None:
    docs = render(None)
    api = named(docs, "Deployment", "-api")["spec"]["template"]["spec"]["containers"][0]
    assert api["livenessProbe"]["httpGet"]["path"] == "/health"
    assert api["readinessProbe"]["httpGet"]["path"] == "/ready"
    for container in containers(docs):
        port_names = {p["name"] for p in container.get("ports", [])}
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            if probe in container:
                assert container[probe]["httpGet"]["port"] in port_names, container["name"]


@pytest.mark.parametrize("values", VALUES.values(), ids=VALUES.keys())
def test_a_stopping_worker_waits_for_its_last_scrape(values: dict | None) -> None:
    values = {**(values or {}), "serviceMonitor": {"enabled": True, "interval": "30s"}}
    docs = render(values)
    worker = named(docs, "Deployment", "-worker")["spec"]["template"]["spec"]
    (command,) = [c["command"] for c in worker["containers"] if c["name"] == "worker"]
    graceful = int(_flag(command, "--graceful-shutdown-seconds"))
    final_scrape = int(_flag(command, "--metrics-final-scrape-seconds"))
    assert final_scrape > 30  # longer than the scrape interval
    # Kubernetes waits for the activities and the last scrape before it kills the pod ...
    assert worker["terminationGracePeriodSeconds"] > graceful + final_scrape
    # ... and Prometheus still finds the terminating pod to scrape.
    assert named(docs, "Service", "-worker-metrics")["spec"]["publishNotReadyAddresses"] is True


def _flag(command: list[str], name: str) -> str:
    (value,) = [arg.split("=", 1)[1] for arg in command if arg.startswith(f"{name}=")]
    return value


@pytest.mark.parametrize("values", VALUES.values(), ids=VALUES.keys())
def test_pods_run_as_non_root_on_a_read_only_filesystem(values: dict | None) -> None:
    docs = render(values)
    for doc in docs:
        if doc["kind"] not in ("Deployment", "Job"):
            continue
        pod = doc["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, doc["metadata"]["name"]
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True
            assert security["allowPrivilegeEscalation"] is False
            assert container["resources"]["limits"], container["name"]


@pytest.mark.parametrize("values", VALUES.values(), ids=VALUES.keys())
def test_selectors_and_ports_line_up(values: dict | None) -> None:
    docs = render(values)
    pod_labels = [d["spec"]["template"]["metadata"]["labels"] for d in of_kind(docs, "Deployment")]

    def selects_a_pod(selector: dict) -> bool:
        return any(selector.items() <= labels.items() for labels in pod_labels)

    for service in of_kind(docs, "Service"):
        assert selects_a_pod(service["spec"]["selector"]), service["metadata"]["name"]
    for pdb in of_kind(docs, "PodDisruptionBudget"):
        assert selects_a_pod(pdb["spec"]["selector"]["matchLabels"])
    for policy in of_kind(docs, "NetworkPolicy"):
        assert selects_a_pod(policy["spec"]["podSelector"]["matchLabels"])
    services = of_kind(docs, "Service")
    for monitor in of_kind(docs, "ServiceMonitor"):
        selector = monitor["spec"]["selector"]["matchLabels"]
        matching = [s for s in services if selector.items() <= s["metadata"]["labels"].items()]
        assert matching, monitor["metadata"]["name"]
        ports = {p["name"] for s in matching for p in s["spec"]["ports"]}
        assert {e["port"] for e in monitor["spec"]["endpoints"]} <= ports


def test_every_variable_the_chart_sets_is_read_by_the_code() -> None:
    known = {field.upper() for field in Settings.model_fields}
    # Read by the temporal CLI in the set-current-version hook, not by our settings.
    cli = {"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_TLS", "TEMPORAL_API_KEY"}
    for values in VALUES.values():
        docs = render(values)
        config = named(docs, "ConfigMap", "marketing-agent")["data"]
        extra = set((values or {}).get("config", {}).get("extraEnv", {}))
        assert set(config) - extra <= known, set(config) - extra - known
        for container in containers(docs):
            names = {env["name"] for env in container.get("env", [])}
            assert names <= known | cli, (container["name"], names - known - cli)


def test_production_values_wire_temporal_cloud_keda_and_worker_versioning() -> None:
    docs = render(PRODUCTION)
    worker = named(docs, "Deployment", "-worker")["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in worker["env"]}
    assert env["TEMPORAL_DEPLOYMENT_NAME"]["value"] == "agent-marketing-agent"
    assert env["TEMPORAL_BUILD_ID"]["value"] == PRODUCTION["image"]["tag"]
    assert env["TEMPORAL_API_KEY"]["valueFrom"]["secretKeyRef"] == {
        "name": "temporal-cloud",
        "key": "api-key",
    }
    assert env["LLM_API_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "openai"
    assert {"secretRef": {"name": "ad-platform-credentials"}} in worker["envFrom"]
    # KEDA replaces the CPU HPA, and scales on the backlog of this build's task queue.
    assert not of_kind(docs, "HorizontalPodAutoscaler")
    (scaled,) = of_kind(docs, "ScaledObject")
    assert scaled["spec"]["scaleTargetRef"]["name"] == "agent-marketing-agent-worker"
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "temporal"
    assert trigger["metadata"]["taskQueue"] == "marketing-agent"
    assert trigger["metadata"]["workerDeploymentBuildId"] == "1.4.2"
    assert trigger["authenticationRef"]["name"] in {
        d["metadata"]["name"] for d in of_kind(docs, "TriggerAuthentication")
    }
    hook = named(docs, "Job", "-set-current-version")
    command = hook["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[:4] == ["temporal", "worker", "deployment", "set-current-version"]
    assert "--build-id=1.4.2" in command
    assert not [d for d in docs if d["metadata"]["name"].endswith("-simulator")]
    config = named(docs, "ConfigMap", "marketing-agent")["data"]
    assert config["AD_PLATFORM_URL"] == PRODUCTION["adPlatform"]["url"]
    assert config["TEMPORAL_TLS"] == "true" and config["OTEL_TRACES_EXPORTER"] == "otlp"


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"config": {"reasoner": "gpt-5"}}, "/config/reasoner"),
        ({"api": {"replicas": 0}}, "/api/replicas"),
        ({"temporal": {"address": "temporal-without-port"}}, "/temporal/address"),
        ({"podSecurityContext": {"runAsNonRoot": False}}, "/podSecurityContext/runAsNonRoot"),
        ({"workr": {"replicas": 3}}, "additional properties 'workr'"),
        ({"simulator": {"enabled": False}}, "/simulator/enabled"),  # and no adPlatform.url
    ],
    ids=["unknown-reasoner", "no-api", "address", "root", "typo", "no-platform"],
)
def test_bad_values_are_refused_by_the_schema(values: dict, complaint: str) -> None:
    with helm.Chart.load(CHART) as chart:
        with pytest.raises(helm.HelmValuesError, match=complaint):
            chart.validate_schema(values)
        # helm install/template refuse them the same way.
        with pytest.raises(helm.HelmValuesError):
            chart.render(values, name="agent")
