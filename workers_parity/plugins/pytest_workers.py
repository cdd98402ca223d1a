"""The pytest plugin that says which workers a run tests and starts them: --worker, --base-url, --python-runtime and
--js-runtime select the targets; the `worker` fixture parametrizes a test over them (ids `js`, `py`, `py-minimal`),
each one served by a dev server on fresh state in one fleet for the session, or by an external URL.

Loaded for every run by pyproject's addopts, so shared-tests/ and tests/ both use it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest
import requests

from workers_parity import project
from workers_parity.http import client
from workers_parity.plugins import pytest_contract as recorded
from workers_parity.plugins import results
from workers_parity.servers import fleet, parentwatch, registry, runtimes
from workers_parity.servers.devserver import DevServer

Answer = TypeVar("Answer")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("workers")
    group.addoption(
        "--worker",
        action="append",
        default=[],
        metavar="NAME",
        help="test only this worker (repeatable): an id of the project's workers-parity.toml",
    )
    group.addoption(
        "--base-url",
        action="append",
        default=[],
        metavar="NAME=URL",
        help="test an already running or deployed worker at URL instead of starting one (repeatable)",
    )
    group.addoption(
        "--python-runtime",
        choices=runtimes.RUNTIME_CHOICES,
        default=None,
        help=f"runtime for the Python workers (default: ${runtimes.RUNTIME_ENV} or auto)",
    )
    group.addoption(
        "--js-runtime",
        choices=runtimes.JS_RUNTIME_CHOICES,
        default=None,
        help=f"host for the JavaScript workers: workerd under wrangler dev, or direct (default: "
        f"${runtimes.JS_RUNTIME_ENV} or auto, which is wrangler dev; all: both)",
    )


def pytest_configure(config: pytest.Config) -> None:
    selection = config.stash[SELECTION] = Selection.from_options(config)
    recorded.declare_targets(config, {target.id: target.worker_and_runtime for target in selection.targets})
    parentwatch.exit_with_parent()


@dataclass(frozen=True)
class Target:
    """One worker in one runtime: what a test runs against. Its id is the worker's, or worker@runtime when the
    run covers the worker in several runtimes (--python-runtime all, --js-runtime all)."""

    worker: registry.Worker
    choice: runtimes.Choice | None  # None for an external --base-url worker
    id: str

    @property
    def label(self) -> str:
        """The worker's name, qualified like the id: how the differential tests name this target."""
        return self.worker.name + self.id.removeprefix(self.worker.id)

    @property
    def worker_and_runtime(self) -> tuple[str, str | None]:
        return self.worker.id, self.choice.runtime if self.choice else None


@dataclass
class Selection:
    workers: list[registry.Worker]
    base_urls: dict[str, str]
    python_runtime: str
    js_runtime: str
    targets: list[Target] = field(default_factory=list)

    @classmethod
    def from_options(cls, config: pytest.Config) -> Selection:
        base_urls = dict(_parse_base_url(value) for value in config.getoption("--base-url"))
        names = config.getoption("--worker") or list(base_urls) or project.worker_ids()
        try:
            workers = [project.get(name) for name in dict.fromkeys(names)]
            python_runtime = runtimes.requested_runtime(config.getoption("--python-runtime"))
            js_runtime = runtimes.requested_js_runtime(config.getoption("--js-runtime"))
        except (KeyError, ValueError) as error:
            raise pytest.UsageError(str(error.args[0])) from None
        selection = cls(workers, base_urls, python_runtime, js_runtime)
        selection.targets = [target for worker in workers for target in selection._targets_of(worker)]
        return selection

    def _targets_of(self, worker: registry.Worker) -> list[Target]:
        if worker.id in self.base_urls:
            return [Target(worker, None, worker.id)]
        choices = runtimes.select_all(worker, self.python_runtime, self.js_runtime)
        if len(choices) == 1:
            return [Target(worker, choices[0], worker.id)]
        return [Target(worker, choice, f"{worker.id}@{choice.runtime}") for choice in choices]


def _parse_base_url(value: str) -> tuple[str, str]:
    name, separator, url = value.partition("=")
    if not separator or not url.startswith(("http://", "https://")):
        raise pytest.UsageError(f"--base-url takes NAME=URL with an http(s) URL, got {value!r}")
    try:
        return project.get(name).id, url.rstrip("/")
    except KeyError as error:
        raise pytest.UsageError(str(error.args[0])) from None


SELECTION = pytest.StashKey[Selection]()


def pytest_report_header(config: pytest.Config) -> list[str]:
    selection = config.stash[SELECTION]
    lines = []
    for target in selection.targets:
        where = selection.base_urls.get(target.id)
        if target.choice is not None:
            where = f"dev server on fresh state, runtime {target.choice.runtime} ({target.choice.reason})"
        lines.append(f"worker {target.id}: {where}")
    return lines


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "worker" in metafunc.fixturenames:
        ids = [target.id for target in metafunc.config.stash[SELECTION].targets]
        metafunc.parametrize("worker", ids, ids=ids, indirect=True, scope="session")
    if "local_target" in metafunc.fixturenames:  # a target the test starts servers of itself, on state of its own
        local = [target for target in metafunc.config.stash[SELECTION].targets if target.choice is not None]
        metafunc.parametrize("local_target", local, ids=[target.id for target in local])


@dataclass
class WorkerUnderTest:
    """What a test sees of one worker: where it answers and, when we started it, its dev server."""

    target: Target
    base_url: str
    server: DevServer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    requests: int = 0  # sent by the suite, for the parity report
    # The worker's own requests.Session (as werkzeug's dev-server fixture owns its client): closed with the fleet.
    session: requests.Session = field(default_factory=client.new_session, repr=False)
    _count_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    spec = property(lambda self: self.target.worker)
    id = property(lambda self: self.target.id)
    label = property(lambda self: self.target.label)
    name = property(lambda self: self.spec.name)
    language = property(lambda self: self.spec.language)

    @property
    def fresh_state(self) -> bool:
        return self.server is not None

    @property
    def runtime(self) -> str | None:
        return self.server.choice.runtime if self.server else None

    @property
    def host(self) -> registry.Host | None:
        """What stands between the client and workerd (wrangler dev's proxy, or nothing); None for --base-url."""
        return registry.HOSTS[self.runtime] if self.server else None

    def request(self, method: str, path: str, **kwargs) -> client.Reply:
        return self.call(lambda base_url: client.request(base_url, method, path, session=self.session, **kwargs))

    def get(self, path: str, **kwargs) -> client.Reply:
        return self.request("GET", path, **kwargs)

    def call(self, send: Callable[[str], Answer]) -> Answer:
        """Send one request built by `send(base_url)` (a raw exchange, a request in self.session), counting it."""
        with self._count_lock:
            self.requests += 1
        return send(self.base_url)

    def restart(self) -> None:
        if self.server is None:
            pytest.skip(f"{self.name} is an external --base-url worker; the suite cannot restart it")
        with self.lock:
            self.server.restart()


class Selected:
    """The selected workers as the tests see them: external --base-url ones, and ours, running in the fleet."""

    def __init__(self, selection: Selection, running: fleet.Fleet):
        self.running = running
        self.members = {
            target.id: WorkerUnderTest(target, selection.base_urls[target.id])
            for target in selection.targets
            if target.choice is None
        }
        local = {target.id: target for target in selection.targets if target.choice is not None}
        self.members.update(
            {
                target_id: WorkerUnderTest(local[target_id], server.base_url, server)
                for target_id, server in running.started().items()
            }
        )

    def get(self, worker_id: str) -> WorkerUnderTest:
        if worker_id in self.running.failures:
            pytest.fail(f"dev server did not start: {self.running.failures[worker_id]}", pytrace=False)
        return self.members[worker_id]

    def close(self) -> None:
        for member in self.members.values():
            member.session.close()

    def runs(self) -> list[results.WorkerRun]:
        records = [_external_run(member) for member in self.members.values() if member.server is None]
        records += [
            _server_run(target_id, server, self.running.failures.get(target_id))
            for target_id, server in self.running.servers.items()
        ]
        for record in records:
            record.requests = self.members[record.id].requests if record.id in self.members else 0
        return records


def _external_run(member: WorkerUnderTest) -> results.WorkerRun:
    return results.WorkerRun(member.id, member.name, member.base_url, None, "external --base-url", None)


def _fresh_server(target: Target, workdir: Path) -> DevServer:
    """A dev server for one target on a free port, with its own fresh state folder and log file."""
    name = target.id.replace("@", "-")
    return fleet.fresh_server(target.worker, workdir, target.choice.runtime, name, choice=target.choice)


def _server_run(target_id: str, server: DevServer, failure: Exception | None) -> results.WorkerRun:
    choice = server.choice
    return results.WorkerRun(
        target_id,
        server.worker.name,
        server.base_url,
        choice.runtime if choice else None,
        choice.reason if choice else "",
        server.startup_seconds,
        str(failure) if failure else None,
    )


@pytest.fixture(scope="session")
def started_workers(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    selection = request.config.stash[SELECTION]
    workdir = tmp_path_factory.mktemp("workers")
    local = [target for target in selection.targets if target.choice is not None]
    with fleet.Fleet({target.id: _fresh_server(target, workdir) for target in local}) as running:
        running.start()
        selected = Selected(selection, running)
        try:
            yield selected
        finally:
            selected.close()
    recorded.record_workers(request.config, selected.runs())


@pytest.fixture(scope="session")
def worker(request: pytest.FixtureRequest, started_workers: Selected) -> WorkerUnderTest:
    return started_workers.get(request.param)


@pytest.fixture(scope="session")
def selection(request: pytest.FixtureRequest) -> Selection:
    return request.config.stash[SELECTION]


@pytest.fixture(scope="session")
def compared_workers(request: pytest.FixtureRequest, selection: Selection) -> list[WorkerUnderTest]:
    """The selected workers, started; differential testing needs at least two of them."""
    if len(selection.targets) < 2:
        only = ", ".join(target.id for target in selection.targets)
        pytest.skip(
            f"differential testing compares workers, and only {only} is selected "
            "(select two or more with --worker/--base-url, or none for all)"
        )
    started = request.getfixturevalue("started_workers")
    return [started.get(target.id) for target in selection.targets]
