"""The one registry of workers, used by the noxfile, the tests and every tool."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from parity import ROOT


class Runtime(StrEnum):
    """What executes a worker."""

    WORKERD = "workerd"  # Cloudflare's runtime under `wrangler dev`, Python with its own Pyodide bundle
    PYODIDE_WORKERD = "pyodide-workerd"  # our host: npm Pyodide as a module worker inside the same workerd


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
    def runtimes(self) -> tuple[Runtime, ...]:
        """Runtimes that can execute this worker, preferred first."""
        return (Runtime.WORKERD, Runtime.PYODIDE_WORKERD) if self.is_python else (Runtime.WORKERD,)

    @property
    def default_state(self) -> Path:
        """Where `wrangler dev` keeps local state by default (its `--persist-to` default)."""
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
