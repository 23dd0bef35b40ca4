"""Body and header validation with the contract's exact messages, every bad field at once.

A body is checked against a ``BodySpec`` (a tuple of ``FieldSpec``); the same specs
describe the request bodies in the OpenAPI document, so docs and checks cannot drift.

Example:
    >>> spec = (FieldSpec("amount_cents", "integer", minimum=1, maximum=10),)
    >>> validate_body(spec, b'{"amount_cents": 11, "x": 1}')
    Traceback (most recent call last):
    ...
    fastapi_app.errors.InvalidRequest: invalid_request
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from fastapi_app.errors import IdempotencyKeyMissing, InvalidRequest

MISSING = "field required"
UNKNOWN = "unknown field"
NOT_INTEGER = "must be an integer"
NOT_STRING = "must be a string"
NOT_OBJECT = "must be a JSON object"
BAD_KEY = "must be 1 to 255 printable ASCII characters"
PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]{1,255}")

Check = Callable[[Any], str | None]


@dataclass(frozen=True)
class FieldSpec:
    """One body field: its JSON type, whether it may be absent or null, and its bounds."""

    name: str
    kind: Literal["integer", "string"]
    required: bool = True
    nullable: bool = False
    minimum: int | None = None
    maximum: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    choices: tuple[str, ...] | None = None
    message: str | None = None

    def check(self, value: Any) -> str | None:
        """The contract's message for a bad present value, or None when it is fine."""
        if value is None and self.nullable:
            return None
        if self.kind == "integer":
            if type(value) is not int:
                return NOT_INTEGER
            return self._check_range(value)
        if not is_storable_text(value):
            return NOT_STRING
        return self._check_text(value)

    def _check_range(self, value: int) -> str | None:
        too_small = self.minimum is not None and value < self.minimum
        too_big = self.maximum is not None and value > self.maximum
        return self.message if too_small or too_big else None

    def _check_text(self, value: str) -> str | None:
        if self.choices is not None and value not in self.choices:
            return self.message
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            return self.message
        too_short = self.min_length is not None and len(value) < self.min_length
        too_long = self.max_length is not None and len(value) > self.max_length
        return self.message if too_short or too_long else None


def is_storable_text(value: Any) -> bool:
    """A str PostgreSQL can store: no NUL, no lone surrogate (both come from JSON escapes)."""
    if not isinstance(value, str) or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


BodySpec = tuple[FieldSpec, ...]
CrossCheck = Callable[[dict[str, Any], dict[str, str]], None]


def parse_json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw, parse_constant=_reject_constant) if raw else None
    except (ValueError, RecursionError):
        raise InvalidRequest({"body": NOT_OBJECT}) from None
    if not isinstance(value, dict):
        raise InvalidRequest({"body": NOT_OBJECT})
    return value


def validate_body(
    spec: BodySpec, raw: bytes, cross_checks: Sequence[CrossCheck] = ()
) -> dict[str, Any]:
    """The parsed body when every field is fine; InvalidRequest listing every bad one."""
    body = parse_json_object(raw)
    errors = field_errors(spec, body)
    for cross_check in cross_checks if not errors else ():
        cross_check(body, errors)
    if errors:
        raise InvalidRequest(errors)
    return body


def field_errors(spec: BodySpec, body: dict[str, Any]) -> dict[str, str]:
    known = {field.name for field in spec}
    errors = {name: UNKNOWN for name in body if name not in known}
    for field in spec:
        if field.name not in body:
            if field.required:
                errors[field.name] = MISSING
            continue
        problem = field.check(body[field.name])
        if problem is not None:
            errors[field.name] = problem
    return errors


def idempotency_key(header: str | None) -> str:
    """The header's value; 400 missing when absent, 400 invalid when not 1..255 printable."""
    if header is None:
        raise IdempotencyKeyMissing()
    if not PRINTABLE_ASCII.fullmatch(header):
        raise InvalidRequest({"Idempotency-Key": BAD_KEY})
    return header


def body_json_schema(spec: BodySpec) -> dict[str, Any]:
    """The JSON Schema of a body spec, for the OpenAPI document."""
    properties = {field.name: _field_schema(field) for field in spec}
    required = [field.name for field in spec if field.required]
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    return schema


def _field_schema(field: FieldSpec) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": field.kind}
    bounds = {
        "minimum": field.minimum,
        "maximum": field.maximum,
        "minLength": field.min_length,
        "maxLength": field.max_length,
        "pattern": field.pattern and f"^{field.pattern}$",
        "enum": list(field.choices) if field.choices else None,
    }
    schema.update({key: value for key, value in bounds.items() if value is not None})
    if field.nullable:
        return {"anyOf": [schema, {"type": "null"}]}
    return schema
