"""Keep a set of processes running: start them tier by tier once the previous tier is
healthy, restart any that exits with exponential backoff, prefix every output line with
the process name, and on ``stop()`` drain them in reverse tier order (the router first,
so no new request reaches an app that is shutting down).

Children run in their own sessions, so Ctrl-C in a terminal reaches only the supervisor,
which then sends SIGTERM in order; gunicorn and uvicorn finish in-flight requests on
SIGTERM. Each child also gets SIGTERM from the kernel if the supervisor dies (Linux
``PR_SET_PDEATHSIG``), so a killed supervisor leaves no orphans.

Example:
    supervisor = Supervisor(specs, Path(".strangler/up.json"))
    supervisor.start()          # raises StartupError if a tier does not come up
    supervisor.run_until(stop)  # restarts crashed children until stop() is set
    supervisor.stop(drain_seconds=15)
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from strangler.deploy import StartupError
from strangler.deploy.commands import ProcessSpec

FIRST_BACKOFF = 0.5
MAX_BACKOFF = 10.0
STABLE_AFTER = 30.0  # a child up this long is healthy again: its backoff starts over
LIVENESS_EVERY = 2.0  # seconds between health checks of a running child
PR_SET_PDEATHSIG = 1


@dataclass
class Child:
    spec: ProcessSpec
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    backoff: float = FIRST_BACKOFF
    restart_at: float | None = None
    unhealthy_since: float | None = None
    checked_at: float = 0.0
    pump: threading.Thread | None = field(default=None, repr=False)


class PrefixedOutput:
    """Writes whole lines as ``name | line``; one lock so lines never interleave."""

    def __init__(self, stream: IO[str], width: int) -> None:
        self.stream = stream
        self.width = width
        self.lock = threading.Lock()

    def line(self, name: str, text: str) -> None:
        with self.lock:
            self.stream.write(f"{name:<{self.width}} | {text.rstrip()}\n")
            self.stream.flush()

    def pump(self, name: str, pipe: IO[bytes]) -> None:
        for raw in iter(pipe.readline, b""):
            self.line(name, raw.decode("utf-8", "replace"))
        pipe.close()


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Supervisor:
    def __init__(
        self,
        specs: Sequence[ProcessSpec],
        state_file: Path | None = None,
        base_env: dict[str, str] | None = None,
        output: IO[str] | None = None,
        ready_timeout: float = 60.0,
        liveness_seconds: float = 30.0,
    ) -> None:
        self.children = [Child(spec) for spec in specs]
        self.state_file = state_file
        self.base_env = dict(os.environ if base_env is None else base_env)
        width = max([len(spec.name) for spec in specs] + [len("up")])
        self.out = PrefixedOutput(output or sys.stdout, width)
        self.ready_timeout = ready_timeout
        # Alive but not answering its health check this long (a hung master, workers that
        # keep failing to boot): restarted like a crash. Long enough to ride out overload.
        self.liveness_seconds = liveness_seconds

    def log(self, text: str) -> None:
        self.out.line("up", text)

    def start(self) -> None:
        for tier in sorted({child.spec.tier for child in self.children}):
            group = [child for child in self.children if child.spec.tier == tier]
            for child in group:
                self._spawn(child)
            for child in group:
                self._wait_healthy(child)
        self._write_state()

    def run_until(self, stopping: threading.Event, tick: float = 0.2) -> None:
        """Restart children that exit, until ``stopping`` is set (by a signal handler)."""
        while not stopping.wait(tick):
            now = time.monotonic()
            for child in self.children:
                self._check(child, now)

    def stop(self, drain_seconds: float) -> None:
        """SIGTERM tier by tier, highest first; SIGKILL whatever outlives the drain."""
        for tier in sorted({child.spec.tier for child in self.children}, reverse=True):
            group = [child for child in self.children if child.spec.tier == tier]
            for child in group:
                self._signal(child, signal.SIGTERM)
            for child in group:
                self._reap(child, drain_seconds + 5)
        if self.state_file:
            self.state_file.unlink(missing_ok=True)
        self.log("all processes stopped")

    def pids(self) -> dict[str, int]:
        return {c.spec.name: c.process.pid for c in self.children if c.process is not None}

    def _spawn(self, child: Child) -> None:
        spec = child.spec
        process = subprocess.Popen(
            spec.argv,
            env={**self.base_env, **spec.env},
            cwd=spec.cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # only sets a signal: no locks taken
        )
        assert process.stdout is not None
        child.process, child.started_at, child.restart_at = process, time.monotonic(), None
        # A fresh process gets the whole ready timeout before liveness counts against it.
        child.checked_at = child.started_at + self.ready_timeout
        child.pump = threading.Thread(
            target=self.out.pump, args=(spec.name, process.stdout), daemon=True
        )
        child.pump.start()
        self.log(f"started {spec.name} (pid {process.pid})")

    def _wait_healthy(self, child: Child) -> None:
        deadline = time.monotonic() + self.ready_timeout
        assert child.process is not None
        while time.monotonic() < deadline:
            if child.process.poll() is not None:
                raise StartupError(f"{child.spec.name} exited ({child.process.returncode})")
            if healthy(child.spec.health_url):
                self.log(f"{child.spec.name} healthy at {child.spec.health_url}")
                child.checked_at = time.monotonic()  # liveness counts from here
                return
            time.sleep(0.2)
        raise StartupError(f"{child.spec.name} not healthy after {self.ready_timeout:.0f} s")

    def _check(self, child: Child, now: float) -> None:
        if child.process is None:
            return
        if child.restart_at is not None:
            if now >= child.restart_at:
                self._spawn(child)
                self._write_state()
            return
        code = child.process.poll()
        if code is None:
            if now - child.started_at > STABLE_AFTER and child.unhealthy_since is None:
                child.backoff = FIRST_BACKOFF
            if not self._alive(child, now):
                self.log(f"{child.spec.name} unhealthy for {self.liveness_seconds:.0f} s")
                self._signal(child, signal.SIGTERM)
                self._reap(child, timeout=5)
                code = child.process.returncode
            else:
                return
        # Workers of a dead master would keep the port and serve stale code: end them too.
        _kill_group(child.process.pid)
        child.restarts += 1
        child.restart_at = now + child.backoff
        self.log(
            f"{child.spec.name} exited ({code}); restart #{child.restarts} in {child.backoff:.1f} s"
        )
        child.backoff = min(child.backoff * 2, MAX_BACKOFF)

    def _alive(self, child: Child, now: float) -> bool:
        """False once the health check has failed for ``liveness_seconds`` in a row."""
        if now - child.checked_at < LIVENESS_EVERY:
            return True
        child.checked_at = now
        if healthy(child.spec.health_url, timeout=2.0):
            child.unhealthy_since = None
            return True
        child.unhealthy_since = child.unhealthy_since or now
        if now - child.unhealthy_since < self.liveness_seconds:
            return True
        child.unhealthy_since = None
        return False

    def _signal(self, child: Child, signum: signal.Signals) -> None:
        if child.process is not None and child.process.poll() is None:
            self.log(f"stopping {child.spec.name} ({signum.name})")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.process.pid, signum)

    def _reap(self, child: Child, timeout: float) -> None:
        if child.process is None:
            return
        try:
            child.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._signal(child, signal.SIGKILL)
            child.process.wait()
        _kill_group(child.process.pid)  # workers that outlived their master
        if child.pump is not None:
            child.pump.join(timeout=2)

    def _write_state(self) -> None:
        if self.state_file is None:
            return
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        state = {"supervisor": os.getpid(), "processes": self.pids()}
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        tmp.replace(self.state_file)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def healthy(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def install_stop_handlers(stopping: threading.Event) -> Callable[[], None]:
    """SIGINT and SIGTERM set ``stopping``; returns a function restoring the old handlers."""
    previous = {
        signum: signal.signal(signum, lambda *_: stopping.set())
        for signum in (signal.SIGINT, signal.SIGTERM)
    }

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    return restore
