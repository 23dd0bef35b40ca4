"""Compare a legacy and a new response: status, allow-listed headers, JSON bodies.

One comparator for the offline parity runs and the online shadow. Per-route rules come
from ``strangler.toml``::

    [compare."GET /api/v1/orders/{order_id}"]
    ignore = ["$.created_at", "$.data[*].id"]   # paths dropped from both bodies
    unordered = ["$.data"]                      # lists compared as multisets
    tolerance = 0.01                            # numbers within this are equal
    headers = ["content-type", "location"]      # replaces the default allow-list

Paths: ``$`` the body, ``.name`` a key, ``[3]`` an index, ``[*]`` or ``.*`` any index or
key. Bodies that are not both JSON are compared as bytes. ``compare()`` never raises: a
failure is logged (never with the payload) and returned as a Difference of kind ``error``.

Example:
    >>> legacy = HttpResponse(200, {"content-type": "application/json"}, b'{"a": 1, "t": 5}')
    >>> new = HttpResponse(200, {"content-type": "application/json"}, b'{"a": 2, "t": 6}')
    >>> compare(legacy, new, CompareRules(ignore=("$.t",)))
    [Difference(path='$.a', legacy_value=1, new_value=2, kind='value')]
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rollout.errors import PlanError

log = logging.getLogger(__name__)

DEFAULT_HEADERS = ("content-type", "location", "allow", "retry-after", "www-authenticate")
_TOKEN = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*|\*)|\[(\d+|\*)\]")
PathKey = str | int


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class Difference:
    path: str  # "status", "headers.<name>", or a JSON path from "$"
    legacy_value: Any
    new_value: Any
    kind: str  # status | header | value | type | missing | extra | length | body | error


@dataclass(frozen=True, slots=True)
class CompareRules:
    ignore: tuple[str, ...] = ()
    unordered: tuple[str, ...] = ()
    tolerance: float = 0.0
    headers: tuple[str, ...] = DEFAULT_HEADERS
    _ignore: tuple[tuple[PathKey, ...], ...] = field(init=False, repr=False, compare=False)
    _unordered: tuple[tuple[PathKey, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_ignore", tuple(parse_path(p) for p in self.ignore))
        object.__setattr__(self, "_unordered", tuple(parse_path(p) for p in self.unordered))

    def ignores(self, path: Sequence[PathKey]) -> bool:
        return any(_matches(pattern, path) for pattern in self._ignore)

    def is_unordered(self, path: Sequence[PathKey]) -> bool:
        return any(_matches(pattern, path) for pattern in self._unordered)


DEFAULT_RULES = CompareRules()


def parse_path(text: str) -> tuple[PathKey, ...]:
    """``$.data[*].id`` -> ("data", "*", "id"); raises PlanError on anything else."""
    if not text.startswith("$"):
        raise PlanError(f"compare path {text!r} must start with '$'")
    tokens: list[PathKey] = []
    position = 1
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise PlanError(f"compare path {text!r}: cannot parse at {text[position:]!r}")
        name, index = match.groups()
        tokens.append(name if name is not None else (index if index == "*" else int(index)))
        position = match.end()
    return tuple(tokens)


def load_rules(config: Mapping[str, Any]) -> dict[str, CompareRules]:
    """The ``[compare."METHOD /path"]`` tables of strangler.toml, by route key."""
    rules: dict[str, CompareRules] = {}
    for route_key, table in config.get("compare", {}).items():
        unknown = set(table) - {"ignore", "unordered", "tolerance", "headers"}
        if unknown:
            raise PlanError(f"compare.{route_key!r}: unknown keys {sorted(unknown)}")
        try:
            rules[route_key] = CompareRules(
                ignore=tuple(table.get("ignore", ())),
                unordered=tuple(table.get("unordered", ())),
                tolerance=float(table.get("tolerance", 0.0)),
                headers=tuple(h.lower() for h in table.get("headers", DEFAULT_HEADERS)),
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise PlanError(f"compare.{route_key!r}: {exc}") from exc
    return rules


def compare(
    legacy: HttpResponse, new: HttpResponse, rules: CompareRules = DEFAULT_RULES
) -> list[Difference]:
    try:
        return _compare(legacy, new, rules)
    except Exception as exc:  # the comparator must never break a shadow or a parity run
        log.error("comparator failed: %s", type(exc).__name__)
        return [Difference("$", None, None, f"error: {type(exc).__name__}")]


def _compare(legacy: HttpResponse, new: HttpResponse, rules: CompareRules) -> list[Difference]:
    differences: list[Difference] = []
    if legacy.status != new.status:
        differences.append(Difference("status", legacy.status, new.status, "status"))
    differences.extend(_header_differences(legacy.headers, new.headers, rules.headers))
    differences.extend(_body_differences(legacy, new, rules))
    return differences


def _header_differences(
    legacy: Mapping[str, str], new: Mapping[str, str], names: Sequence[str]
) -> list[Difference]:
    left = {k.lower(): v for k, v in legacy.items()}
    right = {k.lower(): v for k, v in new.items()}
    return [
        Difference(f"headers.{name}", left.get(name), right.get(name), "header")
        for name in names
        if left.get(name) != right.get(name)
    ]


def _body_differences(
    legacy: HttpResponse, new: HttpResponse, rules: CompareRules
) -> list[Difference]:
    left, right = _json_or_none(legacy), _json_or_none(new)
    if left is _NOT_JSON or right is _NOT_JSON:
        if legacy.body == new.body:
            return []
        return [Difference("$", _shape(legacy.body), _shape(new.body), "body")]
    differences: list[Difference] = []
    _diff(_normalised(left, (), rules), _normalised(right, (), rules), (), rules, differences)
    return differences


_NOT_JSON = object()


def _json_or_none(response: HttpResponse) -> Any:
    content_type = {k.lower(): v for k, v in response.headers.items()}.get("content-type", "")
    if "json" not in content_type or not response.body:
        return _NOT_JSON
    try:
        return json.loads(response.body)
    except ValueError:
        return _NOT_JSON


def _normalised(value: Any, path: tuple[PathKey, ...], rules: CompareRules) -> Any:
    if isinstance(value, dict):
        return {
            key: _normalised(item, (*path, key), rules)
            for key, item in value.items()
            if not rules.ignores((*path, key))
        }
    if isinstance(value, list):
        items = [
            _normalised(item, (*path, index), rules)
            for index, item in enumerate(value)
            if not rules.ignores((*path, index))
        ]
        if rules.is_unordered(path):
            items.sort(key=lambda item: json.dumps(item, sort_keys=True))
        return items
    return value


def _diff(
    left: Any, right: Any, path: tuple[PathKey, ...], rules: CompareRules, out: list[Difference]
) -> None:
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(left.keys() | right.keys()):
            if key not in right:
                out.append(Difference(render_path((*path, key)), left[key], None, "missing"))
            elif key not in left:
                out.append(Difference(render_path((*path, key)), None, right[key], "extra"))
            else:
                _diff(left[key], right[key], (*path, key), rules, out)
    elif isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            out.append(Difference(render_path(path), len(left), len(right), "length"))
        for index, (a, b) in enumerate(zip(left, right, strict=False)):
            _diff(a, b, (*path, index), rules, out)
    elif _is_number(left) and _is_number(right) and (rules.tolerance or type(left) is type(right)):
        if abs(left - right) > rules.tolerance:
            out.append(Difference(render_path(path), left, right, "value"))
    elif type(left) is not type(right):
        out.append(Difference(render_path(path), left, right, "type"))
    elif left != right:
        out.append(Difference(render_path(path), left, right, "value"))


def render_path(path: Sequence[PathKey]) -> str:
    return "$" + "".join(f"[{key}]" if isinstance(key, int) else f".{key}" for key in path)


def _matches(pattern: Sequence[PathKey], path: Sequence[PathKey]) -> bool:
    if len(pattern) != len(path):
        return False
    return all(p == "*" or p == key for p, key in zip(pattern, path, strict=True))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _shape(body: bytes) -> str:
    # The shape, never the content: bodies may hold personal data.
    return f"<{len(body)} bytes sha256:{hashlib.sha256(body).hexdigest()[:16]}>"
