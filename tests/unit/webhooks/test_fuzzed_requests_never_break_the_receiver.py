"""Requests generated from the receiver's own OpenAPI description never get a 5xx or publish.

Schemathesis draws schema-shaped and hostile requests for every route of ``openapi.json``;
none carries a valid signature, so nothing may ever be published.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from starlette.testclient import TestClient

from consumer.webhooks import openapi
from tests.store_fixtures import FakeClock, make_store
from tests.unit.webhooks.support import HOST, NOW, Published, app_client

SCHEMA = schemathesis.openapi.from_dict(openapi.document())
RESULTS: list[Any] = list(SCHEMA.get_all_operations())  # Ok(operation) each: a valid schema
OPERATIONS = [result.ok() for result in RESULTS]


@pytest.fixture(scope="module")
def receiver() -> Any:
    directory = Path(tempfile.mkdtemp())
    store = make_store(f"sqlite:///{directory / 'fuzz.db'}", "fuzz", FakeClock(NOW.timestamp()))
    made = app_client(store, Published())
    with TestClient(made.app, base_url=f"https://{HOST}", raise_server_exceptions=False) as http:
        yield made, http
    store.close()


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_no_generated_request_gets_a_5xx_or_publishes(receiver: Any, operation: Any) -> None:
    made, http = receiver

    @given(case=operation.as_strategy())
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        sent = case.as_transport_kwargs(base_url=f"https://{HOST}")
        sent.pop("cookies", None)
        if "data" in sent:
            sent["content"] = sent.pop("data")
        response = http.request(**sent)
        assert response.status_code < 500, response.text
        assert made.published.statuses == []
        assert made.published.notifications == []

    check()
