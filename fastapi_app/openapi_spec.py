"""The OpenAPI document as the contract reads: errors are 400 ``invalid_request``, never 422.

FastAPI adds a 422 "Validation Error" to every operation with parameters; the port never
answers it (it validates requests itself), so those entries and their schemas go.

Example:
    >>> drop_validation_errors({"paths": {}, "components": {"schemas": {}}})
    {'paths': {}, 'components': {'schemas': {}}}
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
ABOUT = (
    "The payments API, served by the FastAPI port. Every error has the shape "
    '`{"error": {"code", "message", "details"}}`. Unknown routes answer 404, a known route '
    "with another method 405 with `Allow`, bodies over 1 MiB 413 `request_too_large`."
)


def _is_fastapi_validation(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return str(schema.get("$ref", "")).endswith("/HTTPValidationError")


def drop_validation_errors(document: dict[str, Any]) -> dict[str, Any]:
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            if _is_fastapi_validation(responses.get("422", {})):
                del responses["422"]
    schemas = document.get("components", {}).get("schemas", {})
    for name in VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    return document


def truthful_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title, version=app.version, description=ABOUT, routes=app.routes
        )
        app.openapi_schema = drop_validation_errors(document)
    return app.openapi_schema
