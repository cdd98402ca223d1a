"""The pytest plugin that says which workers a run tests and starts them: --worker, --base-url, --python-runtime and
--js-runtime select the targets (run/targets.py); the `worker` fixture parametrizes a test over them (ids: the
config's worker ids, or worker@runtime when a run covers a worker in several runtimes), each one served by a dev server
on fresh state in one fleet for the session, or by an external URL.

Registered by the pytest11 entry point, so every pytest run in an environment with workers-parity installed loads
it; it does nothing unless the run is a workers-parity one: `--workers-parity` is given, or a workers-parity config
(workers-parity.toml, or [tool.workers-parity] in pyproject.toml) is found from the working directory up.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest
import requests

from workers_parity import project
from workers_parity.http import client
from workers_parity.plugins import pytest_results as recorded
from workers_parity.plugins import results
from workers_parity.project.config import ConfigError
from workers_parity.run import record
from workers_parity.run.targets import Selection, Target, select
from workers_parity.servers import fleet, parentwatch, registry, runtimes
from workers_parity.servers.devserver import DevServer

Answer = TypeVar("Answer")
SELECTION = pytest.StashKey[Selection]()
# Plugins that own one of our short option names: when installed, only our long name is registered (a plugin
# registered after us would otherwise make argparse refuse both).
OTHER_OWNERS = {"--base-url": "pytest_base_url"}
OPTIONS = (  # (names, dest, what): a name another plugin holds already (pytest-base-url's --base-url) is left to it
    (("--worker", "--parity-worker"), "parity_worker", "test only this worker (repeatable): an id of the config"),
    (("--base-url", "--parity-base-url"), "parity_base_url", "reach worker NAME at URL, start nothing (repeatable)"),
)


@pytest.hookimpl(trylast=True)  # after other plugins' options, so that a name one of them holds is not taken again
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("workers-parity")
    group.addoption(
        "--workers-parity",
        action="store_true",
        dest="workers_parity",
        help="test the project's workers: its cases become tests (also when a workers-parity config is found)",
    )
    taken = _option_names(parser)
    for names, dest, what in OPTIONS:
        free = [name for name in names if name not in taken]
        metavar = "NAME=URL" if "url" in dest else "NAME"
        group.addoption(*free, action="append", default=[], dest=dest, metavar=metavar, help=what)
    names = [name for name in ("--python-runtime", "--parity-python-runtime") if name not in taken]
    group.addoption(
        *names,
        dest="parity_python_runtime",
        choices=runtimes.RUNTIME_CHOICES,
        default=None,
        help=f"runtime for the Python workers (default: ${runtimes.RUNTIME_ENV} or auto)",
    )
    names = [name for name in ("--js-runtime", "--parity-js-runtime") if name not in taken]
    group.addoption(
        *names,
        dest="parity_js_runtime",
        choices=runtimes.JS_RUNTIME_CHOICES,
        default=None,
        help=f"host for the JavaScript workers: workerd under wrangler dev, or direct (default: "
        f"${runtimes.JS_RUNTIME_ENV} or auto, which is wrangler dev; all: both)",
    )


def _option_names(parser: pytest.Parser) -> set[str]:
    groups = [getattr(parser, "_anonymous", None), *getattr(parser, "_groups", [])]  # pytest keeps no public list
    taken = {name for group in groups if group is not None for option in group.options for name in option.names()}
    return taken | {name for name, module in OTHER_OWNERS.items() if importlib.util.find_spec(module) is not None}


def active(config: pytest.Config) -> bool:
    """Is this a workers-parity run? Asked for, or a config found."""
    return bool(config.getoption("workers_parity")) or project.config.find() is not None


def pytest_configure(config: pytest.Config) -> None:
    if not active(config):
        return
    try:
        selection = select(
            project.current(),
            config.getoption("parity_worker"),
            config.getoption("parity_base_url"),
            config.getoption("parity_python_runtime"),
            config.getoption("parity_js_runtime"),
        )
    except ConfigError as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[SELECTION] = selection
    recorded.declare_targets(config, {target.id: target.worker_and_runtime for target in selection.targets})
    recorded.declare_project(config, recorded.ProjectFacts(selection.project.ids()))
    parentwatch.exit_with_parent()


def pytest_report_header(config: pytest.Config) -> list[str]:
    selection = config.stash.get(SELECTION, None)
    if selection is None:
        return []
    lines = []
    for target in selection.targets:
        where = selection.base_urls.get(target.worker.id)
        if target.choice is not None:
            where = f"dev server on fresh state, runtime {target.choice.runtime} ({target.choice.reason})"
        lines.append(f"worker {target.id}: {where}")
    return lines


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    selection = metafunc.config.stash.get(SELECTION, None)
    if selection is None:
        return
    if "worker" in metafunc.fixturenames:
        ids = [target.id for target in selection.targets]
        metafunc.parametrize("worker", ids, ids=ids, indirect=True, scope="session")
    if "local_target" in metafunc.fixturenames:  # a target the test starts servers of itself, on state of its own
        local = [target for target in selection.targets if target.choice is not None]
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
        return runtimes.record(self.runtime).host if self.server else None

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
            target.id: WorkerUnderTest(target, selection.base_urls[target.worker.id])
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
        self.targets = {target.id: target for target in selection.targets}

    def get(self, worker_id: str) -> WorkerUnderTest:
        if worker_id in self.running.failures:
            pytest.fail(f"dev server did not start: {self.running.failures[worker_id]}", pytrace=False)
        return self.members[worker_id]

    def close(self) -> None:
        for member in self.members.values():
            member.session.close()

    def runs(self) -> list[results.WorkerRun]:
        records = []
        for target_id, target in self.targets.items():
            member, server = self.members.get(target_id), self.running.servers.get(target_id)
            failure = self.running.failures.get(target_id)
            url = member.base_url if member else (server.base_url if server else None)
            run = record.worker_run(target, url, server=server, error=str(failure) if failure else None)
            run.requests = member.requests if member else 0
            records.append(run)
        return records


def _fresh_server(target: Target, workdir: Path) -> DevServer:
    """A dev server for one target on a free port, with its own fresh state folder and log file."""
    name = target.id.replace("@", "-")
    return fleet.fresh_server(target.worker, workdir, target.choice.runtime, name, choice=target.choice)


def _selection(config: pytest.Config) -> Selection:
    selection = config.stash.get(SELECTION, None)
    if selection is None:
        pytest.fail("no workers-parity project here: add a workers-parity.toml, or pass --workers-parity", False)
    return selection


@pytest.fixture(scope="session")
def started_workers(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    selection = _selection(request.config)
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
    return _selection(request.config)


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
