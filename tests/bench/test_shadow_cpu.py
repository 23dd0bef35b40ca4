"""The CPU meter of the shadow-cost bench counts this process's threads, and the table says
which variant met the goal."""

from __future__ import annotations

import os
import threading
import time

from bench.harness import cpu_ns
from bench.shadow_cpu import CpuRow, render


def _spin(cpu_seconds: float) -> None:
    """Run for this much of the calling thread's own CPU time (not wall time)."""
    end = time.thread_time() + cpu_seconds
    while time.thread_time() < end:
        pass


def test_cpu_ns_counts_work_on_every_thread_of_the_process():
    before = cpu_ns(os.getpid())
    worker = threading.Thread(target=_spin, args=(0.05,))
    worker.start()
    _spin(0.05)
    worker.join()
    spent = cpu_ns(os.getpid()) - before
    assert spent >= 80_000_000  # both threads' 50 ms, in nanoseconds


def test_the_table_marks_the_goal_against_the_baseline():
    rows = [
        CpuRow("inprocess", "none", 200.0, 0.0, 200.0, 0, 1000),
        CpuRow("inprocess", "100% shadow, worker process", 208.0, 300.0, 200.0, 990, 1000),
        CpuRow("inprocess", "100% shadow on the loop", 420.0, 0.0, 200.0, 1000, 1000),
    ]
    table = render(rows, rounds=5)
    assert "| 1.040 | yes |" in table
    assert "| 2.100 | **no** |" in table
    assert "| 1.000 | (control) |" in table
