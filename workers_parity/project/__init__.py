"""The user's project: its config (project/config.py) and its workers, each read from its own wrangler config.

The harness knows no worker of its own: every command, the pytest plugin and this repository's nox sessions get
their workers from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from workers_parity.project import config, wrangler
from workers_parity.project.config import Config, ConfigError
from workers_parity.servers.registry import Worker

DEFAULT_PORT = 8787  # wrangler dev's; a project's workers take consecutive ports from it unless they name one


@dataclass(frozen=True)
class Project:
    config: Config
    workers: tuple[Worker, ...]

    @property
    def root(self) -> Path:
        return self.config.root

    @property
    def reports(self) -> Path:
        return self.config.reports or self.root / "reports"

    def get(self, key: str) -> Worker:
        """A worker by id or name."""
        for worker in self.workers:
            if key in (worker.id, worker.name):
                return worker
        raise KeyError(f"unknown worker {key!r}; choose from {', '.join(self.ids())}")

    def ids(self) -> list[str]:
        return [worker.id for worker in self.workers]


def load(path: Path) -> Project:
    settings = config.load(path)
    workers = tuple(_worker(entry, index) for index, entry in enumerate(settings.workers))
    _check_unique(settings.path, [worker.id for worker in workers], "id")
    _check_unique(settings.path, [worker.port for worker in workers], "port")
    if settings.baseline is not None and settings.baseline not in {w.id for w in workers} | {w.name for w in workers}:
        raise ConfigError(f"{settings.path}: baseline {settings.baseline!r} names no configured worker")
    return Project(settings, workers)


def worker_from_folder(folder: Path, *, port: int = DEFAULT_PORT, worker_id: str | None = None) -> Worker:
    """A worker folder outside any config (`workers-parity dev FOLDER`)."""
    return _worker(config.WorkerEntry(folder=folder.resolve(), id=worker_id, port=port), 0)


def _worker(entry: config.WorkerEntry, index: int) -> Worker:
    try:
        found = wrangler.read(entry.folder)
    except wrangler.WranglerConfigError as error:
        raise ConfigError(str(error)) from None
    return Worker(
        id=entry.id or found.name,
        name=found.name,
        folder=entry.folder,
        language=found.language,
        port=entry.port or DEFAULT_PORT + index,
        ready_path=entry.ready_path,
        base_url=entry.base_url,
        d1_databases=found.d1_databases,
    )


def _check_unique(path: Path, values: list, what: str) -> None:
    repeated = sorted({str(value) for value in values if values.count(value) > 1})
    if repeated:
        raise ConfigError(f"{path}: two workers have the same {what} ({', '.join(repeated)}); give each its own")


@cache
def current() -> Project:
    """The project of the working directory (or $WORKERS_PARITY_CONFIG); ConfigError when there is none."""
    path = config.find()
    if path is None:
        raise ConfigError(
            f"no {config.CONFIG_NAME} here or above (nor [tool.{config.PYPROJECT_TABLE}] in a pyproject.toml); "
            "`workers-parity init` writes one for the worker folders it finds"
        )
    return load(path)


def root_or_cwd() -> Path:
    """The project's folder, or the working directory outside any project (`workers-parity dev FOLDER`)."""
    found = config.find()
    return found.parent if found is not None else Path.cwd().resolve()


def workers() -> tuple[Worker, ...]:
    return current().workers


def get(key: str) -> Worker:
    return current().get(key)


def worker_ids() -> list[str]:
    return current().ids()
