"""The lifecycle of a group of dev servers: started in parallel, stopped together however the `with` block ends.

`dev`, the demo, the bench and the suite's fixtures all hold their servers in a `Fleet`.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TypeVar

from workers_parity.http import everywhere
from workers_parity.servers import choose, toolchain
from workers_parity.servers.devserver import DevServer
from workers_parity.servers.ports import free_port
from workers_parity.servers.registry import Worker

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
Server = TypeVar("Server", bound=DevServer)


class Fleet:
    """Named dev servers that live as long as the `with` block.

    Inside the block, SIGINT, SIGTERM and SIGHUP (the terminal closed) raise KeyboardInterrupt, so the block unwinds
    and every server is stopped; leaving the block stops them all whatever the reason.
    """

    def __init__(self, servers: Mapping[str, DevServer] | None = None):
        self.servers: dict[str, DevServer] = dict(servers or {})
        self.failures: dict[str, Exception] = {}
        self._signals = contextlib.ExitStack()

    def add(self, name: str, server: Server) -> Server:
        """One more server to stop with the others (started by its owner, or by the next `start`)."""
        self.servers[name] = server
        return server

    def start(self, on_ready: Callable[[DevServer], None] | None = None) -> dict[str, Exception]:
        """Start every server not started yet, all at once (start-up is mostly waiting); the failures by name.

        on_ready(server) is called as each one answers, from the thread that started it.
        """
        waiting = {name: server for name, server in self.servers.items() if server.process is None}
        if waiting:
            toolchain.ensure_node_modules()
        outcomes = everywhere.at_once(waiting, lambda server: _start(server, on_ready))
        failed = {name: error for name, error in outcomes.items() if error is not None}
        self.failures.update(failed)
        return failed

    def started(self) -> dict[str, DevServer]:
        return {name: server for name, server in self.servers.items() if name not in self.failures}

    def wait(self, poll: float = 0.5) -> None:
        """Until every server has ended (`stop` from another terminal, say) or a signal interrupts."""
        while any(server.running for server in self.servers.values()):
            time.sleep(poll)

    def stop(self) -> None:
        """Stop every server, all at once; a second Ctrl-C or SIGTERM meanwhile must not leave half of them running.

        Every guard is asked first: should this process be killed while it waits (nox kills its command soon after
        Ctrl-C), the guards finish the job.
        """
        with _signals_set_to(signal.SIG_IGN):
            for server in self.servers.values():
                server.request_stop()
            for server in self.servers.values():
                server.wait_stopped()

    def __enter__(self) -> Fleet:
        self._signals.enter_context(_signals_set_to(_raise_interrupt))
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            self.stop()
        finally:
            self._signals.close()


def _start(server: DevServer, on_ready: Callable[[DevServer], None] | None) -> Exception | None:
    try:
        server.start()
    except Exception as error:  # reported per server; the others still start
        return error
    if on_ready is not None:
        on_ready(server)
    return None


def _raise_interrupt(*_) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _signals_set_to(handler) -> Iterator[None]:
    """SIGINT too, because a command started in the background inherits it as ignored; only the main thread may."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, handler) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def fresh_server(
    worker: Worker, workdir: Path, runtime: str = "auto", name: str | None = None, kind=DevServer, **fields
) -> DevServer:
    """A server of `kind` for the worker on a free port, with its own fresh state folder and log file under workdir
    (both named after `name`, the worker id by default); `fields` set the rest of the server (choice, extra_args).
    Without a choice in `fields`, the runtime is chosen here (`auto`: servers/choose.py), before the start."""
    name = name or worker.id
    if fields.get("choice") is None:
        fields["choice"] = choose.select(worker, runtime)
    return kind(
        worker,
        port=free_port(),
        state_dir=workdir / f"{name}-state",
        log_path=workdir / f"{name}.log",
        runtime=runtime,
        **fields,
    )


def fresh_servers(workers: list[Worker], workdir: Path, runtime: str = "auto") -> dict[str, DevServer]:
    """One fresh server per worker, by worker id."""
    return {worker.id: fresh_server(worker, workdir, runtime) for worker in workers}
