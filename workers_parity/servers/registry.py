"""What a worker is to the harness, and what can run one. A project's workers come from its config
(workers_parity.project), never from here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Runtime(StrEnum):
    """What executes a worker."""

    WORKERD = "workerd"  # Cloudflare's runtime under `wrangler dev`, Python with its own Pyodide bundle
    PYODIDE_WORKERD = "pyodide-workerd"  # our host: npm Pyodide as a module worker inside the same workerd
    DIRECT = "direct"  # JavaScript in workerd through miniflare as pyodide-workerd hosts Python: no wrangler dev
    PYODIDE_WRANGLER = "pyodide-wrangler"  # our host for Python served by `wrangler dev`, as JavaScript is


class Host(StrEnum):
    """What stands between the client and workerd: a runtime's tools, whatever the language."""

    WRANGLER_DEV = "wrangler-dev"  # wrangler's Node process and its proxy worker, in a workerd of their own
    DIRECT = "direct"  # a launcher that starts workerd through miniflare; workerd answers the client itself


HOSTS = {
    Runtime.WORKERD: Host.WRANGLER_DEV,
    Runtime.PYODIDE_WORKERD: Host.DIRECT,
    Runtime.DIRECT: Host.DIRECT,
    Runtime.PYODIDE_WRANGLER: Host.WRANGLER_DEV,
}


@dataclass(frozen=True)
class D1Database:
    binding: str
    migrations_dir: Path  # may not exist: nothing to apply then


@dataclass(frozen=True)
class Worker:
    id: str  # short id: test ids, nox sessions, --worker (the config's `id`, else the wrangler name)
    name: str  # the wrangler config's name
    folder: Path
    language: str  # "javascript" or "python"
    port: int  # default dev port
    ready_path: str | None = None  # None: ready once it answers HTTP at all; else once this path answers 200
    base_url: str | None = None  # a running or deployed worker: nothing is started for it
    d1_databases: tuple[D1Database, ...] = ()

    @property
    def is_python(self) -> bool:
        return self.language == "python"

    @property
    def runtimes(self) -> tuple[Runtime, ...]:
        """Runtimes that can execute this worker, preferred first."""
        if self.is_python:
            return (Runtime.WORKERD, Runtime.PYODIDE_WORKERD, Runtime.PYODIDE_WRANGLER)
        return (Runtime.WORKERD, Runtime.DIRECT)

    @property
    def default_state(self) -> Path:
        """Where `wrangler dev` keeps local state by default (its `--persist-to` default)."""
        return self.folder / ".wrangler" / "state"
