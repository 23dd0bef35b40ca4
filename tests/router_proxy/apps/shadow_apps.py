"""Two apps that agree on ``GET /shadowed/ok`` and disagree in every way a shadow
candidate can misbehave (A7): raise, hang, answer 1 MB, or answer differently."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from fastapi import FastAPI
from flask import Flask, jsonify
from flask.typing import ResponseReturnValue

legacy = Flask("shadow_legacy")
new = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
HANG_SECONDS = 3.0  # 10x the tests' shadow timeout
GATE = threading.Event()  # ``GET /held`` answers once a test sets it


@legacy.get("/held")
def legacy_held() -> ResponseReturnValue:
    """A legacy-only request that stays in flight until the test lets it go."""
    GATE.wait(10)
    return jsonify(held=True)


@legacy.get("/shadowed/<case>")
def legacy_case(case: str) -> ResponseReturnValue:
    return jsonify(case=case, source="same")


@new.get("/shadowed/{case}")
async def new_case(case: str) -> Any:
    if case == "raise":
        raise RuntimeError("candidate failure")
    if case == "hang":
        await asyncio.sleep(HANG_SECONDS)
    if case == "huge":
        return {"case": case, "padding": "x" * (1024 * 1024)}
    if case == "differ":
        return {"case": case, "source": "other"}
    return {"case": case, "source": "same"}
