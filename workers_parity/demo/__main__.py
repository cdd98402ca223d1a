"""The demo command: start every worker on fresh state, tell the project's story (its plug-in's `demo_story()`) step
by step, write the transcript; exit 0 only when every worker started and every step was identical."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import workers_parity.demo
from workers_parity import project
from workers_parity.demo import terminal, transcript
from workers_parity.demo.execution import Outcome, perform
from workers_parity.demo.story import Step
from workers_parity.plugins import hooks
from workers_parity.render.terminal import BAD, GOOD, console
from workers_parity.servers import fleet, parentwatch, runtimes
from workers_parity.servers.devserver import DevServer


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m workers_parity.demo", description=workers_parity.demo.__doc__.splitlines()[0]
    )
    parser.add_argument("--pause", action="store_true", help="wait for Enter between steps (live demos)")
    parser.add_argument(
        "--worker", action="append", choices=project.worker_ids(), help="only this worker (repeatable; default: all)"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="Markdown transcript (default: the project's reports/demo.md)"
    )
    parser.add_argument(
        "--python-runtime",
        choices=runtimes.RUNTIME_CHOICES,
        default=None,
        help=f"runtime for the Python workers (default: ${runtimes.RUNTIME_ENV} or auto)",
    )
    args = parser.parse_args(argv)
    args.out = args.out or project.current().reports / "demo.md"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    parentwatch.exit_with_parent()
    args.story = hooks.load(project.current().config.plugins).demo_story()
    if not args.story:
        print("no story to tell: the project's plug-in has no demo_story() (docs/reference.md)", file=sys.stderr)
        return 2
    workers = [project.get(key) for key in dict.fromkeys(args.worker or project.worker_ids())]
    with tempfile.TemporaryDirectory(prefix="parity-demo-") as workdir:
        servers = fleet.fresh_servers(workers, Path(workdir), runtimes.requested_runtime(args.python_runtime))
        try:
            with fleet.Fleet(servers) as running:
                try:
                    return walk_through(running, args)
                finally:
                    print("stopping the dev servers ...", flush=True)
        except KeyboardInterrupt:
            print("\ninterrupted", file=sys.stderr)
            return 130


def walk_through(running: fleet.Fleet, args: argparse.Namespace) -> int:
    shown = console()
    failures = terminal.start_servers(running, shown)
    live = list(running.started().values())
    if not live:
        return 1
    masks = project.current().config.masks
    outcomes = tell_story(args.story, masks, live, shown, terminal.pause_between_steps(args.pause, shown))
    transcript.write(args.out, transcript.markdown(outcomes, list(running.servers.values()), failures, masks))
    shown.print(f"\ntranscript written to {args.out}")
    identical = all(outcome.ok for outcome in outcomes)
    summary = f"{sum(o.ok for o in outcomes)}/{len(outcomes)} steps identical across {len(live)} worker(s)"
    if failures:
        summary += f"; did not start: {', '.join(failures)}"
    shown.print()
    shown.print(summary, style=GOOD if identical and not failures else BAD)
    return 0 if identical and not failures else 1


def tell_story(
    story: tuple[Step, ...], masks: tuple, servers: list[DevServer], shown, pause: Callable[[], None]
) -> list[Outcome]:
    worker_ids = [server.worker.id for server in servers]
    outcomes = []
    for number, step in enumerate(story, 1):
        if number > 1:
            pause()
        outcomes.append(perform(number, step, servers, masks))
        terminal.show_step(outcomes[-1], worker_ids, shown)
    return outcomes


if __name__ == "__main__":
    sys.exit(main())
