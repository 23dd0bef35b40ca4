"""pytest plugin (entry point ``pytest11``): ``pytest --parity`` runs the parity cases.

One test item per case file; the cases selected after ``-k``/deselection run together
(one outer transaction per implementation, a savepoint per case) when the first item
runs, and each item then passes or fails with its own differences. Options:
``--parity-cases DIR`` (default: the reference cases), ``--parity-pair module:function``
(default: this project's two apps), ``--parity-report report.html``, ``--parity-no-noise``.
JUnit XML comes from pytest's own ``--junitxml``.

Example:
    pytest --parity --parity-report report.html --junitxml parity.xml
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from parity_tests.cases import CASES_DIR, ParityCase, load_case_file
from parity_tests.harness import RunOptions
from parity_tests.pair import DEFAULT_PAIR, load_pair
from parity_tests.report import write_html
from parity_tests.results import ParityResult
from parity_tests.runner import run_cases

_RESULTS = pytest.StashKey[dict[str, ParityResult]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("parity", "legacy/new parity cases")
    group.addoption("--parity", action="store_true", help="collect and run the parity cases")
    group.addoption("--parity-cases", default=str(CASES_DIR), help="directory of case files")
    group.addoption("--parity-pair", default=DEFAULT_PAIR, help="module:function -> AppPair")
    group.addoption("--parity-report", default=None, help="write an HTML report here")
    group.addoption("--parity-no-noise", action="store_true", help="skip the second legacy run")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "parity: a legacy/new parity case (pytest --parity)")
    if not config.getoption("parity", False):
        return
    # `pytest --parity` alone runs the cases, not the project's testpaths
    if config.args_source == pytest.Config.ArgsSource.TESTPATHS:
        config.args[:] = [config.getoption("parity_cases")]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    config = parent.config
    if not config.getoption("parity", False) or file_path.suffix != ".json":
        return None
    cases_dir = Path(config.getoption("parity_cases")).resolve()
    if cases_dir not in file_path.resolve().parents or file_path.name.startswith("_"):
        return None
    return CaseFile.from_parent(parent, path=file_path)


class CaseFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
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
        config = session.config
        cases = [item.case for item in session.items if isinstance(item, CaseItem)]
        options = RunOptions(noise=not config.getoption("parity_no_noise"))
        pair = load_pair(config.getoption("parity_pair"))
        results = run_cases(cases, pair, Path(config.getoption("parity_cases")), options)
        session.stash[_RESULTS] = {result.case_id: result for result in results}
    return session.stash[_RESULTS]


def pytest_sessionfinish(session: pytest.Session) -> None:
    report = session.config.getoption("parity_report", None)
    if report and _RESULTS in session.stash:
        write_html(list(session.stash[_RESULTS].values()), Path(report))
