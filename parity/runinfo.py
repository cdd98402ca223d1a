"""What a test run records about each worker, for the parity report: where it ran, on what, how fast."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class WorkerRun:
    id: str  # the worker's id, or worker@runtime when a run covers several runtimes
    name: str
    base_url: str | None
    runtime: str | None  # a registry.Runtime, or None for an external --base-url worker
    runtime_reason: str
    startup_seconds: float | None
    error: str | None = None
    requests: int = 0


def write(runs: list[WorkerRun], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([asdict(run) for run in runs], indent=2) + "\n")


def read(path: Path) -> list[WorkerRun]:
    return [WorkerRun(**item) for item in json.loads(path.read_text())]
