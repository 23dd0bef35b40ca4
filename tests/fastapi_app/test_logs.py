"""A19 in the port: redaction, and a 500 logs neither the body nor any credential."""

from __future__ import annotations

import io
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import structlog

from fastapi_app.logs import configure_logging, json_lines_formatter, redact
from fastapi_app.main import create_app
from tests.conftest import Database, Owner
from tests.fastapi_app.port_client import PortClient, port_settings

FAIL_PAYMENT_INSERTS = """
CREATE FUNCTION strangler_test_fail_insert() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'payments are failing on purpose'; END $$;
CREATE TRIGGER strangler_test_fail_insert BEFORE INSERT ON payments
FOR EACH ROW EXECUTE FUNCTION strangler_test_fail_insert();
"""
RESTORE_PAYMENT_INSERTS = """
DROP TRIGGER IF EXISTS strangler_test_fail_insert ON payments;
DROP FUNCTION IF EXISTS strangler_test_fail_insert();
"""


@contextmanager
def failing_payment_inserts(db: Database) -> Iterator[None]:
    """Every payment INSERT raises: a real database error, so the write answers 500."""
    db.execute(FAIL_PAYMENT_INSERTS)
    try:
        yield
    finally:
        db.execute(RESTORE_PAYMENT_INSERTS)


@contextmanager
def captured_root_log(formatter: logging.Formatter) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


@dataclass(frozen=True)
class SecretPayment:
    """A payment request whose every secret must stay out of the logs."""

    headers: dict[str, str]
    body: dict[str, object]
    secrets: tuple[str, ...]


def secret_payment(owner: Owner, account: int) -> SecretPayment:
    merchant = f"merchant-{secrets.token_hex(8)}"
    key = f"key_{secrets.token_hex(8)}"
    body = {"account_id": account, "amount_cents": 125, "currency": "EUR", "merchant": merchant}
    headers = {**owner.headers, "Idempotency-Key": key}
    return SecretPayment(headers, body, (merchant, key, owner.api_key, headers["Authorization"]))


def test_configure_logging_is_idempotent():
    configure_logging()
    configure_logging()
    processors = structlog.get_config()["processors"]
    assert processors.count(redact) == 1
    assert processors.count(structlog.processors.format_exc_info) >= 1


def test_a_500_logs_neither_the_body_nor_the_key_nor_the_api_key(
    db, make_owner, make_account, request
):
    owner = make_owner()
    payment = secret_payment(owner, make_account(owner, balance=10_000))
    port = PortClient(create_app(port_settings(request.node.nodeid, REDIS_URL="")))
    try:
        with failing_payment_inserts(db), captured_root_log(json_lines_formatter()) as log:
            response = port.post("/api/v1/payments", json=payment.body, headers=payment.headers)
    finally:
        port.close()
    text = log.getvalue()
    assert response.status_code == 500
    assert "write_failed" in text and "payments are failing on purpose" in text
    for secret in payment.secrets:
        assert secret not in text
    assert "locals" not in text
