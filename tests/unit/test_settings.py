"""Settings come from FLEXMIT_* variables; bad ones stop start-up naming the variable."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from consumer import cli, settings
from consumer.errors import ConfigurationError

REQUIRED = {
    "FLEXMIT_FLEX__APP_KEY": "key-123",
    "FLEXMIT_FLEX__APP_SECRET": "very-secret-value",
    "FLEXMIT_FLEX__MID": "11111111-2222-3333-4444-555555555555",
    "FLEXMIT_FLEX__SITE_ID": "66666666-7777-8888-9999-000000000000",
}


@pytest.fixture
def required_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)


@pytest.mark.usefixtures("required_env")
def test_nested_sections_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEXMIT_KAFKA__BOOTSTRAP_SERVERS", "broker-1:9092,broker-2:9092")
    monkeypatch.setenv("FLEXMIT_KAFKA__TOPICS__DECLINED", "psp.declined")
    monkeypatch.setenv("FLEXMIT_WORKER__RESCUE_WINDOW", "P14D")
    monkeypatch.setenv("FLEXMIT_KAFKA__EXTRA", '{"socket.keepalive.enable": true}')
    loaded = settings.load(settings.WorkerCommandSettings)
    assert loaded.kafka.bootstrap_servers == "broker-1:9092,broker-2:9092"
    assert loaded.kafka.topics.declined == "psp.declined"
    assert loaded.worker.rescue_window == timedelta(days=14)
    assert loaded.kafka.client_config()["socket.keepalive.enable"] is True


def test_missing_section_names_each_required_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in REQUIRED:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError) as caught:
        settings.load(settings.WorkerCommandSettings)
    for name in REQUIRED:
        assert f"{name}: Field required" in str(caught.value)


@pytest.mark.usefixtures("required_env")
@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("FLEXMIT_WORKER__RESCUE_WINDOW", "P30D", "between 1 day and 21 days"),
        ("FLEXMIT_WORKER__MAX_IN_FLIGHT", "0", "greater than or equal to 1"),
        ("FLEXMIT_STORE__URL", "mysql://x", "sqlite:/// or postgresql://"),
        ("FLEXMIT_WORKER__MAX_INFLIGHT", "10", "Extra inputs are not permitted"),
    ],
)
def test_wrong_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=f"{variable}: .*{message}"):
        settings.load(settings.WorkerCommandSettings)


@pytest.mark.usefixtures("required_env")
def test_cli_exits_2_on_bad_configuration(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FLEXMIT_WORKER__MAX_DECLINE_AGE", "yesterday")
    assert cli.main(["config", "worker"]) == cli.EXIT_USAGE
    assert "FLEXMIT_WORKER__MAX_DECLINE_AGE" in capsys.readouterr().err


@pytest.mark.usefixtures("required_env")
def test_secrets_never_reach_output_or_repr(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["config", "worker"]) == cli.EXIT_OK
    printed = capsys.readouterr().out
    assert "FLEXMIT_FLEX__MID=11111111-2222-3333-4444-555555555555" in printed
    assert "very-secret-value" not in printed
    loaded = settings.load(settings.WorkerCommandSettings)
    assert "very-secret-value" not in repr(loaded)
    assert "very-secret-value" not in str(loaded)


WEBHOOK_KEYS = '["c3Vic2NyaWJlci1rZXktb25l", "c3Vic2NyaWJlci1rZXktdHdv"]'


@pytest.mark.usefixtures("required_env")
def test_webhook_settings_read_the_keys_as_a_json_list_and_hide_them(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FLEXMIT_WEBHOOKS__SUBSCRIBER_KEYS", WEBHOOK_KEYS)
    monkeypatch.setenv("FLEXMIT_WEBHOOKS__CLOCK_SKEW", "120")
    loaded = settings.load(settings.WebhookCommandSettings)
    hooks = loaded.webhooks
    assert [key.get_secret_value() for key in hooks.subscriber_keys] == json.loads(WEBHOOK_KEYS)
    assert (hooks.port, hooks.clock_skew, hooks.public_host, hooks.tls) == (
        8080, timedelta(minutes=2), None, False,
    )  # fmt: skip
    assert cli.main(["config", "webhooks"]) == cli.EXIT_OK
    printed = capsys.readouterr().out
    assert "FLEXMIT_WEBHOOKS__PORT=8080" in printed
    assert "c3Vic2NyaWJlci1rZXk" not in printed + repr(loaded)


@pytest.mark.usefixtures("required_env")
@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("FLEXMIT_WEBHOOKS__SUBSCRIBER_KEYS", '["c2VjcmV0", "not base64!"]',
         "key number 2 is not valid base64"),
        ("FLEXMIT_WEBHOOKS__SUBSCRIBER_KEYS", "[]", "at least 1 item"),
        ("FLEXMIT_WEBHOOKS__PUBLIC_HOST", "https://hooks.example.com/", "bare host name"),
        ("FLEXMIT_WEBHOOKS__TLS_CERT_FILE", "/etc/tls/tls.crt", "both TLS_CERT_FILE and"),
        ("FLEXMIT_WEBHOOKS__RECONCILE_INTERVAL", "0", "greater than"),
    ],
)  # fmt: skip
def test_wrong_webhook_values_name_the_variable_but_never_the_key(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv("FLEXMIT_WEBHOOKS__SUBSCRIBER_KEYS", WEBHOOK_KEYS)
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=message) as caught:
        settings.load(settings.WebhookCommandSettings)
    assert "FLEXMIT_WEBHOOKS" in str(caught.value)
    assert "not base64!" not in str(caught.value)


def test_the_receiver_needs_its_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLEXMIT_WEBHOOKS__SUBSCRIBER_KEYS", raising=False)
    with pytest.raises(ConfigurationError, match="FLEXMIT_WEBHOOKS__SUBSCRIBER_KEYS"):
        settings.load(settings.WebhookCommandSettings)
