"""`workers-parity dev`: worker folders served as `wrangler dev` / `pywrangler dev` serve them, offline, until Ctrl-C.

JavaScript folders run under the pinned wrangler's `wrangler dev`; Python folders in workerd's own Python when it can
start here, else in pyodide-workerd. Each server reloads on edit, keeps its state in `--persist-to` (by default the
folder's own `.wrangler/state`, so `wrangler d1 execute --local` there sees the same data), and says
`[wrangler:info] Ready on http://IP:PORT` once it serves: the line wrangler prints, so scripts that wait for it work.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from pathlib import Path

from workers_parity.servers import choose, fleet, logstream, runtimes
from workers_parity.servers.devserver import DevServer
from workers_parity.servers.registry import Worker


@dataclass(frozen=True)
class DevOptions:
    ip: str = "127.0.0.1"
    persist_to: Path | None = None  # None: each worker's own .wrangler/state
    python_runtime: str | None = None
    test_scheduled: bool = False
    quiet: bool = False
    js_runtime: str | None = None  # workerd (wrangler dev) or direct; None: $PARITY_JS_RUNTIME or auto


def dev_server(worker: Worker, options: DevOptions) -> DevServer:
    requested = runtimes.requested_runtime(options.python_runtime)
    return DevServer(
        worker,
        port=worker.port,
        host=options.ip,
        state_dir=options.persist_to or worker.default_state,
        log_path=worker.folder / ".wrangler" / "dev.log",
        runtime=requested,
        choice=choose.select(worker, requested, options.js_runtime),
        extra_args=("--test-scheduled",) if options.test_scheduled else (),
        watch=True,
    )


def run_dev(workers: list[Worker], options: DevOptions) -> int:
    """Start the workers and echo their logs until Ctrl-C (0), or until every server has ended (1)."""
    servers = {worker.id: dev_server(worker, options) for worker in workers}
    try:
        with contextlib.ExitStack() as stack:
            stack.callback(say, "stopped")
            if not options.quiet:  # stopped after the servers, so that what they say while stopping is shown too
                stack.enter_context(follow_logs(list(servers.values())))
            running = stack.enter_context(fleet.Fleet(servers))
            stack.callback(say, "stopping ...")
            return serve_until_ended(running)
    except KeyboardInterrupt:
        return 0


def follow_logs(servers: list[DevServer]) -> logstream.LogStream:
    sources = [logstream.Source(s.worker.id, s.log_path, logstream.colour(i)) for i, s in enumerate(servers)]
    return logstream.LogStream(sources)


def serve_until_ended(running: fleet.Fleet) -> int:
    failures = running.start(on_ready=announce_ready)
    for name, error in failures.items():
        print(f"{name}: FAILED  {error}", file=sys.stderr, flush=True)
    if len(failures) == len(running.servers):
        return 1
    print("Press Ctrl-C to stop.", flush=True)
    running.wait()
    say("every dev server has ended (see the logs above)")
    return 1


def announce_ready(server: DevServer) -> None:
    say(
        f"[wrangler:info] Ready on {server.base_url} ({server.worker.id}: {server.choice.runtime}, "
        f"log {server.log_path})"
    )


def say(text: str) -> None:
    """Print, unless the terminal is gone (closed window: EIO), which must not keep us from stopping."""
    with contextlib.suppress(OSError):
        print(text, flush=True)
