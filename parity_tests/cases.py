"""Parity cases are data: one JSON file per endpoint behaviour, loaded into ``ParityCase``.

A case file::

    {"id": "refund-twice-exceeds",
     "route": "POST /api/v1/orders/{order_id}/refunds",
     "description": "a second refund above what is left is refused",
     "setup": ["UPDATE orders SET refunded_cents = 900 WHERE id = 'ord_…'"],
     "steps": [{"method": "POST", "path": "/api/v1/orders/ord_…/refunds",
                "auth": "alice", "json": {"amount_cents": 200}}],
     "compare": {"ignore": ["$.created_at"], "unordered": [], "headers": ["content-type"]},
     "accepted": {"reason": "…", "paths": ["status"]}}

``request`` may replace ``steps`` for one request. A step's ``auth`` names an owner of the
world file (sent as ``Authorization: Bearer``); ``idempotency_key`` defaults to a key
derived from the case id for writes, ``null`` sends none; ``via: "other"`` runs the step
on the other implementation and carries its row changes (and cookies) over, which is how
a replay across implementations is tested; ``via: "legacy"`` sends the step to legacy in
both runs (a route not ported yet, such as a login whose cookie a ported route reads);
``compare: false`` makes a step setup only.

Example:
    >>> case = parse_case({"id": "me", "route": "GET /api/v1/me",
    ...                    "request": {"method": "GET", "path": "/api/v1/me"}}, "inline")
    >>> case.kind, case.steps[0].request.path
    ('read', '/api/v1/me')
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parity_tests.errors import CaseFileError
from rollout.errors import PlanError
from rollout.evidence.compare import DEFAULT_HEADERS, CompareRules

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HARNESS_HEADERS = (*DEFAULT_HEADERS, "idempotent-replayed", "vary")
AUTO_KEY = object()
_CASE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")
_CASE_KEYS = frozenset(
    {"id", "route", "description", "setup", "steps", "request", "compare", "accepted", "observed"}
)
_STEP_KEYS = frozenset(
    {
        "method",
        "path",
        "query",
        "auth",
        "headers",
        "json",
        "body",
        "body_bytes",
        "idempotency_key",
        "via",
        "compare",
    }
)


@dataclass(frozen=True)
class RequestSpec:
    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    auth: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    idempotency_key: str | object | None = AUTO_KEY

    @property
    def is_write(self) -> bool:
        return self.method in WRITE_METHODS


@dataclass(frozen=True)
class Step:
    request: RequestSpec
    compared: bool = True
    via: str = "self"  # "other": the other side; "legacy": legacy in both runs

    def crosses_to(self, side: str) -> bool:
        """True when this step runs on the other side during ``side``'s run."""
        return self.via == "other" or (self.via == "legacy" and side != "legacy")


@dataclass(frozen=True)
class Accepted:
    """An intentional difference: reported as "accepted" with its reason, never hidden."""

    reason: str
    paths: tuple[str, ...]

    def covers(self, path: str) -> bool:
        return any(path == p or path.startswith((p + ".", p + "[")) for p in self.paths)


@dataclass(frozen=True)
class ParityCase:
    id: str
    route: str
    steps: tuple[Step, ...]
    description: str = ""
    setup: tuple[str, ...] = ()
    rules: CompareRules = field(default_factory=lambda: CompareRules(headers=HARNESS_HEADERS))
    accepted: Accepted | None = None
    source: str = ""

    @property
    def kind(self) -> str:
        return "write" if any(s.request.is_write for s in self.steps) else "read"

    def idempotency_key(self, index: int, spec: RequestSpec) -> str | None:
        if spec.idempotency_key is AUTO_KEY:
            return f"parity-{self.id}-{index}" if spec.is_write else None
        return spec.idempotency_key if isinstance(spec.idempotency_key, str) else None


def load_cases(directory: Path) -> list[ParityCase]:
    """Every ``*.json`` case under ``directory`` (files starting with ``_`` are not cases)."""
    cases = [
        load_case_file(path)
        for path in sorted(directory.rglob("*.json"))
        if not path.name.startswith("_")
    ]
    _reject_duplicates(cases)
    return cases


def load_case_file(path: Path) -> ParityCase:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CaseFileError(str(path), f"not readable as JSON ({exc})") from exc
    return parse_case(data, str(path))


def parse_case(data: Any, source: str) -> ParityCase:
    if not isinstance(data, dict):
        raise CaseFileError(source, "a case is a JSON object")
    _no_unknown(data, _CASE_KEYS, source)
    case_id = _required_str(data, "id", source)
    if not _CASE_ID.match(case_id):
        raise CaseFileError(source, f"id {case_id!r}: lower-case words joined by '-'")
    raw_steps = data.get("steps", [data["request"]] if "request" in data else None)
    if not isinstance(raw_steps, list) or not raw_steps:
        raise CaseFileError(source, "needs 'request' or a non-empty 'steps' list")
    return ParityCase(
        id=case_id,
        route=_required_str(data, "route", source),
        steps=tuple(_parse_step(step, f"{source}: steps[{i}]") for i, step in enumerate(raw_steps)),
        description=str(data.get("description", "")),
        setup=tuple(_str_list(data.get("setup", []), "setup", source)),
        rules=_parse_rules(data.get("compare", {}), source),
        accepted=_parse_accepted(data.get("accepted"), source),
        source=source,
    )


def _parse_step(data: Any, source: str) -> Step:
    if not isinstance(data, dict):
        raise CaseFileError(source, "a step is a JSON object")
    _no_unknown(data, _STEP_KEYS, source)
    headers = dict(data.get("headers", {}))
    body: bytes | None = None
    if "json" in data:
        body = json.dumps(data["json"]).encode()
        headers.setdefault("Content-Type", "application/json")
    elif "body" in data:
        body = str(data["body"]).encode()
    elif "body_bytes" in data:  # an oversized body without a megabyte in the case file
        body = b"x" * int(data["body_bytes"])
    key = data.get("idempotency_key", AUTO_KEY)
    if key is not AUTO_KEY and key is not None and not isinstance(key, str):
        raise CaseFileError(source, "idempotency_key must be a string or null")
    request = RequestSpec(
        method=_required_str(data, "method", source).upper(),
        path=_required_str(data, "path", source),
        query={str(k): str(v) for k, v in dict(data.get("query", {})).items()},
        auth=data.get("auth"),
        headers=headers,
        body=body,
        idempotency_key=key,
    )
    via = data.get("via", "self")
    if via not in ("self", "other", "legacy"):
        raise CaseFileError(source, "via must be 'self', 'other' or 'legacy'")
    return Step(request, compared=bool(data.get("compare", True)), via=via)


def _parse_rules(data: Any, source: str) -> CompareRules:
    if not isinstance(data, dict):
        raise CaseFileError(source, "compare must be an object")
    _no_unknown(data, {"ignore", "unordered", "tolerance", "headers"}, source)
    try:
        return CompareRules(
            ignore=tuple(data.get("ignore", ())),
            unordered=tuple(data.get("unordered", ())),
            tolerance=float(data.get("tolerance", 0.0)),
            headers=tuple(h.lower() for h in data.get("headers", HARNESS_HEADERS)),
        )
    except (PlanError, TypeError, ValueError) as exc:
        raise CaseFileError(source, f"compare: {exc}") from exc


def _parse_accepted(data: Any, source: str) -> Accepted | None:
    if data is None:
        return None
    if not isinstance(data, dict) or not str(data.get("reason", "")).strip():
        raise CaseFileError(source, "accepted needs a non-empty 'reason'")
    return Accepted(str(data["reason"]), tuple(_str_list(data.get("paths", []), "paths", source)))


def _no_unknown(data: Mapping[str, Any], allowed: Iterable[str], source: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise CaseFileError(source, f"unknown keys {unknown}")


def _required_str(data: Mapping[str, Any], name: str, source: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise CaseFileError(source, f"'{name}' must be a non-empty string")
    return value


def _str_list(value: Any, name: str, source: str) -> Sequence[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise CaseFileError(source, f"'{name}' must be a list of strings")
    return value


def _reject_duplicates(cases: Sequence[ParityCase]) -> None:
    seen: dict[str, str] = {}
    for case in cases:
        if case.id in seen:
            raise CaseFileError(case.source, f"id {case.id!r} already used by {seen[case.id]}")
        seen[case.id] = case.source
