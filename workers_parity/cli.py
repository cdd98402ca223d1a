"""The `workers-parity` command: a thin front over the package, as pywrangler is over wrangler.

workers-parity dev [FOLDER ...]     serve worker folders offline (default: this folder, else the project's)
workers-parity lock [FOLDER ...]    resolve a Python worker's pyproject.toml into its pylock.toml
workers-parity sync [FOLDER ...]    fill a Python worker's python_modules/ from its pylock.toml
workers-parity doctor | stop        what can run each worker here; stop what an earlier run left
workers-parity wrangler ARGS        the pinned wrangler with our Node; any other command goes to it too
workers-parity run                  prove parity: every case to every worker of the project, then the report
workers-parity init                 write a starter workers-parity.toml for the worker folders found here
workers-parity import-har FILE      a browser's HAR export as cases (--out cases.toml)
workers-parity fuzz                 requests mutated from the project's cases; a divergence becomes a found case
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from workers_parity import project
from workers_parity.project import ConfigError, wrangler
from workers_parity.servers import liveservers, parentwatch, toolchain
from workers_parity.servers.registry import Worker

COMMANDS = ("dev", "lock", "sync", "doctor", "stop", "wrangler", "run", "init", "import-har", "fuzz")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "wrangler":  # all that follows is wrangler's, options first included (--version)
        return run_wrangler(argv[1:])
    if argv and not argv[0].startswith("-") and argv[0] not in COMMANDS:
        return run_wrangler(argv)  # as pywrangler does: what is not ours is wrangler's (d1, kv, deploy, …)
    args = parser().parse_args(argv)
    parentwatch.exit_with_parent()
    try:
        return COMMAND_RUNNERS[args.command](args)
    except (ConfigError, toolchain.ToolMissing) as error:
        print(f"workers-parity: error: {error}", file=sys.stderr)
        return 2


def parser() -> argparse.ArgumentParser:
    from workers_parity import commands as parity_commands

    top = argparse.ArgumentParser(prog="workers-parity", description=__doc__.splitlines()[0])
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    dev = commands.add_parser("dev", help="serve worker folders offline until Ctrl-C, as `wrangler dev` does")
    dev.add_argument("folders", nargs="*", type=Path, metavar="FOLDER", help="worker folders (wrangler config inside)")
    dev.add_argument("--port", type=int, help="port of the first worker; the others take the next ones (8787)")
    dev.add_argument("--ip", default="127.0.0.1", help="address to listen on (%(default)s)")
    dev.add_argument("--persist-to", type=Path, help="state folder (default: each worker's .wrangler/state)")
    dev.add_argument("--test-scheduled", action="store_true", help="serve /cdn-cgi/handler/scheduled, as wrangler")
    dev.add_argument("--quiet", action="store_true", help="do not echo the servers' logs (their log files still fill)")
    dev.add_argument("--worker", action="append", metavar="ID", help="of the project's workers, only this one")
    parity_commands.add_runtime_options(dev, javascript="folders")
    for name, what in (("lock", "resolve into pylock.toml"), ("sync", "fill python_modules/ from pylock.toml")):
        command = commands.add_parser(name, help=f"Python worker folders: {what}")
        command.add_argument("targets", nargs="*", metavar="FOLDER", help="folders or worker ids (default: here)")
    commands.add_parser("doctor", help="which runtimes can run each worker here, and why not")
    commands.add_parser("stop", help="stop every dev server of this project that a run left behind")
    passed_on = commands.add_parser("wrangler", help="run the pinned wrangler with our Node (any other command too)")
    passed_on.add_argument("args", nargs=argparse.REMAINDER)
    parity_commands.add_parsers(commands)
    return top


def run_dev(args: argparse.Namespace) -> int:
    from workers_parity.servers import dev

    options = dev.DevOptions(
        ip=args.ip,
        persist_to=args.persist_to.resolve() if args.persist_to else None,
        python_runtime=args.python_runtime,
        test_scheduled=args.test_scheduled,
        quiet=args.quiet,
        js_runtime=args.js_runtime,
    )
    return dev.run_dev(dev_workers(args), options)


def dev_workers(args: argparse.Namespace) -> list[Worker]:
    """The folders named; else this folder if it is a worker; else the project's workers (--worker narrows)."""
    folders = args.folders or ([Path.cwd()] if wrangler.has_config(Path.cwd()) and not args.worker else [])
    if folders:
        first = args.port or project.DEFAULT_PORT
        return [project.worker_from_folder(folder, port=first + index) for index, folder in enumerate(folders)]
    workers = [project.get(key) for key in args.worker] if args.worker else list(project.workers())
    if args.port is not None:
        workers = [_with_port(worker, args.port + index) for index, worker in enumerate(workers)]
    return workers


def _with_port(worker: Worker, port: int) -> Worker:
    from dataclasses import replace

    return replace(worker, port=port)


def run_lock(args: argparse.Namespace) -> int:
    from workers_parity.pymodules import for_worker

    def lock_each() -> None:
        for folder in targets(args):
            path, python = for_worker.write_lock(folder)
            print(f"locked {path} for {python.release.describe()}, {python.reason}", flush=True)

    return with_clear_errors(lock_each)


def run_sync(args: argparse.Namespace) -> int:
    from workers_parity.pymodules import for_worker

    return with_clear_errors(lambda: [for_worker.sync(folder) for folder in targets(args)])


def targets(args: argparse.Namespace) -> list[Path]:
    """Folders or worker ids; none means this folder if it is a worker, else every Python worker of the project."""
    if args.targets:
        return [_folder_of(target) for target in args.targets]
    if wrangler.has_config(Path.cwd()):
        return [Path.cwd()]
    return [worker.folder for worker in project.workers() if worker.is_python]


def _folder_of(target: str) -> Path:
    if Path(target).is_dir():
        return Path(target).resolve()
    try:
        return project.get(target).folder
    except (KeyError, ConfigError):
        raise ConfigError(f"{target}: no such folder, nor a worker of this project") from None


def with_clear_errors(action: Callable[[], object]) -> int:
    """Run a python_modules/ or lock action; its failure is one clear line, not a traceback."""
    from workers_parity.pymodules.errors import PythonModulesError

    try:
        action()
    except (PythonModulesError, wrangler.WranglerConfigError) as error:
        print(f"workers-parity: error: {error}", file=sys.stderr)
        return 1
    return 0


def run_doctor(args: argparse.Namespace) -> int:
    from workers_parity.servers import choose

    return choose.doctor()


def run_stop(args: argparse.Namespace) -> int:
    return liveservers.stop_recorded()


def run_wrangler(args: list[str]) -> int:
    """Replace this process with the pinned wrangler (its exit code, signals and terminal are wrangler's own)."""
    try:
        command = toolchain.wrangler_command()
    except toolchain.ToolMissing as error:
        print(f"workers-parity: error: {error}", file=sys.stderr)
        return 2
    sys.stdout.flush()
    os.execve(command[0], [*command, *args], toolchain.node_env())


def run_parity_command(args: argparse.Namespace) -> int:
    from workers_parity import commands as parity_commands

    return parity_commands.RUNNERS[args.command](args)


COMMAND_RUNNERS = {"dev": run_dev, "lock": run_lock, "sync": run_sync, "doctor": run_doctor, "stop": run_stop}
COMMAND_RUNNERS |= dict.fromkeys(("run", "init", "import-har", "fuzz"), run_parity_command)
