"""``/_strangler/metrics`` through a real router, the multiprocess sum of two worker
processes, and the JSON access log: its fields, its redaction, and that it stays off stdout."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest

from rollout.flags.static import StaticProvider
from rollout.plan import parse_plan
from router_proxy.config import load_settings
from router_proxy.errors import ConfigError
from router_proxy.logs import json_formatter
from tests.rollout import guard_apps
from tests.router_proxy.rollout_router import running_router
from tests.router_proxy.servers import ROOT

ROUTE = "GET /things/{thing_id}"


def test_metrics_endpoint_counts_requests_per_route_and_backend():
    provider = StaticProvider(parse_plan({"routes": {ROUTE: {"mode": "new"}}}))
    with running_router(guard_apps.legacy, guard_apps.new, provider) as router:
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


@pytest.mark.parametrize(
    ("access_log", "new_behaviour", "lines"),
    [
        pytest.param("all", "ok", 1, id="all-logs-a-200"),
        pytest.param("errors", "ok", 0, id="errors-skips-a-200"),
        pytest.param("errors", "5xx", 1, id="errors-logs-a-500"),
        pytest.param("off", "5xx", 0, id="off-logs-nothing"),
    ],
)
def test_access_log_setting_picks_the_lines(caplog, monkeypatch, access_log, new_behaviour, lines):
    monkeypatch.setitem(guard_apps.NEW_BEHAVIOUR, "mode", new_behaviour)
    provider = StaticProvider(parse_plan({"routes": {ROUTE: {"mode": "new"}}}))
    with (
        running_router(guard_apps.legacy, guard_apps.new, provider, access_log=access_log) as r,
        caplog.at_level(logging.INFO, logger="router_proxy.access"),
    ):
        r.get("/things/4")
    assert len([rec for rec in caplog.records if rec.name == "router_proxy.access"]) == lines


def test_access_line_redacts_a_key_in_the_path(caplog):
    provider = StaticProvider(parse_plan({"routes": {ROUTE: {"mode": "legacy"}}}))
    with (
        running_router(guard_apps.legacy, guard_apps.new, provider) as router,
        caplog.at_level(logging.INFO, logger="router_proxy.access"),
    ):
        router.get("/keys/sk_live_pathsecret1")
    records = [r for r in caplog.records if r.name == "router_proxy.access"]
    line = json.loads(json_formatter().format(records[-1]))

    assert (line["event"], line["status"], line["path"]) == ("request", 404, "/keys/[redacted]")
    assert line["timestamp"].endswith("Z") and line["level"] == "info"


def test_access_log_setting_rejects_unknown_values():
    with pytest.raises(ConfigError, match="access_log"):
        load_settings({"router": {"access_log": "some"}}, env={}, overrides={})


@pytest.mark.parametrize(
    ("sent_id", "logged_id"),
    [
        pytest.param(None, "minted", id="router-made-id-kept-as-is"),
        pytest.param("order-4242424242424242", "order-[redacted]", id="client-card-redacted"),
        pytest.param("trace-abc.1", "trace-abc.1", id="client-plain-id-kept"),
    ],
)
def test_access_line_redacts_only_a_request_id_the_client_sent(caplog, sent_id, logged_id):
    provider = StaticProvider(parse_plan({"routes": {ROUTE: {"mode": "legacy"}}}))
    headers = {"X-Request-Id": sent_id} if sent_id else {}
    with (
        running_router(guard_apps.legacy, guard_apps.new, provider) as router,
        caplog.at_level(logging.INFO, logger="router_proxy.access"),
    ):
        answer = router.get("/things/2", headers)
    records = [r for r in caplog.records if r.name == "router_proxy.access"]
    line = json.loads(json_formatter().format(records[-1]))

    expected = answer.headers["x-request-id"] if logged_id == "minted" else logged_id
    assert line["request_id"] == expected


def test_access_record_carries_what_stdlib_formatters_read(caplog):
    provider = StaticProvider(parse_plan({"routes": {ROUTE: {"mode": "legacy"}}}))
    with (
        running_router(guard_apps.legacy, guard_apps.new, provider) as router,
        caplog.at_level(logging.INFO, logger="router_proxy.access"),
    ):
        router.get("/things/1")
        router.get("/things/2")
    first, second = [r for r in caplog.records if r.name == "router_proxy.access"][-2:]
    plain = logging.Formatter("%(asctime)s %(levelname)s %(name)s %(threadName)s %(process)d")

    assert plain.format(second).split(" ", 2)[2].startswith("INFO router_proxy.access ")
    assert second.created >= first.created and second.relativeCreated >= first.relativeCreated
    assert second.process == os.getpid() and second.msg["path"] == "/things/2"
    assert first.msg["path"] == "/things/1"
