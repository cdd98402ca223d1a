"""Dev-server lifecycle: migrate a state folder, start, wait for HTTP readiness, stop the whole process group."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from parity import runtimes, state, toolchain
from parity.ports import port_is_free
from parity.registry import Worker

READY_PATH = "/hello"
LOG_TAIL_LINES = 40


class DevServerError(RuntimeError):
    pass


class PortInUse(DevServerError):
    pass


class StartFailed(DevServerError):
    pass


def apply_migrations(worker: Worker, state_dir: Path, log_path: Path) -> None:
    """`wrangler d1 migrations apply DB --local --persist-to STATE`, before the dev server starts."""
    command = [
        *toolchain.wrangler_command(),
        "d1",
        "migrations",
        "apply",
        "DB",
        "--local",
        "--persist-to",
        str(state_dir),
    ]
    with log_path.open("ab") as log:
        log.write(f"$ {' '.join(command)}\n".encode())
        log.flush()
        finished = subprocess.run(
            command,
            cwd=worker.folder,
            env=toolchain.node_env({"CI": "true"}),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    if finished.returncode != 0:
        raise StartFailed(f"{worker.name}: applying D1 migrations failed\n{log_tail(log_path)}")


def log_tail(log_path: Path, lines: int = LOG_TAIL_LINES) -> str:
    if not log_path.exists():
        return f"(no log at {log_path})"
    tail = log_path.read_text(errors="replace").splitlines()[-lines:]
    return f"--- last {len(tail)} lines of {log_path} ---\n" + "\n".join(tail)


def http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, ValueError):
        return None


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
    extra_args: tuple[str, ...] = ()  # appended to the runtime's command line (e.g. pyodide-workerd's --no-snapshot)
    watch: bool = False  # reload the worker when its files change (wrangler dev always does)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 180.0, migrate: bool = True) -> DevServer:
        if not port_is_free(self.port, self.host):
            raise PortInUse(
                f"{self.worker.name}: port {self.port} is already in use on {self.host}; "
                "stop whatever is listening there or choose another port"
            )
        state.check_state_folder(self.state_dir)  # creates it; a read-only folder or damaged D1 file stops here
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.choice = self.choice or runtimes.select(self.worker, self.runtime)
        self._log_line(f"runtime: {self.choice.runtime} ({self.choice.reason})")
        runtimes.prepare(self.worker, self.choice.runtime)
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
            self.worker, self.choice.runtime, port=self.port, host=self.host, state_dir=self.state_dir
        )
        argv = [*launch.argv, *self.extra_args, *(runtimes.watch_flags(self.choice.runtime) if self.watch else ())]
        self._log_line(f"$ {' '.join(argv)}")
        self._spawned_at = time.monotonic()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                argv,
                cwd=launch.cwd,
                env=launch.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise StartFailed(
                    f"{self.worker.name}: dev server exited with code {self.process.returncode} "
                    f"before answering\n{log_tail(self.log_path)}"
                )
            if http_status(self.base_url + READY_PATH) == 200:
                self.startup_seconds = time.monotonic() - self._spawned_at
                return
            time.sleep(0.1)
        self.stop()
        raise StartFailed(
            f"{self.worker.name}: no HTTP 200 from {self.base_url}{READY_PATH} "
            f"within {timeout:.0f} s\n{log_tail(self.log_path)}"
        )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the whole process group (wrangler leaves workerd children), wait, then SIGKILL."""
        if self.process is None:
            return
        group = self.process.pid
        _signal_group(group, signal.SIGTERM)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            _signal_group(group, signal.SIGKILL)
            self.process.wait()
        if not _wait_group_gone(group, grace=3.0):
            _signal_group(group, signal.SIGKILL)
            _wait_group_gone(group, grace=5.0)

    def resident_bytes(self) -> int:
        """The resident memory of every process of this server (wrangler, workerd, node): its session's, on Linux."""
        return session_resident_bytes(self.process.pid)

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


def session_resident_bytes(session: int) -> int:
    """The summed resident set size of the processes in a session (`start_new_session` made the server its leader)."""
    page = os.sysconf("SC_PAGE_SIZE")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rpartition(")")[2].split()  # after "pid (command)"
            if int(fields[3]) == session:  # fields: state ppid pgrp session ...
                total += int((stat.parent / "statm").read_text().split()[1]) * page
    return total


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
    deadline = time.monotonic() + grace
    while group_alive(group):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
