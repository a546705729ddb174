"""Readers for the files under deploy/, shared by the tests of that folder."""

from __future__ import annotations

import inspect
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from consumer import cli, settings
from consumer.kafka.topics import ensure_topics

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
K8S = DEPLOY / "k8s"
PROMETHEUS = DEPLOY / "prometheus"
GRAFANA = DEPLOY / "grafana"

# The partitions our tooling gives each topic (devstack, compose): more workers would idle.
PARTITIONS: int = inspect.signature(ensure_topics).parameters["partitions"].default

# Variables deploy/ may mention before the section that reads them exists (none now); the test
# that uses this list fails as soon as such a section exists, naming what to remove.
PENDING_VARIABLES: frozenset[str] = frozenset()


def load_yaml(path: Path) -> Any:
    """The single YAML document in ``path``."""
    return yaml.safe_load(path.read_text())


def compose_services() -> dict[str, Any]:
    """The services of deploy/compose.yaml, with YAML merge keys resolved."""
    services: dict[str, Any] = load_yaml(DEPLOY / "compose.yaml")["services"]
    return services


def k8s_object(name: str) -> dict[str, Any]:
    """The Kubernetes object in ``deploy/k8s/<name>.yaml``."""
    found: dict[str, Any] = load_yaml(K8S / f"{name}.yaml")
    return found


def k8s_manifests() -> list[Path]:
    """Every Kubernetes object file (not the kustomization)."""
    return sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a compose env file; blank lines and # comments skipped."""
    lines = (line.strip() for line in path.read_text().splitlines())
    pairs = (line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def compose_environment(service: dict[str, Any]) -> dict[str, str]:
    """What a compose service's process sees: its env_files, then `environment` on top."""
    variables: dict[str, str] = {}
    for name in service.get("env_file", []):
        variables |= env_file(DEPLOY / name)
    variables |= {key: str(value) for key, value in service.get("environment", {}).items()}
    return variables


def k8s_environment(container: dict[str, Any]) -> dict[str, str]:
    """What a container sees: flexmit-config, then its env (secrets from the template)."""
    variables: dict[str, str] = {}
    for source in container.get("envFrom", []):
        assert source["configMapRef"]["name"] == "flexmit-config"
        variables |= k8s_object("configmap")["data"]
    secret = k8s_object("secret.template")["stringData"]
    for entry in container.get("env", []):
        if "value" in entry:
            variables[entry["name"]] = entry["value"]
        else:
            variables[entry["name"]] = secret[entry["valueFrom"]["secretKeyRef"]["key"]]
    return variables


def only_container(deployment: dict[str, Any]) -> dict[str, Any]:
    """The one container of a Deployment's pods."""
    containers: list[dict[str, Any]] = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def load_settings(
    monkeypatch: pytest.MonkeyPatch, command: str, environment: dict[str, str]
) -> Any:
    """``command``'s settings read from exactly ``environment`` (no FLEXMIT_* of this shell)."""
    for name in os.environ:
        if name.startswith(settings.ENV_PREFIX):
            monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return settings.load(cli.CONFIGURED_COMMANDS[command])


def setting_variables(model: type[BaseModel], prefix: str = "FLEXMIT_") -> set[str]:
    """Every environment variable a settings model reads, walking nested sections."""
    names: set[str] = set()
    for name, field in model.model_fields.items():
        variable = prefix + name.upper()
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= setting_variables(annotation, variable + "__")
        else:
            names.add(variable)
    return names


def configured_variables() -> set[str]:
    """The variables of every command `flexmit config` knows."""
    return set().union(*(setting_variables(m) for m in cli.CONFIGURED_COMMANDS.values()))


def referenced_variables(text: str) -> set[str]:
    """FLEXMIT_* names mentioned in ``text``."""
    return set(re.findall(r"\bFLEXMIT_[A-Z0-9_]*[A-Z0-9]", text))


def deploy_files() -> Iterator[Path]:
    """Every file under deploy/."""
    return (path for path in sorted(DEPLOY.rglob("*")) if path.is_file())


def promtool(*args: str | Path, cwd: Path = PROMETHEUS) -> subprocess.CompletedProcess[str]:
    """Run promtool; fail (never skip) when it is not installed."""
    binary = shutil.which("promtool")
    if binary is None:
        pytest.fail("promtool not found: run `make system-packages` (Debian package prometheus)")
    command = [binary, *(str(arg) for arg in args)]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
