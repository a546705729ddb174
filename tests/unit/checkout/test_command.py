"""``flexmit checkout`` reads its own settings and refuses to start without a tokenization key."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consumer import cli, settings
from consumer.errors import ConfigurationError

FLEX = {
    "FLEXMIT_FLEX__APP_KEY": "key-123",
    "FLEXMIT_FLEX__APP_SECRET": "very-secret-value",
    "FLEXMIT_FLEX__MID": "11111111-2222-3333-4444-555555555555",
    "FLEXMIT_FLEX__SITE_ID": "66666666-7777-8888-9999-000000000000",
}


@pytest.fixture
def flex_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in FLEX.items():
        monkeypatch.setenv(name, value)


@pytest.mark.usefixtures("flex_env")
def test_config_checkout_prints_its_sections_with_secrets_masked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FLEXMIT_FLEX__TOKENIZATION_KEY", "tokenization-secret")
    monkeypatch.setenv("FLEXMIT_CHECKOUT__PORT", "9000")
    assert cli.main(["config", "checkout"]) == cli.EXIT_OK
    printed = capsys.readouterr().out
    assert "FLEXMIT_CHECKOUT__PORT=9000" in printed
    assert "FLEXMIT_CHECKOUT__SENSEJS_URL=http://127.0.0.1:8700/sensejs/widget.js" in printed
    assert "FLEXMIT_KAFKA__TOPICS__APPROVED=payment-approved" in printed
    assert "FLEXMIT_FLEX__TOKENIZATION_KEY=**********" in printed
    assert "tokenization-secret" not in printed


@pytest.mark.usefixtures("flex_env")
def test_checkout_without_a_tokenization_key_exits_2_naming_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["checkout"]) == cli.EXIT_USAGE
    assert "FLEXMIT_FLEX__TOKENIZATION_KEY" in capsys.readouterr().err


def test_checkout_settings_read_durations_and_the_decline_rule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLEXMIT_CHECKOUT__PSP_LATENCY", "0.2")
    monkeypatch.setenv("FLEXMIT_CHECKOUT__SENSE_KEY_WAIT", "PT1S")
    monkeypatch.setenv("FLEXMIT_CHECKOUT__PSP_DECLINE_CENTS", "13")
    loaded = settings.load(settings.CheckoutCommandSettings, flex=_flex())
    assert loaded.checkout.psp_latency == timedelta(milliseconds=200)
    assert loaded.checkout.sense_key_wait == timedelta(seconds=1)
    assert loaded.checkout.psp_decline_cents == "13"


@pytest.mark.parametrize(
    ("variable", "value"),
    [("FLEXMIT_CHECKOUT__PSP_DECLINE_CENTS", "5"), ("FLEXMIT_CHECKOUT__CURRENCY", "usd")],
)
def test_bad_checkout_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=variable):
        settings.load(settings.CheckoutCommandSettings, flex=_flex())


def _flex() -> settings.FlexSettings:
    return settings.FlexSettings.model_validate(
        {"app_key": "k", "app_secret": "s", "mid": "m", "site_id": "s"}
    )
