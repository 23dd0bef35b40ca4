"""A small FastAPI app: some routes shared with the Flask test app, some only here."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import JSONResponse, StreamingResponse


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    yield {"started": True}


app = FastAPI(lifespan=lifespan)


@app.get("/items/{item_id}")
async def item(item_id: int) -> dict[str, Any]:
    return {"source": "new", "id": item_id}


@app.get("/shared")
async def shared() -> dict[str, str]:
    return {"source": "new"}


@app.get("/new-only")
async def new_only(request: Request) -> dict[str, Any]:
    return {"source": "new", "started": request.state.started}


@app.get("/client")
async def client(request: Request) -> dict[str, Any]:
    return {"client": request.client.host if request.client else None}


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/echo-body")
async def echo_body(request: Request) -> dict[str, Any]:
    data = await request.body()
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


FLAKY_HANG_SECONDS = 3.0  # 10x the fallback tests' timeout


@app.api_route("/flaky/{case}", methods=["GET", "POST"])
async def flaky(case: str, request: Request) -> Any:
    """Fails as asked: ``raise``, ``hang``, ``503``; anything else answers (from new)."""
    if case == "raise":
        raise RuntimeError("the port failed")
    if case == "hang":
        await asyncio.sleep(FLAKY_HANG_SECONDS)
    if case == "503":
        return JSONResponse({"error": {"code": "unavailable"}}, status_code=503)
    return {"case": case, "source": "new", "body": (await request.body()).decode()}


@app.websocket("/ws/echo")
async def ws_echo(websocket: WebSocket) -> None:
    """Echoes text and bytes; "bye" closes with 4000 (the code must cross the router)."""
    await websocket.accept(subprotocol=(websocket.scope.get("subprotocols") or [None])[0])
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") == "bye":
            await websocket.close(code=4000)
            return
        if message.get("text") is not None:
            await websocket.send_text(message["text"])
        else:
            await websocket.send_bytes(message["bytes"])


@app.get("/events")
async def events() -> StreamingResponse:
    """Server-sent events: one now, one after a second (a buffering hop would hold both)."""

    async def stream() -> AsyncIterator[bytes]:
        yield b"data: first\n\n"
        await asyncio.sleep(1.5)
        yield b"data: second\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream")
