"""pytest plugin that owns the results protocol: what each test records, and the results file the report reads.

Registered by the pytest11 entry point with the other plugins; it records only with `--parity-results PATH` (the
parity session's). A test records
- its rules and its case, as the suite's hooks say (plugins/pytest_hookspecs.py; a case item knows its own);
- its worker: the `worker` parameter (a target id), with the runtime the suite declared for it (`declare_targets`);
- when it judges several workers at once: each one's outcome and reason, and the divergence (`record_cells`).
The suite hands over what it did with each worker (`record_workers`), the project's workers, cases and plug-ins
(`declare_project`) and the masks' counts (`record_masks`). Outcomes come from pytest's own reports; the run's id,
commit, command line, deselected tests and early stop are recorded here, and which test files the run collected of
those a full run does (the ini's `parity_suite` globs; the report lists the others as not run). The shapes are
plugins/results.py.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from workers_parity.plugins import pytest_hookspecs, results, runinfo

COMMAND_ENV = "PARITY_COMMAND"  # the command the user ran, when pytest runs under another tool (nox)
TARGETS = pytest.StashKey[dict[str, tuple[str, str | None]]]()
WORKER_RUNS = pytest.StashKey[list[results.WorkerRun]]()
MASKS = pytest.StashKey[list[dict]]()
CELLS = pytest.StashKey[tuple[dict[str, tuple[str, str]], str]]()
RANK = {"pass": 0, "xfail": 1, "skip": 2, "fail": 3, "error": 4}


# --- what tests and the suite call --------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectFacts:
    """What a whole run of the project covers, for the report's completeness and order."""

    workers: list[str]  # every worker id, in the config's order
    cases: dict[str, list[str]] | None = None  # each case file -> its case ids; None when the run replays no cases
    plugins: list[str] = field(default_factory=list)  # the project's plug-in files


PROJECT = pytest.StashKey[ProjectFacts]()


def declare_project(config: pytest.Config, facts: ProjectFacts) -> None:
    config.stash[PROJECT] = facts


def record_masks(config: pytest.Config, rows: list[dict]) -> None:
    config.stash[MASKS] = list(rows)


def declare_targets(config: pytest.Config, targets: dict[str, tuple[str, str | None]]) -> None:
    """The run's targets: target id -> (worker id, runtime; None for an external --base-url worker)."""
    config.stash[TARGETS] = dict(targets)


def record_workers(config: pytest.Config, runs: list[results.WorkerRun]) -> None:
    config.stash[WORKER_RUNS] = list(runs)


def record_cells(item: pytest.Item, outcomes: dict[str, tuple[str, str]], divergence: str = "") -> None:
    """Each target's outcome and reason for a test that judges several workers at once, and the divergence found.
    A later call replaces an earlier one (hypothesis runs a test once per example; the last is the one reported)."""
    item.stash[CELLS] = (dict(outcomes), divergence)


def rules_of(item: pytest.Item) -> list[str]:
    """The rules the suite's hook gives the test, in order, without repeats."""
    return list(dict.fromkeys(item.config.hook.pytest_workers_parity_rules(item=item) or []))


def case_of(item: pytest.Item) -> str | None:
    return item.config.hook.pytest_workers_parity_case(item=item)


def worker_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    worker = callspec.params.get("worker") if callspec else None
    return str(worker) if worker is not None else None


# --- hooks --------------------------------------------------------------------------------------------------


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(pytest_hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("workers-parity").addoption(
        "--parity-results", metavar="PATH", default=None, help="write the run's results for the parity report"
    )
    parser.addini(
        "parity_suite",
        "globs (from the rootdir) of the test files a full parity run collects; the report lists any that did not run",
        type="linelist",
        default=[],
    )


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--parity-results")
    if path:
        config.pluginmanager.register(Recorder(config, Path(path)), "parity-results-recorder")


class Recorder:
    """Collects the run's results from pytest's hooks and writes them when the session ends."""

    def __init__(self, config: pytest.Config, path: Path) -> None:
        self.config, self.path = config, path
        args = list(config.invocation_params.args)
        commit, dirty = runinfo.git_state(config.invocation_params.dir)
        self.run = results.Run(
            id=runinfo.run_id(),
            commit=commit,
            dirty=dirty,
            command=os.environ.get(COMMAND_ENV) or " ".join(["python -m pytest", *args]),
            pytest_args=args,
            started=runinfo.now(),
            narrowed_by=narrowing_options(config),
        )
        self.items: dict[str, pytest.Item] = {}
        self.collected_files: set[str] = set()
        self.outcomes: dict[str, tuple[str, str, str]] = {}  # node id -> outcome, message, details
        self.collected_records: list[results.TestRecord] = []
        self.interrupted = ""

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.items = {item.nodeid: item for item in session.items}
        self.collected_files.update(file_of(nodeid) for nodeid in self.items)

    def pytest_deselected(self, items) -> None:
        self.run.deselected += [item.nodeid for item in items]
        self.collected_files.update(file_of(item.nodeid) for item in items)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            error = results.TestRecord(report.nodeid, [], None, "error", "collection failed", report.longreprtext)
            self.collected_records.append(error)
        elif report.skipped:  # a whole module skipped (pytest.skip at module level): listed with its reason
            _, reason, _ = classify(report)
            skip = results.TestRecord(
                report.nodeid, [], None, "skip", reason, "", [results.Cell(None, None, None, "skip", reason)]
            )
            self.collected_records.append(skip)
        if report.nodeid and not report.passed:
            self.collected_files.add(file_of(report.nodeid))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "setup" and report.passed:
            return  # the call decides: a test interrupted during its call has no result
        outcome = classify(report)
        previous = self.outcomes.get(report.nodeid)
        if previous is None or RANK[outcome[0]] > RANK[previous[0]]:
            details = "\n".join(filter(None, [previous[2] if previous else "", outcome[2]]))
            self.outcomes[report.nodeid] = (outcome[0], outcome[1], details)

    def pytest_keyboard_interrupt(self, excinfo) -> None:
        self.interrupted = f"interrupted ({excinfo.typename})"

    @pytest.hookimpl(wrapper=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int):
        outcome = yield  # after every other implementation, so session fixtures (the workers) are torn down
        self.run.finished, self.run.exit_status = runinfo.now(), int(exitstatus)
        reason = session.shouldfail or session.shouldstop  # -x, --maxfail: a string saying so
        self.run.stopped_early = reason if isinstance(reason, str) else self.interrupted
        self.run.not_run = [nodeid for nodeid in self.items if nodeid not in self.outcomes]
        self.run.targets = self.config.stash.get(TARGETS, {})
        facts = self.config.stash.get(PROJECT, None)
        if facts is not None:
            self.run.workers, self.run.cases, self.run.plugins = facts.workers, facts.cases, facts.plugins
        self.run.masks = self.config.stash.get(MASKS, [])
        self.run.suite_files = suite_files(self.config)
        self.run.collected_files = sorted(self.collected_files)
        tests = [self.test_record(item) for nodeid, item in self.items.items() if nodeid in self.outcomes]
        runs = self.config.stash.get(WORKER_RUNS, [])
        results.write(results.Results(self.run, runs, self.collected_records + tests), self.path)
        return outcome

    def test_record(self, item: pytest.Item) -> results.TestRecord:
        outcome, message, details = self.outcomes[item.nodeid]
        record = results.TestRecord(item.nodeid, rules_of(item), case_of(item), outcome, message, details)
        record.cells = self.cells(item, outcome, message)
        return record

    def cells(self, item: pytest.Item, outcome: str, message: str) -> list[results.Cell]:
        targets = self.config.stash.get(TARGETS, {})
        per_target, divergence = item.stash.get(CELLS, ({}, ""))
        if recorded_cells_hold(per_target, outcome):
            differing = any(cell_outcome != "pass" for cell_outcome, _ in per_target.values())
            return [
                results.Cell(
                    target,
                    *targets.get(target, (target, None)),
                    cell_outcome,
                    reason,
                    divergence if cell_outcome != "pass" or not differing else "",
                )
                for target, (cell_outcome, reason) in per_target.items()
            ]
        target = worker_of(item)
        worker, runtime = targets.get(target, (target, None)) if target else (None, None)
        return [results.Cell(target, worker, runtime, outcome, message)]


# --- pieces -------------------------------------------------------------------------------------------------


def recorded_cells_hold(per_target: dict[str, tuple[str, str]], outcome: str) -> bool:
    """Whether a test's recorded cells tell its outcome: not when it erred or was skipped (that concerns every
    worker), nor when it failed in a way no cell shows (a step after the comparison raised)."""
    if not per_target or outcome in ("error", "skip"):
        return False
    return outcome not in results.FAILED or any(cell in results.FAILED for cell, _ in per_target.values())


def classify(report: pytest.TestReport) -> tuple[str, str, str]:
    """One phase's outcome, its short message and the full text, as the report names them."""
    if hasattr(report, "wasxfail"):
        if report.skipped:
            return "xfail", report.wasxfail, ""
        return "fail", f"XPASS: {report.wasxfail}", ""  # an expected difference that no longer happens
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        return "skip", reason.removeprefix("Skipped: "), ""
    if report.failed:
        crash = getattr(report.longrepr, "reprcrash", None)
        message = crash.message if crash else report.longreprtext.strip().splitlines()[0]
        if report.when != "call":
            return "error", f"error in {report.when}: {message}", report.longreprtext
        return "fail", message, report.longreprtext
    return "pass", "", ""


def file_of(nodeid: str) -> str:
    return nodeid.split("::")[0]


def suite_files(config: pytest.Config) -> list[str]:
    """The test files the ini's `parity_suite` globs name, as node ids name them (relative to the rootdir)."""
    root = config.rootpath
    found = {path.relative_to(root).as_posix() for glob in config.getini("parity_suite") for path in root.glob(glob)}
    return sorted(found)


def narrowing_options(config: pytest.Config) -> list[str]:
    """The options given that deselect tests: whatever they leave out is listed as not run."""
    option = config.option
    found = [f"-k {option.keyword!r}" if option.keyword else "", f"-m {option.markexpr!r}" if option.markexpr else ""]
    found += [f"--deselect {nodeid}" for nodeid in getattr(option, "deselect", None) or []]
    found += ["--last-failed" if getattr(option, "lf", False) else ""]
    found += ["--stepwise" if getattr(option, "stepwise", False) else ""]
    return [text for text in found if text]
