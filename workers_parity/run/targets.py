"""What a run covers: one target per worker and runtime (a worker's id, or worker@runtime when a run covers one
worker in several runtimes), each served by a dev server on fresh state or found at an external URL (--base-url)."""

from __future__ import annotations

from dataclasses import dataclass, field

from workers_parity.project import Project
from workers_parity.project.config import ConfigError
from workers_parity.servers import choose, registry, runtimes


@dataclass(frozen=True)
class Target:
    """One worker in one runtime: what a case or test runs against."""

    worker: registry.Worker
    choice: runtimes.Choice | None  # None for an external worker (--base-url, or the config's base_url)
    id: str

    @property
    def label(self) -> str:
        """The worker's name, qualified like the id: how the judge names this target."""
        return self.worker.name + self.id.removeprefix(self.worker.id)

    @property
    def worker_and_runtime(self) -> tuple[str, str | None]:
        return self.worker.id, self.choice.runtime if self.choice else None


@dataclass
class Selection:
    project: Project
    workers: list[registry.Worker]
    base_urls: dict[str, str]  # worker id -> URL of an external worker
    python_runtime: str
    js_runtime: str = runtimes.AUTO
    targets: list[Target] = field(default_factory=list)

    @property
    def narrowed(self) -> bool:
        """Fewer workers than the project has."""
        return len(self.workers) < len(self.project.workers)

    def baseline_label(self) -> str | None:
        """The label of the config's baseline worker's first target, when it is in this run."""
        baseline = self.project.config.baseline
        if baseline is None:
            return None
        return next((t.label for t in self.targets if baseline in (t.worker.id, t.worker.name)), None)


def select(
    project: Project,
    names: list[str] = (),
    base_urls: list[str] = (),
    python_runtime: str | None = None,
    js_runtime: str | None = None,
) -> Selection:
    """The workers named (all of the project's by default), each in the runtimes `python_runtime` (a Python worker)
    or `js_runtime` (a JavaScript worker: wrangler dev's workerd, the direct host, or both) asks for; a
    worker with a base URL (the config's, or --base-url NAME=URL) is reached there and not started. ConfigError
    names an unknown worker or a malformed URL."""
    urls = {worker.id: worker.base_url.rstrip("/") for worker in project.workers if worker.base_url}
    urls.update(dict(parse_base_url(project, value) for value in base_urls))
    try:
        workers = [project.get(name) for name in dict.fromkeys(names or project.ids())]
        runtime = runtimes.requested_runtime(python_runtime)
        js = runtimes.requested_js_runtime(js_runtime)
    except (KeyError, ValueError) as error:
        raise ConfigError(f"{project.config.path}: {error.args[0]}") from None
    selection = Selection(project, workers, urls, runtime, js)
    selection.targets = [target for worker in workers for target in _targets_of(selection, worker)]
    return selection


def _targets_of(selection: Selection, worker: registry.Worker) -> list[Target]:
    if worker.id in selection.base_urls:
        return [Target(worker, None, worker.id)]
    choices = choose.select_all(worker, selection.python_runtime, selection.js_runtime)
    if len(choices) == 1:
        return [Target(worker, choices[0], worker.id)]
    return [Target(worker, choice, f"{worker.id}@{choice.runtime}") for choice in choices]


def parse_base_url(project: Project, value: str) -> tuple[str, str]:
    """NAME=URL -> (worker id, URL without a trailing slash)."""
    name, separator, url = value.partition("=")
    if not separator or not url.startswith(("http://", "https://")):
        raise ConfigError(f"--base-url takes NAME=URL with an http(s) URL, got {value!r}")
    try:
        return project.get(name).id, url.rstrip("/")
    except KeyError as error:
        raise ConfigError(f"--base-url {value}: {error.args[0]}") from None
