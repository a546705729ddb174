"""Only just-failed MITs with a vaulted card and a retryable decline go to Flex."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from consumer import events
from consumer.processing.eligibility import Rules, refusal, staleness
from tests import factories

RULES = Rules.with_extra_codes(timedelta(hours=24), ["91"])


def test_just_failed_mit_with_a_token_is_eligible() -> None:
    declined = factories.declined()
    assert refusal(declined, RULES) is None
    assert staleness(declined, declined.occurred_at + timedelta(hours=23), RULES) is None


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"is_mit": False}, "CUSTOMER_INITIATED"),
        ({"decline": events.Decline(code="43", source="nmi")}, "DO_NOT_RETRY_CODE"),
        ({"decline": events.Decline(code="lost_card", source="stripe")}, "DO_NOT_RETRY_CODE"),
        ({"decline": events.Decline(code="91", source="nmi")}, "DO_NOT_RETRY_CODE"),  # merchant's
        (
            {"decline": events.Decline(code="05", source="nmi", merchant_advice_code="21")},
            "DO_NOT_RETRY_ADVICE",
        ),
        (
            {"decline": events.Decline(code="51", source="nmi", merchant_advice_code="03")},
            "DO_NOT_RETRY_ADVICE",
        ),
    ],
)
def test_refused_declines_carry_a_reason(overrides: dict[str, Any], code: str) -> None:
    declined = factories.declined(**overrides)
    refused = refusal(declined, RULES)
    assert refused is not None
    assert refused.code == code
    assert refused.reason


def test_decline_without_a_vaulted_card_is_refused() -> None:
    card = factories.declined().card.model_copy(update={"token": None})
    declined = factories.declined(card=card)
    refused = refusal(declined, RULES)
    assert refused is not None
    assert refused.code == "NO_CARD_TOKEN"


def test_decline_older_than_the_limit_is_stale() -> None:
    declined = factories.declined()
    refused = staleness(declined, declined.occurred_at + timedelta(hours=30), RULES)
    assert refused is not None
    assert refused.code == "STALE_DECLINE"
    assert "30 h ago" in refused.reason


def test_mastercard_advice_that_allows_retry_is_eligible() -> None:
    declined = factories.declined(
        decline=events.Decline(code="51", source="nmi", merchant_advice_code="01")
    )
    assert refusal(declined, RULES) is None
