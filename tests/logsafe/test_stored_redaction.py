"""What a stored exchange never holds (logsafe.redaction, the same policy as the logs):
shared by the parity ledger and the traffic recorder."""

from __future__ import annotations

from typing import Any

import pytest

from logsafe.redaction import REDACTED, is_card_number, redact_json, redact_pairs, redact_text


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        pytest.param("4242424242424242", REDACTED, id="visa-test-card"),
        pytest.param("card 4111 1111 1111 1111 ok", f"card {REDACTED} ok", id="spaced"),
        pytest.param("5555-5555-5555-4444", REDACTED, id="dashed"),
        pytest.param("378282246310005", REDACTED, id="amex-15"),
        pytest.param("4242424242424241", "4242424242424241", id="fails-luhn"),
        pytest.param("order 123456789012", "order 123456789012", id="twelve-digits"),
        pytest.param("acct 7 paid 1200", "acct 7 paid 1200", id="short-numbers"),
        pytest.param("key sk_test_abc123", f"key {REDACTED}", id="api-key"),
    ],
)
def test_redact_text(text: str, redacted: str) -> None:
    assert redact_text(text) == redacted


@pytest.mark.parametrize(
    ("value", "redacted"),
    [
        pytest.param({"pan": 4242424242424242}, {"pan": REDACTED}, id="card-as-number"),
        pytest.param({"amount_cents": 1200}, {"amount_cents": 1200}, id="money-kept"),
        pytest.param(
            {"api_key": "x", "password": "y"},
            {"api_key": REDACTED, "password": REDACTED},
            id="secret-names",
        ),
        pytest.param([{"note": "4000 0566 5566 5556"}], [{"note": REDACTED}], id="nested"),
        pytest.param({"flag": True}, {"flag": True}, id="bool-kept"),
        pytest.param(
            {"headers": {"Authorization": "Bearer abc", "Cookie": "s=1", "Accept": "*/*"}},
            {"headers": {"Authorization": REDACTED, "Cookie": REDACTED, "Accept": "*/*"}},
            id="echoed-headers",
        ),
    ],
)
def test_redact_json(value: Any, redacted: Any) -> None:
    assert redact_json(value) == redacted


def test_query_pairs() -> None:
    pairs = [("token", "t1"), ("card", "4242424242424242"), ("limit", "5")]
    assert redact_pairs(pairs) == [("token", REDACTED), ("card", REDACTED), ("limit", "5")]


def test_luhn_needs_13_to_19_digits() -> None:
    assert not is_card_number("0" * 12) and is_card_number("0" * 13)
    assert not is_card_number("0" * 20)
