"""One entry point for the pytest plugin, the CLI and the bench: load, run, keep the result.

Example:
    results = run_cases(load_cases(Path("cases")), load_pair("myapp.parity:pair"), Path("cases"))
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import structlog

from parity_tests.cases import ParityCase
from parity_tests.harness import Progress, RunOptions, run_suite
from parity_tests.pair import AppPair, RemotePair
from parity_tests.results import ParityResult, save
from parity_tests.world import load_world

LAST_RUN = Path(".strangler") / "parity-last.json"
# The apps log the stack of every planted 500; a parity run reports those as results.
QUIET_LOGGERS = ("legacy_flask", "fastapi_app", "sqlalchemy", "asyncio")


def run_cases(
    cases: Sequence[ParityCase],
    pair: AppPair | RemotePair,
    cases_dir: Path,
    options: RunOptions = RunOptions(),
    progress: Progress | None = None,
    last_run: Path | None = LAST_RUN,
) -> list[ParityResult]:
    with _quiet_apps():
        results = asyncio.run(run_suite(cases, pair, load_world(cases_dir), options, progress))
    if last_run is not None:
        save(results, last_run)
    return results


@contextmanager
def _quiet_apps() -> Iterator[None]:
    if os.environ.get("PARITY_APP_LOGS"):
        yield
        return
    loggers = [logging.getLogger(name) for name in QUIET_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    structlog_config = structlog.get_config()
    # An unconfigured structlog prints to stdout and renders a planted 500's traceback
    # with every local (over a second per case): keep only critical events.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    try:
        yield
    finally:
        structlog.configure(**structlog_config)
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
