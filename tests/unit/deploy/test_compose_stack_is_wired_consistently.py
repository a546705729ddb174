"""The compose stack's services find each other: topics, credentials, ports and files agree."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from consumer.settings import Topics, WorkerSettings
from tests.unit.deploy.artefacts import (
    GRAFANA,
    PARTITIONS,
    PROMETHEUS,
    compose_environment,
    compose_services,
    load_yaml,
)


def _service(name: str) -> dict[str, Any]:
    service: dict[str, Any] = compose_services()[name]
    return service


def _seconds(duration: str) -> int:
    match = re.fullmatch(r"(\d+)s", duration)
    assert match, f"write compose durations in seconds: {duration}"
    return int(match[1])


@pytest.mark.parametrize("command", ["worker", "webhooks", "sandbox"])
def test_flexmit_services_run_their_command_from_the_built_image(command: str) -> None:
    service = _service(command)
    assert service["command"] == [command]
    assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert service["read_only"] is True


def test_two_workers_get_time_to_drain_before_sigkill() -> None:
    worker = _service("worker")
    assert worker["deploy"]["replicas"] == 2
    drain = WorkerSettings().drain_timeout.total_seconds()
    assert "FLEXMIT_WORKER__DRAIN_TIMEOUT" not in compose_environment(worker)
    assert _seconds(worker["stop_grace_period"]) > drain


def test_kafka_is_a_single_kraft_node_without_auto_created_topics() -> None:
    environment = _service("kafka")["environment"]
    assert _service("kafka")["image"].startswith("apache/kafka:")
    assert environment["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert environment["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    bootstrap = compose_environment(_service("worker"))["FLEXMIT_KAFKA__BOOTSTRAP_SERVERS"]
    assert f"PLAINTEXT://{bootstrap}" in environment["KAFKA_ADVERTISED_LISTENERS"].split(",")


def test_topic_init_creates_every_topic_before_the_services_start() -> None:
    (script,) = _service("kafka-topics")["command"]
    loop = re.search(r"for topic in ([^;]+);", script)
    assert loop
    assert set(loop[1].split()) == set(Topics().model_dump().values())
    assert f"--partitions {PARTITIONS}" in script
    for name in ("worker", "webhooks"):
        condition = _service(name)["depends_on"]["kafka-topics"]["condition"]
        assert condition == "service_completed_successfully"


def test_store_url_logs_in_to_the_compose_database() -> None:
    database = compose_environment(_service("postgres"))
    for name in ("worker", "webhooks"):
        url = urlsplit(compose_environment(_service(name))["FLEXMIT_STORE__URL"])
        assert (url.hostname, url.port) == ("postgres", 5432)
        assert (url.username, url.password) == (
            database["POSTGRES_USER"],
            database["POSTGRES_PASSWORD"],
        )
        assert url.path == f"/{database['POSTGRES_DB']}"


def test_sandbox_signs_webhooks_with_a_key_the_receiver_accepts() -> None:
    sandbox = compose_environment(_service("sandbox"))
    receiver = compose_environment(_service("webhooks"))
    accepted = json.loads(receiver["FLEXMIT_WEBHOOKS__SUBSCRIBER_KEYS"])
    assert sandbox["FLEXMIT_SANDBOX__WEBHOOK_KEY"] in accepted
    port = receiver["FLEXMIT_WEBHOOKS__PORT"]
    assert sandbox["FLEXMIT_SANDBOX__WEBHOOK_URL"] == f"http://webhooks:{port}/webhooks/flex"
    # The receiver checks the signature against the host name the simulator signs.
    signed = sandbox.get("FLEXMIT_SANDBOX__WEBHOOK_HOST", "webhooks")
    assert receiver.get("FLEXMIT_WEBHOOKS__PUBLIC_HOST", "webhooks") == signed
    worker = compose_environment(_service("worker"))
    assert (
        worker["FLEXMIT_FLEX__BASE_URL"] == f"http://sandbox:{sandbox['FLEXMIT_SANDBOX__PORT']}/v1/"
    )
    # The simulator answers 403 to any other merchant and 400 to other credentials; the
    # receiver's reconciler calls it too.
    for client in (worker, receiver):
        assert client["FLEXMIT_FLEX__BASE_URL"] == worker["FLEXMIT_FLEX__BASE_URL"]
        for name in ("MID", "SITE_ID", "APP_KEY", "APP_SECRET"):
            assert sandbox[f"FLEXMIT_SANDBOX__{name}"] == client[f"FLEXMIT_FLEX__{name}"]


def test_healthchecks_ask_each_service_on_its_own_port() -> None:
    ports = {
        "worker": compose_environment(_service("worker"))["FLEXMIT_METRICS__PORT"],
        "webhooks": compose_environment(_service("webhooks"))["FLEXMIT_WEBHOOKS__PORT"],
        "sandbox": compose_environment(_service("sandbox"))["FLEXMIT_SANDBOX__PORT"],
    }
    for name, port in ports.items():
        probe = " ".join(_service(name)["healthcheck"]["test"])
        assert re.search(rf"http://127\.0\.0\.1:{port}/(healthz|readyz)", probe), name


def test_prometheus_scrapes_the_ports_the_services_serve_and_loads_the_rules() -> None:
    config = load_yaml(PROMETHEUS / "prometheus.yml")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    (workers,) = jobs["flexmit-worker"]["dns_sd_configs"]
    assert workers["names"] == ["worker"]
    assert str(workers["port"]) == compose_environment(_service("worker"))["FLEXMIT_METRICS__PORT"]
    port = compose_environment(_service("webhooks"))["FLEXMIT_WEBHOOKS__PORT"]
    assert jobs["flexmit-webhooks"]["static_configs"] == [{"targets": [f"webhooks:{port}"]}]
    assert config["rule_files"] == ["alerts.yml"]
    mounts = _service("prometheus")["volumes"]
    assert "./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in mounts
    assert "./prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro" in mounts


def test_grafana_is_provisioned_with_prometheus_and_the_dashboards() -> None:
    mounts = dict(volume.rsplit(":", 1)[0].split(":") for volume in _service("grafana")["volumes"])
    assert mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"
    (provider,) = load_yaml(GRAFANA / "provisioning/dashboards/flexmit.yaml")["providers"]
    assert mounts["./grafana/dashboards"] == provider["options"]["path"]
    (source,) = load_yaml(GRAFANA / "provisioning/datasources/prometheus.yaml")["datasources"]
    assert (urlsplit(source["url"]).hostname, urlsplit(source["url"]).port) == ("prometheus", 9090)
