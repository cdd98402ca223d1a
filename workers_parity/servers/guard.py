"""Run one command so that it, and every process it starts, ends when the harness that started it does.

    python workers_parity/servers/guard.py [--grace SECONDS] [--record FILE] -- ARGV...

Standard library only, run by file path: it must start fast and need nothing installed.

- The guard leads its own session and process group and is a child subreaper, so every descendant stays
  findable: in its session, or reparented to the guard when its own parent dies (even one that calls setsid).
- Its stdin is the lifeline: a pipe whose write end only the harness holds. End of file means the harness is
  gone, by whatever means, kill -9 included. (PR_SET_PDEATHSIG would not do: it fires when the parent *thread*
  exits, and the harness starts servers from a thread pool.) The command itself gets /dev/null as stdin.
- On end of file, on SIGTERM, SIGINT or SIGHUP, or when the command exits by itself: every remaining process
  gets SIGTERM, then SIGKILL after the grace period; the guard removes FILE (the harness's record of this
  server) and exits with the command's status, or by the command's signal.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import selectors
import signal
import sys
import time

GUARD_FILE = os.path.abspath(__file__)
DEFAULT_GRACE = 5.0
KILL_WAIT = 5.0
POLL = 0.05
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
PR_SET_CHILD_SUBREAPER = 36


def command(argv: list[str], grace: float = DEFAULT_GRACE, record: str | None = None) -> list[str]:
    """The command line that runs argv under a guard (for the harness)."""
    options = ["--grace", str(grace)] + (["--record", str(record)] if record else [])
    return [sys.executable, "-I", "-S", GUARD_FILE, *options, "--", *argv]


class ProcStat:
    """What /proc/PID/stat says of one process (a plain class: dataclasses would slow the guard's start)."""

    __slots__ = ("pid", "state", "ppid", "pgrp", "session", "start_ticks")

    def __init__(self, pid: int, fields: list[str]) -> None:
        self.pid, self.state = pid, fields[0]
        self.ppid, self.pgrp, self.session = int(fields[1]), int(fields[2]), int(fields[3])
        self.start_ticks = int(fields[19])  # clock ticks after boot: with the pid, names one process for good


def proc_stat(pid: int) -> ProcStat | None:
    """/proc/PID/stat, or None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            text = stat.read()
    except OSError:
        return None
    return ProcStat(pid, text[text.rindex(")") + 2 :].split())  # the name in parentheses may hold spaces


def all_processes() -> list[ProcStat]:
    found = (proc_stat(int(entry)) for entry in os.listdir("/proc") if entry.isdigit())
    return [stat for stat in found if stat is not None]


def tree_members(root: int, zombies: bool = False) -> list[int]:
    """Processes of root's session or group, and root's descendants, root excluded; zombies only if asked."""
    processes = all_processes()
    children: dict[int, list[int]] = {}
    for stat in processes:
        children.setdefault(stat.ppid, []).append(stat.pid)
    descendants, pending = set(), [root]
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in descendants:
                descendants.add(child)
                pending.append(child)
    return [
        stat.pid
        for stat in processes
        if stat.pid != root
        and (zombies or stat.state != "Z")
        and (stat.pid in descendants or root in (stat.session, stat.pgrp))
    ]


class Guard:
    def __init__(self, argv: list[str], grace: float, record: str | None) -> None:
        self.argv, self.grace, self.record = argv, grace, record
        self.child: int | None = None
        self.child_status: int | None = None  # the raw wait status, once the command has ended

    def run(self) -> None:
        become_subreaper()
        lead_own_session()
        wakeups = route_signals_to_pipe()
        try:
            self.child = spawn(self.argv)
        except OSError as error:
            print(f"guard: cannot start {self.argv[0]}: {error}", file=sys.stderr)
            self.finish(127 << 8)
        self.wait_for_an_end(wakeups)
        self.end_every_process()
        if self.child_status is None:  # a zombie is no member any more, but its status is still to collect
            self.child_status = os.waitpid(self.child, 0)[1]
        self.finish(self.child_status)

    def wait_for_an_end(self, wakeups: int) -> None:
        """Until the command exits, the lifeline closes, or a stop signal arrives."""
        selector = selectors.PollSelector()  # epoll refuses /dev/null and regular files
        selector.register(0, selectors.EVENT_READ)
        selector.register(wakeups, selectors.EVENT_READ)
        while True:
            self.reap()
            if self.child_status is not None:
                return
            for key, _ in selector.select():
                if key.fd == 0 and not read_or_eof(0):
                    return
                if key.fd == wakeups and set(STOP_SIGNALS) & set(read_or_eof(wakeups)):
                    return

    def reap(self) -> None:
        """Collect every ended child: the command's status is kept, adopted orphans just disappear."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid == self.child:
                self.child_status = status

    def end_every_process(self) -> None:
        self.signal_members(signal.SIGTERM)
        if not self.wait_members_gone(self.grace):
            self.signal_members(signal.SIGKILL)
            self.wait_members_gone(KILL_WAIT)

    def signal_members(self, signum: int) -> None:
        for pid in tree_members(os.getpid()):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signum)

    def wait_members_gone(self, seconds: float) -> bool:
        """Until no member is left, zombies included: adopted ones are ours to reap, init may never do it."""
        deadline = time.monotonic() + seconds
        while True:
            self.reap()
            if not tree_members(os.getpid(), zombies=True):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(POLL)

    def finish(self, status: int) -> None:
        if self.record is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.record)
        exit_like(status)


def become_subreaper() -> None:
    """Orphaned descendants are reparented to us rather than to init, so they can still be found and reaped."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def lead_own_session() -> None:
    """A session of our own: no terminal's Ctrl-C or hang-up reaches the server, only the guard decides."""
    if os.getsid(0) != os.getpid():
        os.setsid()


def route_signals_to_pipe() -> int:
    """Stop signals and SIGCHLD become bytes on a pipe that the main loop waits on with the lifeline."""
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    os.set_blocking(write_end, False)
    signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    for signum in (*STOP_SIGNALS, signal.SIGCHLD):
        signal.signal(signum, lambda *_: None)
    return read_end


def spawn(argv: list[str]) -> int:
    """Start the command in our session and group, its stdin on /dev/null, default signal dispositions."""
    return os.posix_spawnp(
        argv[0],
        argv,
        os.environ,
        file_actions=[(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0)],
        setsigdef=(signal.SIGPIPE, signal.SIGXFSZ, *STOP_SIGNALS, signal.SIGCHLD),
    )


def read_or_eof(fd: int) -> bytes:
    try:
        return os.read(fd, 512)
    except BlockingIOError:
        return b" "  # nothing to read yet is not an end of file
    except OSError:
        return b""


def exit_like(status: int) -> None:
    """Exit with the command's code, or die of the command's signal so our parent sees the same."""
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        with contextlib.suppress(OSError, ValueError):  # SIGKILL has no disposition to reset
            signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
    sys.exit(os.waitstatus_to_exitcode(status))


def parse_args(args: list[str]) -> tuple[list[str], float, str | None]:
    """[--grace SECONDS] [--record FILE] -- ARGV... (by hand: argparse would slow the guard's start)"""
    options = {"--grace": str(DEFAULT_GRACE), "--record": None}
    while args and args[0] in options and len(args) > 1:
        options[args[0]], args = args[1], args[2:]
    if args[:1] != ["--"] or len(args) < 2:
        sys.exit("usage: guard.py [--grace SECONDS] [--record FILE] -- ARGV...")
    return args[1:], float(options["--grace"]), options["--record"]


def main(args: list[str] | None = None) -> None:
    Guard(*parse_args(sys.argv[1:] if args is None else args)).run()


if __name__ == "__main__":
    main()
