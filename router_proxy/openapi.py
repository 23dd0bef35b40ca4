"""One OpenAPI document for both halves of a migration (``merged_openapi``, pure).

Every route of the route table is one operation, tagged with who answers it now
(``x-strangler-owner``: legacy, shadow, canary or new; legacy for everyone under the kill
switch) and where its description comes from (``x-strangler-source``):

- ``new-app``: a route the new app serves is described by the new app's own OpenAPI
  operation (its models, under its ``components``), at the path clients call;
- ``legacy``: a route only legacy serves is inferred from Flask's ``url_map``: path
  parameters typed by their converters (``int`` -> integer, ``uuid``, ``float``, ``path``),
  the view's docstring as summary, and, when the traffic recorder has samples
  (``rollout.traffic.recordings.route_shape``), the query parameters, request body and answers
  (status, media type, JSON Schema) it saw, with ``x-strangler-recorded`` samples.

Example:
    >>> from rollout.types import RouteInfo, Snapshot
    >>> route = RouteInfo("GET /items/{item_id}", True, False, False, "route.get.items.~item_id")
    >>> doc = merged_openapi([route], legacy_operations={}, new_document=None,
    ...                      snapshot=Snapshot(), shapes={})
    >>> op = doc["paths"]["/items/{item_id}"]["get"]
    >>> op["x-strangler-owner"], op["parameters"][0]["schema"]
    ('legacy', {'type': 'string'})
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from rollout.traffic.recordings import RouteShape
from rollout.types import Mode, RouteInfo, Snapshot
from router_proxy.routes import flask_rules, flask_view

OPENAPI_VERSION = "3.1.0"
_VARIABLE = re.compile(r"{(\w+)(?::path)?}")
_DIGITS = {r"\d+", r"[0-9]+", r"-?\d+", r"\-?\d+"}


@dataclass(frozen=True, slots=True)
class LegacyOperation:
    """What Flask's url_map says of one (method, rule)."""

    endpoint: str
    path_types: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    summary: str = ""


def legacy_operations(legacy_app: Any) -> dict[str, LegacyOperation]:
    """Route key -> the url_map's description of it (none for a WSGI app without one)."""
    found: dict[str, LegacyOperation] = {}
    for method, template, _regex, rule in flask_rules(legacy_app):
        converters = getattr(rule, "_converters", {})
        types = {name: converter_schema(conv) for name, conv in converters.items()}
        summary = _first_line(getattr(flask_view(legacy_app, rule.endpoint), "__doc__", None))
        found[f"{method} {template}"] = LegacyOperation(rule.endpoint, types, summary)
    return found


def converter_schema(converter: Any) -> dict[str, Any]:
    """A werkzeug converter as a JSON Schema (a custom one by its base class or regex)."""
    from werkzeug.routing import FloatConverter, IntegerConverter, PathConverter, UUIDConverter

    if isinstance(converter, IntegerConverter):
        return {"type": "integer", **_bounds(converter)}
    if isinstance(converter, FloatConverter):
        return {"type": "number", **_bounds(converter)}
    if isinstance(converter, UUIDConverter):
        return {"type": "string", "format": "uuid"}
    if isinstance(converter, PathConverter):
        return {"type": "string"}
    regex = getattr(converter, "regex", "[^/]+")
    if regex in _DIGITS:
        return {"type": "integer"}
    return {"type": "string"} if regex == "[^/]+" else {"type": "string", "pattern": regex}


def _bounds(converter: Any) -> dict[str, Any]:
    bounds = {}
    if getattr(converter, "min", None) is not None:
        bounds["minimum"] = converter.min
    elif not getattr(converter, "signed", True):
        bounds["minimum"] = 0
    if getattr(converter, "max", None) is not None:
        bounds["maximum"] = converter.max
    return bounds


def merged_openapi(
    routes: Iterable[RouteInfo],
    legacy_operations: Mapping[str, LegacyOperation],
    new_document: Mapping[str, Any] | None,
    snapshot: Snapshot,
    shapes: Mapping[str, RouteShape],
    title: str = "legacy + new",
) -> dict[str, Any]:
    """The document; ``new_document``: the new app's ``openapi()`` (None: no new app)."""
    new_doc = copy.deepcopy(dict(new_document or {}))
    new_ops = _operations_by_shape(new_doc.get("paths", {}))
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        method, template = route.key.split(" ", 1)
        path = _VARIABLE.sub(lambda m: "{" + m[1] + "}", template)
        ported = new_ops.get((method.lower(), _shape(path))) if route.in_new else None
        if ported is not None:
            operation = _renamed(ported, path)
            operation["x-strangler-source"] = "new-app"
        else:
            legacy = legacy_operations.get(route.key, LegacyOperation(""))
            operation = _legacy_operation(route, path, legacy, shapes.get(route.key))
        operation["x-strangler-owner"] = owner(route, snapshot)
        paths.setdefault(path, {})[method.lower()] = operation
    document: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": title,
            "version": str(new_doc.get("info", {}).get("version", "0")),
            "description": "Every route of the migration; x-strangler-owner says who answers.",
        },
        "paths": dict(sorted(paths.items())),
    }
    if new_doc.get("components"):
        document["components"] = new_doc["components"]
    return document


def owner(route: RouteInfo, snapshot: Snapshot) -> str:
    """Who answers ``route`` now: its flag's mode, legacy if only legacy can."""
    if not route.in_new or snapshot.kill_switch:
        return Mode.LEGACY.value
    if not route.in_legacy:
        return Mode.NEW.value
    return snapshot.flag_for(route.key).mode.value


def _legacy_operation(
    route: RouteInfo, path: str, legacy: LegacyOperation, shape: RouteShape | None
) -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": _operation_id(route.key)}
    if legacy.summary:
        operation["summary"] = legacy.summary
    parameters = [_path_parameter(name, legacy, shape) for name in _VARIABLE.findall(path)]
    if shape is not None:
        parameters += [
            {"name": name, "in": "query", "required": False, "schema": schema}
            for name, schema in sorted(shape.query.items())
        ]
    if parameters:
        operation["parameters"] = parameters
    if shape is not None and shape.request_schema is not None:
        media = shape.request_content_type or "application/json"
        operation["requestBody"] = {"content": {media: {"schema": shape.request_schema}}}
    operation["responses"] = _responses(shape)
    operation["x-strangler-source"] = "legacy"
    operation["x-strangler-recorded"] = shape.samples if shape is not None else 0
    return operation


def _path_parameter(name: str, legacy: LegacyOperation, shape: RouteShape | None) -> Any:
    schema = legacy.path_types.get(name)
    if schema is None:
        seen = shape.path_params.get(name) if shape is not None else None
        schema = seen or {"type": "string"}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _responses(shape: RouteShape | None) -> dict[str, Any]:
    if shape is None or not shape.responses:
        return {"default": {"description": "Not recorded yet."}}
    responses: dict[str, Any] = {}
    for status, seen in sorted(shape.responses.items()):
        answer: dict[str, Any] = {"description": _phrase(status)}
        if seen.content_type:
            media = {"schema": seen.schema} if seen.schema is not None else {}
            answer["content"] = {seen.content_type: media}
        responses[str(status)] = answer
    return responses


def _operations_by_shape(paths: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for path, item in paths.items():
        for method, operation in item.items():
            if isinstance(operation, dict):
                found[(method, _shape(path))] = {**operation, "x-new-path": path}
    return found


def _renamed(operation: dict[str, Any], path: str) -> dict[str, Any]:
    """The new app's operation at the path clients call, its path parameters renamed to
    the legacy spelling by position (the route key keeps legacy's names)."""
    own_path = operation.pop("x-new-path")
    names = dict(zip(_VARIABLE.findall(own_path), _VARIABLE.findall(path), strict=False))
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path" and parameter.get("name") in names:
            parameter["name"] = names[parameter["name"]]
    return operation


def _shape(path: str) -> str:
    return _VARIABLE.sub("{}", path)


def _operation_id(route_key: str) -> str:
    return re.sub(r"[^a-zA-Z0-9]+", "_", route_key).strip("_").lower()


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Status {status}"


def _first_line(doc: str | None) -> str:
    return doc.strip().splitlines()[0].strip() if doc and doc.strip() else ""
