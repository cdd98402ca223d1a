"""The one registry of workers, used by the noxfile, the tests and every tool."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from parity import ROOT


@dataclass(frozen=True)
class Worker:
    id: str  # short id: test ids, nox sessions, --worker
    name: str  # the x-worker header and the wrangler.jsonc name
    folder: Path
    language: str  # "javascript" or "python"
    port: int  # default dev port

    @property
    def is_python(self) -> bool:
        return self.language == "python"

    @property
    def runtimes(self) -> tuple[str, ...]:
        """Runtimes that can execute this worker, preferred first."""
        return ("workerd", "pyodide-node") if self.is_python else ("workerd",)

    @property
    def default_state(self) -> Path:
        """Where `wrangler dev` keeps local state by default (as the seed did)."""
        return self.folder / ".wrangler" / "state"


WORKERS: tuple[Worker, ...] = (
    Worker("js", "js-worker", ROOT / "js-worker", "javascript", 8787),
    Worker("py", "py-worker", ROOT / "py-worker", "python", 8788),
    Worker("py-minimal", "py-worker-minimal", ROOT / "py-worker-minimal", "python", 8789),
)


def worker_ids() -> list[str]:
    return [worker.id for worker in WORKERS]


def get(key: str) -> Worker:
    """Look a worker up by id or name."""
    for worker in WORKERS:
        if key in (worker.id, worker.name):
            return worker
    raise KeyError(f"unknown worker {key!r}; choose from {', '.join(worker_ids())}")
