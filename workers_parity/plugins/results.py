"""The results protocol: what a parity run records — the run, each worker, each test's cells — as one JSON file.

`workers-parity run` (run/record.py) and the pytest plugin (plugins/pytest_results.py) write it; only the parity
report reads it, and it reads nothing else: what it shows of a run (versions included) is recorded here, during the
run. The report knows tests by these records alone, never by their names.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

FORMAT = 1
OUTCOMES = ("pass", "fail", "error", "skip", "xfail")  # xfail: an expected difference, listed with its reason
FAILED = ("fail", "error")


@dataclass
class Cell:
    """One test's outcome for one worker in one runtime; target None for a test about no particular worker."""

    target: str | None  # the id tests use: the worker's id, or worker@runtime when a run covers several runtimes
    worker: str | None  # the registry id
    runtime: str | None  # None: an external --base-url worker, or no worker
    outcome: str
    reason: str = ""  # why it was skipped, expected to differ, or failed
    divergence: str = ""  # the diff, when the test compared workers and found them apart


@dataclass
class TestRecord:
    __test__ = False  # not a pytest test class

    id: str  # pytest's node id
    rules: list[str]  # labels of the test, as the suite or a plug-in gives them (the rules of an app it checks)
    case: str | None  # the case (or generated-input row) the test checks
    outcome: str  # the test's own outcome, one of OUTCOMES
    message: str = ""  # skip or xfail reason, failure summary
    details: str = ""  # the full failure text
    cells: list[Cell] = field(default_factory=list)


@dataclass
class WorkerRun:
    """What the suite did with one worker: where it ran, on what, how fast it started, how many requests it got."""

    id: str  # the target id
    name: str
    base_url: str | None
    runtime: str | None  # a registry.Runtime, or None for an external --base-url worker
    runtime_reason: str
    startup_seconds: float | None
    error: str | None = None
    requests: int = 0
    versions: dict[str, str] = field(default_factory=dict)  # what ran it (wrangler, workerd, pyodide, packages)
    replay_seconds: float | None = None  # `workers-parity run`: sending every case in order, answers read


@dataclass
class Run:
    id: str
    commit: str | None  # git HEAD, None outside a checkout
    dirty: bool | None  # tracked files changed since that commit
    command: str  # the command the user ran (the nox session's, when run through nox)
    pytest_args: list[str]
    started: str
    finished: str = ""
    exit_status: int | None = None
    stopped_early: str = ""  # why the run ended before every selected test ran; "" when it did not
    narrowed_by: list[str] = field(default_factory=list)  # the options that deselected tests (-k, -m, --lf, ...)
    deselected: list[str] = field(default_factory=list)  # node ids
    not_run: list[str] = field(default_factory=list)  # selected node ids that have no result
    targets: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # target id -> (worker id, runtime)
    workers: list[str] = field(default_factory=list)  # every worker id of the project, in the config's order
    # each case file a whole run replays (relative to the project's root) -> its case ids in order; None: not known
    cases: dict[str, list[str]] | None = None
    masks: list[dict] = field(default_factory=list)  # each mask, where it is written, answers seen and changed
    plugins: list[str] = field(default_factory=list)  # the project's plug-in files (they draw their report tables)
    startup_seconds: float | None = None  # until every worker answered (preparing, migrating, starting)
    suite_files: list[str] = field(default_factory=list)  # the test files a full run collects (ini `parity_suite`)
    collected_files: list[str] = field(default_factory=list)  # the test files this run collected


@dataclass
class Results:
    run: Run
    workers: list[WorkerRun] = field(default_factory=list)
    tests: list[TestRecord] = field(default_factory=list)


def write(results: Results, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"format": FORMAT, **asdict(results)}, indent=2, ensure_ascii=False) + "\n")


def read(path: Path) -> Results:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != FORMAT:
        raise ValueError(f"results format {data.get('format')!r}, expected {FORMAT}")
    run = data["run"]
    run["targets"] = {target: tuple(pair) for target, pair in run.get("targets", {}).items()}
    tests = [TestRecord(**{**test, "cells": [Cell(**cell) for cell in test["cells"]]}) for test in data["tests"]]
    return Results(Run(**run), [WorkerRun(**worker) for worker in data["workers"]], tests)
