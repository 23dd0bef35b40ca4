"""A19 in the legacy app: a 500 logs the method, path and a plain traceback, never the
body, the Idempotency-Key or the API key."""

from __future__ import annotations

import logging

import httpx

from tests.fastapi_app.test_logs import (
    captured_root_log,
    failing_payment_inserts,
    secret_payment,
)


def test_a_500_logs_neither_the_body_nor_the_key_nor_the_api_key(
    database_url, db, make_owner, make_account
):
    from legacy_flask import create_app

    owner = make_owner()
    payment = secret_payment(owner, make_account(owner, balance=10_000))
    transport = httpx.WSGITransport(app=create_app())
    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
    with (
        httpx.Client(transport=transport, base_url="http://testserver") as client,
        failing_payment_inserts(db),
        captured_root_log(formatter) as log,
    ):
        response = client.post("/api/v1/payments", json=payment.body, headers=payment.headers)
    text = log.getvalue()
    assert response.status_code == 500
    assert "payments are failing on purpose" in text
    for secret in payment.secrets:
        assert secret not in text
