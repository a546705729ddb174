"""Prometheus accepts the rules and config, the alerts fire as specified, and alerts and
dashboard query only metrics flexmit exports."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from consumer.metrics import Metrics
from tests.unit.deploy.artefacts import GRAFANA, PROMETHEUS, load_yaml, promtool

# The series names each metric family of a flexmit process is exposed as.
_SUFFIXES = {"counter": ["_total"], "gauge": [""], "histogram": ["_bucket", "_sum", "_count"]}
EXPORTED = {
    family.name + suffix
    for family in Metrics().registry.collect()
    for suffix in _SUFFIXES[family.type]
}
# Grafana's variables, replaced by a value so that promtool can parse the query.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h"}


def _rules() -> list[dict[str, Any]]:
    groups = load_yaml(PROMETHEUS / "alerts.yml")["groups"]
    return [rule for group in groups for rule in group["rules"]]


def _alerts() -> list[dict[str, Any]]:
    return [rule for rule in _rules() if "alert" in rule]


def _dashboard() -> dict[str, Any]:
    dashboard: dict[str, Any] = json.loads((GRAFANA / "dashboards/flexmit.json").read_text())
    return dashboard


def _queries() -> list[str]:
    panels = [panel for panel in _dashboard()["panels"] if panel["type"] != "row"]
    return [target["expr"] for panel in panels for target in panel["targets"]]


def _metrics(promql: str) -> set[str]:
    # Recorded series (level:metric:operations) are checked against the recording rules.
    return set(re.findall(r"(?<![:\w])flexmit_[a-z0-9_]+(?![:\w])", promql))


def _recorded(promql: str) -> set[str]:
    return set(re.findall(r"\b[a-z_]+:[a-z0-9_]+:[a-z0-9_]+\b", promql))


def _passes(*args: str | Path) -> None:
    result = promtool(*args)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_the_alert_rules() -> None:
    _passes("check", "rules", "alerts.yml")


def test_promtool_accepts_the_compose_prometheus_config() -> None:
    _passes("check", "config", "prometheus.yml")


def test_alerts_fire_as_their_unit_tests_specify() -> None:
    _passes("test", "rules", "alerts.test.yml")


def test_every_alert_has_a_unit_test() -> None:
    tests = load_yaml(PROMETHEUS / "alerts.test.yml")["tests"]
    tested = {case["alertname"] for test in tests for case in test["alert_rule_test"]}
    assert tested == {alert["alert"] for alert in _alerts()}


@pytest.mark.parametrize("alert", _alerts(), ids=lambda alert: alert["alert"])
def test_alert_waits_is_graded_and_explains_itself(alert: dict[str, Any]) -> None:
    assert re.fullmatch(r"\d+[smh]", alert["for"])
    assert alert["labels"]["severity"] in {"warning", "critical"}
    assert set(alert["annotations"]) >= {"summary", "description"}


def test_alerts_query_only_exported_metrics() -> None:
    used = set().union(*(_metrics(rule["expr"]) for rule in _rules()))
    assert used <= EXPORTED, f"not exported by flexmit: {sorted(used - EXPORTED)}"
    records = {rule["record"] for rule in _rules() if "record" in rule}
    assert set().union(*(_recorded(rule["expr"]) for rule in _rules())) <= records


def test_dashboard_queries_only_exported_or_recorded_metrics() -> None:
    used = set().union(*(_metrics(query) for query in _queries()))
    assert used <= EXPORTED, f"not exported by flexmit: {sorted(used - EXPORTED)}"
    records = {rule["record"] for rule in _rules() if "record" in rule}
    assert set().union(*(_recorded(query) for query in _queries())) <= records


def test_dashboard_queries_parse_as_promql(tmp_path: Path) -> None:
    rules = []
    for number, query in enumerate(_queries()):
        for variable, value in GRAFANA_VARIABLES.items():
            query = query.replace(variable, value)
        rules.append({"record": f"dashboard:query_{number}:check", "expr": query})
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    _passes("check", "rules", path)


def test_dashboard_shows_throughput_flex_consumer_and_webhook_signals() -> None:
    used = set().union(*(_metrics(q) | _recorded(q) for q in _queries()))
    assert {
        "flexmit_records_handled_total",
        "flexmit_flex_request_duration_seconds_bucket",
        "flexmit_flex_requests_total",
        "endpoint:flexmit_flex_errors:ratio_rate5m",
        "flexmit_in_flight_records",
        "flexmit_paused_partitions",
        "topic:flexmit_consumer_lag:sum",
        "flexmit_dead_letters_total",
        "flexmit_webhooks_received_total",
        "flexmit_orders_pending",
    } <= used


def test_dashboard_panels_use_the_provisioned_datasource() -> None:
    (source,) = load_yaml(GRAFANA / "provisioning/datasources/prometheus.yaml")["datasources"]
    panels = [panel for panel in _dashboard()["panels"] if panel["type"] != "row"]
    assert panels
    for panel in panels:
        assert panel["datasource"]["uid"] == source["uid"], panel["title"]
        assert {target["datasource"]["uid"] for target in panel["targets"]} == {source["uid"]}
