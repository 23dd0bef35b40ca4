from __future__ import annotations

import json

import pytest

from rollout.evidence.compare import Difference, HttpResponse
from rollout.evidence.ledger import ParityLedger, RecordedRequest

API_KEY = "sk_test_0123456789abcdef0123456789abcdef"


@pytest.fixture
def ledger(flag_db):
    ledger = ParityLedger(flag_db.url)
    yield ledger
    ledger.close()


def test_a_mismatch_is_stored_with_every_secret_redacted(ledger, flag_db):
    request = RecordedRequest(
        method="POST",
        path="/api/v1/payments",
        query=f"api_key={API_KEY}&limit=5",
        headers={
            "Authorization": f"Bearer {API_KEY}",
            "Cookie": "session=abc",
            "Idempotency-Key": "idem-123",
            "X-Api-Key": API_KEY,
            "Accept": "application/json",
        },
        body=json.dumps({"amount_cents": 5, "api_key": API_KEY, "note": f"key {API_KEY}"}).encode(),
    )
    legacy = HttpResponse(
        201, {"Set-Cookie": "session=xyz", "Content-Type": "application/json"}, b'{"id": "pay_1"}'
    )
    new = HttpResponse(
        201, {"Set-Cookie": "session=uvw", "Content-Type": "application/json"}, b'{"id": "pay_2"}'
    )

    row_id = ledger.record(
        "POST /api/v1/payments",
        request,
        legacy,
        new,
        [Difference("$.id", "pay_1", "pay_2", "value")],
    )

    stored = flag_db.all(
        "SELECT route_key, request, legacy_response, new_response, differences"
        " FROM parity_mismatches WHERE id = %s",
        (row_id,),
    )[0]
    text = json.dumps(stored)
    for secret in (API_KEY, "session=abc", "idem-123", "session=xyz", "session=uvw"):
        assert secret not in text
    assert stored[0] == "POST /api/v1/payments"
    assert stored[1]["headers"]["Accept"] == "application/json"
    assert stored[1]["body"]["amount_cents"] == 5
    assert stored[4] == [
        {"path": "$.id", "legacy_value": "pay_1", "new_value": "pay_2", "kind": "value"}
    ]


def test_an_unreachable_ledger_raises_its_own_error():
    from rollout.errors import LedgerError

    ledger = ParityLedger("postgresql://postgres@127.0.0.1:1/nothing")
    with pytest.raises(LedgerError):
        ledger.record(
            "GET /x", RecordedRequest("GET", "/x"), HttpResponse(200, {}), HttpResponse(200, {}), []
        )
