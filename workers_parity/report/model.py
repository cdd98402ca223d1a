"""The report as data: a run's results file read (and nothing else: versions, workers and cases were recorded during
the run), its workers described, its failures grouped, and its verdict — PASS only when everything ran and passed,
PARTIAL when something did not run, FAIL when something failed."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from workers_parity.plugins import results
from workers_parity.plugins.results import FAILED, TestRecord
from workers_parity.report import completeness, history, matrices

LABELS = {
    "pass": "pass",
    "fail": "FAIL",
    "error": "ERROR",
    "xfail": "expected difference",
    "skip": "skip",
    "none": "no tests",
}
SYMBOLS = {"pass": "✓", "fail": "✗", "error": "✗", "xfail": "≠", "skip": "–", "none": "·"}
EXIT_OK, EXIT_PARITY_FAILED, EXIT_NO_RESULTS, EXIT_PARTIAL = 0, 1, 2, 3
SHORT_NAMES = {"workers-runtime-sdk": "workers SDK"}  # how the worker table names a recorded version


@dataclass
class WorkerInfo:
    id: str
    name: str
    runtime: str
    reason: str
    startup_seconds: float | None
    requests: int | None
    error: str | None
    versions: dict[str, str]


def worker_infos(runs: list[results.WorkerRun]) -> list[WorkerInfo]:
    return [
        WorkerInfo(
            run.id,
            run.name,
            run.runtime or "external",
            run.runtime_reason,
            run.startup_seconds,
            run.requests,
            run.error,
            {SHORT_NAMES.get(name, name): version for name, version in run.versions.items()},
        )
        for run in runs
    ]


def label(test: TestRecord) -> str:
    """The test's node id without its folder: test_contract.py::test_hello[js]."""
    return test.id.rpartition("/")[2]


@dataclass
class Finding:
    """A failed or expected-failing test, with what to show for it."""

    test: TestRecord
    same_failure: list[TestRecord] = field(default_factory=list)  # more tests that failed with the same text

    @property
    def anchor(self) -> str:
        return "t-" + re.sub(r"[^A-Za-z0-9_-]+", "-", label(self.test)).strip("-")

    @property
    def title(self) -> str:
        if self.test.outcome != "error" and self.test.case is not None:
            return f"{self.test.case} ({' '.join(self.test.rules)})" if self.test.rules else self.test.case
        more = f" and {len(self.same_failure)} more tests with the same failure" if self.same_failure else ""
        return label(self.test) + more

    @property
    def divergence(self) -> str:
        return next((cell.divergence for cell in self.test.cells if cell.divergence), "")

    @property
    def body(self) -> str:
        text = self.divergence or self.test.details or self.test.message
        example = falsifying_example(self.test.details)
        if example and example not in text:
            text = example + "\n\n" + text
        return _limit_lines(text, 80)


def falsifying_example(details: str) -> str:
    """Hypothesis's shrunk example, as it appears in the failure text."""
    match = re.search(
        r"^.*(?:Falsifying example|Failing test case):.*?(?:\n\s*\n|\Z)", details, re.MULTILINE | re.DOTALL
    )
    return match.group(0).strip() if match else ""


def _limit_lines(text: str, limit: int) -> str:
    lines = text.splitlines()
    if len(lines) <= limit:
        return text
    return "\n".join(lines[:limit] + [f"... ({len(lines) - limit} more lines in results.json)"])


def _failed(test: TestRecord) -> bool:
    return test.outcome in FAILED or any(cell.outcome in FAILED for cell in test.cells)


@dataclass
class Report:
    run: results.Run | None
    tests: list[TestRecord]
    workers: list[WorkerInfo]
    columns: list[str]
    matrices: list[matrices.Matrix]
    notes: matrices.Notes
    problems: list[str]  # failures outside the tests: unreadable results, workers that did not start
    gaps: list[completeness.Gap]  # what did not run
    generated: str
    since_last: history.SinceLast | None = None

    @property
    def masks(self) -> list[dict]:
        """Each mask of the run with the answers it saw and changed."""
        return self.run.masks if self.run else []

    @property
    def case_matrix(self) -> matrices.Matrix:
        return self.matrices[-1]

    @property
    def totals(self) -> Counter:
        return Counter(test.outcome for test in self.tests)

    @property
    def verdict(self) -> str:
        if self.problems or any(_failed(test) for test in self.tests):
            return "FAIL"
        return "PARTIAL" if self.gaps or not self.tests else "PASS"

    @property
    def divergences(self) -> list[Finding]:
        """Cases whose workers disagreed or answered wrongly, once each however many tests (one per case and worker
        under pytest) found it (an error is not a divergence)."""
        return _per_case([t for t in self.tests if t.outcome == "fail" and t.case is not None])

    @property
    def expected_differences(self) -> list[Finding]:
        return _per_case([t for t in self.tests if t.outcome == "xfail"])

    @property
    def other_failures(self) -> list[Finding]:
        """Every other failure or error, those with the same text (a worker that did not start) shown once."""
        groups: dict[str, Finding] = {}
        for test in self.tests:
            if test.outcome == "error" or (test.outcome == "fail" and test.case is None):
                text = test.details or test.message
                if text in groups:
                    groups[text].same_failure.append(test)
                else:
                    groups[text] = Finding(test)
        return list(groups.values())

    @property
    def exit_code(self) -> int:
        if not self.tests:
            return EXIT_NO_RESULTS
        return {"PASS": EXIT_OK, "PARTIAL": EXIT_PARTIAL}.get(self.verdict, EXIT_PARITY_FAILED)


def _per_case(tests: list[TestRecord]) -> list[Finding]:
    found: dict[str, Finding] = {}
    for test in tests:
        key = test.case if test.case is not None else test.id
        if key in found:
            found[key].same_failure.append(test)
        else:
            found[key] = Finding(test)
    return list(found.values())


def ordered_columns(run: results.Run, tests: list[TestRecord]) -> list[str]:
    """The targets of the run in the config's order of workers (then runtime), plus any others the records name."""
    named = dict(run.targets)
    for test in tests:
        named.update({cell.target: (cell.worker, cell.runtime) for cell in test.cells if cell.target is not None})
    order = {worker_id: n for n, worker_id in enumerate(run.workers)}
    return sorted(named, key=lambda target: (order.get(named[target][0], len(order)), target))


def read(path: Path) -> tuple[results.Results | None, list[str]]:
    try:
        return results.read(path), []
    except (OSError, ValueError, KeyError, TypeError) as error:
        return None, [f"no test results: cannot read {path} ({error})"]


def build(results_path: Path, previous: dict | None = None) -> Report:
    found, problems = read(results_path)
    run, tests, runs = (found.run, found.tests, found.workers) if found else (None, [], [])
    infos = worker_infos(runs)
    problems += [f"{info.id} did not start: {info.error.splitlines()[0]}" for info in infos if info.error]
    columns = ordered_columns(run, tests) if run else []
    gaps = completeness.gaps(found, run.workers, run.cases) if found else []
    if found and not tests:
        gaps.append(completeness.Gap("no tests ran"))
    tables = [*plugin_tables(found, problems), matrices.case_matrix(tests, columns)]
    generated = datetime.now().astimezone().isoformat("T", "seconds")
    report = Report(run, tests, infos, columns, tables, matrices.Notes(), problems, gaps, generated)
    if previous is not None:
        report.since_last = history.since_last(previous, history.cells(tests))
    return report


def plugin_tables(found: results.Results | None, problems: list[str]) -> list[matrices.Matrix]:
    """The tables the project's plug-ins draw from the results (this repository's: contract rules x workers)."""
    if found is None or not found.run.plugins:
        return []
    from workers_parity.plugins import hooks

    try:
        return hooks.load(Path(path) for path in found.run.plugins).report_tables(found)
    except Exception as error:  # the report is still written; it says why a table is missing
        problems.append(f"a plug-in's report tables could not be drawn: {error}")
        return []
