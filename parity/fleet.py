"""Several dev servers at once: started in parallel, stopped together."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from parity import toolchain
from parity.devserver import DevServer
from parity.ports import free_port
from parity.registry import Worker


def start_parallel(servers: list[DevServer]) -> dict[str, Exception]:
    """Start every server at once (start-up is mostly waiting); return the failures by worker id."""
    outcomes = start_each(servers)
    return {server.worker.id: error for server, error in zip(servers, outcomes, strict=True) if error is not None}


def start_each(servers: list[DevServer]) -> list[Exception | None]:
    """Start every server at once; the error of each, in order (None where it started)."""
    if not servers:
        return []
    toolchain.ensure_node_modules()
    with ThreadPoolExecutor(max_workers=len(servers)) as pool:
        return list(pool.map(_start_or_error, servers))


def _start_or_error(server: DevServer) -> Exception | None:
    try:
        server.start()
    except Exception as error:  # reported per worker; the other workers still start
        return error
    return None


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def stop_all(servers: list[DevServer]) -> None:
    """Stop every server, all at once; a second Ctrl-C or SIGTERM meanwhile must not leave half of them running.

    Every guard is asked first: should this process be killed while it waits (nox kills its command soon after
    Ctrl-C), the guards finish the job.
    """
    with _stop_signals_ignored():
        for server in servers:
            server.request_stop()
        for server in servers:
            server.wait_stopped()


def wait_while_any_runs(servers: list[DevServer], poll: float = 0.5) -> None:
    """Until every server has ended (`stop` from another terminal, say) or a signal interrupts."""
    while any(server.running for server in servers):
        time.sleep(poll)


@contextlib.contextmanager
def interrupt_on_signals() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP (the terminal closed) raise KeyboardInterrupt, so `finally` stops the servers.

    SIGINT explicitly, because a command started in the background inherits it as ignored.
    """
    previous = {signum: signal.signal(signum, _raise_interrupt) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _raise_interrupt(*_) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _stop_signals_ignored() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return
    previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def fresh_servers(
    workers: list[Worker], workdir: Path, runtime: str = "auto", name: str | None = None
) -> list[DevServer]:
    """One server per worker on a free port, with its own fresh state folder and log file under workdir."""
    return [
        DevServer(
            worker,
            port=free_port(),
            state_dir=workdir / f"{name or worker.id}-state",
            log_path=workdir / f"{name or worker.id}.log",
            runtime=runtime,
        )
        for worker in workers
    ]
