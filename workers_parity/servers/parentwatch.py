"""End a harness command when nox, the process that started it, dies: even by kill -9, which nox cannot pass on.

The noxfile names itself in PARITY_EXIT_WITH_PARENT. The command then SIGTERMs itself when that process ends,
which stops its dev servers the orderly way (and their guards stop them anyway if this process dies first).
Only nox asks for this: a command started from a shell with `nohup` must outlive the shell.
"""

from __future__ import annotations

import os
import select
import signal
import threading
import time

PARENT_ENV = "PARITY_EXIT_WITH_PARENT"


def exit_with_parent() -> None:
    """If our parent is the process named in $PARITY_EXIT_WITH_PARENT, SIGTERM ourselves once it has ended."""
    named = os.environ.get(PARENT_ENV, "")
    if not named.isdigit() or int(named) != os.getppid():
        return
    threading.Thread(target=_watch, args=(int(named),), name="parent-watch", daemon=True).start()


def _watch(parent: int) -> None:
    try:
        handle = os.pidfd_open(parent)
    except (AttributeError, OSError):  # no pidfd here (before Linux 5.3): poll our parent instead
        while os.getppid() == parent:
            time.sleep(0.5)
    else:
        if os.getppid() == parent:  # still our parent once the handle is open, so the handle names it
            select.select([handle], [], [])
    os.kill(os.getpid(), signal.SIGTERM)
