"""The demo walkthrough: the app's story told by all workers at once, side by side, with a Markdown transcript.

python -m parity.demo [--pause] [--worker ID ...] [--out reports/demo.md]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import shutil
import sys
import tempfile
import textwrap
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from parity import ROOT, client, fleet, parentwatch, registry, runtimes
from parity.devserver import DevServer

DEFAULT_OUT = ROOT / "reports" / "demo.md"
SCRIPT_NAME = '<script>alert("x")</script>'
MESSAGE = '5 > 3 & "quotes" stay text'


# ---------------------------------------------------------------- the story


@dataclass(frozen=True)
class Call:
    """One HTTP request of the story, sent byte for byte as the `curl` command shown for it would send it."""

    method: str
    path: str
    form: tuple[tuple[str, str], ...] = ()

    def body(self) -> bytes | None:
        # curl --data-urlencode escapes everything but unreserved characters, exactly like quote(safe="")
        return "&".join(f"{name}={quote(value, safe='')}" for name, value in self.form).encode() if self.form else None

    def headers(self) -> dict[str, str]:
        return {"content-type": "application/x-www-form-urlencoded"} if self.form else {}

    def curl(self) -> str:
        fields = [f"--data-urlencode {shlex.quote(f'{name}={value}')}" for name, value in self.form]
        return " ".join(["curl -i", f'"$URL{self.path}"', *fields])


@dataclass(frozen=True)
class Step:
    title: str
    story: str  # one or two sentences of narration
    call: Call | None = None  # None: restart the dev servers
    lines_of_interest: tuple[str, ...] = ()  # body lines containing one of these are shown
    json_body: bool = False  # compare the set of keys; the values describe each worker


def counter_step(visit: int) -> Step:
    story = (
        "Each visit adds one to a row in D1 with a single `upsert ... returning` statement. Every worker "
        "started on an empty database, so all must show the same number."
        if visit == 1
        else "Once more."
    )
    return Step(f"Counter, visit {visit}", story, Call("GET", "/counter"), ('id="count"',))


STORY: tuple[Step, ...] = (
    Step("Hello", "The plain-text greeting.", Call("GET", "/hello")),
    Step(
        "The form page",
        "A complete HTML5 page; the browser enforces `required` and `maxlength` itself.",
        Call("GET", "/form"),
        ("<form ", "<input ", "<textarea "),
    ),
    Step(
        "Posting the form with a <script> name",
        "The name is a script tag and the message holds `>`, `&` and quotes: every worker must send them back "
        "HTML-escaped, so a browser shows the text and never runs it.",
        Call("POST", "/form", (("name", SCRIPT_NAME), ("message", MESSAGE))),
        ("<h1>", 'class="message"'),
    ),
    counter_step(1),
    counter_step(2),
    counter_step(3),
    Step(
        "Restarting the dev servers",
        "Every dev server is stopped (its whole process group) and started again on "
        "the same port and the same state folder, all at once.",
    ),
    Step(
        "Counter after the restart",
        "The count lives in D1 on disk, so it continues where it stopped.",
        Call("GET", "/counter"),
        ('id="count"',),
    ),
    Step(
        "Status",
        "What each worker is and what executes it. The values differ by design; the keys may not.",
        Call("GET", "/status"),
        json_body=True,
    ),
)


# ---------------------------------------------------------------- what one step shows


@dataclass
class Row:
    """One line of the side-by-side table: what each worker showed, and the values that are compared."""

    label: str
    cells: dict[str, list[str]]
    values: dict[str, object] | None = None  # compared values; default: the cells
    compared: bool = True
    silent: frozenset[str] = frozenset()  # workers that did not answer: shown as failures, left out of comparing

    def differing(self) -> set[str]:
        """Workers whose value differs from the most common one (all of them when there is no majority)."""
        values = {key: repr(value) for key, value in (self.values or self.cells).items() if key not in self.silent}
        if not self.compared or len(set(values.values())) <= 1:
            return set()
        (common, count), *_ = Counter(values.values()).most_common()
        return set(values) if count * 2 <= len(values) else {key for key, value in values.items() if value != common}


@dataclass
class Outcome:
    number: int
    step: Step
    rows: list[Row]
    verdict: str
    ok: bool
    commands: list[str] = field(default_factory=list)


def perform(number: int, step: Step, servers: list[DevServer]) -> Outcome:
    if step.call is None:
        return restart_all(number, step, servers)
    replies = send_everywhere(step.call, servers)
    rows = reply_rows(step, replies)
    silent = [key for key, reply in replies.items() if not isinstance(reply, client.Reply)]
    return Outcome(number, step, rows, *request_verdict(rows, step, silent), commands=[step.call.curl()])


def send_everywhere(call: Call, servers: list[DevServer]) -> dict[str, client.Reply | Exception]:
    def send(server: DevServer) -> client.Reply | Exception:
        try:
            return client.request(server.base_url, call.method, call.path, body=call.body(), headers=call.headers())
        except OSError as error:
            return error

    with ThreadPoolExecutor(max_workers=len(servers)) as pool:
        return dict(zip([s.worker.id for s in servers], pool.map(send, servers), strict=True))


def reply_rows(step: Step, replies: dict[str, client.Reply | Exception]) -> list[Row]:
    """Status, every compared header, x-worker and body; a worker that did not answer says why in its status cell."""
    answered = {key: reply for key, reply in replies.items() if isinstance(reply, client.Reply)}
    silent = frozenset(replies) - set(answered)
    rows = [Row("status", _cells(replies, lambda r: str(r.status), silent_text=lambda error: f"no answer: {error}"))]
    names = dict.fromkeys(name for r in answered.values() for name in r.compared_headers() if name != "x-worker")
    rows += [Row(name, _cells(replies, lambda r, n=name: r.header(n) or "—")) for name in names]
    rows.append(Row("x-worker", _cells(replies, lambda r: r.header("x-worker") or "—"), compared=False))
    rows += body_rows(step, replies)
    for row in rows:
        row.silent = silent
    return rows


def _cells(replies: dict, show: Callable[[client.Reply], str], silent_text=lambda error: "—") -> dict[str, list[str]]:
    return {
        key: [show(reply) if isinstance(reply, client.Reply) else silent_text(reply)] for key, reply in replies.items()
    }


def body_rows(step: Step, replies: dict[str, client.Reply | Exception]) -> list[Row]:
    bodies = {key: reply.body if isinstance(reply, client.Reply) else None for key, reply in replies.items()}
    shown = {key: ["—"] if body is None else summarise(step, body) for key, body in bodies.items()}
    if step.json_body:
        keys = {key: ["—"] if body is None else [", ".join(json_keys(body))] for key, body in bodies.items()}
        return [Row("json keys", keys), Row("body", shown, compared=False)]
    row = Row("body", shown, values=bodies)
    add_first_differences(row, bodies)
    return [row]


def summarise(step: Step, body: bytes) -> list[str]:
    """The lines worth seeing, then the size: the whole body when it is short."""
    if step.json_body:
        return [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in _json_object(body).items()]
    lines = body.decode("utf-8", errors="replace").splitlines()
    picked = [line for line in lines if any(marker in line for marker in step.lines_of_interest)]
    if not picked:
        picked = lines[:1] + (["…"] if len(lines) > 1 else [])
    return [*picked, f"({len(body)} bytes)"]


def _json_object(body: bytes) -> dict:
    try:
        value = json.loads(body)
    except ValueError:
        return {"(not JSON)": body.decode("utf-8", errors="replace")[:80]}
    return value if isinstance(value, dict) else {"(not an object)": value}


def json_keys(body: bytes) -> list[str]:
    return sorted(_json_object(body))


def add_first_differences(row: Row, bodies: dict[str, bytes | None]) -> None:
    """When the bytes differ, show where: the first line that differs from the most common body."""
    answered = [body for body in bodies.values() if body is not None]
    if not row.differing() or not answered:
        return
    reference = Counter(answered).most_common(1)[0][0]
    for key, body in bodies.items():
        if body is not None and body != reference:
            row.cells[key].append(first_difference(body, reference))


def first_difference(body: bytes, reference: bytes) -> str:
    lines = body.decode("utf-8", errors="replace").splitlines(keepends=True)
    expected = reference.decode("utf-8", errors="replace").splitlines(keepends=True)
    for number, (line, wanted) in enumerate(zip(lines, expected, strict=False), 1):
        if line != wanted:
            visible, visible_wanted = line.rstrip("\r\n"), wanted.rstrip("\r\n")
            return f"line {number} differs: {visible if visible != visible_wanted else repr(line)}"
    return f"{len(lines)} lines here, {len(expected)} in the others"


def request_verdict(rows: list[Row], step: Step, silent: list[str]) -> tuple[str, bool]:
    differing = [row.label for row in rows if row.differing()]
    problems = [f"no answer from {', '.join(silent)}"] if silent else []
    problems += [f"differs in: {', '.join(differing)}"] if differing else []
    if problems:
        return "; ".join(problems), False
    return ("identical keys; the values describe each worker" if step.json_body else "identical"), True


def restart_all(number: int, step: Step, servers: list[DevServer]) -> Outcome:
    with ThreadPoolExecutor(max_workers=len(servers)) as pool:
        results = dict(zip([s.worker.id for s in servers], pool.map(timed_restart, servers), strict=True))
    cells = {
        key: [f"failed: {result}".splitlines()[0] if isinstance(result, Exception) else f"ready in {result:.1f} s"]
        for key, result in results.items()
    }
    failed = [key for key, result in results.items() if isinstance(result, Exception)]
    rows = [
        Row("restart", cells, values={key: key in failed for key in results}),
        Row("state", {key: ["same port, same state folder"] for key in results}, compared=False),
    ]
    verdict = f"restart failed: {', '.join(failed)}" if failed else "all restarted"
    return Outcome(
        number,
        step,
        rows,
        verdict,
        not failed,
        commands=[
            "# Ctrl-C `python -m parity dev`, then start it again: same ports, same (default) state",
            "python -m parity dev",
        ],
    )


def timed_restart(server: DevServer) -> float | Exception:
    began = time.monotonic()
    try:
        server.restart()
    except Exception as error:  # shown in the table; the other workers carry on
        return error
    return time.monotonic() - began


# ---------------------------------------------------------------- the terminal


@dataclass(frozen=True)
class Style:
    colour: bool

    @classmethod
    def for_stream(cls, stream) -> Style:
        return cls(stream.isatty() and not os.environ.get("NO_COLOR"))

    def paint(self, text: str, *codes: str) -> str:
        return f"\033[{';'.join(codes)}m{text}\033[0m" if self.colour and codes else text

    def title(self, text: str) -> str:
        return self.paint(text, "1", "36")

    def command(self, text: str) -> str:
        return self.paint(text, "33")

    def dim(self, text: str) -> str:
        return self.paint(text, "2")

    def bad(self, text: str) -> str:
        return self.paint(text, "1", "31")

    def good(self, text: str) -> str:
        return self.paint(text, "1", "32")


LABEL_WIDTH = 14
MAX_COLUMN = 60


def show_step(outcome: Outcome, worker_ids: list[str], style: Style) -> str:
    width = shutil.get_terminal_size(fallback=(120, 24)).columns
    lines = [
        "",
        style.title(f"── {outcome.number}. {outcome.step.title} ".ljust(min(width, 100), "─")),
        *textwrap.wrap(outcome.step.story, width=min(width, 100)),
        "",
    ]
    lines += [style.command(("$ " if not command.startswith("#") else "") + command) for command in outcome.commands]
    lines += ["", *side_by_side(outcome.rows, worker_ids, style, width)]
    verdict = style.good(f"✔ {outcome.verdict}") if outcome.ok else style.bad(f"✘ {outcome.verdict}")
    return "\n".join([*lines, "", verdict])


def side_by_side(rows: list[Row], worker_ids: list[str], style: Style, width: int) -> list[str]:
    column = min(MAX_COLUMN, max(18, (width - LABEL_WIDTH) // len(worker_ids) - 2))
    header = "".ljust(LABEL_WIDTH) + "  ".join(style.paint(key.ljust(column), "1") for key in worker_ids).rstrip()
    return [header, *(line for row in rows for line in row_lines(row, worker_ids, style, column))]


def row_lines(row: Row, worker_ids: list[str], style: Style, column: int) -> list[str]:
    wrapped = {key: [piece for line in row.cells.get(key, ["—"]) for piece in wrap(line, column)] for key in worker_ids}
    flagged = row.differing() | row.silent
    height = max(len(pieces) for pieces in wrapped.values())
    lines = []
    for index in range(height):
        label = (row.label if index == 0 else "").ljust(LABEL_WIDTH)
        cells = [
            paint_cell(
                wrapped[key][index] if index < len(wrapped[key]) else "", column, key in flagged, row.compared, style
            )
            for key in worker_ids
        ]
        lines.append((label + "  ".join(cells)).rstrip())
    return lines


def wrap(line: str, width: int) -> list[str]:
    return textwrap.wrap(line, width=width, break_on_hyphens=False) or [""]


def paint_cell(text: str, column: int, differs: bool, compared: bool, style: Style) -> str:
    padded = text.ljust(column)
    if differs:
        return style.bad(padded)
    return padded if compared else style.dim(padded)


def pause_between_steps(wanted: bool) -> Callable[[], None]:
    if not wanted:
        return lambda: None
    if not sys.stdin.isatty():
        print("(--pause ignored: stdin is not a terminal, running straight through)", flush=True)
        return lambda: None

    def wait_for_enter() -> None:
        with contextlib.suppress(EOFError):
            input("\n[Enter] next step, Ctrl-C stops ")

    return wait_for_enter


# ---------------------------------------------------------------- the Markdown transcript


def markdown(outcomes: list[Outcome], servers: list[DevServer], failures: dict[str, Exception]) -> str:
    parts = [markdown_intro(servers, failures), *map(markdown_start_failure, failures.items())]
    parts += [
        markdown_step(outcome, [s.worker.id for s in servers if s.worker.id not in failures]) for outcome in outcomes
    ]
    parts.append(markdown_summary(outcomes))
    return "\n".join(parts)


def markdown_intro(servers: list[DevServer], failures: dict[str, Exception]) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    transport = ", ".join(f"`{name}`" for name in client.TRANSPORT_HEADERS)
    rows = [
        f"| {s.worker.id} | {s.worker.name} | {s.worker.language} | {_runtime(s)} | {_started(s, failures)} |"
        for s in servers
    ]
    return "\n".join(
        [
            "# Demo: one app, every worker, the same answers",
            "",
            f"Transcript of `python -m parity.demo` (also `nox -s demo`), recorded {when}. Every worker started "
            "on fresh state (an empty D1 database) on a free port; each step sends the same request to all of them "
            "and shows the answers side by side. Compared: the status, the body bytes and every header but the "
            f"transport ones ({transport}); `x-worker` names the worker and differs by design.",
            "",
            "| worker | name | language | runtime | start-up |",
            "|---|---|---|---|---|",
            *rows,
            "",
            "To run a step yourself: `python -m parity dev` (or `nox -s dev`) starts the workers on their default "
            "ports; set `URL` to one of them before the `curl` command:",
            "",
            "```sh",
            *(f"URL=http://127.0.0.1:{s.worker.port}   # {s.worker.id}" for s in servers),
            "```",
            "",
        ]
    )


def markdown_start_failure(failure: tuple[str, Exception]) -> str:
    worker_id, error = failure
    return "\n".join([f"### {worker_id} did not start", "", "```text", str(error), "```", ""])


def _runtime(server: DevServer) -> str:
    return server.choice.runtime if server.choice else "—"


def _started(server: DevServer, failures: dict[str, Exception]) -> str:
    if server.worker.id in failures:
        return "**failed:** " + md_text(str(failures[server.worker.id]).splitlines()[0])
    return f"{server.startup_seconds:.1f} s" if server.startup_seconds is not None else "—"


def markdown_step(outcome: Outcome, worker_ids: list[str]) -> str:
    verdict = outcome.verdict if outcome.ok else f"**{outcome.verdict}**"
    return "\n".join(
        [
            f"## {outcome.number}. {md_text(outcome.step.title)}",
            "",
            outcome.step.story,
            "",
            "```sh",
            *outcome.commands,
            "```",
            "",
            "| | " + " | ".join(worker_ids) + " |",
            "|---" * (len(worker_ids) + 1) + "|",
            *(markdown_row(row, worker_ids) for row in outcome.rows),
            "",
            f"Verdict: {'✔' if outcome.ok else '✘'} {verdict}",
            "",
        ]
    )


def markdown_row(row: Row, worker_ids: list[str]) -> str:
    differing = row.differing()
    cells = []
    for key in worker_ids:
        cell = "<br>".join(md_code(line) for line in row.cells.get(key, ["—"]))
        marker = "**✘** " if key in row.silent else "**≠** " if key in differing else ""
        cells.append(marker + cell)
    return f"| {row.label} | " + " | ".join(cells) + " |"


def md_code(text: str) -> str:
    """An inline code span that survives a table cell (entities stay literal inside code spans)."""
    if not text:
        return "—"
    fence, padding = ("``", " ") if "`" in text else ("`", "")
    return f"{fence}{padding}{text.replace('|', chr(92) + '|')}{padding}{fence}"


def md_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def markdown_summary(outcomes: list[Outcome]) -> str:
    rows = [f"| {o.number}. {md_text(o.step.title)} | {'✔' if o.ok else '✘'} {o.verdict} |" for o in outcomes]
    return "\n".join(["## Summary", "", "| step | verdict |", "|---|---|", *rows, ""])


# ---------------------------------------------------------------- running it


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m parity.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--pause", action="store_true", help="wait for Enter between steps (live demos)")
    parser.add_argument(
        "--worker", action="append", choices=registry.worker_ids(), help="only this worker (repeatable; default: all)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Markdown transcript (default: %(default)s)")
    parser.add_argument(
        "--python-runtime",
        choices=runtimes.RUNTIME_CHOICES,
        default=None,
        help=f"runtime for the Python workers (default: ${runtimes.RUNTIME_ENV} or auto)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    parentwatch.exit_with_parent()
    workers = [registry.get(key) for key in dict.fromkeys(args.worker or registry.worker_ids())]
    with tempfile.TemporaryDirectory(prefix="parity-demo-") as workdir:
        servers = fleet.fresh_servers(workers, Path(workdir), runtimes.requested_runtime(args.python_runtime))
        try:
            with fleet.interrupt_on_signals():
                return walk_through(servers, args)
        except KeyboardInterrupt:
            print("\ninterrupted", file=sys.stderr)
            return 130
        finally:
            print("stopping the dev servers ...", flush=True)
            fleet.stop_all(servers)


def walk_through(servers: list[DevServer], args: argparse.Namespace) -> int:
    style = Style.for_stream(sys.stdout)
    failures = start_servers(servers, style)
    live = [server for server in servers if server.worker.id not in failures]
    if not live:
        return 1
    outcomes = tell_story(live, style, pause_between_steps(args.pause))
    write_transcript(args.out, markdown(outcomes, servers, failures))
    identical = all(outcome.ok for outcome in outcomes)
    summary = f"{sum(o.ok for o in outcomes)}/{len(outcomes)} steps identical across {len(live)} worker(s)"
    if failures:
        summary += f"; did not start: {', '.join(failures)}"
    print("\n" + (style.good(summary) if identical and not failures else style.bad(summary)), flush=True)
    return 0 if identical and not failures else 1


def start_servers(servers: list[DevServer], style: Style) -> dict[str, Exception]:
    print(
        style.title(f"Starting {', '.join(s.worker.id for s in servers)} on fresh state, in parallel ..."), flush=True
    )
    failures = fleet.start_parallel(servers)
    for server in servers:
        key = server.worker.id
        if key in failures:
            print(style.bad(f"{key:<11} failed to start:") + f"\n{failures[key]}", flush=True)
        else:
            print(
                f"{key:<11} {server.base_url:<24} runtime {_runtime(server):<13} "
                f"ready in {server.startup_seconds:.1f} s",
                flush=True,
            )
    print(style.dim("The curl commands below use $URL: the base URL of the worker you want to ask."), flush=True)
    return failures


def tell_story(servers: list[DevServer], style: Style, pause: Callable[[], None]) -> list[Outcome]:
    worker_ids = [server.worker.id for server in servers]
    outcomes = []
    for number, step in enumerate(STORY, 1):
        if number > 1:
            pause()
        outcomes.append(perform(number, step, servers))
        print(show_step(outcomes[-1], worker_ids, style), flush=True)
    return outcomes


def write_transcript(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"\ntranscript written to {path}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
