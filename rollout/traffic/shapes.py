"""JSON Schema from observed values: what the traffic recorder keeps of a body, and what
the merged OpenAPI and ``strangler port`` read back.

``infer`` describes one value; ``merge`` widens a schema to cover another, so the shape
of a route is the merge of every recorded exchange: an object's ``required`` keys are the
ones every sample had, a field seen as null in one sample and as text in another is
``anyOf [string, null]`` (how Pydantic v2 writes ``str | None``), an integer and a float
widen to ``number``. Strings that all look alike get a ``format``: ``date-time``,
``date``, ``uuid``, ``email``. Schemas hold no values.

Example:
    >>> a = infer({"id": 7, "nickname": None, "created_at": "2026-01-02T03:04:05Z"})
    >>> b = infer({"id": 8, "nickname": "main", "created_at": "2026-01-03T00:00:00Z"})
    >>> merged = merge(a, b)
    >>> merged["properties"]["nickname"]
    {'anyOf': [{'type': 'null'}, {'type': 'string'}]}
    >>> merged["properties"]["created_at"], merged["required"]
    ({'type': 'string', 'format': 'date-time'}, ['created_at', 'id', 'nickname'])
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

Schema = dict[str, Any]

_DATE_TIME = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"
_UUID = r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}"
_FORMATS = (
    ("date-time", re.compile(_DATE_TIME)),
    ("date", re.compile(r"\d{4}-\d{2}-\d{2}")),
    ("uuid", re.compile(_UUID)),
    ("email", re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")),
)
# Beyond this many properties an object is a map (ids as keys), not a record.
MAX_PROPERTIES = 200


def infer(value: Any) -> Schema:
    """The narrowest schema ``value`` fits."""
    if value is None:
        return {"type": "null"}
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        items = merge_all(infer(item) for item in value)
        return {"type": "array", "items": items} if items else {"type": "array"}
    if isinstance(value, dict):
        if len(value) > MAX_PROPERTIES:
            return {"type": "object"}
        properties = {str(key): infer(item) for key, item in value.items()}
        return {"type": "object", "properties": properties, "required": sorted(properties)}
    return {}


def merge_all(schemas: Iterable[Schema]) -> Schema | None:
    """The merge of every schema given; None for none."""
    merged: Schema | None = None
    for schema in schemas:
        merged = schema if merged is None else merge(merged, schema)
    return merged


def merge(a: Schema, b: Schema) -> Schema:
    """The narrowest schema both ``a`` and ``b`` fit."""
    if a == b:
        return a
    if not a or not b:
        return {}  # "anything" absorbs every other shape
    variants = _variants(a) + _variants(b)
    combined: list[Schema] = []
    for variant in variants:
        for index, kept in enumerate(combined):
            joined = _join(kept, variant)
            if joined is not None:
                combined[index] = joined
                break
        else:
            combined.append(variant)
    if len(combined) == 1:
        return combined[0]
    return {"anyOf": sorted(combined, key=_order)}


def is_nullable(schema: Schema) -> bool:
    return any(variant.get("type") == "null" for variant in _variants(schema))


def without_null(schema: Schema) -> Schema:
    """``schema`` less its null variant (``{}`` if null was all it was)."""
    rest = [variant for variant in _variants(schema) if variant.get("type") != "null"]
    if not rest:
        return {}
    return rest[0] if len(rest) == 1 else {"anyOf": rest}


def _variants(schema: Schema) -> list[Schema]:
    return list(schema["anyOf"]) if "anyOf" in schema else [schema]


def _join(a: Schema, b: Schema) -> Schema | None:
    """One schema for two variants of the same kind; None when they stay apart."""
    kinds = {a.get("type"), b.get("type")}
    if kinds == {"integer", "number"}:
        return {"type": "number"}
    if len(kinds) != 1:
        return None
    kind = a.get("type")
    if kind == "object":
        return _join_objects(a, b)
    if kind == "array":
        items = [s["items"] for s in (a, b) if "items" in s]
        merged = merge_all(items)
        return {"type": "array", "items": merged} if merged is not None else {"type": "array"}
    if kind == "string" and a.get("format") != b.get("format"):
        return {"type": "string"}
    return a


def _join_objects(a: Schema, b: Schema) -> Schema:
    if "properties" not in a or "properties" not in b:
        return {"type": "object"}
    properties = dict(a["properties"])
    for name, schema in b["properties"].items():
        properties[name] = merge(properties[name], schema) if name in properties else schema
    if len(properties) > MAX_PROPERTIES:
        return {"type": "object"}
    required = sorted(set(a.get("required", ())) & set(b.get("required", ())))
    return {"type": "object", "properties": properties, "required": required}


def _string(value: str) -> Schema:
    for name, pattern in _FORMATS:
        if pattern.fullmatch(value):
            return {"type": "string", "format": name}
    return {"type": "string"}


def _order(schema: Schema) -> str:
    return str(schema.get("type", ""))
