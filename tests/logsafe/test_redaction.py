"""A19 at its root: what ``logsafe.redact`` blanks and what it keeps, for every process."""

from __future__ import annotations

import io
import json
import logging

import pytest
import structlog

from logsafe import REDACTED, json_lines_formatter, redact, redact_text, redacted_body


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        pytest.param({"idempotency_key": "k1"}, {"idempotency_key": REDACTED}, id="key-field"),
        pytest.param({"Authorization": "Bearer x"}, {"Authorization": REDACTED}, id="header"),
        pytest.param({"Set-Cookie": "s=1"}, {"Set-Cookie": REDACTED}, id="set-cookie"),
        pytest.param({"body": {"merchant": "m"}}, {"body": REDACTED}, id="body"),
        pytest.param(
            {"event": "got sk_live_AbC_123 here"}, {"event": f"got {REDACTED} here"}, id="api-key"
        ),
        pytest.param(
            {"msg": "token Bearer xyz.abc"}, {"msg": f"token Bearer {REDACTED}"}, id="bearer-text"
        ),
        pytest.param(
            {"exception": "headers: Idempotency-Key: key_1\nnext"},
            {"exception": f"headers: Idempotency-Key: {REDACTED}\nnext"},
            id="header-in-text",
        ),
        pytest.param(
            {"exception": "{'cookie': 'session=abc'}"},
            {"exception": f"{{'cookie': {REDACTED}}}"},
            id="cookie-in-repr",
        ),
        pytest.param({"path": "/api/v1/accounts/1"}, {"path": "/api/v1/accounts/1"}, id="kept"),
        pytest.param({"status": 500}, {"status": 500}, id="not-text"),
    ],
)
def test_redact(event, expected):
    assert redact(None, "info", dict(event)) == expected


def test_plain_text_comes_back_as_the_same_object():
    text = "GET /api/v1/payments/pay_1 request id 7f"
    assert redact_text(text) is text


def test_formatter_redacts_foreign_records_and_tracebacks():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_lines_formatter())
    logger = logging.getLogger("tests.logsafe.foreign")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise RuntimeError("Authorization: Bearer sk_test_secret1")
        except RuntimeError:
            logger.exception("failed for %s", "sk_live_other2")
    finally:
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert "sk_test_secret1" not in stream.getvalue() and "sk_live_other2" not in line["event"]
    assert "RuntimeError" in line["exception"]


def test_structlog_events_are_redacted_before_rendering():
    with structlog.testing.capture_logs(processors=[redact]) as events:
        structlog.get_logger("tests.logsafe").info("paid", idempotency_key="k9")
    assert events[0]["idempotency_key"] == REDACTED


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/cards/4242424242424242", id="card-in-path"),
        pytest.param("/pay?pan=4111-1111-1111-1111", id="card-in-query"),
    ],
)
def test_the_access_line_blanks_card_numbers_as_the_recorder_does(path):
    """One policy: what the ledger and recorder blank, a log line blanks too."""
    logged = redact(None, "info", {"path": path})["path"]
    stored = redacted_body(path.encode())["text"]

    assert logged == stored
    assert "4242" not in logged and "1111-1111" not in logged
