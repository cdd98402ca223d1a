"""Command line: `python -m parity doctor | dev | stop | lock [WORKER...] | python-modules WORKER | npm-run SCRIPT`."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable
from pathlib import Path

from parity import fleet, liveservers, logstream, parentwatch, registry, runtimes, toolchain
from parity.devserver import DevServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m parity")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("doctor", help="which runtimes are usable here, per worker, and why not")
    dev = commands.add_parser("dev", help="run workers on their default ports with persistent state until Ctrl-C")
    dev.add_argument("--worker", action="append", choices=registry.worker_ids(), help="only this worker (repeatable)")
    dev.add_argument("--python-runtime", choices=[c for c in runtimes.RUNTIME_CHOICES if c != runtimes.ALL])
    dev.add_argument("--quiet", action="store_true", help="do not echo the servers' logs (their log files still fill)")
    commands.add_parser("stop", help="stop every dev server of this checkout that a run left behind")
    modules = commands.add_parser("python-modules", help="fill a Python worker's python_modules/ from its pylock.toml")
    modules.add_argument("worker", choices=[w.id for w in registry.WORKERS if w.is_python])
    lock = commands.add_parser("lock", help="resolve Python workers' pyproject.toml into their pylock.toml (Pyodide)")
    lock.add_argument("targets", nargs="*", metavar="WORKER", help="a Python worker id or folder (default: all)")
    node = commands.add_parser("npm-run", help="run a script of the root package.json with our Node")
    node.add_argument("script")
    args = parser.parse_args(argv)
    parentwatch.exit_with_parent()
    if args.command == "stop":
        return liveservers.stop_recorded()
    if args.command == "npm-run":
        return toolchain.npm_run(args.script)
    if args.command == "doctor":
        return runtimes.doctor()
    if args.command == "lock":
        return with_clear_errors(lambda: lock_workers(args.targets))
    if args.command == "python-modules":
        from parity import pymodules

        return with_clear_errors(lambda: pymodules.sync_python_modules(registry.get(args.worker).folder))
    return run_dev(args.worker or registry.worker_ids(), args.python_runtime, quiet=args.quiet)


def with_clear_errors(action: Callable[[], object]) -> int:
    """Run a python_modules/ or lock action; its failure is one clear line, not a traceback."""
    from parity.pipcall import PythonModulesError

    try:
        action()
    except PythonModulesError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def lock_workers(targets: list[str]) -> None:
    from parity import pylock

    for folder in lock_targets(targets):
        print(f"locked {pylock.write_lock(folder)}", flush=True)


def lock_targets(targets: list[str]) -> list[Path]:
    """Worker ids or folders; none means every Python worker."""
    if not targets:
        return [worker.folder for worker in registry.WORKERS if worker.is_python]
    ids = {worker.id: worker.folder for worker in registry.WORKERS if worker.is_python}
    return [ids.get(target) or Path(target) for target in targets]


def report_started(servers: dict[str, DevServer], failures: dict[str, Exception]) -> None:
    for worker_id, server in servers.items():
        if worker_id in failures:
            print(f"{worker_id:<11} FAILED  {failures[worker_id]}", file=sys.stderr)
        else:
            print(f"{worker_id:<11} {server.base_url}  runtime {server.choice.runtime}  log {server.log_path}")
    sys.stdout.flush()


def follow_logs(servers: list[DevServer]) -> logstream.LogStream:
    """Each worker keeps its colour whichever workers run."""
    ids = registry.worker_ids()
    sources = [logstream.Source(s.worker.id, s.log_path, logstream.colour(ids.index(s.worker.id))) for s in servers]
    return logstream.LogStream(sources)


def dev_server(worker_id: str, python_runtime: str | None) -> DevServer:
    """On the worker's default port and the state `wrangler dev` uses by default, reloading on changes."""
    worker = registry.get(worker_id)
    return DevServer(
        worker,
        port=worker.port,
        state_dir=worker.default_state,
        log_path=worker.folder / ".wrangler" / "dev.log",
        runtime=runtimes.requested_runtime(python_runtime),
        watch=True,
    )


def run_dev(worker_ids: list[str], python_runtime: str | None, quiet: bool = False) -> int:
    """Start the workers and echo their logs until Ctrl-C (0), or until every server has ended (1)."""
    servers = {worker_id: dev_server(worker_id, python_runtime) for worker_id in worker_ids}
    try:
        with contextlib.ExitStack() as stack:
            stack.callback(say, "stopped")
            if not quiet:  # stopped after the servers, so that what they say while stopping is shown too
                stack.enter_context(follow_logs(list(servers.values())))
            running = stack.enter_context(fleet.Fleet(servers))
            stack.callback(say, "stopping ...")
            return serve_until_ended(running)
    except KeyboardInterrupt:
        return 0


def serve_until_ended(running: fleet.Fleet) -> int:
    failures = running.start()
    report_started(running.servers, failures)
    if len(failures) == len(running.servers):
        return 1
    print("Press Ctrl-C to stop.", flush=True)
    running.wait()
    say("every dev server has ended (see the logs above)")
    return 1


def say(text: str) -> None:
    """Print, unless the terminal is gone (closed window: EIO), which must not keep us from stopping."""
    with contextlib.suppress(OSError):
        print(text, flush=True)


if __name__ == "__main__":
    sys.exit(main())
