"""What is measured: each worker in each runtime usable here (and how pyodide-workerd starts), the endpoints (the
project's plug-in names them; else GET of each worker's ready path), and the dev servers started for them, each one
in the run's fleet (so stopped at the end however the run ends)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from workers_parity import project
from workers_parity.plugins import hooks
from workers_parity.servers import choose, registry, runtimes
from workers_parity.servers.devserver import DevServer
from workers_parity.servers.fleet import Fleet, fresh_server
from workers_parity.servers.registry import Worker

PYODIDE_WORKERD = registry.Runtime.PYODIDE_WORKERD
WARM_SNAPSHOT = "warm snapshot"
NO_SNAPSHOT = "no snapshot"


@dataclass(frozen=True)
class Subject:
    """One worker in one runtime; for pyodide-workerd also whether it starts from a warm snapshot or none."""

    worker_id: str
    runtime: str
    variant: str = ""

    @property
    def worker(self) -> Worker:
        return project.get(self.worker_id)

    @property
    def label(self) -> str:
        text = f"{self.worker.name} · {self.runtime}"
        return f"{text} ({self.variant})" if self.variant else text

    @property
    def serving_label(self) -> str:
        """The label without the start variant: the load runs always start pyodide-workerd from its warm snapshot."""
        return f"{self.worker.name} · {self.runtime}"

    def snapshot_dir(self, snapshot_root: Path) -> Path | None:
        """Where this subject's pyodide-workerd keeps its snapshot; None when it runs without one (or in workerd)."""
        if self.runtime != PYODIDE_WORKERD or self.variant == NO_SNAPSHOT:
            return None
        return snapshot_root / self.worker_id

    @property
    def slug(self) -> str:
        return "-".join(filter(None, (self.worker_id, self.runtime, self.variant.replace(" ", "-"))))


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    body: bytes | None = None
    content_type: str | None = None

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def headers(self) -> dict[str, str]:
        return {"content-type": self.content_type} if self.content_type else {}


def endpoints() -> tuple[Endpoint, ...]:
    """The project's plug-in's `bench_endpoints()`, else GET of the first worker's ready path."""
    named = hooks.load(project.current().config.plugins).bench_endpoints()
    if named:
        return tuple(Endpoint(*endpoint) for endpoint in named)
    return (Endpoint("GET", project.workers()[0].ready_path or "/"),)


def usable_runtimes(workers: list[Worker]) -> tuple[list[Subject], dict[str, str]]:
    """(worker, runtime) pairs usable here, in worker order, and the unusable ones with the reason."""
    usable, skipped = [], {}
    for worker in workers:
        for runtime in worker.runtimes:
            found = choose.availability(worker, runtime)
            if found.usable:
                usable.append(Subject(worker.id, runtime))
            else:
                skipped[f"{worker.name} · {runtime}"] = found.reason
    return usable, skipped


def startup_subjects(serving: list[Subject]) -> list[Subject]:
    """One round's order: every worker as it normally starts, then the pyodide-workerd workers with no snapshot."""
    cold = [replace(s, variant=NO_SNAPSHOT) for s in serving if s.runtime == PYODIDE_WORKERD]
    return serving_subjects(serving) + cold


def serving_subjects(serving: list[Subject]) -> list[Subject]:
    """The subjects of the load phase: pyodide-workerd starts from its warm snapshot as it normally would."""
    return [replace(s, variant=WARM_SNAPSHOT) if s.runtime == PYODIDE_WORKERD else s for s in serving]


@dataclass
class BenchServer(DevServer):
    """A DevServer that knows its snapshot folder: a warm start that rebuilt the snapshot was not warm."""

    snapshot_dir: Path | None = None


def runtime_flags(subject: Subject, snapshot_root: Path) -> tuple[str, ...]:
    if subject.variant == NO_SNAPSHOT:
        return ("--no-snapshot",)
    snapshot_dir = subject.snapshot_dir(snapshot_root)
    return ("--snapshot-dir", str(snapshot_dir)) if snapshot_dir else ()


def snapshot_files(snapshot_dir: Path | None) -> set[str]:
    return {path.name for path in snapshot_dir.glob("*.bin")} if snapshot_dir and snapshot_dir.is_dir() else set()


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
