"""The dev servers a project runs: one JSON record per server, `stop`, and who holds a port.

Records live in the cache (servers/cache.py), each naming its project's folder. A record names the server's guard
(servers/guard.py) by pid *and* start time, so a pid that the system has since
given to another process is never signalled. The guard removes its record when it ends; a record left behind
(its guard was killed with -9) still finds the server's processes: they stay in the guard's session.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import psutil

from workers_parity import project
from workers_parity.servers import cache, guard

RUN_DIR: Path | None = None  # None: the cache's servers/ folder (tests point it elsewhere)
STOP_HINT = "stop it with `workers-parity stop` in the project's folder (`./noxw -s stop` in this repository)"
GUARD_END_SECONDS = guard.DEFAULT_GRACE + guard.KILL_WAIT + 2.0
RUNNING, GONE, REUSED = "running", "gone", "reused"


@dataclass
class Record:
    worker: str
    port: int
    pid: int  # the server's guard, which leads the server's session
    start_ticks: int  # the guard's start time (clock ticks after boot): with pid, names it for good
    command: list[str]
    log: str
    checkout: str = field(default_factory=lambda: str(project.root_or_cwd()))
    started_at: str = field(default_factory=lambda: datetime.now().isoformat(timespec="seconds"))
    path: Path | None = field(default=None, compare=False)


def default_run_dir() -> Path:
    return RUN_DIR or cache.cache_dir() / "servers"


def new_record_path(worker_id: str, port: int, run_dir: Path | None = None) -> Path:
    return (run_dir or default_run_dir()) / f"{worker_id}-{port}-{secrets.token_hex(4)}.json"


def write(record: Record, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fields = {key: value for key, value in asdict(record).items() if key != "path"}
    path.write_text(json.dumps(fields, indent=2) + "\n")


def record_for(guard_pid: int, *, worker: str, port: int, command: list[str], log: Path) -> Record | None:
    """The record of a guard just started; None if it has already ended."""
    stat = guard.proc_stat(guard_pid)
    if stat is None:
        return None
    return Record(worker, port, guard_pid, stat.start_ticks, command, str(log))


def read_all(run_dir: Path | None = None) -> list[Record]:
    records = []
    for path in sorted((run_dir or default_run_dir()).glob("*.json")):
        with contextlib.suppress(OSError, ValueError, TypeError):
            records.append(Record(**json.loads(path.read_text()), path=path))
    return records


def state(record: Record) -> str:
    """RUNNING: the recorded guard lives. GONE: it has ended. REUSED: its pid now names another process."""
    stat = guard.proc_stat(record.pid)
    if stat is None or stat.state == "Z":
        return GONE
    return RUNNING if stat.start_ticks == record.start_ticks else REUSED


def orphans(record: Record) -> list[guard.ProcStat]:
    """Processes left in the server's session after its guard died without ending them (killed with -9)."""
    leader = guard.proc_stat(record.pid)
    if leader is not None and leader.state != "Z":
        return []  # the guard, or a process that has its pid now: never someone else's session
    return [
        stat
        for stat in guard.all_processes()
        if stat.session == record.pid
        and stat.start_ticks >= record.start_ticks
        and stat.state != "Z"
        and references_checkout(stat.pid)  # a second check: a session id can come back once it is empty
    ]


def references_checkout(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return False
    root = project.root_or_cwd()
    return str(root) in cmdline or Path(cwd).is_relative_to(root)


def stop_recorded(run_dir: Path | None = None, say: Callable[[str], None] = print) -> int:
    """Stop every server recorded for this project, and nothing else; 0 unless one could not be stopped."""
    records = [record for record in read_all(run_dir) if record.checkout == str(project.root_or_cwd())]
    if not records:
        say(f"no dev server of this project is recorded in {run_dir or default_run_dir()}")
    failures = 0
    for record in records:
        outcome, stopped = stop_one(record)
        say(f"{record.worker} (port {record.port}, pid {record.pid}, started {record.started_at}): {outcome}")
        failures += not stopped
    return 1 if failures else 0


def stop_one(record: Record) -> tuple[str, bool]:
    """Stop one recorded server; remove its record once nothing of it is left. (what happened, success)"""
    current = state(record)
    if current == REUSED:
        outcome = f"not running; pid {record.pid} belongs to another process now, not touched"
    elif current == RUNNING:
        outcome = "stopped" if end_guard(record) else "could not be stopped"
    else:
        leftovers = orphans(record)
        outcome = f"stopped {len(leftovers)} orphaned process(es)" if leftovers else "not running any more"
        terminate(leftovers)
    stopped = state(record) != RUNNING and not orphans(record)
    if stopped and record.path is not None:
        record.path.unlink(missing_ok=True)
    return outcome, stopped


def end_guard(record: Record) -> bool:
    """SIGTERM the guard, which ends the server's whole tree; SIGKILL it, and sweep its session, if it hangs."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(record.pid, signal.SIGTERM)
    if wait_until(lambda: state(record) != RUNNING, GUARD_END_SECONDS):
        return True
    if state(record) == RUNNING:
        with contextlib.suppress(ProcessLookupError):
            os.kill(record.pid, signal.SIGKILL)
    wait_until(lambda: state(record) != RUNNING, guard.KILL_WAIT)
    terminate(orphans(record))
    return state(record) != RUNNING


def terminate(processes: list[guard.ProcStat], grace: float = guard.DEFAULT_GRACE) -> None:
    """SIGTERM, then SIGKILL after grace, each process that is still the one we found (same start time)."""

    def alive() -> list[guard.ProcStat]:
        return [process for process in processes if is_same_live_process(process)]

    for signum, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, guard.KILL_WAIT)):
        for process in alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signum)
        if wait_until(lambda: not alive(), wait):
            return


def is_same_live_process(found: guard.ProcStat) -> bool:
    now = guard.proc_stat(found.pid)
    return now is not None and now.state != "Z" and now.start_ticks == found.start_ticks


def wait_until(condition: Callable[[], object], seconds: float = 10.0) -> bool:
    """Poll `condition` until it is true (True) or `seconds` have passed (False)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def port_holder(port: int) -> psutil.Process | None:
    """The process listening on a TCP port, if this user may see it."""
    for connection in psutil.net_connections("inet"):
        if connection.status == psutil.CONN_LISTEN and connection.laddr.port == port and connection.pid:
            with contextlib.suppress(psutil.Error):
                return psutil.Process(connection.pid)
    return None


def describe(process: psutil.Process, limit: int = 240) -> str:
    try:
        text = " ".join(process.cmdline()) or process.name()
    except psutil.Error:
        return "(ended meanwhile)"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def record_holding(pid: int, run_dir: Path | None = None) -> Record | None:
    """The record of our server whose session holds this process (its guard alive, or killed leaving orphans)."""
    stat = guard.proc_stat(pid)
    if stat is None:
        return None
    for record in read_all(run_dir):
        if stat.session == record.pid and stat.start_ticks >= record.start_ticks and state(record) != REUSED:
            return record
    return None


def who_holds(port: int, run_dir: Path | None = None) -> str:
    """For a port-in-use error: which process holds the port and, when it is one of ours, how to stop it."""
    holder = port_holder(port)
    if holder is None:
        return "by a process this user cannot see (or not listening yet); free the port or choose another"
    text = f"by pid {holder.pid}: {describe(holder)}. "  # one line: the error is read where it is printed
    record = record_holding(holder.pid, run_dir)
    if record is not None:
        return text + (
            f"It is {record.worker}'s dev server from an earlier run of this project (started {record.started_at}, "
            f"log {record.log}): {STOP_HINT}."
        )
    holder_stat = guard.proc_stat(holder.pid)
    if holder_stat is not None and references_checkout(holder.pid):
        return text + (
            f"It belongs to this project ({project.root_or_cwd()}) but no record names it (an older harness left it "
            "running?): "
            f"stop it with `kill {holder.pid}` (or its process group: `kill -- -{holder_stat.pgrp}`)."
        )
    return text + "It is not one of this project's dev servers: stop it, or choose another port."
