"""Paying on the example checkout in headless Chromium publishes an event carrying the sandbox's
vault token and the sense key its SenseJS stand-in issued, and the card number reaches neither
Kafka nor the logs."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, TopicPartition
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from consumer.checkout.server import RunningCheckout, start_in_background
from consumer.events import PaymentApproved, PaymentDeclined
from consumer.sandbox.server import RunningSandbox
from consumer.settings import CheckoutCommandSettings, KafkaSettings, Topics
from tests.kafka_support import new_topic

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
    "--disable-background-networking --disable-component-update --disable-sync"
).split()
# Loggers of this test's own tooling: selenium logs the keys it types, card number included.
DRIVER_LOGGERS = ("selenium", "urllib3")

APPROVED_CARD = "4000 0027 6000 3184"  # the simulated PSP approves it
DECLINED_CARD = "4000 0000 0000 0002"  # the simulated PSP declines it: 05 Do not honor


@dataclass
class Shop:
    """The example checkout, serving against the sandbox and real topics."""

    checkout: RunningCheckout
    sandbox: RunningSandbox
    bootstrap: str
    topics: Topics


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """Debian's headless Chromium driven through Debian's chromedriver; missing ones fail."""
    for path in (CHROMIUM, CHROMEDRIVER):
        assert path.exists(), f"{path} is missing: run `make setup` (Debian chromium-driver)"
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def shop(flex_sandbox: RunningSandbox, kafka_bootstrap: str, unique: str) -> Iterator[Shop]:
    """The checkout on a free port, tokenizing at the sandbox, publishing to fresh topics."""
    topics = Topics(
        approved=new_topic(kafka_bootstrap, f"checkout-approved-{unique}"),
        declined=new_topic(kafka_bootstrap, f"checkout-declined-{unique}"),
    )
    settings = CheckoutCommandSettings.model_validate({
        "checkout": {"port": 0, "sensejs_url": flex_sandbox.root_url + "/sensejs/widget.js"},
        "kafka": KafkaSettings(bootstrap_servers=kafka_bootstrap, topics=topics),
        "flex": {
            "base_url": flex_sandbox.base_url,
            "app_key": flex_sandbox.app_key,
            "app_secret": flex_sandbox.app_secret,
            "mid": flex_sandbox.mid,
            "site_id": flex_sandbox.site_id,
            "tokenization_key": flex_sandbox.tokenization_key,
        },
    })  # fmt: skip
    running = start_in_background(settings)
    try:
        yield Shop(running, flex_sandbox, kafka_bootstrap, topics)
    finally:
        running.stop()


def pay(browser: WebDriver, url: str, card_number: str) -> str:
    """Fill the form as a customer would, submit, and return the confirmation text."""
    browser.get(url)
    fields = {
        "first_name": "Jane", "last_name": "Doe", "email": "jane@example.com",
        "address_line1": "1 Main St", "city": "Austin", "zipcode": "73301",
        "card_number": card_number, "expiry": "09/30", "cvv": "123", "amount": "49.99",
    }  # fmt: skip
    for name, value in fields.items():
        browser.find_element(By.NAME, name).send_keys(value)
    Select(browser.find_element(By.NAME, "country_code")).select_by_visible_text("US")
    browser.find_element(By.ID, "pay").click()
    result = browser.find_element(By.ID, "result")
    WebDriverWait(browser, 10, poll_frequency=0.05).until(
        lambda _: result.get_attribute("data-status") in {"approved", "declined", "error"}
    )
    return result.text


def issued_sense_key(browser: WebDriver) -> str:
    """The sense key the widget handed to this page."""
    key = browser.execute_script("return window.fc.senseKey")
    assert isinstance(key, str)
    return key


def read_one(bootstrap: str, topic: str) -> Message:
    """The first record of a one-partition topic."""
    reader = Consumer({"bootstrap.servers": bootstrap, "group.id": f"reader-{uuid.uuid4()}"})
    try:
        reader.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        for _ in range(100):
            message = reader.poll(0.1)
            if message is not None and message.error() is None:
                return message
    finally:
        reader.close()
    raise AssertionError(f"no record on {topic}")


def record_text(message: Message) -> str:
    """Everything a record carries (key, value, headers), as text."""
    headers = message.headers() or []
    parts = [message.key() or b"", message.value() or b""]
    for name, value in headers.items() if isinstance(headers, dict) else headers:
        parts += [name.encode(), value if isinstance(value, bytes) else (value or "").encode()]
    return " ".join(part.decode("latin-1") for part in parts)


def app_logs(caplog: pytest.LogCaptureFixture) -> str:
    """Log lines of the checkout and the sandbox (this test's own driver left out)."""
    return "\n".join(
        caplog.handler.format(record)
        for record in caplog.records
        if not record.name.startswith(DRIVER_LOGGERS)
    )


@pytest.mark.parametrize(
    ("card_number", "event_type", "topic"),
    [
        (APPROVED_CARD, PaymentApproved, "approved"),
        (DECLINED_CARD, PaymentDeclined, "declined"),
    ],
    ids=["approved", "declined"],
)
def test_checkout_in_a_browser_emits_a_tokenized_event(
    browser: WebDriver,
    shop: Shop,
    caplog: pytest.LogCaptureFixture,
    card_number: str,
    event_type: type[PaymentApproved | PaymentDeclined],
    topic: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    digits = card_number.replace(" ", "")

    confirmation = pay(browser, shop.checkout.url, card_number)
    sense_key = issued_sense_key(browser)
    message = read_one(shop.bootstrap, getattr(shop.topics, topic))

    assert confirmation.startswith(f"Payment {topic}")
    assert f"card ending {digits[-4:]}" in confirmation
    event = event_type.model_validate_json(message.value() or b"")
    ledger = shop.sandbox.admin.ledger()
    assert event.card.token is not None
    vaulted = ledger.vaulted_cards[event.card.token]
    assert (event.card.bin, event.card.last4) == (digits[:6], digits[-4:])
    assert (vaulted.bin, vaulted.last4) == (digits[:6], digits[-4:])
    assert event.sense_key == sense_key == vaulted.sense_key
    assert ledger.sense_keys[sense_key].tokenizations == 1
    assert (message.key() or b"").decode() == event.transaction_id

    logs = app_logs(caplog)
    assert event.transaction_id in logs, "the checkout's log lines were not captured"
    for leaked in (record_text(message), logs, json.dumps(shop.sandbox.admin.ledger_json())):
        assert digits not in leaked
        assert card_number not in leaked
