"""Dev-server lifecycle: migrate a state folder, start under a guard, wait for HTTP readiness, stop everything.

Every command runs under servers/guard.py, so nothing it starts outlives this process, however this process ends.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import psutil
import requests

from workers_parity.pymodules import releases
from workers_parity.servers import guard, liveservers, runtimes, startlog, state, toolchain
from workers_parity.servers.ports import port_is_free
from workers_parity.servers.registry import Worker

LOG_TAIL_LINES = 40
STOP_GRACE = guard.DEFAULT_GRACE  # seconds between SIGTERM and SIGKILL
GUARD_EXIT_SECONDS = STOP_GRACE + guard.KILL_WAIT + 2.0


class DevServerError(RuntimeError):
    pass


class PortInUse(DevServerError):
    pass


class StartFailed(DevServerError):
    pass


def apply_migrations(worker: Worker, state_dir: Path, log_path: Path) -> None:
    """`wrangler d1 migrations apply BINDING --local --persist-to STATE` for every D1 database of the worker that has
    a migrations folder, before the dev server starts."""
    for database in worker.d1_databases:
        if database.migrations_dir.is_dir():
            _apply_migrations_of(worker, database.binding, state_dir, log_path)


def _apply_migrations_of(worker: Worker, binding: str, state_dir: Path, log_path: Path) -> None:
    command = [*toolchain.wrangler_command(), "d1", "migrations", "apply", binding, "--local"]
    command += ["--persist-to", str(state_dir)]
    with log_path.open("ab") as log:
        log.write(f"$ {' '.join(command)}\n".encode())
        log.flush()
        returncode = run_guarded(command, cwd=worker.folder, env=toolchain.node_env({"CI": "true"}), log=log)
    if returncode != 0:
        raise StartFailed(f"{worker.name}: applying the D1 migrations of {binding} failed\n{log_tail(log_path)}")


def spawn_guarded(
    argv: list[str], *, cwd: Path, env: dict[str, str], log: IO[bytes] | int | None, record: Path | None = None
) -> subprocess.Popen:
    """Start argv under a guard; its stdin is the guard's lifeline, held open by this process alone."""
    return subprocess.Popen(
        guard.command(argv, STOP_GRACE, str(record) if record else None),
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def run_guarded(argv: list[str], *, cwd: Path, env: dict[str, str], log: IO[bytes]) -> int:
    process = spawn_guarded(argv, cwd=cwd, env=env, log=log)
    try:
        return process.wait()
    finally:
        process.stdin.close()  # interrupted: the guard ends the command


def log_tail(log_path: Path, lines: int = LOG_TAIL_LINES) -> str:
    if not log_path.exists():
        return f"(no log at {log_path})"
    tail = log_path.read_text(errors="replace").splitlines()[-lines:]
    return f"--- last {len(tail)} lines of {log_path} ---\n" + "\n".join(tail)


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """The status of a GET to url, or None while nothing answers."""
    try:
        with requests.get(url, timeout=timeout, allow_redirects=False) as response:
            return response.status_code
    except requests.RequestException:
        return None


def listening_session(port: int) -> tuple[int | None, str]:
    """The session of the process listening on a local port (a guard's pid for our servers); else None, and why
    it cannot be named."""
    try:
        holder = liveservers.port_holder(port)
    except psutil.Error as error:  # AccessDenied where listing sockets needs privileges
        return None, f"psutil cannot list the listening sockets ({type(error).__name__}: {error})"
    if holder is None:
        return None, f"psutil names no process listening on port {port} (another user's, or none any more)"
    found = guard.proc_stat(holder.pid)
    if found is None:
        return None, f"the process listening on port {port} (pid {holder.pid}) ended or cannot be read in /proc"
    return found.session, ""


@dataclass
class DevServer:
    """One worker's dev server on one port and state folder, logging to its own file."""

    worker: Worker
    port: int
    state_dir: Path
    log_path: Path
    runtime: str = "auto"
    host: str = "127.0.0.1"
    process: subprocess.Popen | None = field(default=None, repr=False)
    startup_seconds: float | None = None
    choice: runtimes.Choice | None = None
    python: releases.Choice | None = None  # a Python worker's Python, once prepared
    extra_args: tuple[str, ...] = ()  # appended to the runtime's command line (e.g. pyodide-workerd's --no-snapshot)
    watch: bool = False  # reload the worker when its files change (wrangler dev always does)
    record_path: Path | None = field(default=None, repr=False)  # our entry in liveservers.RUN_DIR while running

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 180.0, migrate: bool = True, prepare: bool = True) -> DevServer:
        """prepare=False: the worker needs no python_modules/ (a probe worker without dependencies)."""
        if not port_is_free(self.port, self.host):
            raise PortInUse(
                f"{self.worker.name}: port {self.port} is already in use on {self.host} "
                + liveservers.who_holds(self.port)
            )
        state.check_state_folder(self.state_dir)  # creates it; a read-only folder or damaged D1 file stops here
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.choice = self.choice or runtimes.given(self.worker, self.runtime)
        self._log_line(f"runtime: {self.choice.runtime} ({self.choice.reason})")
        if prepare:
            self.python = runtimes.prepare(self.worker, self.choice.runtime)
            if self.python is not None:
                self._log_line(f"python: {self.python.release.describe()}, {self.python.reason}")
        if migrate:
            apply_migrations(self.worker, self.state_dir, self.log_path)
        self._spawn()
        self._wait_ready(timeout)
        return self

    def _log_line(self, text: str) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("a") as log:
            log.write(text + "\n")

    def _spawn(self) -> None:
        launch = runtimes.launch(
            self.worker,
            self.choice.runtime,
            port=self.port,
            host=self.host,
            state_dir=self.state_dir,
            python=self.python,
        )
        argv = [*launch.argv, *self.extra_args, *(runtimes.watch_flags(self.choice.runtime) if self.watch else ())]
        self._log_line(f"$ {' '.join(argv)}")
        self.record_path = liveservers.new_record_path(self.worker.id, self.port)
        self._start_log = startlog.StartLog(self.worker.folder.name, self.log_path)
        self._spawned_at = time.monotonic()
        with self.log_path.open("ab") as log:
            self.process = spawn_guarded(argv, cwd=launch.cwd, env=launch.env, log=log, record=self.record_path)
        self._record(argv)

    def _record(self, argv: list[str]) -> None:
        """So that `stop` and a later port-in-use error can find this server if this process dies."""
        found = liveservers.record_for(
            self.process.pid, worker=self.worker.name, port=self.port, command=argv, log=self.log_path
        )
        if found is not None:
            liveservers.write(found, self.record_path)

    def _wait_ready(self, timeout: float) -> None:
        try:
            self._await_answer(timeout)
        except BaseException:
            self._start_log.close(failed=True)
            raise
        self._start_log.close()

    def _await_answer(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._start_log.poll()
            if self.process.poll() is not None:
                self.stop()
                raise StartFailed(
                    f"{self.worker.name}: dev server exited with code {self.process.returncode} "
                    f"before answering\n{log_tail(self.log_path)}"
                )
            if self._answers():
                self.startup_seconds = time.monotonic() - self._spawned_at
                self._check_the_answer_was_its_own()
                return
            time.sleep(0.1)
        self.stop()
        raise StartFailed(
            f"{self.worker.name}: {self._readiness_wanted()} within {timeout:.0f} s\n{log_tail(self.log_path)}"
        )

    def _answers(self) -> bool:
        """Ready: an HTTP answer of any status, or a 200 at the worker's ready_path when its config names one."""
        status = http_status(self.base_url + (self.worker.ready_path or "/"))
        return status == 200 if self.worker.ready_path else status is not None

    def _readiness_wanted(self) -> str:
        if self.worker.ready_path:
            return f"no HTTP 200 from {self.base_url}{self.worker.ready_path}"
        return f"no HTTP answer from {self.base_url}/"

    def _check_the_answer_was_its_own(self) -> None:
        """Readiness is an HTTP answer on the port: it must come from this server's session, not from a process that
        took the port between the free-port check and the server's own bind (the server then fails to listen). An
        answer that cannot be shown to be this server's is not readiness either (fail closed)."""
        session, unknown = listening_session(self.port)
        if session == self.process.pid:
            return
        self.stop()
        if session is None:
            raise StartFailed(
                f"{self.worker.name}: {self.base_url} answered, but the answer cannot be shown to be this server's, "
                f"so it is not ready: {unknown}"
            )
        raise PortInUse(
            f"{self.worker.name}: port {self.port} was taken by another process while the server started, "
            + liveservers.who_holds(self.port)
        )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        self.request_stop()
        self.wait_stopped()

    def request_stop(self) -> None:
        """Ask the guard to end every process of the server; it finishes even if this process dies meanwhile."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        with contextlib.suppress(OSError):
            self.process.stdin.close()

    def wait_stopped(self) -> None:
        """Wait for the guard; should it hang, SIGKILL its process group (which holds the server) ourselves."""
        if self.process is None:
            return
        group = self.process.pid
        try:
            self.process.wait(timeout=GUARD_EXIT_SECONDS)
        except subprocess.TimeoutExpired:
            _signal_group(group, signal.SIGKILL)
            self.process.wait()
        if not _wait_group_gone(group, grace=3.0):
            _signal_group(group, signal.SIGKILL)
            _wait_group_gone(group, grace=5.0)
        if self.record_path is not None:
            self.record_path.unlink(missing_ok=True)

    def resident_bytes(self) -> int:
        """The resident memory of every process of this server (wrangler, workerd, node): its guard's session's."""
        return resident_memory({self.process.pid}, os.getsid)[self.process.pid][0]

    def restart(self, timeout: float = 180.0) -> DevServer:
        """Stop and start again on the same port and state."""
        self.stop()
        self._spawn()
        self._wait_ready(timeout)
        return self

    def __enter__(self) -> DevServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def resident_memory(leaders: set[int], membership: Callable[[int], int]) -> dict[int, tuple[int, int]]:
    """Leader pid -> (summed RSS in bytes, number of processes) of the processes whose `membership` (os.getsid: the
    session, os.getpgid: the process group) is that leader's pid, the leader itself (the harness's guard) left out."""
    usage = {leader: (0, 0) for leader in leaders}
    for leader, process in members(leaders, membership, ["memory_info"]):
        memory = process.info["memory_info"]  # None when it ended or is not ours to read
        if memory is not None:
            total, count = usage[leader]
            usage[leader] = (total + memory.rss, count + 1)
    return usage


def members(
    leaders: Collection[int], membership: Callable[[int], int], attrs: list[str]
) -> Iterator[tuple[int, psutil.Process]]:
    """(leader pid, process) of every process whose `membership` (os.getsid: the session, os.getpgid: the process
    group) is one of the leaders' pids, the leader itself (the harness's guard) left out; psutil reads `attrs` of
    each into process.info (None where it could not). A process that ends while we look is skipped."""
    for process in psutil.process_iter(attrs):
        try:
            leader = membership(process.pid)
        except OSError:
            continue  # the process ended while we looked
        if leader in leaders and process.pid != leader:
            yield leader, process


def _signal_group(group: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signum)


def group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _wait_group_gone(group: int, grace: float) -> bool:
    return liveservers.wait_until(lambda: not group_alive(group), grace)
