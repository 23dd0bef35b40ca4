"""Request body validation with the contract's exact field messages, every bad field at once.

A schema is a tuple of ``Field``; ``validate_body`` parses raw bytes and returns the
parsed object unchanged (it is what the idempotency fingerprint hashes), or raises
``InvalidRequest`` with ``details.fields``.

Example:
    >>> schema = (Field("amount_cents", amount()),)
    >>> validate_body(b'{"amount_cents": 5}', schema)
    {'amount_cents': 5}
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from legacy_flask.errors import InvalidRequest

MAX_AMOUNT = 1_000_000_000_000
MAX_BIGINT = 9_223_372_036_854_775_807
CURRENCY = re.compile(r"[A-Z]{3}")

Check = Callable[[Any], str | None]
BodyCheck = Callable[[dict[str, Any]], dict[str, str]]


@dataclass(frozen=True)
class Field:
    name: str
    check: Check
    required: bool = True
    nullable: bool = False


def parse_json_object(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw, parse_constant=_reject_constant) if raw else None
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        raise InvalidRequest({"body": "must be a JSON object"})
    return body


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def validate_body(raw: bytes, schema: Sequence[Field], *extra_checks: BodyCheck) -> dict[str, Any]:
    body = parse_json_object(raw)
    errors = field_errors(body, schema)
    if not errors:
        for extra in extra_checks:
            errors.update(extra(body))
    if errors:
        raise InvalidRequest(errors)
    return body


def field_errors(body: dict[str, Any], schema: Sequence[Field]) -> dict[str, str]:
    known = {field.name for field in schema}
    errors = {name: "unknown field" for name in body if name not in known}
    for field in schema:
        if field.name not in body:
            if field.required:
                errors[field.name] = "field required"
            continue
        value = body[field.name]
        if value is None and field.nullable:
            continue
        message = field.check(value)
        if message:
            errors[field.name] = message
    return errors


def integer_between(low: int, high: int) -> Check:
    def check(value: Any) -> str | None:
        # bool is a subclass of int in Python; JSON true is not an integer here.
        if type(value) is not int:
            return "must be an integer"
        if not low <= value <= high:
            return f"must be between {low} and {high}"
        return None

    return check


def amount() -> Check:
    return integer_between(1, MAX_AMOUNT)


def account_ref() -> Check:
    return integer_between(1, MAX_BIGINT)


def text(rule: Callable[[str], bool], message: str) -> Check:
    def check(value: Any) -> str | None:
        if not is_storable_text(value):
            return "must be a string"
        return None if rule(value) else message

    return check


def is_storable_text(value: Any) -> bool:
    """A str PostgreSQL can store: no NUL byte, no lone surrogate from a JSON escape."""
    if not isinstance(value, str) or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def currency() -> Check:
    return text(
        lambda value: CURRENCY.fullmatch(value) is not None, "must be a 3-letter ISO 4217 code"
    )


def length_between(low: int, high: int, message: str) -> Check:
    return text(lambda value: low <= len(value) <= high, message)


def at_most(high: int) -> Check:
    return length_between(0, high, f"must be at most {high} characters")


def one_of(*choices: str) -> Check:
    return text(lambda value: value in choices, f"must be one of: {', '.join(choices)}")


def any_text() -> Check:
    return text(lambda _value: True, "must be a string")
