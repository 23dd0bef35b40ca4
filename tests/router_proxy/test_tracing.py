"""OpenTelemetry spans per routed request: one server span named by the route key once the
application has set a TracerProvider (the SDK's in-memory exporter here), none before.

A provider can be set once per process, so the SDK runs in a child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from router_proxy import tracing
from router_proxy.asgi import build_app
from router_proxy.config import Settings
from tests.router_proxy.in_process import run_in_process
from tests.router_proxy.servers import ROOT

LEGACY = "tests.router_proxy.apps.flask_app:app"

SCRIPT = """
import json
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from router_proxy import tracing
from router_proxy.asgi import build_app
from router_proxy.config import Settings
from tests.router_proxy.in_process import run_in_process

tracing.LIVE_RECHECK_SECONDS = 0.0  # the provider is set between two requests below
app = build_app(Settings(legacy_app="{legacy}"))
exporter = InMemorySpanExporter()

async def scenario(client):
    await client.get("/items/1")  # no provider yet: no span
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    await client.get("/items/2")
    await client.get("/nowhere")

run_in_process(app, scenario)
print(json.dumps([
    {{"name": s.name, "kind": s.kind.name, "attributes": dict(s.attributes)}}
    for s in exporter.get_finished_spans()
]))
"""


def test_a_span_per_request_once_a_provider_is_set():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(legacy=LEGACY)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    spans = json.loads(done.stdout.strip().splitlines()[-1])

    assert [(s["name"], s["kind"]) for s in spans] == [
        ("GET /items/{item_id}", "SERVER"),
        ("GET (unmatched)", "SERVER"),
    ]
    first = spans[0]["attributes"]
    assert first["http.route"] == "GET /items/{item_id}"
    assert (first["http.response.status_code"], first["strangler.backend"]) == (200, "legacy")


def test_no_span_is_opened_while_no_provider_is_set(monkeypatch):
    app = build_app(Settings(legacy_app=LEGACY))
    tracer = app.dispatcher.parts.tracer
    assert isinstance(tracer, tracing.OtelTracer)
    opened: list[str] = []
    monkeypatch.setattr(tracer, "span", lambda scope, route: opened.append(scope["path"]))

    async def scenario(client):
        return (await client.get("/items/3")).status_code

    assert run_in_process(app, scenario) == 200
    assert opened == [] and tracer.live() is False
