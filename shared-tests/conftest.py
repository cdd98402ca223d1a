"""Fixtures for the shared suite: which workers, where they run, and their dev servers on fresh state."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from parity import client, fleet, parentwatch, registry, runinfo, runtimes
from parity.devserver import DevServer


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("workers")
    group.addoption(
        "--worker",
        action="append",
        default=[],
        metavar="NAME",
        help=f"test only this worker (repeatable): {', '.join(registry.worker_ids())}",
    )
    group.addoption(
        "--base-url",
        action="append",
        default=[],
        metavar="NAME=URL",
        help="test an already running or deployed worker at URL instead of starting one (repeatable)",
    )
    group.addoption(
        "--run-info",
        metavar="PATH",
        default=None,
        help="write what ran where (runtime, start-up time, request count) as JSON, for the report",
    )
    group.addoption(
        "--python-runtime",
        choices=runtimes.RUNTIME_CHOICES,
        default=None,
        help=f"runtime for the Python workers (default: ${runtimes.RUNTIME_ENV} or auto)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "contract(*rules): the contract rule ids (C1, C2, ...) a test checks")
    config.stash[SELECTION] = Selection.from_options(config)
    parentwatch.exit_with_parent()


@dataclass
class Selection:
    workers: list[registry.Worker]
    base_urls: dict[str, str]
    python_runtime: str

    @classmethod
    def from_options(cls, config: pytest.Config) -> Selection:
        base_urls = dict(_parse_base_url(value) for value in config.getoption("--base-url"))
        names = config.getoption("--worker") or list(base_urls) or registry.worker_ids()
        try:
            workers = [registry.get(name) for name in dict.fromkeys(names)]
            python_runtime = runtimes.requested_runtime(config.getoption("--python-runtime"))
        except (KeyError, ValueError) as error:
            raise pytest.UsageError(str(error.args[0])) from None
        return cls(workers, base_urls, python_runtime)


def _parse_base_url(value: str) -> tuple[str, str]:
    name, separator, url = value.partition("=")
    if not separator or not url.startswith(("http://", "https://")):
        raise pytest.UsageError(f"--base-url takes NAME=URL with an http(s) URL, got {value!r}")
    try:
        return registry.get(name).id, url.rstrip("/")
    except KeyError as error:
        raise pytest.UsageError(str(error.args[0])) from None


SELECTION = pytest.StashKey[Selection]()


def pytest_report_header(config: pytest.Config) -> list[str]:
    selection = config.stash[SELECTION]
    lines = []
    for worker in selection.workers:
        where = selection.base_urls.get(worker.id)
        if where is None:
            choice = runtimes.select(worker, selection.python_runtime)
            where = f"dev server on fresh state, runtime {choice.runtime} ({choice.reason})"
        lines.append(f"worker {worker.id}: {where}")
    return lines


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "worker" in metafunc.fixturenames:
        selected = metafunc.config.stash[SELECTION].workers
        metafunc.parametrize(
            "worker", [w.id for w in selected], ids=[w.id for w in selected], indirect=True, scope="session"
        )


@dataclass
class WorkerUnderTest:
    """What a test sees of one worker: where it answers and, when we started it, its dev server."""

    spec: registry.Worker
    base_url: str
    server: DevServer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    id = property(lambda self: self.spec.id)
    name = property(lambda self: self.spec.name)
    language = property(lambda self: self.spec.language)

    @property
    def fresh_state(self) -> bool:
        return self.server is not None

    @property
    def runtime(self) -> str | None:
        return self.server.choice.runtime if self.server else None

    def restart(self) -> None:
        if self.server is None:
            pytest.skip(f"{self.name} is an external --base-url worker; the suite cannot restart it")
        with self.lock:
            self.server.restart()


class Fleet:
    """The selected workers: external --base-url ones, and dev servers started in parallel on fresh state."""

    def __init__(self, selection: Selection, workdir: Path):
        local = [w for w in selection.workers if w.id not in selection.base_urls]
        self.servers = fleet.fresh_servers(local, workdir, selection.python_runtime)
        self.failures = fleet.start_parallel(self.servers)
        self.members = {
            w.id: WorkerUnderTest(w, selection.base_urls[w.id])
            for w in selection.workers
            if w.id in selection.base_urls
        }
        self.members.update(
            {
                s.worker.id: WorkerUnderTest(s.worker, s.base_url, s)
                for s in self.servers
                if s.worker.id not in self.failures
            }
        )

    def get(self, worker_id: str) -> WorkerUnderTest:
        if worker_id in self.failures:
            pytest.fail(f"dev server did not start: {self.failures[worker_id]}", pytrace=False)
        return self.members[worker_id]

    def stop(self) -> None:
        fleet.stop_all(self.servers)

    def runs(self) -> list[runinfo.WorkerRun]:
        records = [_external_run(member) for member in self.members.values() if member.server is None]
        records += [_server_run(server, self.failures.get(server.worker.id)) for server in self.servers]
        for record in records:
            record.requests = client.REQUESTS_SENT[record.base_url] if record.base_url else 0
        return records


def _external_run(member: WorkerUnderTest) -> runinfo.WorkerRun:
    return runinfo.WorkerRun(member.id, member.name, member.base_url, None, "external --base-url", None)


def _server_run(server: DevServer, failure: Exception | None) -> runinfo.WorkerRun:
    choice = server.choice
    return runinfo.WorkerRun(
        server.worker.id,
        server.worker.name,
        server.base_url,
        choice.runtime if choice else None,
        choice.reason if choice else "",
        server.startup_seconds,
        str(failure) if failure else None,
    )


@pytest.fixture(scope="session")
def workers_fleet(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    started = Fleet(request.config.stash[SELECTION], tmp_path_factory.mktemp("workers"))
    try:
        yield started
    finally:
        started.stop()
        if request.config.getoption("--run-info"):
            runinfo.write(started.runs(), Path(request.config.getoption("--run-info")))


@pytest.fixture(scope="session")
def worker(request: pytest.FixtureRequest, workers_fleet: Fleet) -> WorkerUnderTest:
    return workers_fleet.get(request.param)


@pytest.fixture(scope="session")
def selection(request: pytest.FixtureRequest) -> Selection:
    return request.config.stash[SELECTION]
