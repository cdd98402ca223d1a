"""The demo in the terminal: the servers' start with its progress, then each step as narration, curl command and a
side-by-side table of what every worker answered, a differing worker in the palette's alarm colour."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable

from rich.console import Console
from rich.rule import Rule
from rich.text import Text

from workers_parity.demo.execution import Outcome, Row
from workers_parity.render import progress, terminal
from workers_parity.render.terminal import BAD, COMMAND, GOOD, QUIET, TITLE
from workers_parity.servers import fleet
from workers_parity.servers.devserver import DevServer

MAX_COLUMN = 60


def runtime_of(server: DevServer) -> str:
    return server.choice.runtime if server.choice else "—"


def start_servers(running: fleet.Fleet, console: Console) -> dict[str, Exception]:
    """Start every server at once; each one's line as it becomes ready (a bar meanwhile on a terminal)."""
    console.print(Text(f"Starting {', '.join(running.servers)} on fresh state, in parallel ...", TITLE))
    with progress.steps("starting the dev servers", len(running.servers), console) as steps:
        failures = running.start(on_ready=lambda server: steps.done(ready_line(server)))
        for worker_id, error in failures.items():
            steps.done(f"{worker_id:<11} failed to start:", BAD)
            console.print(str(error))
    console.print(Text("The curl commands below use $URL: the base URL of the worker you want to ask.", QUIET))
    return failures


def ready_line(server: DevServer) -> str:
    return (
        f"{server.worker.id:<11} {server.base_url:<24} runtime {runtime_of(server):<15} "
        f"ready in {server.startup_seconds:.1f} s"
    )


def show_step(outcome: Outcome, worker_ids: list[str], console: Console) -> None:
    console.print()
    console.print(Rule(Text(f"{outcome.number}. {outcome.step.title}", TITLE), align="left", style=TITLE))
    console.print(Text(outcome.step.story))
    console.print()
    for command in outcome.commands:  # one line however long, so that it can be copied
        console.print(Text(("" if command.startswith("#") else "$ ") + command, COMMAND), soft_wrap=True)
    console.print()
    console.print(side_by_side(outcome.rows, worker_ids))
    console.print(Text(f"✔ {outcome.verdict}", GOOD) if outcome.ok else Text(f"✘ {outcome.verdict}", BAD))


def side_by_side(rows: list[Row], worker_ids: list[str]):
    return terminal.table(["", *worker_ids], [_cells(row, worker_ids) for row in rows], max_width=MAX_COLUMN)


def _cells(row: Row, worker_ids: list[str]) -> list[Text]:
    flagged = row.differing | row.silent
    style = {key: BAD if key in flagged else QUIET if row.quiet else "" for key in worker_ids}
    return [Text(row.label), *(Text("\n".join(row.cells.get(key, ["—"])), style[key]) for key in worker_ids)]


def pause_between_steps(wanted: bool, console: Console) -> Callable[[], None]:
    if not wanted:
        return lambda: None
    if not sys.stdin.isatty():
        console.print("(--pause ignored: stdin is not a terminal, running straight through)")
        return lambda: None

    def wait_for_enter() -> None:
        with contextlib.suppress(EOFError):
            console.input("\n[Enter] next step, Ctrl-C stops ")

    return wait_for_enter
