"""Parity's own speed: a warm run of the project's own suite, the command its plug-in names (`bench_suite()`; ours
`./noxw -s parity`), run once before so its venv, npm packages and snapshots exist, timed from outside, and its
phases: what runs outside pytest (nox, pip, the report), the workers' start (in parallel, from the run's
results.json in the project's reports/) and the tests."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from workers_parity.bench.results import ParityRun
from workers_parity.plugins import results
from workers_parity.render import progress

PYTEST_SUMMARY = re.compile(r"^=+ (.*) in ([\d.]+)s(?: \([\d:]+\))? =+$", re.MULTILINE)
TIMEOUT_SECONDS = 1800


def measure_parity(root: Path, command: tuple[str, ...]) -> ParityRun:
    shown = " ".join(command)
    with progress.steps("parity's own speed", 2) as steps:
        steps.doing(f"a first `{shown}` (not counted: it makes what the warm one reuses)")
        first, _ = run_parity(root, command)
        steps.done(f"first run: {first:.1f} s")
        steps.doing(f"a warm `{shown}`")
        wall, output = run_parity(root, command)
        steps.done(f"warm run: {wall:.1f} s")
    return parity_run(root, command, wall, first, output)


def run_parity(root: Path, command: tuple[str, ...]) -> tuple[float, subprocess.CompletedProcess]:
    began = time.monotonic()
    finished = subprocess.run(
        command, cwd=root, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, stdin=subprocess.DEVNULL
    )
    return time.monotonic() - began, finished


def parity_run(
    root: Path, command: tuple[str, ...], wall: float, first: float, output: subprocess.CompletedProcess
) -> ParityRun:
    recorded = read_results(root / "reports" / "results.json")
    pytest_seconds = pytest_session_seconds(output.stdout)
    return ParityRun(
        " ".join(command),
        output.returncode,
        wall,
        first,
        phases(wall, pytest_seconds, recorded, report_seconds(root)),
        len(recorded.tests) if recorded else 0,
    )


def read_results(path: Path) -> results.Results | None:
    try:
        return results.read(path)
    except (OSError, ValueError):
        return None


def pytest_session_seconds(stdout: str) -> float | None:
    found = PYTEST_SUMMARY.findall(stdout)
    return float(found[-1][1]) if found else None


def report_seconds(root: Path) -> float:
    """The report alone, drawn again from the same results file (into a scratch folder)."""
    command = [sys.executable, "-m", "workers_parity.report", "--results", str(root / "reports" / "results.json")]
    with tempfile.TemporaryDirectory(prefix="parity-report-") as scratch:
        began = time.monotonic()
        subprocess.run([*command, "--out", scratch], cwd=root, capture_output=True, check=False)
        return time.monotonic() - began


def phases(wall: float, pytest_seconds: float | None, recorded, report: float) -> dict[str, float]:
    if pytest_seconds is None:
        return {}
    starts = [run.startup_seconds for run in (recorded.workers if recorded else []) if run.startup_seconds]
    workers = max(starts, default=0.0)
    return {
        "nox and pip, before pytest and after": max(0.0, wall - pytest_seconds - report),
        "the report": report,
        "workers' start (in parallel)": workers,
        "pytest: collection, tests, teardown": max(0.0, pytest_seconds - workers),
    }
