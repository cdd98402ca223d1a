"""The Markdown transcript (reports/demo.md): the workers and how they started, every step with its command, the
side-by-side table and the verdict, and a summary."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from workers_parity.demo.execution import Outcome, Row
from workers_parity.demo.terminal import runtime_of
from workers_parity.http import client
from workers_parity.render.markdown import Inline, code, table, text
from workers_parity.servers.devserver import DevServer

WORKER_HEADERS = ["worker", "name", "language", "runtime", "start-up"]


def markdown(
    outcomes: list[Outcome], servers: list[DevServer], failures: dict[str, Exception], masks: tuple = ()
) -> str:
    started = [s.worker.id for s in servers if s.worker.id not in failures]
    parts = [intro(servers, failures, masks), *map(start_failure, failures.items())]
    parts += [step(outcome, started) for outcome in outcomes]
    parts.append(summary(outcomes))
    return "\n".join(parts)


def intro(servers: list[DevServer], failures: dict[str, Exception], masks: tuple = ()) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    transport = ", ".join(f"`{name}`" for name in client.TRANSPORT_HEADERS)
    masked = ", ".join(f"`{mask.header}`" for mask in masks if mask.header)
    by_design = f"; {masked} may differ by design (the project masks it)" if masked else ""
    rows = [[s.worker.id, s.worker.name, s.worker.language, runtime_of(s), _started(s, failures)] for s in servers]
    return "\n".join(
        [
            "# Demo: one app, every worker, the same answers",
            "",
            f"Transcript of `python -m workers_parity.demo` (`nox -s demo`), recorded {when}. Every worker started "
            "on fresh state (an empty D1 database) on a free port; each step sends the same request to all of them "
            "and shows the answers side by side. Compared: the status, the body bytes and every header but the "
            f"transport ones ({transport}){by_design}.",
            "",
            table(WORKER_HEADERS, rows),
            "",
            "To run a step yourself: `workers-parity dev` (or `nox -s dev`) starts the workers on their default "
            "ports; set `URL` to one of them before the `curl` command:",
            "",
            "```sh",
            *(f"URL=http://127.0.0.1:{s.worker.port}   # {s.worker.id}" for s in servers),
            "```",
            "",
        ]
    )


def start_failure(failure: tuple[str, Exception]) -> str:
    worker_id, error = failure
    return "\n".join([f"### {worker_id} did not start", "", "```text", str(error), "```", ""])


def _started(server: DevServer, failures: dict[str, Exception]) -> str:
    if server.worker.id in failures:
        return Inline("**failed:** " + text(str(failures[server.worker.id]).splitlines()[0]))
    return f"{server.startup_seconds:.1f} s" if server.startup_seconds is not None else "—"


def step(outcome: Outcome, worker_ids: list[str]) -> str:
    verdict = outcome.verdict if outcome.ok else f"**{outcome.verdict}**"
    return "\n".join(
        [
            f"## {outcome.number}. {text(outcome.step.title)}",
            "",
            outcome.step.story,
            "",
            "```sh",
            *outcome.commands,
            "```",
            "",
            table(["", *worker_ids], [row_cells(row, worker_ids) for row in outcome.rows]),
            "",
            f"Verdict: {'✔' if outcome.ok else '✘'} {verdict}",
            "",
        ]
    )


def row_cells(row: Row, worker_ids: list[str]) -> list[str]:
    differing = row.differing
    cells = []
    for key in worker_ids:
        shown = "<br>".join(code(line) if line else "—" for line in row.cells.get(key, ["—"]))
        marker = "**✘** " if key in row.silent else "**≠** " if key in differing else ""
        cells.append(Inline(marker + shown))
    return [row.label, *cells]


def summary(outcomes: list[Outcome]) -> str:
    rows = [[Inline(f"{o.number}. {text(o.step.title)}"), f"{'✔' if o.ok else '✘'} {o.verdict}"] for o in outcomes]
    return "\n".join(["## Summary", "", table(["step", "verdict"], rows), ""])


def write(path: Path, transcript: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(transcript, encoding="utf-8")
