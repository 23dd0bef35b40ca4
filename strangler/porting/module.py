"""The source of a FastAPI router module for one route, from its recorded shape.

The route keeps the legacy path and parameter names (clients call it unchanged), path
parameters typed by legacy's converters, the query parameters clients were seen to send
(optional unless every sample sent them), the request body as a model, and the answer's
model from the first 2xx status recorded (its status is the decorator's). The body is a
TODO that calls nothing and answers 501, so the module imports and the app starts before
anyone has ported a line.

Example:
    >>> from rollout.traffic.recordings import RouteShape, Response
    >>> shape = RouteShape("GET /items/{item_id}", samples=1,
    ...     responses={200: Response(1, "application/json", {"type": "object",
    ...         "properties": {"id": {"type": "integer"}}, "required": ["id"]})})
    >>> source = router_module(shape, {"item_id": {"type": "integer"}})
    >>> "async def get_items_item_id(item_id: int) -> GetItemsItemIdResponse:" in source
    True
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from rollout.traffic.recordings import RouteShape
from strangler.porting.models import ModelSource, class_name_of, import_lines

_VARIABLE = re.compile(r"{(\w+)(?::path)?}")


def function_name(route_key: str) -> str:
    """``GET /api/v1/orders/{order_id}`` -> ``get_api_v1_orders_order_id``."""
    return re.sub(r"[^a-z0-9]+", "_", route_key.lower()).strip("_")


def success_status(shape: RouteShape) -> int | None:
    statuses = sorted(status for status in shape.responses if 200 <= status < 300)
    return statuses[0] if statuses else None


def router_module(shape: RouteShape, path_types: Mapping[str, dict[str, Any]]) -> str:
    """The module's source; ``path_types``: legacy's converter schemas by parameter name."""
    method, template = shape.route_key.split(" ", 1)
    path = template  # Starlette's syntax already, {name:path} included
    name = function_name(shape.route_key)
    base = class_name_of(name)
    models = ModelSource()
    parameters = _path_parameters(models, template, path_types, shape)
    parameters += _query_parameters(models, shape)
    if shape.request_schema is not None:
        body = models.annotation(f"{base}Request", shape.request_schema)
        parameters.append(f"body: {body}")
    status = success_status(shape)
    answer = shape.responses.get(status) if status is not None else None
    returns = "None"
    if answer is not None and answer.schema is not None:
        returns = models.annotation(f"{base}Response", answer.schema)
    decorator = f"@router.{method.lower()}({json.dumps(path)}"
    if status is not None and status != 200:
        decorator += f", status_code={status}"
    decorator += ")"
    todo = json.dumps(f"TODO: port {shape.route_key}")
    lines = [
        f'"""{shape.route_key}, ported from legacy: written by `strangler port` from',
        f"{shape.samples} recorded exchange(s). The models are what legacy was seen to answer;",
        'check them against the contract, then write the body."""',
        "",
        "from __future__ import annotations",
        "",
        *import_lines(models.used - {"Field"}),
        "",
        "from fastapi import APIRouter, HTTPException",
        "from pydantic import BaseModel" + (", Field" if "Field" in models.used else ""),
        "",
        "router = APIRouter()",
    ]
    rendered = models.render()
    if rendered:
        lines += ["", "", rendered]
    lines += [
        "",
        "",
        decorator,
        f"async def {name}({', '.join(parameters)}) -> {returns}:",
        f'    """{_statuses(shape)}"""',
        f"    raise HTTPException(status_code=501, detail={todo})",
        "",
    ]
    return "\n".join(_tidy(lines))


def _path_parameters(
    models: ModelSource,
    template: str,
    path_types: Mapping[str, dict[str, Any]],
    shape: RouteShape,
) -> list[str]:
    found = []
    for variable in _VARIABLE.findall(template):
        schema = path_types.get(variable) or shape.path_params.get(variable) or {"type": "string"}
        found.append(f"{variable}: {models.parameter(schema)}")
    return found


def _query_parameters(models: ModelSource, shape: RouteShape) -> list[str]:
    required, optional = [], []
    for name, schema in sorted(shape.query.items()):
        if not name.isidentifier():
            continue  # a key Python cannot name: read it from the Request by hand
        annotation = models.parameter(schema)
        if name in shape.query_always:
            required.append(f"{name}: {annotation}")
        else:
            optional.append(f"{name}: {annotation} | None = None")
    return required + optional


def _statuses(shape: RouteShape) -> str:
    seen = ", ".join(f"{status} x{r.count}" for status, r in sorted(shape.responses.items()))
    return f"Legacy answered: {seen}."


def _tidy(lines: list[str]) -> list[str]:
    """No run of more than two blank lines, none at the top of the imports."""
    tidy: list[str] = []
    for line in lines:
        if line == "" and len(tidy) >= 2 and tidy[-1] == "" and tidy[-2] == "":
            continue
        tidy.append(line)
    return tidy
