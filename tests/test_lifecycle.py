"""Servers never outlive what started them, however it ends; a port held by a stale server is explained and freed.

The end-to-end tests drive `./noxw -s dev` in a pseudo-terminal, as a person does, each on a free port (`--port`):
a default port may be held by anything, a server an earlier failure left behind included.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pexpect
import psutil
import pytest

from workers_parity import project
from workers_parity.ci import missing_tool
from workers_parity.servers import guard, liveservers, registry
from workers_parity.servers.devserver import DevServer, PortInUse, spawn_guarded
from workers_parity.servers.liveservers import wait_until
from workers_parity.servers.ports import free_port, port_is_free

ROOT = Path(__file__).resolve().parents[1]  # the repository

JS = project.get("js")
# "Gone within a few seconds": the guards send SIGTERM, then SIGKILL after their grace; plus time for a loaded machine.
LEFTOVER_SECONDS = guard.DEFAULT_GRACE + 5.0
DEV_START_SECONDS = 300  # a fresh checkout creates the nox venv and python_modules first
READY = "Press Ctrl-C to stop."

# ---------------------------------------------------------------------------------------------------------------------
# What a test sees of processes: by pid and create time, so that a reused pid is never mistaken for the old one
# ---------------------------------------------------------------------------------------------------------------------


def is_live(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def running_now() -> set[tuple[int, float]]:
    return {(p.pid, p.info["create_time"]) for p in psutil.process_iter(["create_time"])}


# Every process a test starts inherits this variable, so a shell someone else opens in this checkout meanwhile
# (an editor, another terminal) is not mistaken for a leftover.
RUN_MARK = ("PARITY_LIFECYCLE_TEST", str(uuid.uuid4()))


def marked_env(env: dict[str, str]) -> dict[str, str]:
    return {**env, RUN_MARK[0]: RUN_MARK[1]}


def carries_mark(process: psutil.Process) -> bool:
    try:
        return process.environ().get(RUN_MARK[0]) == RUN_MARK[1]
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def new_processes_of_this_checkout(before: set[tuple[int, float]]) -> list[str]:
    """Live processes a test started since `before` whose command line or working folder is inside this checkout."""
    found = []
    for process in psutil.process_iter(["create_time", "cmdline", "cwd", "status"]):
        info = process.info
        if (process.pid, info["create_time"]) in before or info["status"] == psutil.STATUS_ZOMBIE:
            continue
        if not carries_mark(process):
            continue
        command = " ".join(info["cmdline"] or [])
        if f"{ROOT}/" in command or Path(info["cwd"] or "/").is_relative_to(ROOT):
            found.append(f"{process.pid} {command}")
    return found


def assert_nothing_left(before: set[tuple[int, float]], *ports: int) -> None:
    wait_until(lambda: not new_processes_of_this_checkout(before), LEFTOVER_SECONDS)
    assert new_processes_of_this_checkout(before) == [], f"still running after {LEFTOVER_SECONDS} s"
    for port in ports:
        assert port_is_free(port), f"port {port} is still taken {liveservers.who_holds(port)}"


# ---------------------------------------------------------------------------------------------------------------------
# The guard
# ---------------------------------------------------------------------------------------------------------------------

# A child, one that leaves the session, one that ignores SIGTERM, and an orphan (its parent exits at once).
TREE = """
sleep 300 & echo $! >> pids
setsid sleep 300 & echo $! >> pids
(trap '' TERM; exec sleep 300) & echo $! >> pids
(sleep 300 & echo $! >> pids)
echo $$ >> pids
wait
"""
HARNESS = (
    "import subprocess, sys, time; from workers_parity.servers import guard; "
    "subprocess.Popen(guard.command(sys.argv[1:], grace=1.0), stdin=subprocess.PIPE); time.sleep(600)"
)


def test_guard_ends_the_whole_tree_when_the_harness_is_killed(tmp_path: Path) -> None:
    harness = subprocess.Popen([sys.executable, "-c", HARNESS, "sh", "-c", TREE], cwd=tmp_path)
    pids = tmp_path / "pids"
    try:
        assert wait_until(lambda: pids.exists() and len(pids.read_text().split()) == 5, 20)
        tree = [psutil.Process(int(pid)) for pid in pids.read_text().split()]
        shell, escapee, orphan = tree[-1], tree[1], tree[3]
        the_guard = shell.parent()
        assert guard.GUARD_FILE in the_guard.cmdline()
        assert orphan.ppid() == the_guard.pid, "the guard is a subreaper: orphans are adopted by it"
        assert os.getsid(escapee.pid) != the_guard.pid, "setsid left the guard's session"
        assert all(is_live(process) for process in tree)
    finally:
        harness.kill()
        harness.wait()
    assert wait_until(lambda: not any(is_live(p) for p in [*tree, the_guard]), guard.KILL_WAIT + 5)


def test_guard_passes_sigterm_on_and_exits_with_the_commands_status() -> None:
    script = "trap 'exit 7' TERM; echo ready; while :; do sleep 0.1; done"
    process = subprocess.Popen(guard.command(["sh", "-c", script]), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert process.stdout.readline() == b"ready\n"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 7


def test_when_the_command_exits_the_guard_ends_what_it_left_behind() -> None:
    script = "sleep 300 & echo $!; exit 3"
    process = subprocess.Popen(guard.command(["sh", "-c", script]), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    leftover = int(process.stdout.readline())
    assert process.wait(timeout=15) == 3
    assert not psutil.pid_exists(leftover)


# ---------------------------------------------------------------------------------------------------------------------
# Records and `stop`
# ---------------------------------------------------------------------------------------------------------------------


def guarded_sleepers(tmp_path: Path, run_dir: Path) -> tuple[subprocess.Popen, liveservers.Record]:
    """A recorded 'server': a shell with two sleeping children, under a guard, in this checkout."""
    path = liveservers.new_record_path("js", 1, run_dir)
    process = spawn_guarded(
        ["sh", "-c", "sleep 300 & sleep 300 & wait"], cwd=ROOT, env=dict(os.environ), log=None, record=path
    )
    record = liveservers.record_for(process.pid, worker="js-worker", port=1, command=["sh"], log=tmp_path / "log")
    liveservers.write(record, path)
    assert wait_until(lambda: len(guard.tree_members(process.pid)) == 3, 10)
    return process, record


def test_stop_ends_a_recorded_server_and_removes_its_record(tmp_path: Path) -> None:
    process, _ = guarded_sleepers(tmp_path, tmp_path / "servers")
    members = [psutil.Process(pid) for pid in guard.tree_members(process.pid)]
    said: list[str] = []
    assert liveservers.stop_recorded(tmp_path / "servers", say=said.append) == 0
    assert len(said) == 1
    assert said[0].startswith(f"js-worker (port 1, pid {process.pid}, started ")
    assert said[0].endswith(": stopped")
    assert process.wait(timeout=5) is not None
    assert not any(is_live(member) for member in members)
    assert list((tmp_path / "servers").iterdir()) == []


def test_stop_ends_what_a_guard_killed_with_minus_9_left_running(tmp_path: Path) -> None:
    process, _ = guarded_sleepers(tmp_path, tmp_path / "servers")
    members = [psutil.Process(pid) for pid in guard.tree_members(process.pid)]
    process.kill()
    process.wait()
    assert all(is_live(member) for member in members), "nothing ends them once their guard is gone"
    said: list[str] = []
    assert liveservers.stop_recorded(tmp_path / "servers", say=said.append) == 0
    assert said[0].endswith("stopped 3 orphaned process(es)")
    assert not any(is_live(member) for member in members)


def test_stop_never_signals_a_pid_that_now_names_another_process(tmp_path: Path) -> None:
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        started = guard.proc_stat(bystander.pid).start_ticks
        record = liveservers.Record("js-worker", 8787, bystander.pid, started - 1, ["wrangler", "dev"], "dev.log")
        liveservers.write(record, tmp_path / "js-8787.json")
        said: list[str] = []
        assert liveservers.stop_recorded(tmp_path, say=said.append) == 0
        time.sleep(0.2)
        assert bystander.poll() is None, "a process that merely reuses the recorded pid was signalled"
        assert "belongs to another process now, not touched" in said[0]
        assert not (tmp_path / "js-8787.json").exists()
    finally:
        bystander.kill()
        bystander.wait()


# ---------------------------------------------------------------------------------------------------------------------
# The port-in-use error
# ---------------------------------------------------------------------------------------------------------------------

LISTENER = (
    "import socket, time; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); "
    "print(s.getsockname()[1], flush=True); time.sleep(600)"
)


def js_server(tmp_path: Path, port: int) -> DevServer:
    return DevServer(JS, port=port, state_dir=tmp_path / "state", log_path=tmp_path / "js.log")


def test_port_in_use_names_the_pid_and_command_holding_it(tmp_path: Path) -> None:
    python = os.path.realpath(sys.executable)  # outside the checkout, unlike the venv's python
    holder = subprocess.Popen([python, "-c", LISTENER], cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    try:
        port = int(holder.stdout.readline())
        with pytest.raises(PortInUse) as error:
            js_server(tmp_path, port).start()
    finally:
        holder.kill()
        holder.wait()
    message = str(error.value)
    assert f"port {port} is already in use on 127.0.0.1 by pid {holder.pid}: {python} -c import socket" in message
    assert "It is not one of this project's dev servers" in message


def test_port_held_by_an_earlier_run_says_how_to_stop_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(liveservers, "RUN_DIR", tmp_path / "servers")
    port = free_port()
    path = liveservers.new_record_path("js", port)
    serve = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    process = spawn_guarded(serve, cwd=tmp_path, env=dict(os.environ), log=subprocess.DEVNULL, record=path)
    liveservers.write(liveservers.record_for(process.pid, worker="js-worker", port=port, command=serve, log=path), path)
    assert wait_until(lambda: not port_is_free(port), 10)
    with pytest.raises(PortInUse) as error:
        js_server(tmp_path, port).start()
    message = str(error.value)
    assert f"by pid {guard.tree_members(process.pid)[0]}: {' '.join(serve)}" in message
    assert "It is js-worker's dev server from an earlier run of this project" in message
    assert "`./noxw -s stop`" in message
    assert liveservers.stop_recorded(say=lambda _: None) == 0
    assert process.wait(timeout=5) is not None
    assert port_is_free(port)


# ---------------------------------------------------------------------------------------------------------------------
# End to end: `./noxw -s dev` in a terminal, and pytest's own dev servers
# ---------------------------------------------------------------------------------------------------------------------


@pytest.fixture
def terminal() -> None:
    try:
        for fd in os.openpty():
            os.close(fd)
    except OSError as error:
        missing_tool(f"no pseudo-terminal here: {error}")


def outside_env() -> dict[str, str]:
    """The environment of a terminal: none of this test session's nox settings."""
    ours = ("VIRTUAL_ENV", "NOX_CURRENT_SESSION", "PARITY_EXIT_WITH_PARENT")
    env = {name: value for name, value in os.environ.items() if name not in ours}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not p.startswith(f"{ROOT}/.nox/"))
    return env


PROMPT = "parity-test$ "


class Terminal:
    """An interactive bash in a pseudo-terminal: nox runs as its foreground job, as when a person types the command.

    (Run nox itself as the terminal's session leader, and its death would hang up the terminal, which a shell
    prevents: kill -9 of nox then tells the harness nothing.)
    """

    def __init__(self) -> None:
        self.shell = pexpect.spawn(
            "bash",
            ["--norc", "--noprofile", "-i"],
            cwd=ROOT,
            env=marked_env({**outside_env(), "PS1": PROMPT}),
            encoding="utf-8",
            codec_errors="replace",
            timeout=DEV_START_SECONDS,
        )
        self.shell.expect_exact(PROMPT)

    def start_dev(self, worker: registry.Worker, port: int) -> psutil.Process:
        """Type `./noxw -s dev -- --worker ID --port PORT`, wait for its ready line; the nox process."""
        self.shell.sendline(f"./noxw -s dev -- --worker {worker.id} --port {port}")
        self.shell.expect_exact(READY)
        assert "already in use" not in self.shell.before
        (nox,) = psutil.Process(self.shell.pid).children()
        return nox

    def close(self) -> None:
        self.shell.close(force=True)


def ctrl_c(terminal: Terminal, nox: psutil.Process) -> None:
    terminal.shell.sendintr()
    terminal.shell.expect_exact(PROMPT, timeout=30)


def kill_9(terminal: Terminal, nox: psutil.Process) -> None:
    nox.kill()


def close_terminal(terminal: Terminal, nox: psutil.Process) -> None:
    terminal.shell.ptyproc.fileobj.close()  # what closing the window does: the kernel hangs up the terminal
    assert wait_until(lambda: not terminal.shell.ptyproc.isalive() and not is_live(nox), 10)


ENDS = {"ctrl-c": ctrl_c, "kill-9": kill_9, "sighup": close_terminal}


@pytest.mark.parametrize(
    ("worker_id", "end"), [("js", "ctrl-c"), ("js", "kill-9"), ("js", "sighup"), ("py-minimal", "kill-9")]
)
def test_dev_leaves_nothing_running(terminal, worker_id: str, end: str) -> None:
    worker, port = project.get(worker_id), free_port()
    person = Terminal()
    before = running_now()  # the person's shell stays
    try:
        nox = person.start_dev(worker, port)
        running = new_processes_of_this_checkout(before)
        assert any("/workerd" in line for line in running), f"workerd should be running (and marked): {running}"
        ENDS[end](person, nox)
        assert_nothing_left(before, port)
    finally:
        person.close()


def test_after_kill_9_the_next_dev_starts_at_once(terminal) -> None:
    port = free_port()
    person = Terminal()
    before = running_now()
    try:
        kill_9(person, person.start_dev(JS, port))
        ctrl_c(person, person.start_dev(JS, port))  # no "port ... is already in use"
        assert_nothing_left(before, port)
    finally:
        person.close()


HOLDING_TEST = """
import time


def test_hold(worker):
    print("serving", worker.base_url, flush=True)
    time.sleep(600)
"""


def test_pytest_fixture_servers_end_when_pytest_is_killed(tmp_path: Path) -> None:
    """The suite's own dev servers (plugins.pytest_workers -> servers.fleet) do not outlive a pytest killed with -9."""
    (tmp_path / "test_hold.py").write_text(HOLDING_TEST)
    output = tmp_path / "pytest.out"
    env = marked_env(
        {**os.environ, "PYTHONPATH": str(ROOT), "WORKERS_PARITY_CONFIG": str(ROOT / "workers-parity.toml")}
    )
    before = running_now()
    plugins = ["-p", "workers_parity.plugins.pytest_workers", "-p", "no:cacheprovider"]
    command = [sys.executable, "-m", "pytest", "-s", *plugins, "--worker", "js"]
    with output.open("w") as out:
        run = subprocess.Popen([*command, "test_hold.py"], cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        assert wait_until(lambda: "serving http://" in output.read_text() or run.poll() is not None, 120)
        assert "serving http://" in output.read_text(), output.read_text()
        port = int(output.read_text().split("serving http://127.0.0.1:")[1].split()[0])
        assert new_processes_of_this_checkout(before), "the dev server should be running"
    finally:
        run.kill()
        run.wait()
    assert_nothing_left(before, port)
