"""Webhook delivery (contract §7): signed POSTs of the order events, retried until acknowledged.

Each event is one asyncio task: POST the payload as text, signed with the ``x-fc-*`` headers;
any 2xx acknowledges; a non-2xx answer or a transport failure is retried after
``webhook_backoff * 2**(attempt-1)`` (capped) with ``IsResent: true``, up to
``webhook_max_attempts``. Every attempt is reported to ``record`` for the ledger.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from consumer.sandbox.clock import iso
from consumer.sandbox.faults import FaultState, WebhookFault
from consumer.sandbox.ledger import Delivery
from consumer.sandbox.orders import Order
from consumer.settings import SandboxSettings
from consumer.webhooks import signature

Recorder = Callable[[Delivery], None]


def payload(event: str, order: Order, at: datetime, data: dict[str, Any] | None) -> dict[str, Any]:
    """The webhook body: exactly the eight fields of the vendor sample (§7.3)."""
    return {
        "Event": event,
        "TimeStamp": iso(at),
        "EventData": data,
        "ExternalOrderId": order.external_order_id,
        "OrderId": order.id,
        "ConfirmationId": order.confirmation_id,
        "IsTestMode": True,
        "IsResent": False,
    }


class Dispatcher:
    """Sends webhooks in the background and reports each attempt."""

    def __init__(
        self,
        settings: SandboxSettings,
        faults: FaultState,
        record: Recorder,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._settings = settings
        self._faults = faults
        self._record = record
        self._client = client
        self._owns_client = client is None
        self._tasks: set[asyncio.Task[None]] = set()

    def send(self, body: dict[str, Any]) -> None:
        """Deliver ``body`` (see ``payload``) in the background."""
        fault = self._faults.for_webhook()
        task = asyncio.get_running_loop().create_task(self._deliver(body, fault))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def in_flight(self) -> int:
        """Deliveries not finished yet."""
        return len(self._tasks)

    async def cancel_all(self) -> None:
        """Abandon every delivery in progress (stop or reset)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def close(self) -> None:
        """Abandon deliveries and close the HTTP client if this dispatcher made it."""
        await self.cancel_all()
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _deliver(self, body: dict[str, Any], fault: WebhookFault) -> None:
        delivery_id = uuid.uuid4().hex
        if self._settings.webhook_url is None:
            # Recorded once, so the ledger still shows which events a receiver would get.
            self._note(delivery_id, body, 1, None, "no webhook URL configured")
            return
        if fault.delay_seconds:
            await asyncio.sleep(fault.delay_seconds)
        for attempt in range(1, self._settings.webhook_max_attempts + 1):
            sent = body | {"IsResent": attempt > 1}
            if attempt == 1 and fault.drop_first:
                self._note(delivery_id, sent, attempt, None, "dropped by fault injection")
            elif await self._attempt(delivery_id, sent, attempt):
                if fault.duplicate:
                    await self._attempt(delivery_id, sent, attempt, duplicate=True)
                return
            if attempt < self._settings.webhook_max_attempts:
                await asyncio.sleep(self._backoff(attempt))

    async def _attempt(
        self, delivery_id: str, body: dict[str, Any], attempt: int, *, duplicate: bool = False
    ) -> bool:
        code, error = await self._post(json.dumps(body, separators=(",", ":")).encode())
        self._note(delivery_id, body, attempt, code, error, duplicate)
        return code is not None and 200 <= code < 300

    async def _post(self, raw: bytes) -> tuple[int | None, str | None]:
        settings = self._settings
        if settings.webhook_url is None:
            return None, "no webhook URL configured"
        headers = signature.sign(
            raw,
            settings.webhook_key,
            settings.signed_host(),
            nonce=signature.new_nonce(),
            date=signature.http_date(datetime.now(UTC)),
        )
        headers["Content-Type"] = settings.webhook_content_type
        try:
            response = await self._http().post(
                str(settings.webhook_url),
                content=raw,
                headers=headers,
                timeout=settings.webhook_timeout.total_seconds(),
            )
        except httpx.HTTPError as exc:
            return None, type(exc).__name__
        return response.status_code, None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient()
        return self._client

    def _backoff(self, attempt: int) -> float:
        first = self._settings.webhook_backoff.total_seconds()
        return min(first * 2.0 ** (attempt - 1), self._settings.webhook_backoff_max.total_seconds())

    def _note(
        self,
        delivery_id: str,
        body: dict[str, Any],
        attempt: int,
        code: int | None,
        error: str | None,
        duplicate: bool = False,
    ) -> None:
        self._record(
            Delivery(
                delivery_id=delivery_id,
                event=body["Event"],
                order_id=body["OrderId"],
                external_order_id=body["ExternalOrderId"],
                attempt=attempt,
                is_resent=body["IsResent"],
                duplicate=duplicate,
                response_code=code,
                error=error,
                at=datetime.now(UTC),
            )
        )
