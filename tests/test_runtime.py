"""The runtimes behind the Python workers: pyodide-workerd's behaviour, shared state, and the workerd bundle wrapper."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from workers_parity import project
from workers_parity.http import client
from workers_parity.servers import cache, runtimes
from workers_parity.servers.devserver import DevServer, StartFailed, group_alive, log_tail
from workers_parity.servers.ports import free_port
from workers_parity.servers.registry import Runtime, Worker

PROBE_CONFIG = """{
  // JSONC, as wrangler reads it: comments and trailing commas.
  "name": "probe-worker", /* a block comment */
  "main": "src/entry.py",
  "compatibility_date": "2026-09-08",
  "compatibility_flags": ["python_workers",],
  "d1_databases": [
    {"binding": "DB", "database_name": "parity-counter", "database_id": "00000000-0000-4000-8000-000000000001",},
  ],
}
"""
PROBE_ENTRY = """
import asyncio
import os
import random
import secrets

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = request.url.split("?")[0].rsplit("/", 1)[-1]
        if path == "slow":
            await asyncio.sleep(3)
        if path == "boom":
            raise ZeroDivisionError("probe exploded on purpose")
        if path == "random":
            return Response(f"{random.random()} {secrets.token_hex(8)} {os.urandom(8).hex()}")
        return Response(f"{path} VERSION", headers={"content-type": "text/plain; charset=utf-8"})
"""


@pytest.fixture(autouse=True)
def python_workers_selected(selection) -> None:
    if not any(worker.is_python for worker in selection.workers):
        pytest.skip("no Python worker selected (--worker)")


def probe_worker(folder: Path, version: str = "v1") -> Worker:
    """A tiny Python worker with a slow route and a failing one."""
    (folder / "src").mkdir(parents=True, exist_ok=True)
    (folder / "migrations").mkdir(exist_ok=True)
    (folder / "wrangler.jsonc").write_text(PROBE_CONFIG)
    (folder / "pyproject.toml").write_text('[project]\nname = "probe"\nversion = "0"\ndependencies = []\n')
    # no dependencies, only the SDK: py-worker-minimal's committed lock is this worker's lock too
    (folder / "pylock.toml").write_bytes((project.get("py-minimal").folder / "pylock.toml").read_bytes())
    (folder / "src" / "entry.py").write_text(PROBE_ENTRY.replace("VERSION", version))
    (folder / "migrations" / "0001.sql").write_text("select 1;\n")
    return project.worker_from_folder(folder, port=0, worker_id="probe")


def offline_server(worker: Worker, tmp_path: Path, state: Path | None = None) -> DevServer:
    return DevServer(
        worker,
        port=free_port(),
        state_dir=state or tmp_path / "state",
        log_path=tmp_path / f"{worker.id}-{time.monotonic_ns()}.log",
        runtime=Runtime.PYODIDE_WORKERD,
    )


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("probe")
    server = offline_server(probe_worker(workdir / "worker"), workdir)
    with server:
        yield server


def test_a_slow_request_does_not_block_a_fast_one(probe: DevServer) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        slow = pool.submit(timed, probe.base_url, "/slow")
        time.sleep(0.3)  # the slow request is in flight first
        fast = pool.submit(timed, probe.base_url, "/fast")
        (fast_reply, fast_seconds), (slow_reply, slow_seconds) = fast.result(), slow.result()
    assert (fast_reply.status, slow_reply.status) == (200, 200)
    assert fast_seconds < 1.5 < slow_seconds


def timed(base_url: str, path: str) -> tuple[client.Reply, float]:
    started = time.monotonic()
    reply = client.get(base_url, path)
    return reply, time.monotonic() - started


def test_a_python_exception_is_a_500_with_the_traceback_in_the_log(probe: DevServer) -> None:
    reply = client.get(probe.base_url, "/boom")
    assert (reply.status, reply.body) == (500, b"Internal Server Error")
    assert b"ZeroDivisionError" not in reply.body
    log = wait_for_log(probe, "ZeroDivisionError: probe exploded on purpose")  # workerd's log arrives after the reply
    assert "Traceback (most recent call last)" in log
    assert "ZeroDivisionError: probe exploded on purpose" in log


def wait_for_log(server: DevServer, text: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while text not in (log := server.log_path.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return log


def test_ready_line_names_the_port_and_the_runtime(probe: DevServer) -> None:
    assert re.search(
        rf"Ready on http://127\.0\.0\.1:{probe.port} \(pyodide-workerd, Pyodide 314", probe.log_path.read_text()
    )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_a_stop_signal_stops_every_process(tmp_path: Path, signum: signal.Signals) -> None:
    server = offline_server(probe_worker(tmp_path / "worker"), tmp_path).start()
    os.kill(server.process.pid, signum)
    assert server.process.wait(timeout=20) == 0
    deadline = time.monotonic() + 10
    while group_alive(server.process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not group_alive(server.process.pid), "a child of pyodide-workerd (its workerd) outlived it"


def test_random_values_are_fresh_on_every_start(tmp_path: Path) -> None:
    """random, secrets and os.urandom must not repeat what the snapshot froze (nor the previous start)."""
    worker = probe_worker(tmp_path / "worker")
    draws = []
    for _ in range(2):
        with offline_server(worker, tmp_path) as server:
            draws.append(client.get(server.base_url, "/random").text.split())
    assert snapshot_events_of(tmp_path) == ["taking (first start)", "created", "loaded"]
    for first, second in zip(*draws, strict=True):
        assert first != second, f"a random value repeated across starts: {draws}"


def snapshot_events_of(folder: Path) -> list[str]:
    return [event for log in sorted(folder.glob("probe-*.log")) for event in snapshot_events_in(log.read_text())]


def snapshot_events_in(log: str) -> list[str]:
    """`taking (first start)`, `created`, `loaded`: what serve.mjs said of the snapshot, in order."""
    found = re.findall(r"snapshot: (\w+)(?: \S+ (\([^)]*\)))?", log)
    return [" ".join(part for part in event if part) for event in found]


def test_editing_a_python_file_reloads_the_worker(tmp_path: Path) -> None:
    worker = probe_worker(tmp_path / "worker")
    server = offline_server(worker, tmp_path)
    server.extra_args = runtimes.watch_flags(Runtime.PYODIDE_WORKERD)
    with server:
        assert client.get(server.base_url, "/hello").body == b"hello v1"
        probe_worker(worker.folder, version="v2")
        deadline = time.monotonic() + 30
        while answer_during_reload(server.base_url) != b"hello v2":
            assert time.monotonic() < deadline, f"no reload within 30 s\n{log_tail(server.log_path)}"
            time.sleep(0.2)
        assert "reloaded: entry.py changed" in server.log_path.read_text()


def answer_during_reload(base_url: str) -> bytes | None:
    """The body of /hello, or None while workerd restarts with the new code (its port is closed meanwhile)."""
    try:
        return client.get(base_url, "/hello").body
    except (ConnectionError, requests.ConnectionError):  # a raw exchange's, or requests' (not a builtin's subclass)
        return None


def test_the_runtime_exits_when_its_parent_dies(tmp_path: Path) -> None:
    """Started by hand from a shell that then dies, the runtime and its workerd go too."""
    worker = probe_worker(tmp_path / "worker")
    server = offline_server(worker, tmp_path)
    python = runtimes.prepare(worker, Runtime.PYODIDE_WORKERD)
    launch = runtimes.launch(
        worker, Runtime.PYODIDE_WORKERD, port=server.port, host="127.0.0.1", state_dir=tmp_path / "s", python=python
    )
    log = tmp_path / "orphan.log"
    shell = subprocess.Popen(
        ["sh", "-c", f'{shlex.join(launch.argv)} >"{log}" 2>&1 & echo $!; wait'],
        cwd=launch.cwd,
        env=launch.env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert_runtime_follows_its_parent(shell, log)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(shell.pid, signal.SIGKILL)  # a failed assertion must not leave the shell behind


def assert_runtime_follows_its_parent(shell: subprocess.Popen, log: Path) -> None:
    runtime_pid = int(shell.stdout.readline())
    deadline = time.monotonic() + 120
    while not log.exists() or "Ready on" not in log.read_text():
        assert time.monotonic() < deadline, f"not ready within 120 s: {log}"
        time.sleep(0.2)
    workerd_pids = child_pids(runtime_pid)
    assert workerd_pids, "pyodide-workerd started no workerd"
    shell.kill()
    shell.wait()
    deadline = time.monotonic() + 10
    while any(pid_alive(pid) for pid in [runtime_pid, *workerd_pids]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(pid_alive(pid) for pid in [runtime_pid, *workerd_pids]), log.read_text()


def child_pids(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in children.read_text().split()] if children.exists() else []


def pid_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def snapshot_events(server: DevServer) -> list[str]:
    return snapshot_events_in(server.log_path.read_text())


def test_snapshot_is_reused_and_rebuilt_when_python_modules_change(tmp_path: Path) -> None:
    worker = probe_worker(tmp_path / "worker")
    with offline_server(worker, tmp_path) as first:
        assert snapshot_events(first) == ["taking (first start)", "created"]
    probe_worker(tmp_path / "worker", version="v2")  # the worker's own code is not in the snapshot
    with offline_server(worker, tmp_path) as second:
        assert snapshot_events(second) == ["loaded"]
        assert client.get(second.base_url, "/hello").body == b"hello v2"
    (worker.folder / "python_modules" / "probe_extra.py").write_text("ANSWER = 42\n")
    with offline_server(worker, tmp_path) as third:
        assert snapshot_events(third) == ["taking (its inputs changed)", "created"]
    snapshots = sorted(path.name for path in cache.snapshot_dir(worker.folder).rglob("snapshot-*.bin"))
    assert len(snapshots) == 1, f"stale snapshots were left behind: {snapshots}"


def test_snapshot_is_rebuilt_when_the_entry_module_imports_change(tmp_path: Path) -> None:
    worker = probe_worker(tmp_path / "worker")
    with offline_server(worker, tmp_path) as first:
        assert snapshot_events(first) == ["taking (first start)", "created"]
    entry = worker.folder / "src" / "entry.py"
    entry.write_text("import json\n" + entry.read_text())
    with offline_server(worker, tmp_path) as second:
        assert snapshot_events(second) == ["taking (its inputs changed)", "created"]


def test_counter_state_is_shared_between_wrangler_dev_and_pyodide_workerd(tmp_path: Path) -> None:
    state = tmp_path / "shared-state"
    js, minimal, starlette = project.get("js"), project.get("py-minimal"), project.get("py")
    seen = []
    hosted = Runtime.PYODIDE_WORKERD
    for worker, runtime in ((js, Runtime.WORKERD), (minimal, hosted), (js, Runtime.WORKERD), (starlette, hosted)):
        server = DevServer(
            worker, port=free_port(), state_dir=state, log_path=tmp_path / f"{worker.id}.log", runtime=runtime
        )
        with server:
            seen.append(client.get(server.base_url, "/counter").body)
    assert [re.search(rb'id="count">(\d+)<', body)[1] for body in seen] == [b"1", b"2", b"3", b"4"]


def test_bundle_wrapper_reaches_workerd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a bundle file workerd tries to download it; a bogus file makes it check the file's sha256 instead."""
    if runtimes.bundle_host_resolves():
        pytest.skip(f"online: {runtimes.BUNDLE_HOST} resolves, so workerd's download would not fail here")
    bundles = tmp_path / "bundles"
    bundles.mkdir()
    monkeypatch.setenv(runtimes.BUNDLE_DIR_ENV, str(bundles))
    minimal = project.get("py-minimal")

    download_error = start_failure(minimal, tmp_path / "download.log", tmp_path)
    assert "Request for Pyodide bundle failed" in download_error
    bundle_name = re.search(r"(pyodide_[\w.\-]+\.capnp\.bin)", download_error)[1]

    (bundles / bundle_name).write_bytes(b"not a pyodide bundle")
    integrity_error = start_failure(minimal, tmp_path / "integrity.log", tmp_path)
    assert "Pyodide bundle integrity check failed" in integrity_error
    assert "expectedIntegrity = sha256-" in integrity_error


def start_failure(worker: Worker, log_path: Path, tmp_path: Path) -> str:
    server = DevServer(worker, port=free_port(), state_dir=tmp_path / "state", log_path=log_path, runtime="workerd")
    with pytest.raises(StartFailed):
        server.start(timeout=120)
    return log_tail(log_path, lines=400)
