"""POST /v1/evaluate: checks beyond the schema, idempotency, and the order it creates.

Idempotency (contract §9.3, the suggested semantics):
    same idempotencyKey + same body      -> the stored answer, replayed; no second order
    same idempotencyKey + other body     -> 409 Conflict
    new key, merchant orderId already known -> that order's current status; no second order
      (so retries of a managed MIT keep answering SUBMITTED while it is in progress)
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from consumer.sandbox.bodies import EvaluateRequest, PaymentMethod
from consumer.sandbox.clock import VirtualClock
from consumer.sandbox.decisions import Card, Case, Decision, decide
from consumer.sandbox.envelope import envelope
from consumer.sandbox.ledger import KeyStats, OrderIdStats
from consumer.sandbox.lifecycle import INITIAL_STATUS, Lifecycle
from consumer.sandbox.orders import Change, Customer, Kind, Order, evaluate_view
from consumer.sandbox.problems import FieldErrors, Problem, validation
from consumer.sandbox.state import State, Stored, fingerprint
from consumer.settings import SandboxSettings

AMOUNT_FLOOR, AMOUNT_CEILING = 10, 20_000


class Evaluator:
    """Answers /evaluate."""

    def __init__(
        self, state: State, lifecycle: Lifecycle, clock: VirtualClock, settings: SandboxSettings
    ) -> None:
        self._state = state
        self._lifecycle = lifecycle
        self._clock = clock
        self._settings = settings

    def evaluate(self, request: EvaluateRequest, document: dict[str, Any]) -> dict[str, Any]:
        """The answer to one validated request (``document`` is its folded JSON)."""
        self._check(request)
        key, digest = str(request.idempotency_key), fingerprint(document)
        per_order = self._state.ledger.evaluations.by_order_id.setdefault(
            request.order_id, OrderIdStats()
        )
        per_order.calls += 1
        stored = self._state.evaluations.get(key)
        if stored is not None:
            return self._replay(key, stored, digest)
        known = self._state.by_merchant_order.get(request.order_id)
        order = self._state.ledger.orders[known] if known else self._create(request, per_order)
        answer = _answer(order, request.sense_key, evaluate_view(order).value)
        self._state.evaluations[key] = Stored(digest, answer, self._clock.now())
        self._state.ledger.evaluations.by_idempotency_key[key] = KeyStats(
            calls=1, order_id=request.order_id, flex_order_id=order.id
        )
        return answer

    def _replay(self, key: str, stored: Stored, digest: str) -> dict[str, Any]:
        stats = self._state.ledger.evaluations.by_idempotency_key[key]
        stats.calls += 1
        if stored.fingerprint != digest:
            stats.conflicts += 1
            raise Problem(409, "The idempotency key was already used with a different request.")
        stats.replays += 1
        return stored.body

    def _check(self, request: EvaluateRequest) -> None:
        errors: FieldErrors = {}
        if request.mid != self._settings.mid:
            raise Problem(403, "The mid does not belong to this API client.")
        if not (request.site_id or request.site_url):
            errors["SiteId"] = ["The SiteId field is required."]
        if not request.is_mit and not request.customer_ip:
            errors["CustomerIp"] = ["The CustomerIp field is required."]
        amount = request.transaction.amount
        if self._settings.enforce_amount_rule and not AMOUNT_FLOOR < amount < AMOUNT_CEILING:
            errors["Transaction.Amount"] = [
                "The field Amount must be greater than 10 and less than 20000 in the sandbox."
            ]
        if errors:
            raise validation(errors)

    def _create(self, request: EvaluateRequest, per_order: OrderIdStats) -> Order:
        # Checked only for new orders: a replay or a known orderId answers even after expiry.
        # The client's date is on its (real) clock, whatever the sandbox's virtual time is.
        expiry = request.expiry_date_utc
        if expiry is not None and expiry <= self._clock.real_now():
            raise validation({"ExpiryDateUtc": ["The field ExpiryDateUtc is invalid."]})
        case = _case(request, self._card(request.payment_method))
        decision = decide(case, self._settings.rescue_rate)
        order = _order(request, decision, self._clock)
        self._state.ledger.orders[order.id] = order
        self._state.by_merchant_order[request.order_id] = order.id
        per_order.flex_order_ids.append(order.id)
        self._lifecycle.opened(order, decision)
        return order

    def _card(self, method: PaymentMethod) -> Card:
        vaulted = self._state.vault.get(method.card_number)
        if vaulted is not None:
            return Card(vaulted.bin, vaulted.last4)
        digits = method.card_number.replace(" ", "").replace("-", "")
        if digits.isdigit() and 12 <= len(digits) <= 19:
            # A raw number (some clients send one): read BIN and last four, keep nothing else.
            return Card(digits[:6], digits[-4:])
        return Card((method.card_bin_number or "")[:6], method.card_last4_digits or "")


def _kind(request: EvaluateRequest) -> Kind:
    if not request.is_mit:
        return "CIT"
    return "MANAGED_MIT" if request.expiry_date_utc is not None else "SYNC_MIT"


def _case(request: EvaluateRequest, card: Card) -> Case:
    return Case(
        merchant_order_id=request.order_id,
        amount=request.transaction.amount,
        card=card,
        is_mit=request.is_mit,
        managed=request.is_mit and request.expiry_date_utc is not None,
        authorization=request.transaction_type == "AUTHORIZATION",
    )


def _order(request: EvaluateRequest, decision: Decision, clock: VirtualClock) -> Order:
    now = clock.now()
    expiry = request.expiry_date_utc if request.is_mit else None
    status, reason = INITIAL_STATUS[decision.verdict]
    billing = request.billing_information
    return Order(
        id=str(uuid.uuid4()),
        external_order_id=request.order_id,
        mid=request.mid,
        kind=_kind(request),
        status=status,
        status_name=status.name,
        reason=reason,
        verdict=decision.verdict,
        amount=request.transaction.amount,
        currency=request.transaction.currency.upper(),
        placed_at=now,
        expiry_date=expiry,
        expires_at=now + (expiry - clock.real_now()) if expiry else None,
        confirmation_id=secrets.token_hex(4).upper(),
        reference_number=secrets.token_hex(3).upper(),
        correlation_id=request.correlation_id,
        sense_key=request.sense_key,
        customer=Customer(
            first_name=billing.first_name,
            last_name=billing.last_name,
            email=request.payer.email,
            phone=request.payer.phone,
            country=billing.country,
            city=billing.city,
            zipcode=billing.zipcode,
            address_line1=billing.address_line1,
        ),
        history=[Change(at=now, status=status, status_name=status.name, reason=reason)],
    )


def _answer(order: Order, sense_key: str | None, status: str) -> dict[str, Any]:
    return envelope(
        {"orderSessionKey": order.id, "senseKey": sense_key, "orderId": order.id},
        result="Success",
        status=status,
    )
