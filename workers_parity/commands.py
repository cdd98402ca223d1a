"""The commands that prove parity — run, init, import-har, fuzz — as `workers-parity` subcommands: their options,
and each one's runner (imported when it runs, so the other commands start fast)."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from workers_parity.servers import runtimes

EXIT_CONFIG = 2


def add_parsers(commands) -> None:
    run = commands.add_parser("run", help="every case to every worker of the project, then the parity report")
    _add_selection(run)
    init = commands.add_parser("init", help="write a starter workers-parity.toml for the worker folders found here")
    init.add_argument("folder", nargs="?", type=Path, default=Path("."), help="the project's folder (default: here)")
    har = commands.add_parser("import-har", help="a browser's HAR export as cases, one per request, in order")
    har.add_argument("har", type=Path, metavar="FILE.har")
    har.add_argument("--out", type=Path, required=True, metavar="CASES.toml", help="the case file to write")
    har.add_argument("--keep-cookies", action="store_true", help="keep Cookie headers (dropped by default)")
    har.add_argument("--force", action="store_true", help="replace --out when it exists")
    fuzz = commands.add_parser("fuzz", help="requests mutated from the project's cases; a divergence becomes a case")
    _add_selection(fuzz)
    fuzz.add_argument("--examples", type=int, default=500, help="requests to generate (%(default)s)")
    fuzz.add_argument("--seed", type=int, default=None, help="a fixed seed, to repeat a run exactly")


def _add_selection(command: argparse.ArgumentParser) -> None:
    command.add_argument("--worker", action="append", default=[], metavar="NAME", help="only this worker (repeatable)")
    command.add_argument(
        "--base-url", action="append", default=[], metavar="NAME=URL", help="reach this worker at URL, start nothing"
    )
    add_runtime_options(command)


def add_runtime_options(command: argparse.ArgumentParser, javascript: str = "workers") -> None:
    """--python-runtime and --js-runtime (any runtime of the language, or auto; not all), for run, fuzz and dev;
    `javascript` is what the help says the JavaScript runtime hosts (dev: "folders")."""
    command.add_argument("--python-runtime", choices=[c for c in runtimes.RUNTIME_CHOICES if c != runtimes.ALL])
    command.add_argument(
        "--js-runtime",
        choices=[c for c in runtimes.JS_RUNTIME_CHOICES if c != runtimes.ALL],
        help=f"host for JavaScript {javascript}: workerd under wrangler dev (auto), or direct",
    )


def run_run(args: argparse.Namespace) -> int:
    from workers_parity import project
    from workers_parity.run import command

    options = command.Options(
        args.worker, args.base_url, args.python_runtime, _command_line(), js_runtime=args.js_runtime
    )
    return command.run(project.current(), options).exit_code


def run_init(args: argparse.Namespace) -> int:
    from workers_parity.project import starter

    for line in starter.init(args.folder.resolve()):
        print(line)
    return 0


def run_import_har(args: argparse.Namespace) -> int:
    from workers_parity.cases import har

    count = har.import_file(args.har, args.out, keep_cookies=args.keep_cookies, replace=args.force)
    print(f"wrote {count} case{'s' if count != 1 else ''} to {args.out}")
    return 0


def run_fuzz(args: argparse.Namespace) -> int:
    from workers_parity import project
    from workers_parity.run import fuzz

    options = fuzz.Options(
        args.worker, args.base_url, args.python_runtime, args.examples, args.seed, js_runtime=args.js_runtime
    )
    return fuzz.fuzz(project.current(), options)


def _command_line() -> str:
    return shlex.join(["workers-parity", *sys.argv[1:]])


RUNNERS = {"run": run_run, "init": run_init, "import-har": run_import_har, "fuzz": run_fuzz}
