"""Start-up: each subject started untimed once (migrating its state, building a warm snapshot), then timed from
spawn to ready (its first answer, or a 200 at its ready path), round after round over all subjects; a direct host's
start is split into the phases its launcher logs (phases.py)."""

from __future__ import annotations

from pathlib import Path

from workers_parity.bench import phases
from workers_parity.bench.results import StartupResult
from workers_parity.bench.stats import summarize
from workers_parity.bench.subjects import BenchServer, Subject, new_server, snapshot_bytes, snapshot_files
from workers_parity.bench.units import format_seconds
from workers_parity.render import progress
from workers_parity.render.terminal import BAD
from workers_parity.servers.devserver import DevServerError
from workers_parity.servers.fleet import Fleet

READY_POLL_SECONDS = 0.1  # DevServer's readiness poll: start-up figures can be up to this much late


class Starts:
    """One subject's starts: the seconds of each, its phases, what failed."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self.phases: list[dict[str, float]] = []
        self.failures: list[str] = []


def measure_startups(subjects: list[Subject], starts: int, workdir: Path, live: Fleet) -> list[StartupResult]:
    servers = {subject: new_server(live, subject, workdir, "start") for subject in subjects}
    found = {subject: Starts() for subject in subjects}
    with progress.steps("start-up", len(subjects) * (starts + 1)) as steps:
        first = {subject: warm_up_start(subject, server, steps) for subject, server in servers.items()}
        for round_number in range(1, starts + 1):
            for subject, server in servers.items():
                steps.doing(f"start {round_number}/{starts} {subject.label}")
                outcome = timed_start(server, migrate=False, expect_warm=True)
                record(found[subject], server, outcome)
                report(steps, f"start {round_number}/{starts}  {subject.label}", outcome)
    return [startup_result(s, found[s], first[s], snapshot_bytes(servers[s].snapshot_dir)) for s in subjects]


def record(starts: Starts, server: BenchServer, outcome: float | str) -> None:
    if isinstance(outcome, float):
        starts.seconds.append(outcome)
        starts.phases.append(server.start_phases())
    else:
        starts.failures.append(outcome)


def warm_up_start(subject: Subject, server: BenchServer, steps: progress.Steps) -> float | None:
    """Migrate the state, prepare the runtime and start once untimed (a warm snapshot gets built here)."""
    steps.doing(f"first start (not counted) {subject.label}")
    outcome = timed_start(server, migrate=True)
    report(steps, f"first start (not counted)  {subject.label}", outcome)
    return outcome if isinstance(outcome, float) else None


def report(steps: progress.Steps, what: str, outcome: float | str) -> None:
    steps.done(f"{what}: {describe_outcome(outcome)}", "" if isinstance(outcome, float) else BAD)


def timed_start(server: BenchServer, migrate: bool, expect_warm: bool = False) -> float | str:
    """Spawn -> ready, in seconds; or the first line of why the start failed or was not warm."""
    snapshots_before = snapshot_files(server.snapshot_dir)
    try:
        server.start(migrate=migrate)
    except DevServerError as error:
        return str(error).splitlines()[0]
    finally:
        server.stop()
    if expect_warm and snapshot_files(server.snapshot_dir) != snapshots_before:
        # The snapshot key covers the runtime's sources and python_modules: one of them changed during the run.
        return f"not counted: took {format_seconds(server.startup_seconds)} but rebuilt its snapshot"
    return server.startup_seconds


def describe_outcome(outcome: float | str) -> str:
    if isinstance(outcome, float):
        return format_seconds(outcome)
    return outcome if outcome.startswith("not counted") else f"FAILED: {outcome}"


def startup_result(subject: Subject, starts: Starts, first: float | None, snapshot: int | None) -> StartupResult:
    return StartupResult(
        subject.label,
        subject.worker.name,
        subject.language,
        subject.runtime,
        subject.host,
        subject.variant,
        starts.seconds,
        first,
        summarize(starts.seconds),
        starts.failures,
        phases.medians(starts.phases),
        snapshot,
        probe=subject.probe,
    )
