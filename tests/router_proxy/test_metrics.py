"""``/_strangler/metrics`` through a real router, the multiprocess sum of two worker
processes, and the JSON access log: its fields, its redaction, and that it stays off stdout."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

from rollout.plan import parse_plan
from rollout.providers.static import StaticProvider
from router_proxy.logs import json_formatter
from router_proxy.observability import attach_metrics
from tests.rollout import guard_apps
from tests.router_proxy.rollout_router import running_router
from tests.router_proxy.servers import ROOT

ROUTE = "GET /things/{thing_id}"


def test_metrics_endpoint_counts_requests_per_route_and_backend():
    provider = StaticProvider(parse_plan({"routes": {ROUTE: {"mode": "new"}}}))
    with running_router(guard_apps.legacy, guard_apps.new, provider) as router:
        attach_metrics(router.app)
        before = _sample(router.get("/_strangler/metrics").text, ROUTE, "new", "2xx")
        for _ in range(3):
            assert router.get("/things/3").status_code == 200
        text = router.get("/_strangler/metrics").text

    assert _sample(text, ROUTE, "new", "2xx") == before + 3
    assert (
        f'strangler_request_duration_seconds_bucket{{backend="new",le="10.0",route="{ROUTE}"}}'
        in text
    )
    assert "strangler_legacy_threads 10.0" in text
    assert 'strangler_flag_provider_healthy{provider="static"} 1.0' in text


def _sample(text: str, route: str, backend: str, status_class: str) -> float:
    prefix = (
        f'strangler_requests_total{{backend="{backend}",route="{route}",'
        f'status_class="{status_class}"}} '
    )
    lines = [line for line in text.splitlines() if line.startswith(prefix)]
    return float(lines[0].removeprefix(prefix)) if lines else 0.0


WORKER = """
from router_proxy.metrics import PrometheusSink
sink = PrometheusSink()
for _ in range({n}):
    sink.request("GET /things/{{thing_id}}", "legacy", 200, 0.01)
"""


def test_two_worker_processes_are_summed(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    for n in (2, 5):
        subprocess.run([sys.executable, "-c", WORKER.format(n=n)], env=env, check=True)
    render = "from router_proxy.metrics import render; print(render()[0].decode())"
    text = subprocess.run(
        [sys.executable, "-c", render], env=env, check=True, capture_output=True, text=True
    ).stdout

    assert _sample(text, ROUTE, "legacy", "2xx") == 7


def test_access_log_is_json_on_stdlib_logging_redacted_and_not_on_stdout(caplog, capsys):
    provider = StaticProvider(parse_plan({"routes": {ROUTE: {"mode": "legacy"}}}))
    secret = "sk_live_s3cr3tvalue"
    with (
        running_router(guard_apps.legacy, guard_apps.new, provider) as router,
        caplog.at_level(logging.INFO, logger="router_proxy.access"),
    ):
        router.get("/things/9?api_key=" + secret, {"Authorization": f"Bearer {secret}"})
    records = [r for r in caplog.records if r.name == "router_proxy.access"]

    assert records, "one access record per request"
    line = json.loads(json_formatter().format(records[-1]))
    assert {k: line[k] for k in ("route_key", "backend", "mode", "status")} == {
        "route_key": ROUTE,
        "backend": "legacy",
        "mode": "legacy",
        "status": 200,
    }
    assert line["request_id"] and line["duration_ms"] >= 0
    assert secret not in json.dumps(line)
    assert "sk_live" not in capsys.readouterr().out


def test_the_redaction_processor_runs_before_rendering(caplog):
    from router_proxy.logs import access_log

    with caplog.at_level(logging.INFO, logger="router_proxy.access"):
        access_log.info(
            "request", authorization="Bearer abc", note="key sk_test_abc1 and Bearer x1"
        )
    line = json_formatter().format(caplog.records[-1])

    assert json.loads(line)["authorization"] == "[redacted]"
    assert "abc" not in line and "sk_test_abc1" not in line and "x1" not in line
