"""Configuration from environment variables (prefix ``FLEXMIT_``, sections split by ``__``).

Settings are read once, at the edge (``cli.py``), and the sections are passed down. Every
command reads only the sections it needs, so ``flexmit sandbox`` never asks for Flex secrets.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from consumer.errors import ConfigurationError

ENV_PREFIX = "FLEXMIT_"
ENV_NESTED_DELIMITER = "__"


class Section(BaseModel):
    """A settings section; unknown keys are refused so a typo in a variable name is caught."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Topics(Section):
    """Kafka topic names; see the topic table in the README."""

    approved: str = "payment-approved"
    declined: str = "payment-declined"
    order_status: str = "order-status"
    commands: str = "flex-commands"
    flex_events: str = "flex-events"
    dead_letter: str = "flexmit-dead-letter"


class KafkaSettings(Section):
    """Where the cluster is and how to talk to it."""

    bootstrap_servers: str = "127.0.0.1:9092"
    group_id: str = "flexmit-worker"
    client_id: str = "flexmit"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_ca_location: Path | None = None
    # Create missing topics at start-up: for the local broker and the demo, not production.
    create_topics: bool = False
    topic_partitions: Annotated[int, Field(ge=1, le=1000)] = 12
    # Any other librdkafka property, e.g. FLEXMIT_KAFKA__EXTRA='{"socket.keepalive.enable": true}'.
    extra: dict[str, str | int | float | bool] = Field(default_factory=dict)
    # Properties for the group consumer only (session.timeout.ms, group.protocol, ...), so
    # producers and admin clients do not warn about them.
    consumer_extra: dict[str, str | int | float | bool] = Field(default_factory=dict)
    topics: Topics = Topics()

    def client_config(self) -> dict[str, str | int | float | bool]:
        """The librdkafka properties shared by every client of this service."""
        config: dict[str, str | int | float | bool] = {
            "bootstrap.servers": self.bootstrap_servers,
            "client.id": self.client_id,
            "security.protocol": self.security_protocol,
        }
        if self.sasl_mechanism is not None:
            config["sasl.mechanism"] = self.sasl_mechanism
        if self.sasl_username is not None:
            config["sasl.username"] = self.sasl_username
        if self.sasl_password is not None:
            config["sasl.password"] = self.sasl_password.get_secret_value()
        if self.ssl_ca_location is not None:
            config["ssl.ca.location"] = str(self.ssl_ca_location)
        return config | self.extra

    def consumer_config(self) -> dict[str, str | int | float | bool]:
        """The properties of the workers' group consumer."""
        return self.client_config() | {"group.id": self.group_id} | self.consumer_extra


class FlexSettings(Section):
    """Credentials and endpoint of the Flex API (or of the sandbox simulator)."""

    base_url: AnyHttpUrl = AnyHttpUrl("https://api-sandbox.flexfactor.io/v1/")
    app_key: SecretStr
    app_secret: SecretStr
    mid: str
    site_id: str
    tokenization_key: SecretStr | None = None
    timeout_seconds: Annotated[float, Field(gt=0)] = 10.0
    max_attempts: Annotated[int, Field(ge=1, le=20)] = 5
    max_connections: Annotated[int, Field(ge=1)] = 256
    # Capped exponential backoff with full jitter between attempts of one call.
    retry_base_seconds: Annotated[float, Field(ge=0)] = 0.2
    retry_cap_seconds: Annotated[float, Field(ge=0)] = 10.0
    # A longer Retry-After is not slept through: the call fails as transient at once.
    retry_after_cap_seconds: Annotated[float, Field(ge=0)] = 30.0
    # Fetch a new access token this long before its `expires` (tokens live 10 minutes).
    token_renew_margin_seconds: Annotated[float, Field(ge=0)] = 60.0
    # The HTTP transport under the httpx API; "httpx" is httpx's own (slower under load).
    transport: Literal["aiohttp", "httpx"] = "aiohttp"


class StoreSettings(Section):
    """Where idempotency records and order state live."""

    url: str = "sqlite:///var/flexmit.db"

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not value.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value


class MetricsSettings(Section):
    """Where Prometheus scrapes this process."""

    host: str = "0.0.0.0"  # noqa: S104 - scraped from outside the container
    port: Annotated[int, Field(ge=0, le=65535)] = 9464


class WorkerSettings(Section):
    """The consumer-group worker's rules and limits."""

    max_in_flight: Annotated[int, Field(ge=1, le=100_000)] = 1000
    max_decline_age: timedelta = timedelta(hours=24)
    rescue_window: timedelta = timedelta(days=21)
    drain_timeout: timedelta = timedelta(seconds=20)
    claim_lease: timedelta = timedelta(seconds=60)
    # A worker silent this long (no store heartbeat) is presumed dead: its claims move on.
    # Heartbeats come every second; the margin absorbs an event loop starved by load.
    owner_timeout: timedelta = timedelta(seconds=15)
    # Work Flex could not take is parked in the store and retried after an exponential delay.
    retry_base: timedelta = timedelta(seconds=15)
    retry_cap: timedelta = timedelta(minutes=15)
    # Decline codes that networks forbid retrying, added to the built-in list.
    extra_do_not_retry_codes: list[str] = Field(default_factory=list)

    @field_validator("rescue_window")
    @classmethod
    def _window_within_contract(cls, value: timedelta) -> timedelta:
        # The contract: a managed MIT window of at least a day and at most 21 days.
        if not timedelta(days=1) <= value <= timedelta(days=21):
            raise ValueError("must be between 1 day and 21 days (P1D..P21D)")
        return value


class LogSettings(Section):
    """Log level and format."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"


# --- Sandbox (the Flex simulator, `flexmit sandbox`) -------------------------------------------


def _seconds_if_number(value: object) -> object:
    # "1.5" in an environment variable means seconds; ISO 8601 ("PT10M") still works.
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


Seconds = Annotated[timedelta, BeforeValidator(_seconds_if_number)]
Rate = Annotated[float, Field(ge=0.0, le=1.0)]

# A fixed, public key so a merchant's receiver can be configured before the sandbox starts.
SANDBOX_WEBHOOK_KEY = "ZmxleG1pdC1zYW5kYm94LXdlYmhvb2stc3Vic2NyaWJlci1rZXk="


class SandboxFaults(Section):
    """Faults the sandbox injects; also adjustable at runtime through /_sandbox/faults."""

    latency_ms: Annotated[float, Field(ge=0)] = 0.0
    latency_jitter_ms: Annotated[float, Field(ge=0)] = 0.0
    latency_sigma: Annotated[float, Field(ge=0, le=5)] = 0.0
    error_500_rate: Rate = 0.0
    error_503_rate: Rate = 0.0
    throttle_429_rate: Rate = 0.0
    retry_after_seconds: Annotated[int, Field(ge=0)] = 1
    timeout_rate: Rate = 0.0
    timeout_hold_seconds: Annotated[float, Field(ge=0)] = 30.0
    # Path prefixes the HTTP faults apply to, e.g. ["/v1/evaluate"]; empty means all of /v1.
    paths: list[str] = Field(default_factory=list)
    webhook_duplicate_rate: Rate = 0.0
    webhook_reorder_rate: Rate = 0.0
    webhook_reorder_delay_seconds: Annotated[float, Field(ge=0)] = 1.0
    webhook_fail_first_rate: Rate = 0.0


class SandboxSettings(Section):
    """The Flex simulator: where it listens, what it accepts, how fast time runs, what fails."""

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8700
    app_key: SecretStr = SecretStr("sandbox-app-key")
    app_secret: SecretStr = SecretStr("sandbox-app-secret")
    mid: str = "11111111-2222-3333-4444-555555555555"
    site_id: str = "66666666-7777-8888-9999-000000000000"
    tokenization_key: SecretStr = SecretStr("sandbox-tokenization-key")
    token_ttl: Seconds = timedelta(seconds=600)
    # Virtual seconds per real second: 1814400 passes a 21-day rescue window in one second.
    time_scale: Annotated[float, Field(gt=0)] = 1.0
    rescue_rate: Rate = 0.5
    enforce_amount_rule: bool = True
    # 0.6 reproduces the "partial refunds up to 60 %" account rule; None disables it.
    partial_refund_limit: Rate | None = None
    capture_window: Seconds = timedelta(days=7)
    challenge_timeout: Seconds = timedelta(hours=1)
    webhook_url: AnyHttpUrl | None = None
    # Host name in the signed canonical string; defaults to the host of webhook_url.
    webhook_host: str | None = None
    webhook_key: SecretStr = SecretStr(SANDBOX_WEBHOOK_KEY)
    webhook_content_type: str = "text/plain"
    webhook_max_attempts: Annotated[int, Field(ge=1, le=50)] = 5
    webhook_backoff: Seconds = timedelta(seconds=1)
    webhook_backoff_max: Seconds = timedelta(seconds=60)
    webhook_timeout: Seconds = timedelta(seconds=10)
    seed: int = 0
    access_log: bool = False
    faults: SandboxFaults = SandboxFaults()

    def signed_host(self) -> str:
        """The receiver host name that webhook signatures cover."""
        if self.webhook_host:
            return self.webhook_host
        return (self.webhook_url.host or "") if self.webhook_url else "localhost"


# --- end of sandbox settings --------------------------------------------------------------------


# --- Webhook receiver (`flexmit webhooks`) -------------------------------------------------------


class WebhookSettings(Section):
    """The webhook receiver: where it listens, which keys sign, what it accepts, what it chases."""

    host: str = "0.0.0.0"  # noqa: S104 - Flex (or the ingress) connects from outside
    port: Annotated[int, Field(ge=0, le=65535)] = 8080
    # A JSON list of the base64 subscriber keys from the Flex portal; two during a rotation.
    subscriber_keys: Annotated[list[SecretStr], Field(min_length=1)]
    # The host name Flex signs: that of the URL registered in the portal. Unset, the request's
    # Host header (without port) is used, which is right unless a proxy rewrites it.
    public_host: str | None = None
    # x-fc-signature (HMAC of the raw body) must be present; the vendor sample sends it, but
    # the contract cannot promise production still does: false accepts its absence.
    require_body_signature: bool = True
    # How far x-fc-date may be from our clock; nonces are remembered twice as long.
    clock_skew: Seconds = timedelta(minutes=5)
    max_body_bytes: Annotated[int, Field(ge=1024, le=16 * 1024 * 1024)] = 256 * 1024
    # How long a status may wait for the broker's acknowledgement before the webhook is
    # answered 503 (and the record given up, so Flex's resend is its only copy). Keep it under
    # the time Flex waits for an answer, or Flex gives up first and resends anyway.
    publish_timeout: Annotated[Seconds, Field(ge=timedelta(seconds=1))] = timedelta(seconds=5)
    # Serve HTTPS with this certificate chain and key; unset, plain HTTP behind a TLS proxy.
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    # Orders still SUBMITTED this long after their expiry are looked up with GET /orders/{id}.
    reconcile_interval: Annotated[Seconds, Field(gt=timedelta(0))] = timedelta(minutes=1)
    reconcile_grace: Seconds = timedelta(hours=1)
    reconcile_batch: Annotated[int, Field(ge=1, le=10_000)] = 100

    @field_validator("subscriber_keys")
    @classmethod
    def _base64_keys(cls, keys: list[SecretStr]) -> list[SecretStr]:
        for number, key in enumerate(keys, start=1):
            try:
                decoded = base64.b64decode(key.get_secret_value(), validate=True)
            except (binascii.Error, ValueError):
                decoded = b""
            if not decoded:
                # The message names the position only: the value is a secret.
                raise ValueError(f"key number {number} is not valid base64")
        return keys

    @field_validator("public_host")
    @classmethod
    def _bare_host(cls, value: str | None) -> str | None:
        if value is not None and ("/" in value or not value.strip()):
            raise ValueError("must be a bare host name, e.g. webhooks.example.com")
        return value

    @model_validator(mode="after")
    def _tls_pair(self) -> WebhookSettings:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("set both TLS_CERT_FILE and TLS_KEY_FILE, or neither")
        return self

    @property
    def tls(self) -> bool:
        """Whether the receiver serves HTTPS itself."""
        return self.tls_cert_file is not None


# --- end of webhook settings --------------------------------------------------------------------


class CheckoutSettings(Section):
    """The example checkout (``flexmit checkout``): its page, and the PSP it pretends to call."""

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8710
    # The SenseJS loader's target: the sandbox's stand-in; https://sensejs.flexfactor.io/widget.js
    # in production.
    sensejs_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8700/sensejs/widget.js")
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    # How long the page waits for a sense key before it submits without one.
    sense_key_wait: Seconds = timedelta(seconds=3)
    # The simulated PSP: its answer time, and the cents that decline an amount (code 51).
    psp_latency: Seconds = timedelta(milliseconds=50)
    psp_decline_cents: Annotated[str, Field(pattern=r"^[0-9]{2}$")] | None = "51"
    access_log: bool = False


def _env_config() -> SettingsConfigDict:
    return SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_NESTED_DELIMITER,
        case_sensitive=False,
        extra="ignore",
        frozen=True,
    )


class CommonSettings(BaseSettings):
    """Sections every long-running command needs."""

    model_config = _env_config()

    log: LogSettings = LogSettings()
    metrics: MetricsSettings = MetricsSettings()


class WorkerCommandSettings(CommonSettings):
    """Everything ``flexmit worker`` reads."""

    kafka: KafkaSettings = KafkaSettings()
    flex: FlexSettings
    store: StoreSettings = StoreSettings()
    worker: WorkerSettings = WorkerSettings()


class SandboxCommandSettings(CommonSettings):
    """Everything ``flexmit sandbox`` reads."""

    sandbox: SandboxSettings = SandboxSettings()


class WebhookCommandSettings(BaseSettings):
    """Everything ``flexmit webhooks`` reads; its metrics are served on the webhook port."""

    model_config = _env_config()

    log: LogSettings = LogSettings()
    kafka: KafkaSettings = KafkaSettings()
    store: StoreSettings = StoreSettings()
    flex: FlexSettings  # the reconciler asks Flex about orders whose webhook never came
    webhooks: WebhookSettings


class CheckoutCommandSettings(BaseSettings):
    """Everything ``flexmit checkout`` reads."""

    model_config = _env_config()

    log: LogSettings = LogSettings()
    checkout: CheckoutSettings = CheckoutSettings()
    kafka: KafkaSettings = KafkaSettings()
    flex: FlexSettings


class KafkaToolSettings(BaseSettings):
    """Everything the one-shot Kafka tools read: ``dlq replay``, ``refund``, ``cancel``."""

    model_config = _env_config()

    log: LogSettings = LogSettings()
    kafka: KafkaSettings = KafkaSettings()


S = TypeVar("S", bound=BaseSettings)


def load(settings_type: type[S], **overrides: Any) -> S:
    """Read and validate settings, or raise ConfigurationError naming each bad variable."""
    try:
        return settings_type(**overrides)
    except ValidationError as exc:
        raise ConfigurationError(describe_errors(exc, settings_type)) from None


def describe_errors(exc: ValidationError, settings_type: type[BaseModel]) -> str:
    """One line per problem, each naming the environment variable to fix."""
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        path = [str(part) for part in error["loc"] if not isinstance(part, int)]
        section = _section_at(settings_type, path)
        if error["type"] == "missing" and section is not None:
            # A whole section is absent: name the variables it needs, not the section.
            for name, field in section.model_fields.items():
                if field.is_required():
                    lines.append(f"{_variable([*path, name])}: Field required")
        else:
            lines.append(f"{_variable(path)}: {error['msg']}")
    return "invalid configuration:\n  " + "\n  ".join(lines)


def variable_rows(model: BaseModel, path: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(variable, value) for every setting, secrets masked; for `flexmit config`."""
    rows: list[tuple[str, str]] = []
    for name, value in model.model_dump(mode="json").items():
        child = getattr(model, name)
        if isinstance(child, BaseModel):
            rows.extend(variable_rows(child, (*path, name)))
        else:
            text = value if isinstance(value, str) else json.dumps(value)
            rows.append((_variable([*path, name]), "" if value is None else text))
    return rows


def _variable(path: list[str] | tuple[str, ...]) -> str:
    return ENV_PREFIX + ENV_NESTED_DELIMITER.join(path).upper()


def _section_at(model: type[BaseModel], path: list[str]) -> type[BaseModel] | None:
    current: type[BaseModel] = model
    for name in path:
        field = current.model_fields.get(name)
        annotation = field.annotation if field is not None else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        current = annotation
    return current
