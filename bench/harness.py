"""Start servers pinned to a core, drive them with wrk, and report ratios measured in one run.

The machine is noisy (shared 2 vCPU), so a figure only means something next to a baseline
measured in the same run: every benchmark here reports ``setup / baseline`` ratios, and
the absolute numbers only as context. Servers run on core 0, wrk on core 1; every wrk run
is bounded in time and only ever targets 127.0.0.1.

Example:
    with Server(["uvicorn", "bench.apps:new_app", "--port", str(port)], port) as server:
        result = run_wrk(server.url("/new/hello"), connections=50, seconds=5)
"""

from __future__ import annotations

import ctypes
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import psutil

RESULTS = Path(__file__).parent / "RESULTS.md"
SERVER_CORE = "0"
_LIBC = ctypes.CDLL(None, use_errno=True)
CLIENT_CORE = "1"


class BenchError(Exception):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_tool(name: str, debian_package: str | None = None) -> str:
    """Find a Debian-packaged tool, installing it with apt-get when we are allowed to."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        package = debian_package or name
        subprocess.run(["apt-get", "install", "-y", "-qq", package], env=env, check=False)
        if subprocess.run(["which", name], capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
            subprocess.run(["apt-get", "install", "-y", "-qq", package], env=env, check=False)
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if not found:
        raise BenchError(f"{name} is missing: install the Debian package {debian_package or name}")
    return found


def pinned(command: Sequence[str], core: str) -> list[str]:
    return ["taskset", "-c", core, *command] if shutil.which("taskset") else list(command)


class Server:
    """A server process pinned to the server core, ready once ``health_path`` answers 200."""

    def __init__(
        self,
        command: Sequence[str],
        port: int,
        health_path: str = "/",
        env: Mapping[str, str] | None = None,
        core: str = SERVER_CORE,
        ready_timeout: float = 30.0,
        cwd: Path | None = None,
    ) -> None:
        self.command = pinned(command, core)
        self.port = port
        self.health_path = health_path
        # Servers are the project's console scripts (gunicorn, uvicorn): find them in the
        # virtualenv that runs the bench even when it is not activated.
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
        self.env = {**os.environ, "PATH": path, **(env or {})}
        self.ready_timeout = ready_timeout
        self.cwd = cwd  # ``python -m`` puts it first on sys.path, before PYTHONPATH
        self.process: subprocess.Popen[bytes] | None = None
        # A file, not a pipe: nobody drains a pipe during the runs, and a server that logs
        # per request (the router's access line) blocks once 64 KiB of it are unread.
        # Unlinked, so it is gone with the process; closed in __exit__.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(
            self.command,
            env=self.env,
            cwd=self.cwd,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            start_new_session=True,
        )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{' '.join(self.command)} exited: {self.stderr_tail()}")
            try:
                with urllib.request.urlopen(self.url(self.health_path), timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.__exit__(None, None, None)
        raise BenchError(f"{' '.join(self.command)} not ready in {self.ready_timeout}s")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.process is None or self.process.poll() is not None:
            self._stderr.close()
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._stderr.close()

    def stderr_tail(self, limit: int = 2000) -> str:
        self._stderr.seek(0, os.SEEK_END)
        self._stderr.seek(max(0, self._stderr.tell() - limit))
        return self._stderr.read().decode(errors="replace")


@dataclass(frozen=True)
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _latency_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise BenchError(f"unparseable wrk latency {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    total = re.search(r"(\d+) requests in", output)
    if not (rps and p50 and p99 and total):
        raise BenchError(f"unexpected wrk output:\n{output}")
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors += int(non_2xx.group(1)) if non_2xx else 0
    return WrkResult(
        float(rps.group(1)),
        _latency_ms(p50.group(1)),
        _latency_ms(p99.group(1)),
        errors,
        int(total.group(1)),
    )


def run_wrk(
    url: str,
    connections: int,
    seconds: float,
    headers: Mapping[str, str] | None = None,
    script: Path | None = None,
    threads: int = 2,
) -> WrkResult:
    if not url.startswith("http://127.0.0.1:"):
        raise BenchError("benchmarks only target 127.0.0.1")
    command = [
        ensure_tool("wrk"),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "--timeout",
        "5s",
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    completed = subprocess.run(
        [*pinned(command, CLIENT_CORE), url],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=False,
    )
    if completed.returncode != 0:
        raise BenchError(f"wrk failed: {completed.stderr.strip()}")
    return parse_wrk(completed.stdout)


@dataclass(frozen=True)
class H2loadResult:
    """h2load prints no percentiles: the mean time per request instead."""

    rps: float
    mean_ms: float
    errors: int
    requests: int


def parse_h2load(output: str) -> H2loadResult:
    rps = re.search(r"finished in [\d.]+\w*, ([\d.]+) req/s", output)
    done = re.search(r"requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded", output)
    mean = re.search(r"time for request:\s+\S+\s+\S+\s+(\S+)", output)
    if not (rps and done and mean):
        raise BenchError(f"unexpected h2load output:\n{output}")
    total, succeeded = int(done.group(1)), int(done.group(2))
    return H2loadResult(float(rps.group(1)), _latency_ms(mean.group(1)), total - succeeded, total)


def run_h2load(
    url: str, clients: int, streams: int, seconds: float, http1: bool = False
) -> H2loadResult:
    """``clients`` connections with ``streams`` requests in flight on each; HTTP/2 with
    prior knowledge on an http:// URL, or HTTP/1.1 (one request in flight per connection)."""
    if not url.startswith("http://127.0.0.1:"):
        raise BenchError("benchmarks only target 127.0.0.1")
    command = [ensure_tool("h2load", "nghttp2-client"), "-t1", f"-c{clients}"]
    command += ["--h1"] if http1 else [f"-m{streams}"]
    command += ["-D", str(max(1, round(seconds))), url]
    completed = subprocess.run(
        pinned(command, CLIENT_CORE), capture_output=True, text=True, timeout=seconds + 30
    )
    if completed.returncode != 0:
        raise BenchError(f"h2load failed: {completed.stderr.strip() or completed.stdout[-500:]}")
    return parse_h2load(completed.stdout)


def median_of(rounds: int, measure: Callable[[], WrkResult]) -> WrkResult:
    """Median of several rounds, to take the edge off this machine's ±30% noise."""
    results = [measure() for _ in range(rounds)]
    return WrkResult(
        statistics.median(r.rps for r in results),
        statistics.median(r.p50_ms for r in results),
        statistics.median(r.p99_ms for r in results),
        sum(r.errors for r in results),
        sum(r.requests for r in results),
    )


def commit_line() -> str:
    """The commit the bench ran at, marked when the tree held uncommitted changes (other
    than RESULTS.md itself, which each section of a run writes in turn)."""
    repo = Path(__file__).parent.parent

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short=12", "HEAD") or "unknown commit"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/RESULTS.md")
    return f"commit {commit}{' + uncommitted changes' if dirty else ''}"


def cpu_ns(pid: int) -> int:
    """Nanoseconds of CPU the process ``pid`` has used, all its threads, ended ones too:
    its process CPU clock (``clock_getcpuclockid``), which the kernel keeps in ns."""
    clock = ctypes.c_int()
    if _LIBC.clock_getcpuclockid(pid, ctypes.byref(clock)) != 0:
        raise OSError(f"no CPU clock for process {pid}")
    return time.clock_gettime_ns(clock.value)


def children_cpu_ns(pid: int) -> int:
    total = 0
    for child in psutil.Process(pid).children(recursive=True):
        try:
            total += cpu_ns(child.pid)
        except OSError:
            continue
    return total


def process_tree_rss(pid: int) -> dict[str, int]:
    """Resident bytes of a process (``main``) and of each live child by its command name."""
    found: dict[str, int] = {}
    try:
        root = psutil.Process(pid)
        found["main"] = root.memory_info().rss
        for index, child in enumerate(root.children(recursive=True)):
            found[f"child {index + 1}"] = child.memory_info().rss
    except psutil.Error:
        pass
    return found


def machine_line() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    python = sys.version.split()[0]
    where = f"{platform.node()}; {os.cpu_count()} vCPU ({cpu}); Python {python}"
    return f"{stamp}; {commit_line()}; {where}"


def write_section(name: str, body: str) -> None:
    """Replace (or append) one benchmark's section of bench/RESULTS.md."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\n"
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(text)
