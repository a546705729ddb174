"""Sandbox settings come from FLEXMIT_SANDBOX__* variables, secrets masked in `config`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consumer import cli, settings
from consumer.errors import ConfigurationError


def test_sandbox_settings_read_nested_fault_knobs_and_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLEXMIT_SANDBOX__PORT", "8799")
    monkeypatch.setenv("FLEXMIT_SANDBOX__TOKEN_TTL", "1.5")
    monkeypatch.setenv("FLEXMIT_SANDBOX__WEBHOOK_BACKOFF", "PT0.25S")
    monkeypatch.setenv("FLEXMIT_SANDBOX__FAULTS__ERROR_503_RATE", "0.2")
    monkeypatch.setenv("FLEXMIT_SANDBOX__WEBHOOK_URL", "https://shop.example:8443/hooks")
    loaded = settings.load(settings.SandboxCommandSettings).sandbox
    assert loaded.port == 8799
    assert loaded.token_ttl == timedelta(seconds=1.5)
    assert loaded.webhook_backoff == timedelta(milliseconds=250)
    assert loaded.faults.error_503_rate == 0.2
    assert loaded.signed_host() == "shop.example"


def test_a_rate_above_one_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEXMIT_SANDBOX__FAULTS__TIMEOUT_RATE", "1.5")
    with pytest.raises(ConfigurationError, match="FLEXMIT_SANDBOX__FAULTS__TIMEOUT_RATE"):
        settings.load(settings.SandboxCommandSettings)


def test_config_sandbox_masks_the_secrets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FLEXMIT_SANDBOX__APP_SECRET", "very-secret-sandbox-value")
    assert cli.main(["config", "sandbox"]) == cli.EXIT_OK
    printed = capsys.readouterr().out
    assert "FLEXMIT_SANDBOX__PORT=8700" in printed
    assert "FLEXMIT_SANDBOX__APP_SECRET=**********" in printed
    assert "very-secret-sandbox-value" not in printed
