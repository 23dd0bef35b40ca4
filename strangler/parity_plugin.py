"""pytest plugin (entry point ``pytest11``): ``pytest --parity`` runs the project's parity cases.

The project is found as every ``strangler`` command finds it: the nearest ``strangler.toml``
from the working directory upward; its folder goes on ``sys.path``, its ``[parity] cases``
and ``pair`` are the defaults, and its database is the CLI's (``DATABASE_URL``, else the
project's embedded PostgreSQL under ``.strangler/``, started if need be).

One test item per case file; the cases selected after ``-k``/deselection run together
(one outer transaction per implementation, a savepoint per case) when the first item
runs, and each item then passes or fails with its own differences. Options:
``--parity-cases DIR``, ``--parity-pair module:function`` (both override strangler.toml),
``--parity-report report.html``, ``--parity-no-noise``. JUnit XML comes from pytest's own
``--junitxml``.

Example:
    pytest --parity --parity-report report.html --junitxml parity.xml
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from parity_tests.cases import ParityCase
    from parity_tests.pair import AppPair
    from parity_tests.results import ParityResult

_RESULTS = pytest.StashKey[dict[str, "ParityResult"]]()
_TARGET = pytest.StashKey["ParityTarget"]()


@dataclass(frozen=True, slots=True)
class ParityTarget:
    """What ``--parity`` runs: the cases folder, and how to build the app pair (on first use:
    it imports the apps)."""

    cases: Path
    app_pair: Callable[[], AppPair]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("parity", "legacy/new parity cases")
    group.addoption("--parity", action="store_true", help="collect and run the parity cases")
    group.addoption("--parity-cases", default=None, help="case files ([parity] cases)")
    group.addoption("--parity-pair", default=None, help="module:function ([parity] pair)")
    group.addoption("--parity-report", default=None, help="write an HTML report here")
    group.addoption("--parity-no-noise", action="store_true", help="skip the second legacy run")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "parity: a legacy/new parity case (pytest --parity)")
    if not config.getoption("parity", False):
        return
    target = project_target(
        Path(config.invocation_params.dir),
        config.getoption("parity_cases"),
        config.getoption("parity_pair"),
    )
    config.stash[_TARGET] = target
    # `pytest --parity` alone runs the cases, not the project's testpaths
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args[:] = [str(target.cases)]


def project_target(cwd: Path, cases: str | None, pair: str | None) -> ParityTarget:
    """The project around ``cwd``, entered as the CLI enters it, and what it names to run."""
    from parity_tests.errors import ParityError
    from parity_tests.project import load_parity
    from rollout.errors import PlanError
    from rollout.plan import load_toml
    from strangler.project import enter, locate

    project = locate(cwd)
    enter(project, os.environ)
    try:
        raw = load_toml(project.config) if project.config else {}
        settings = load_parity(raw, project.root)
        found = settings.cases_dir(cwd / cases if cases else None)
        apps = raw.get("apps", {})
        target = ParityTarget(found, lambda: settings.app_pair(pair, apps))
    except (ParityError, PlanError) as exc:
        raise pytest.UsageError(f"--parity: {exc}") from exc
    if not target.cases.is_dir():
        raise pytest.UsageError(f"--parity: no cases folder at {target.cases}")
    return target


def _use_project_database() -> None:
    """``DATABASE_URL``, else the embedded PostgreSQL the CLI uses in this project."""
    if os.environ.get("DATABASE_URL"):
        return
    from strangler.devenv import build_environment

    os.environ.update(build_environment("demo", os.environ, quiet=True))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    config = parent.config
    if not config.getoption("parity", False) or file_path.suffix != ".json":
        return None
    cases_dir = config.stash[_TARGET].cases.resolve()
    if cases_dir not in file_path.resolve().parents or file_path.name.startswith("_"):
        return None
    return CaseFile.from_parent(parent, path=file_path)


class CaseFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        from parity_tests.cases import load_case_file

        case = load_case_file(self.path)
        yield CaseItem.from_parent(self, name=case.id, case=case)


class CaseItem(pytest.Item):
    def __init__(self, *, case: ParityCase, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.add_marker(pytest.mark.parity)

    def runtest(self) -> None:
        result = _results(self.session)[self.case.id]
        if not result.passed:
            raise ParityMismatch(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, ParityMismatch):
            return excinfo.value.result.explain()
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"parity: {self.case.route} [{self.case.id}]"


class ParityMismatch(AssertionError):
    def __init__(self, result: ParityResult) -> None:
        super().__init__(result.explain())
        self.result = result


def _results(session: pytest.Session) -> dict[str, ParityResult]:
    if _RESULTS not in session.stash:
        from parity_tests.errors import ParityError
        from parity_tests.harness import RunOptions
        from parity_tests.runner import run_cases

        config = session.config
        target = config.stash[_TARGET]
        cases = [item.case for item in session.items if isinstance(item, CaseItem)]
        options = RunOptions(noise=not config.getoption("parity_no_noise"))
        _use_project_database()
        try:
            pair = target.app_pair()
        except ParityError as exc:
            pytest.fail(f"--parity: {exc}", pytrace=False)
        results = run_cases(cases, pair, target.cases, options)
        session.stash[_RESULTS] = {result.case_id: result for result in results}
    return session.stash[_RESULTS]


def pytest_sessionfinish(session: pytest.Session) -> None:
    report = session.config.getoption("parity_report", None)
    if report and _RESULTS in session.stash:
        from parity_tests.report import write_html

        write_html(list(session.stash[_RESULTS].values()), Path(report))
