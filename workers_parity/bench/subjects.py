"""What is measured: each worker in each runtime usable here (and how pyodide-workerd starts), the probe workers the
project's plug-in names for start-up (ours: FastAPI and Django), and the dev servers started for them, each one in the
run's fleet (so stopped at the end however the run ends). The load scenarios are scenarios.py's."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

from workers_parity import project
from workers_parity.bench import phases
from workers_parity.plugins import hooks
from workers_parity.servers import choose, runtimes
from workers_parity.servers.devserver import DevServer
from workers_parity.servers.fleet import Fleet, fresh_server
from workers_parity.servers.registry import Host, Runtime, Worker

PYODIDE_WORKERD = Runtime.PYODIDE_WORKERD
WARM_SNAPSHOT = "warm snapshot"
NO_SNAPSHOT = "no snapshot"


@dataclass(frozen=True)
class Subject:
    """One worker in one runtime; for pyodide-workerd also whether it starts from a warm snapshot or none."""

    worker: Worker
    runtime: str
    variant: str = ""
    probe: bool = False  # a probe worker of the plug-in's, measured for its start-up only

    @property
    def host(self) -> Host:
        return runtimes.record(self.runtime).host

    @property
    def language(self) -> str:
        return self.worker.language

    @property
    def label(self) -> str:
        text = f"{self.worker.name} · {self.runtime}"
        return f"{text} ({self.variant})" if self.variant else text

    @property
    def serving_label(self) -> str:
        """The label without the start variant: the load runs always start pyodide-workerd from its warm snapshot."""
        return f"{self.worker.name} · {self.runtime}"

    @property
    def timed_phases(self) -> bool:
        """A direct host's launcher logs its start-up phases (--timings); wrangler dev's phases are its own."""
        return self.host == Host.DIRECT

    def snapshot_dir(self, snapshot_root: Path) -> Path | None:
        """Where this subject's pyodide-workerd keeps its snapshot; None when it runs without one (or in workerd)."""
        if self.runtime != PYODIDE_WORKERD or self.variant == NO_SNAPSHOT:
            return None
        return snapshot_root / self.worker.id

    @property
    def slug(self) -> str:
        return "-".join(filter(None, (self.worker.id, self.runtime, self.variant.replace(" ", "-"))))


def usable_subjects(workers: list[Worker]) -> tuple[list[Subject], dict[str, str]]:
    """(worker, runtime) pairs usable here, in worker order, and the unusable ones with the reason."""
    usable, skipped = [], {}
    for worker in workers:
        for runtime in runtimes.of(worker):
            found = choose.availability(worker, runtime)
            if found.usable:
                usable.append(Subject(worker, runtime))
            else:
                skipped[f"{worker.name} · {runtime}"] = found.reason
    return usable, skipped


def probe_subjects() -> tuple[list[Subject], dict[str, str]]:
    """The probe workers the project's plug-in names (`bench_probes()`), in pyodide-workerd from a warm snapshot."""
    found, skipped = [], {}
    for worker_id, folder, ready_path in hooks.load(project.current().config.plugins).bench_probes():
        if not Path(folder).is_dir():
            skipped[f"{worker_id} (probe)"] = f"no {folder} in this project"
            continue
        worker = project.worker_from_folder(Path(folder), port=0, worker_id=worker_id)
        found.append(Subject(replace(worker, ready_path=ready_path), PYODIDE_WORKERD, WARM_SNAPSHOT, probe=True))
    return found, skipped


def startup_subjects(serving: list[Subject], probes: list[Subject]) -> list[Subject]:
    """One round's order: every worker as it normally starts, the probes, then pyodide-workerd with no snapshot."""
    cold = [replace(s, variant=NO_SNAPSHOT) for s in serving if s.runtime == PYODIDE_WORKERD]
    return serving_subjects(serving) + probes + cold


def serving_subjects(serving: list[Subject]) -> list[Subject]:
    """The subjects of the load phase: pyodide-workerd starts from its warm snapshot as it normally would."""
    return [replace(s, variant=WARM_SNAPSHOT) if s.runtime == PYODIDE_WORKERD else s for s in serving]


@dataclass
class BenchServer(DevServer):
    """A DevServer that knows its snapshot folder (a warm start that rebuilt the snapshot was not warm) and reads
    the start-up phases its launcher logged (--timings) since its last spawn."""

    snapshot_dir: Path | None = None
    spawned_epoch: float = 0.0
    log_offset: int = 0

    def _spawn(self) -> None:
        self.log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        self.spawned_epoch = time.time()
        super()._spawn()

    def start_phases(self) -> dict[str, float]:
        """Seconds per phase of the last start, spawn to first answer; {} when its launcher logs none."""
        with self.log_path.open("rb") as log:
            log.seek(self.log_offset)
            found = phases.marks(log.read().decode(errors="replace"))
        if not found or self.startup_seconds is None:
            return {}
        answered = self.spawned_epoch + self.startup_seconds
        return phases.durations({**found, phases.SPAWN: self.spawned_epoch, phases.ANSWER: answered})


def runtime_flags(subject: Subject, snapshot_root: Path) -> tuple[str, ...]:
    flags = ("--timings",) if subject.timed_phases else ()
    if subject.variant == NO_SNAPSHOT:
        return (*flags, "--no-snapshot")
    snapshot_dir = subject.snapshot_dir(snapshot_root)
    return (*flags, "--snapshot-dir", str(snapshot_dir)) if snapshot_dir else flags


def snapshots(snapshot_dir: Path | None) -> list[Path]:
    """The snapshot files in the folder; none when there is no folder (or it is not one)."""
    return list(snapshot_dir.glob("*.bin")) if snapshot_dir and snapshot_dir.is_dir() else []


def snapshot_files(snapshot_dir: Path | None) -> set[str]:
    return {path.name for path in snapshots(snapshot_dir)}


def snapshot_bytes(snapshot_dir: Path | None) -> int | None:
    sizes = [path.stat().st_size for path in snapshots(snapshot_dir)]
    return max(sizes) if sizes else None


def new_server(fleet: Fleet, subject: Subject, workdir: Path, purpose: str) -> BenchServer:
    """A server in the fleet on a free port with its own state folder and log file, named after subject and purpose."""
    name = f"{purpose}-{subject.slug}"
    server = fresh_server(
        subject.worker,
        workdir,
        subject.runtime,
        name,
        kind=BenchServer,
        choice=runtimes.Choice(subject.runtime, "benchmark subject"),
        extra_args=runtime_flags(subject, workdir / "snapshots"),
        snapshot_dir=subject.snapshot_dir(workdir / "snapshots"),
    )
    return fleet.add(name, server)
