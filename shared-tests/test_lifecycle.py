"""Servers never outlive what started them, however it ends; a port held by a stale server is explained and freed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from parity import ROOT, guard, liveservers, registry
from parity.devserver import DevServer, PortInUse, free_port, port_is_free, spawn_guarded

JS = registry.get("js")

# ---------------------------------------------------------------------------------------------------------------------
# What a test sees of processes: by pid and create time, so that a reused pid is never mistaken for the old one
# ---------------------------------------------------------------------------------------------------------------------


def wait_until(condition: Callable[[], object], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def is_live(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


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
    "import subprocess, sys, time; from parity import guard; "
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
    assert "It is not one of this checkout's dev servers" in message


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
    assert "It is js-worker's dev server from an earlier run of this checkout" in message
    assert "`./noxw -s stop`" in message
    assert liveservers.stop_recorded(say=lambda _: None) == 0
    assert process.wait(timeout=5) is not None
    assert port_is_free(port)
