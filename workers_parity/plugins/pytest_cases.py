"""The pytest plugin that turns a project's cases into tests: one per case and worker (`corpus.toml::hello[js]`), run
before every other test of the session, so the workers see them on fresh state, in file order. Each case is sent to
every worker once, when its first test runs, and judged as `workers-parity run` judges it (run/judging.py); each
worker's test passes, fails (with the divergence) or is an expected failure (a pinned difference).

Active in a workers-parity run (plugins/pytest_workers.py): case files are collected wherever pytest meets them (its
arguments, testpaths); with --workers-parity they are collected even when the arguments do not reach them, unless an
--ignore leaves them out (the run records every case file, so the report lists one left out as not run).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

import pytest

from workers_parity.cases.model import Case
from workers_parity.http import everywhere
from workers_parity.plugins import pytest_results as recorded
from workers_parity.plugins import pytest_workers
from workers_parity.project.config import ConfigError
from workers_parity.run import replay
from workers_parity.run import suite as project_suite
from workers_parity.run.judging import CaseJudge, Verdict
from workers_parity.run.suite import Suite
from workers_parity.run.targets import Target

SUITE = pytest.StashKey[Suite]()
FIXTURE = "workers_parity_cases"


class CaseFailed(AssertionError):
    """A worker's answer to a case diverged or was not the expected one; the message is the judgement's report."""


@pytest.hookimpl(trylast=True)  # after pytest_workers has chosen the targets
def pytest_configure(config: pytest.Config) -> None:
    selection = config.stash.get(pytest_workers.SELECTION, None)
    if selection is None:
        return
    try:
        suite = project_suite.load(selection.project)
    except ConfigError as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[SUITE] = suite
    facts = recorded.ProjectFacts(selection.project.ids(), suite.case_ids(), list(map(str, suite.plugins.paths)))
    recorded.declare_project(config, facts)
    if config.getoption("workers_parity"):
        config.args += [str(path) for path in suite.files if not _reached(config, path) and not _ignored(config, path)]


def _reached(config: pytest.Config, path: Path) -> bool:
    """Does one of the run's arguments (a folder or the file itself) already collect this case file?"""
    here = config.invocation_params.dir
    return _under(path, ((here / arg.split("::")[0]).resolve() for arg in config.args))


def _ignored(config: pytest.Config, path: Path) -> bool:
    """Does an `--ignore` leave this case file out? pytest would collect a file named on its command line anyway; a
    case file left out is not added, so that the report lists its cases as not run."""
    here = config.invocation_params.dir
    return _under(path.resolve(), {(here / given).resolve() for given in config.getoption("ignore") or []})


def _under(path: Path, given: Iterable[Path]) -> bool:
    """Is the path one of the given paths, or inside one of them? (Stops at the first that holds it.)"""
    return not {path, *path.parents}.isdisjoint(given)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    suite = parent.config.stash.get(SUITE, None)
    if suite is not None and file_path.resolve() in suite.files:
        return CaseFile.from_parent(parent, path=file_path)
    return None


class CaseFile(pytest.File):
    def collect(self):
        suite = self.config.stash[SUITE]
        targets = self.config.stash[pytest_workers.SELECTION].targets
        for case in suite.cases:
            if case.source is not None and case.source.path.resolve() == self.path.resolve():
                for target in targets:
                    yield CaseTest.from_parent(
                        self, name=f"{case.id}[{target.id}]", callobj=_test_of(case, target), case=case, target=target
                    )


def _test_of(case: Case, target: Target):
    def case_test(request: pytest.FixtureRequest, workers_parity_cases: CaseRunner) -> None:
        workers_parity_cases.check(request.node, case, target)

    return case_test


class CaseTest(pytest.Function):
    def __init__(self, *, case: Case, target: Target, **kwargs) -> None:
        super().__init__(**kwargs)
        self.case, self.target = case, target

    def reportinfo(self):
        source = self.case.source
        return (
            (source.path, source.line - 1, f"case {self.case.id} on {self.target.id}")
            if source
            else super().reportinfo()
        )

    def repr_failure(self, excinfo, style=None):
        if excinfo.errisinstance(CaseFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Cases first: they expect fresh state, and other tests change it."""
    items[:] = [item for item in items if isinstance(item, CaseTest)] + [
        item for item in items if not isinstance(item, CaseTest)
    ]


@pytest.hookimpl(trylast=True)
def pytest_workers_parity_case(item: pytest.Item) -> str | None:
    return item.case.id if isinstance(item, CaseTest) else None


@pytest.hookimpl(trylast=True)
def pytest_workers_parity_rules(item: pytest.Item) -> list[str] | None:
    if isinstance(item, CaseTest):
        return item.config.stash[SUITE].plugins.rules(item.case)
    return None


class CaseRunner:
    """Sends each case to every worker once, when its first test asks, and keeps the verdict for the others."""

    def __init__(self, suite: Suite, started: pytest_workers.Selected, targets: list[Target], baseline: str | None):
        self.started, self.targets = started, targets
        self.judge = CaseJudge(suite, targets, baseline)
        self.verdicts: dict[str, Verdict] = {}
        self.lock = threading.Lock()

    def check(self, item: pytest.Item, case: Case, target: Target) -> None:
        verdict = self.verdict(case)
        outcome, reason = verdict.cells[target.id]
        recorded.record_cells(item, {target.id: (outcome, reason)}, verdict.detail if outcome != "pass" else "")
        if outcome in ("fail", "error"):
            raise CaseFailed(verdict.detail)
        if outcome == "xfail":
            pytest.xfail(reason)

    def verdict(self, case: Case) -> Verdict:
        with self.lock:
            if case.id not in self.verdicts:
                answers = everywhere.at_once(
                    {target.id: target for target in self.targets}, lambda t: self._send(case, t)
                )
                self.verdicts[case.id] = self.judge.judge(case, answers)
            return self.verdicts[case.id]

    def _send(self, case: Case, target: Target):
        failure = self.started.running.failures.get(target.id)
        if failure is not None:
            return f"{replay.NOT_STARTED}: {str(failure).splitlines()[0]}"
        member = self.started.members[target.id]
        return member.call(lambda base_url: replay.send(case, base_url, member.session))


@pytest.fixture(scope="session")
def workers_parity_cases(request: pytest.FixtureRequest, started_workers: pytest_workers.Selected):
    selection = request.config.stash[pytest_workers.SELECTION]
    runner = CaseRunner(request.config.stash[SUITE], started_workers, selection.targets, selection.baseline_label())
    yield runner
    recorded.record_masks(request.config, runner.judge.tally.rows())
