"""Servers never outlive what started them, however it ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from parity import guard

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
