"""A real Prometheus server on loopback, from the Debian package's binary, scraping given targets.

    with prometheus.start({"flexmit-worker": ["127.0.0.1:9464"]}) as server:
        samples = server.wait_for('flexmit_records_consumed_total{topic="payment-declined"}')

``scripts/ensure-system-packages prometheus`` installs the package when it is absent.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Literal, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from consumer.devstack.ports import free_port

_START_TIMEOUT = 30.0
_Answer = TypeVar("_Answer", bound=BaseModel)


class PrometheusError(RuntimeError):
    """The local Prometheus could not be started or queried."""


class Sample(BaseModel):
    """One element of an instant vector: its labels and its value."""

    model_config = ConfigDict(frozen=True)

    metric: dict[str, str]
    value: float


class _RawSample(BaseModel):
    metric: dict[str, str]
    value: tuple[float, str]  # [unix time, value as text]


class _Vector(BaseModel):
    result_type: Literal["vector"] = Field(alias="resultType")
    result: list[_RawSample]


class _QueryResponse(BaseModel):
    status: Literal["success", "error"]
    data: _Vector | None = None
    error: str | None = None


class _Target(BaseModel):
    scrape_url: str = Field(alias="scrapeUrl")
    health: str
    last_error: str = Field(alias="lastError")


class _ActiveTargets(BaseModel):
    active_targets: list[_Target] = Field(alias="activeTargets")


class _TargetsResponse(BaseModel):
    data: _ActiveTargets


class RunningPrometheus:
    """A server this module started: its URL, its HTTP API, and how to stop it."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, run_dir: Path) -> None:
        self.url = url
        self._process = process
        self._run_dir = run_dir
        self._client = httpx.Client(base_url=url, timeout=5.0)

    def query(self, promql: str) -> list[Sample]:
        """Evaluate an instant query now; ``[]`` when nothing matches."""
        response = _parse(_QueryResponse, self._get("/api/v1/query", {"query": promql}))
        if response.status != "success" or response.data is None:
            raise PrometheusError(f"query {promql!r} failed: {response.error}")
        return [Sample(metric=s.metric, value=float(s.value[1])) for s in response.data.result]

    def wait_for(self, promql: str, timeout: float = 30.0) -> list[Sample]:
        """Poll ``promql`` until it returns samples (after a scrape, or once a filter holds)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if samples := self.query(promql):
                return samples
            time.sleep(0.2)
        raise PrometheusError(f"{promql!r} returned nothing in {timeout:.0f}s; {self._targets()}")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL after ``timeout``) and delete its data."""
        self._client.close()
        self._process.terminate()
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        shutil.rmtree(self._run_dir, ignore_errors=True)

    def __enter__(self) -> RunningPrometheus:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _get(self, path: str, params: Mapping[str, str] | None = None) -> bytes:
        try:
            # Prometheus answers a bad query with 4xx and a JSON error body: parse it either way.
            return self._client.get(path, params=params).content
        except httpx.HTTPError as exc:
            raise PrometheusError(f"GET {self.url}{path} failed: {exc!r}") from None

    def _targets(self) -> str:
        # Why a wait failed is nearly always a target Prometheus cannot scrape; say which.
        targets = _parse(_TargetsResponse, self._get("/api/v1/targets")).data.active_targets
        return "targets: " + "; ".join(
            f"{t.scrape_url} {t.health} {t.last_error}".strip() for t in targets
        )


def start(
    targets: Mapping[str, Sequence[str]], scrape_interval_seconds: float = 1.0
) -> RunningPrometheus:
    """Start Prometheus on a free loopback port scraping ``{job: [host:port, ...]}``; wait."""
    binary = shutil.which("prometheus")
    if binary is None:
        raise PrometheusError(
            "prometheus not found: run `scripts/ensure-system-packages prometheus`"
        )
    run_dir = Path(tempfile.mkdtemp(prefix="flexmit-prometheus-"))
    config = run_dir / "prometheus.yml"
    config.write_text(json.dumps(scrape_config(targets, scrape_interval_seconds), indent=2))
    port = free_port()
    command = [
        binary, f"--config.file={config}", f"--storage.tsdb.path={run_dir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
    ]  # fmt: skip
    with (run_dir / "prometheus.log").open("wb") as log:
        process = subprocess.Popen(  # noqa: S603
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = RunningPrometheus(process, f"http://127.0.0.1:{port}", run_dir)
    try:
        _wait_until_ready(server, process, run_dir / "prometheus.log")
    except BaseException:
        server.stop()
        raise
    return server


def scrape_config(
    targets: Mapping[str, Sequence[str]], scrape_interval_seconds: float
) -> dict[str, object]:
    """The server's configuration (JSON is YAML): one scrape job per entry of ``targets``."""
    interval = f"{int(scrape_interval_seconds * 1000)}ms"
    return {
        # The timeout may not exceed the interval, and the default (10s) would at 1s.
        "global": {"scrape_interval": interval, "scrape_timeout": interval},
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": list(addresses)}]}
            for job, addresses in targets.items()
        ],
    }


def _wait_until_ready(
    server: RunningPrometheus, process: subprocess.Popen[bytes], log: Path
) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{server.url}/-/ready", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass  # not listening yet
        time.sleep(0.1)
    raise PrometheusError(f"Prometheus did not become ready:\n{log.read_text()[-4000:]}")


def _parse(model: type[_Answer], body: bytes) -> _Answer:
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise PrometheusError(f"unexpected answer from Prometheus: {exc}") from None
