"""The supervisor with plain HTTP servers as children: prefixed output, restart after a
crash, restart after a hang (liveness), and an ordered stop that leaves nothing behind."""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psutil
import pytest

from strangler.deploy import StartupError
from strangler.deploy.commands import ProcessSpec
from strangler.deploy.supervisor import Supervisor
from tests.fixtures.rollout import free_port, wait_until


def http_server(name: str, tier: int = 1) -> ProcessSpec:
    port = free_port()
    argv = (sys.executable, "-u", "-m", "http.server", str(port), "--bind", "127.0.0.1")
    return ProcessSpec(name, argv, f"http://127.0.0.1:{port}/", tier=tier)


@contextmanager
def supervising(*specs: ProcessSpec, liveness: float = 30.0) -> Iterator[Supervisor]:
    supervisor = Supervisor(specs, output=io.StringIO(), liveness_seconds=liveness)
    stopping = threading.Event()
    supervisor.start()
    loop = threading.Thread(target=supervisor.run_until, args=(stopping, 0.05))
    loop.start()
    try:
        yield supervisor
    finally:
        stopping.set()
        loop.join()
        supervisor.stop(drain_seconds=2)


def output(supervisor: Supervisor) -> str:
    stream = supervisor.out.stream
    assert isinstance(stream, io.StringIO)
    return stream.getvalue()


def test_output_lines_are_prefixed_with_the_process_name():
    with supervising(http_server("alpha"), http_server("beta", tier=2)) as supervisor:
        assert "up    | alpha healthy" in output(supervisor)
        assert "up    | beta healthy" in output(supervisor)


@pytest.mark.parametrize(
    ("fault", "liveness"),
    [
        pytest.param(signal.SIGKILL, 30.0, id="crash"),
        pytest.param(signal.SIGSTOP, 1.0, id="hang"),
    ],
)
def test_a_crashed_or_hung_child_is_replaced(fault, liveness):
    with supervising(http_server("alpha"), liveness=liveness) as supervisor:
        before = supervisor.pids()["alpha"]
        os.kill(before, fault)
        wait_until(lambda: supervisor.pids()["alpha"] != before, timeout=15)
        assert not psutil.pid_exists(before) or psutil.Process(before).status() == "zombie"
        assert "restart #1" in output(supervisor)


def test_stop_goes_from_the_highest_tier_down_and_leaves_nothing():
    with supervising(http_server("app"), http_server("front", tier=2)) as supervisor:
        children = [psutil.Process(pid) for pid in supervisor.pids().values()]
    _, alive = psutil.wait_procs(children, timeout=5)
    assert alive == []
    text = output(supervisor)
    assert text.index("stopping front") < text.index("stopping app")


def test_a_child_that_never_gets_healthy_fails_the_start():
    spec = ProcessSpec("mute", (sys.executable, "-c", "import time; time.sleep(30)"),
                       f"http://127.0.0.1:{free_port()}/")  # fmt: skip
    supervisor = Supervisor([spec], output=io.StringIO(), ready_timeout=1.0)
    started = time.monotonic()
    with pytest.raises(StartupError, match="mute not healthy"):
        supervisor.start()
    supervisor.stop(drain_seconds=1)
    assert time.monotonic() - started < 10
