"""What a run records for its report (plugins/results.py): the run, each target with the versions that ran it (read
now, not when the report is drawn), each case's cells, and how many answers each mask changed."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from workers_parity.plugins import results, runinfo
from workers_parity.run.judging import Verdict
from workers_parity.run.suite import Suite
from workers_parity.run.targets import Selection, Target
from workers_parity.servers import registry, runtimes

SDK = "workers-runtime-sdk"  # the Python Workers SDK: always named, whether a worker lists it or not
REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def new_run(suite: Suite, selection: Selection, command: str, args: list[str]) -> results.Run:
    commit, dirty = runinfo.git_state(suite.project.root)
    return results.Run(
        id=runinfo.run_id(),
        commit=commit,
        dirty=dirty,
        command=command,
        pytest_args=args,
        started=runinfo.now(),
        targets={target.id: target.worker_and_runtime for target in selection.targets},
        workers=suite.project.ids(),
        cases=suite.case_ids(),
        plugins=[str(path) for path in suite.plugins.paths],
    )


def case_record(verdict: Verdict, suite: Suite, targets: dict[str, tuple[str, str | None]]) -> results.TestRecord:
    """One record per case, a cell per target (the pytest plugin records one per case and target instead);
    `targets` maps each target id to its worker id and runtime."""
    case = verdict.case
    record = results.TestRecord(
        case.test_id, suite.plugins.rules(case), case.id, verdict.outcome, verdict.message, verdict.detail
    )
    divergent = verdict.outcome != "pass"
    record.cells = [
        results.Cell(target, *targets[target], outcome, reason, verdict.detail if divergent else "")
        for target, (outcome, reason) in verdict.cells.items()
    ]
    return record


def worker_run(target: Target, base_url: str | None, *, server=None, error: str | None = None) -> results.WorkerRun:
    """What the run did with one target; its versions are read now."""
    choice = target.choice
    reason = choice.reason if choice else "external: --base-url or the config's base_url"
    return results.WorkerRun(
        id=target.id,
        name=target.worker.name,
        base_url=base_url,
        runtime=choice.runtime if choice else None,
        runtime_reason=reason,
        startup_seconds=server.startup_seconds if server is not None else None,
        error=error,
        versions=versions_of(target.worker, choice.runtime if choice else None, server.python if server else None),
    )


def versions_of(worker: registry.Worker, runtime: str | None, python=None) -> dict[str, str]:
    """The tools that ran the worker and, for a Python worker, its SDK and direct dependencies as installed.
    `python` (pymodules.releases.Choice) is the Python a server ran the worker in: its Pyodide is the npm package
    the launcher was given, which need not be the default `pyodide` one (a worker dated for Python 3.13)."""
    if runtime is None:
        return {}
    try:
        from workers_parity.servers import toolchain

        tools = toolchain.versions()
        if python is not None:
            tools["pyodide"] = toolchain.package_version(python.release.npm_package)
        found = runtimes.versions(runtime, tools)
    except Exception as error:  # a report must still be written when the toolchain is missing
        return {"toolchain": f"unavailable ({error})"}
    if worker.is_python:
        found.update(python_packages(worker.folder))
    return found


def python_packages(folder: Path) -> dict[str, str]:
    """Versions of the SDK and of the worker's direct dependencies in its python_modules/."""
    from workers_parity.pymodules import install

    installed = install.installed_versions(folder)
    wanted = [SDK, *direct_dependencies(folder)]
    return {name: installed[name] for name in wanted if name in installed}


def direct_dependencies(folder: Path) -> list[str]:
    """The names in pyproject.toml's [project].dependencies, normalised as pip names them."""
    try:
        project = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return []
    names = (REQUIREMENT_NAME.match(item) for item in project.get("dependencies", []) if isinstance(item, str))
    return [re.sub(r"[-_.]+", "-", match.group(1)).lower() for match in names if match]
