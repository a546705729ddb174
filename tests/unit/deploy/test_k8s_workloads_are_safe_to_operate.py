"""The Kubernetes workloads drain before SIGKILL, probe and expose the right ports, run
unprivileged with bounded resources, and are reachable only where they should be."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.deploy.artefacts import (
    PARTITIONS,
    k8s_environment,
    k8s_object,
    load_settings,
    only_container,
)

DEPLOYMENTS = ["worker-deployment", "webhooks-deployment"]


def _pod(name: str) -> dict[str, Any]:
    pod: dict[str, Any] = k8s_object(name)["spec"]["template"]
    return pod


def _port(container: dict[str, Any], port: int | str) -> int:
    """A probe's or Service's port, resolved when it is a container port's name."""
    if isinstance(port, int):
        return port
    (number,) = [p["containerPort"] for p in container["ports"] if p["name"] == port]
    return int(number)


def _served_port(name: str) -> int:
    """The port the container's process listens on, according to its own settings."""
    environment = k8s_environment(only_container(k8s_object(name)))
    variable = "FLEXMIT_METRICS__PORT" if name == "worker-deployment" else "FLEXMIT_WEBHOOKS__PORT"
    return int(environment[variable])


def test_worker_grace_period_outlasts_its_drain_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    environment = k8s_environment(only_container(k8s_object("worker-deployment")))
    drain = load_settings(monkeypatch, "worker", environment).worker.drain_timeout
    grace = _pod("worker-deployment")["spec"]["terminationGracePeriodSeconds"]
    assert grace >= drain.total_seconds() + 10, "leave time to commit offsets and leave the group"


def test_worker_metrics_port_is_the_one_it_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    environment = k8s_environment(only_container(k8s_object("worker-deployment")))
    assert load_settings(monkeypatch, "worker", environment).metrics.port == 9464
    assert _served_port("worker-deployment") == 9464


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_probes_ask_for_liveness_and_readiness_on_the_served_port(name: str) -> None:
    container = only_container(k8s_object(name))
    probes = {
        kind: (probe["httpGet"]["path"], _port(container, probe["httpGet"]["port"]))
        for kind, probe in container.items()
        if kind.endswith("Probe")
    }
    port = _served_port(name)
    assert probes["livenessProbe"] == ("/healthz", port)
    assert probes["readinessProbe"] == ("/readyz", port)
    assert set(probes.values()) <= {("/healthz", port), ("/readyz", port)}


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_pods_are_scraped_where_metrics_are_served(name: str) -> None:
    annotations = _pod(name)["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == "/metrics"
    assert int(annotations["prometheus.io/port"]) == _served_port(name)


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_pods_run_unprivileged_on_a_read_only_root(name: str) -> None:
    spec = _pod(name)["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] > 0
    assert spec["automountServiceAccountToken"] is False
    context = only_container(k8s_object(name))["securityContext"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_containers_request_and_limit_cpu_and_memory(name: str) -> None:
    resources = only_container(k8s_object(name))["resources"]
    assert set(resources["requests"]) == {"cpu", "memory"}
    assert set(resources["limits"]) == {"cpu", "memory"}


@pytest.mark.parametrize(
    ("budget", "deployment"),
    [("worker-pdb", "worker-deployment"), ("webhooks-pdb", "webhooks-deployment")],
)
def test_disruption_budget_covers_its_deployment(budget: str, deployment: str) -> None:
    selector = k8s_object(budget)["spec"]["selector"]["matchLabels"]
    assert selector == k8s_object(deployment)["spec"]["selector"]["matchLabels"]
    assert selector.items() <= _pod(deployment)["metadata"]["labels"].items()


def test_service_sends_traffic_to_the_receiver_port() -> None:
    service = k8s_object("webhooks-service")["spec"]
    assert service["selector"].items() <= _pod("webhooks-deployment")["metadata"]["labels"].items()
    container = only_container(k8s_object("webhooks-deployment"))
    (port,) = service["ports"]
    assert _port(container, port["targetPort"]) == _served_port("webhooks-deployment")


def test_ingress_publishes_only_the_webhook_path_over_tls() -> None:
    spec = k8s_object("webhooks-ingress")["spec"]
    (rule,) = spec["rules"]
    (tls,) = spec["tls"]
    assert tls["hosts"] == [rule["host"]]
    assert tls["secretName"]
    (path,) = rule["http"]["paths"]
    assert (path["path"], path["pathType"]) == ("/webhooks/flex", "Exact")
    backend = path["backend"]["service"]
    service = k8s_object("webhooks-service")
    assert backend["name"] == service["metadata"]["name"]
    assert backend["port"]["name"] in [p["name"] for p in service["spec"]["ports"]]


def test_receiver_checks_signatures_for_the_ingress_host() -> None:
    # Flex signs the host of the registered URL; the Host header behind the Ingress may differ.
    (rule,) = k8s_object("webhooks-ingress")["spec"]["rules"]
    container = only_container(k8s_object("webhooks-deployment"))
    assert k8s_environment(container)["FLEXMIT_WEBHOOKS__PUBLIC_HOST"] == rule["host"]


def test_keda_scales_the_workers_on_lag_up_to_the_partition_count() -> None:
    spec = k8s_object("worker-scaledobject")["spec"]
    assert spec["scaleTargetRef"]["name"] == k8s_object("worker-deployment")["metadata"]["name"]
    assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"] <= PARTITIONS
    (trigger,) = spec["triggers"]
    assert trigger["type"] == "kafka"
    assert trigger["metadata"]["allowIdleConsumers"] == "false"
    environment = k8s_environment(only_container(k8s_object("worker-deployment")))
    for parameter in ("bootstrapServersFromEnv", "consumerGroupFromEnv"):
        assert trigger["metadata"][parameter] in environment
