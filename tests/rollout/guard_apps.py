"""A legacy and a new app that agree on ``GET /things/<id>`` until a test breaks the new
one: ``NEW_BEHAVIOUR["mode"]`` = "ok", "5xx" (answers 500) or "differ" (another body)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from flask import Flask, jsonify
from flask.typing import ResponseReturnValue

NEW_BEHAVIOUR = {"mode": "ok"}
legacy = Flask("guard_legacy")
new = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@legacy.get("/things/<int:thing_id>")
def legacy_thing(thing_id: int) -> ResponseReturnValue:
    return jsonify(id=thing_id, name="thing")


@new.get("/things/{thing_id}")
async def new_thing(thing_id: int) -> Any:
    if NEW_BEHAVIOUR["mode"] == "5xx":
        return JSONResponse({"error": "injected"}, status_code=500)
    if NEW_BEHAVIOUR["mode"] == "differ":
        return {"id": thing_id, "name": "another thing"}
    return {"id": thing_id, "name": "thing"}
