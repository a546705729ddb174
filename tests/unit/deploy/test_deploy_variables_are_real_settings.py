"""Every FLEXMIT_* variable deploy/ sets or mentions is a real setting, and services start valid."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from consumer import cli, settings
from tests.unit.deploy.artefacts import (
    DEPLOY,
    PENDING_VARIABLES,
    compose_environment,
    compose_services,
    configured_variables,
    deploy_files,
    k8s_environment,
    k8s_object,
    load_settings,
    only_container,
    referenced_variables,
    setting_variables,
)


@pytest.mark.parametrize("path", list(deploy_files()), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_flexmit_variable_mentioned_is_a_setting(path: Path) -> None:
    unknown = referenced_variables(path.read_text()) - configured_variables() - PENDING_VARIABLES
    assert not unknown, f"not settings of any `flexmit config` command: {sorted(unknown)}"


def test_pending_variables_are_used_and_their_sections_are_still_missing() -> None:
    mentioned = set().union(*(referenced_variables(p.read_text()) for p in deploy_files()))
    assert mentioned >= PENDING_VARIABLES, "drop unused names from PENDING_VARIABLES"
    sections = {name.removeprefix("FLEXMIT_").split("__")[0].lower() for name in PENDING_VARIABLES}
    present = sections & _configured_sections()
    assert not present, f"sections {present} exist now: check names, empty PENDING_VARIABLES"


def test_the_variable_walker_finds_nested_and_required_settings() -> None:
    found = setting_variables(settings.WorkerCommandSettings)
    assert {
        "FLEXMIT_FLEX__APP_SECRET",
        "FLEXMIT_KAFKA__TOPICS__DECLINED",
        "FLEXMIT_WORKER__DRAIN_TIMEOUT",
        "FLEXMIT_METRICS__PORT",
    } <= found
    assert "FLEXMIT_KAFKA__TOPICS" not in found


def _configured_sections() -> set[str]:
    return {name for model in cli.CONFIGURED_COMMANDS.values() for name in model.model_fields}


def _flexmit_services() -> list[tuple[str, str, dict[str, str]]]:
    """(where, command, environment) of every compose service and Deployment running flexmit."""
    found = [
        (f"compose {name}", service["command"][0], compose_environment(service))
        for name, service in compose_services().items()
        if service.get("image", "").startswith("flexmit")
    ]
    for name in ("worker-deployment", "webhooks-deployment"):
        container = only_container(k8s_object(name))
        found.append((f"k8s {name}", container["args"][0], k8s_environment(container)))
    return found


def _configured_services() -> list[Any]:
    return [
        pytest.param(command, environment, id=where)
        for where, command, environment in _flexmit_services()
        if command in cli.CONFIGURED_COMMANDS
    ]


@pytest.mark.parametrize(("command", "environment"), _configured_services())
def test_service_environment_is_a_valid_configuration(
    monkeypatch: pytest.MonkeyPatch, command: str, environment: dict[str, str]
) -> None:
    # Raises ConfigurationError, naming each bad or missing variable, when it is not.
    load_settings(monkeypatch, command, environment)


@pytest.mark.parametrize(
    "environment",
    [pytest.param(env, id=where) for where, cmd, env in _flexmit_services() if cmd == "worker"],
)
def test_replicated_workers_share_a_postgresql_store(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]
) -> None:
    loaded = load_settings(monkeypatch, "worker", environment)
    assert loaded.store.url.startswith("postgresql://")


def test_compose_and_k8s_run_worker_webhooks_and_sandbox() -> None:
    commands = {(where.split()[0], command) for where, command, _ in _flexmit_services()}
    assert commands == {
        ("compose", "worker"),
        ("compose", "webhooks"),
        ("compose", "sandbox"),
        ("k8s", "worker"),
        ("k8s", "webhooks"),
    }
