"""What a worker is to the harness, and the names of what can run one (each runtime's record is in
servers/runtimes.py). A project's workers come from its config (workers_parity.project), never from here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Runtime(StrEnum):
    """What executes a worker: the names. What each one is, runs and needs is its record in servers/runtimes.py."""

    WORKERD = "workerd"
    PYODIDE_WORKERD = "pyodide-workerd"
    DIRECT = "direct"
    PYODIDE_WRANGLER = "pyodide-wrangler"


class Host(StrEnum):
    """What stands between the client and workerd: a runtime's tools, whatever the language."""

    WRANGLER_DEV = "wrangler-dev"  # wrangler's Node process and its proxy worker, in a workerd of their own
    DIRECT = "direct"  # a launcher that starts workerd through miniflare; workerd answers the client itself


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
    def default_state(self) -> Path:
        """Where `wrangler dev` keeps local state by default (its `--persist-to` default)."""
        return self.folder / ".wrangler" / "state"
