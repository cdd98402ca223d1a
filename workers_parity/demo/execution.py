"""Executing the story: each step's request sent to every worker at once (or every server restarted), the answers
laid out as rows and compared as a run compares them (judge.divergence, the project's masks and the step's) — a
worker outvoted on a row is flagged, the step judged."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from workers_parity.demo.story import Call, Step
from workers_parity.http import client, everywhere
from workers_parity.judge import divergence
from workers_parity.judge.masks import Mask, Tally
from workers_parity.servers.devserver import DevServer

NOT_COMPACT = "(not in compact JSON form)"


@dataclass
class Row:
    """One line of the side-by-side table: what each worker showed, and the workers that differ on it."""

    label: str
    cells: dict[str, list[str]]
    quiet: bool = False  # shown dim: not compared as shown (a masked header, JSON values, notes)
    differing: frozenset[str] = frozenset()  # outvoted on this row's field by divergence.compare
    silent: frozenset[str] = frozenset()  # workers that did not answer: shown as failures, left out of comparing


@dataclass
class Outcome:
    number: int
    step: Step
    rows: list[Row]
    verdict: str
    ok: bool
    commands: list[str] = field(default_factory=list)


def perform(number: int, step: Step, servers: list[DevServer], masks: tuple[Mask, ...] = ()) -> Outcome:
    """One step on every server; `masks` are the project's (the step may add its own)."""
    if step.call is None:
        return restart_all(number, step, servers)
    replies = everywhere.at_once({server.worker.id: server for server in servers}, lambda s: send(step.call, s))
    all_masks = (*masks, *step.masks)
    differences = compare(replies, all_masks)
    rows = reply_rows(step, replies, differences, {mask.header for mask in all_masks if mask.header})
    silent = [key for key, reply in replies.items() if not isinstance(reply, client.Reply)]
    return Outcome(number, step, rows, *request_verdict(rows, step, silent), commands=[step.call.curl()])


def send(call: Call, server: DevServer) -> client.Reply | Exception:
    try:
        return client.request(server.base_url, call.method, call.path, body=call.body(), headers=call.headers())
    except OSError as error:
        return error


def compare(
    replies: dict[str, client.Reply | Exception], masks: tuple[Mask, ...] = ()
) -> dict[str, divergence.Divergence]:
    """The answers compared as a run compares them: status, every header but the transport ones, the body bytes,
    each once the masks are applied; by field."""
    tally = Tally()
    views = {
        key: tally.masked(divergence.view_of(reply), masks)
        for key, reply in replies.items()
        if isinstance(reply, client.Reply)
    }
    return {difference.field: difference for difference in divergence.compare(views)}


def reply_rows(
    step: Step,
    replies: dict[str, client.Reply | Exception],
    differences: dict[str, divergence.Divergence],
    masked_headers: set[str] = frozenset(),
) -> list[Row]:
    """Status, every compared header (a masked one last, dim), and the body; a worker that did not answer says why
    in its status cell."""
    answered = {key: reply for key, reply in replies.items() if isinstance(reply, client.Reply)}

    def flagged(field_name: str) -> frozenset[str]:
        return frozenset(differences[field_name].outvoted) if field_name in differences else frozenset()

    status = _cells(replies, lambda r: str(r.status), silent_text=lambda error: f"no answer: {error}")
    rows = [Row("status", status, differing=flagged("status"))]
    names = list(dict.fromkeys(name for r in answered.values() for name in r.compared_headers()))
    names.sort(key=lambda name: name in masked_headers)  # stable: the masked ones last
    for name in names:
        cells = _cells(replies, lambda r, n=name: r.header(n) or "—")
        rows.append(Row(name, cells, quiet=name in masked_headers, differing=flagged(f"header {name}")))
    rows += body_rows(step, replies, differences.get("body"))
    for row in rows:
        row.silent = frozenset(replies) - set(answered)
    return rows


def _cells(replies: dict, show: Callable[[client.Reply], str], silent_text=lambda error: "—") -> dict[str, list[str]]:
    return {
        key: [show(reply) if isinstance(reply, client.Reply) else silent_text(reply)] for key, reply in replies.items()
    }


def body_rows(
    step: Step, replies: dict[str, client.Reply | Exception], difference: divergence.Divergence | None
) -> list[Row]:
    bodies = {key: reply.body if isinstance(reply, client.Reply) else None for key, reply in replies.items()}
    shown = {key: ["—"] if body is None else summarise(step, body) for key, body in bodies.items()}
    differing = frozenset(difference.outvoted) if difference else frozenset()
    if step.json_body:
        keys = {key: ["—"] if body is None else json_shape(body) for key, body in bodies.items()}
        return [Row("json keys", keys, differing=differing), Row("body", shown, quiet=True)]
    row = Row("body", shown, differing=differing)
    if difference is not None:
        add_first_differences(row, bodies, difference)
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


def json_shape(body: bytes) -> list[str]:
    """A JSON object body's keys in order, and whether it is in compact form."""
    document = _json_object(body)
    return [", ".join(document), *([] if compact_json(document, body) else [NOT_COMPACT])]


def compact_json(document: object, body: bytes) -> bool:
    """Is `body` the compact JSON form of `document` (no spaces, UTF-8 unescaped)?"""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode() == body


def add_first_differences(row: Row, bodies: dict[str, bytes | None], difference: divergence.Divergence) -> None:
    """Where the bytes differ: the first line that differs from the majority's body (the first group's)."""
    reference = difference.groups[0][1]
    for workers, _ in difference.groups[1:]:
        for key in workers:
            row.cells[key].append(first_difference(bodies[key], reference))


def first_difference(body: bytes, reference: bytes) -> str:
    lines = body.decode("utf-8", errors="replace").splitlines(keepends=True)
    expected = reference.decode("utf-8", errors="replace").splitlines(keepends=True)
    for number, (line, wanted) in enumerate(zip(lines, expected, strict=False), 1):
        if line != wanted:
            visible, visible_wanted = line.rstrip("\r\n"), wanted.rstrip("\r\n")
            return f"line {number} differs: {visible if visible != visible_wanted else repr(line)}"
    return f"{len(lines)} lines here, {len(expected)} in the others"


def request_verdict(rows: list[Row], step: Step, silent: list[str]) -> tuple[str, bool]:
    differing = [row.label for row in rows if row.differing]
    problems = [f"no answer from {', '.join(silent)}"] if silent else []
    problems += [f"differs in: {', '.join(differing)}"] if differing else []
    if problems:
        return "; ".join(problems), False
    return ("identical keys, in order; the values describe each worker" if step.json_body else "identical"), True


def restart_all(number: int, step: Step, servers: list[DevServer]) -> Outcome:
    results = everywhere.at_once({server.worker.id: server for server in servers}, timed_restart)
    cells = {
        key: [f"failed: {result}".splitlines()[0] if isinstance(result, Exception) else f"ready in {result:.1f} s"]
        for key, result in results.items()
    }
    failed = [key for key, result in results.items() if isinstance(result, Exception)]
    rows = [
        Row("restart", cells, differing=frozenset(failed)),
        Row("state", {key: ["same port, same state folder"] for key in results}, quiet=True),
    ]
    verdict = f"restart failed: {', '.join(failed)}" if failed else "all restarted"
    return Outcome(
        number,
        step,
        rows,
        verdict,
        not failed,
        commands=[
            "# Ctrl-C `workers-parity dev`, then start it again: same ports, same (default) state",
            "workers-parity dev",
        ],
    )


def timed_restart(server: DevServer) -> float | Exception:
    began = time.monotonic()
    try:
        server.restart()
    except Exception as error:  # shown in the table; the other workers carry on
        return error
    return time.monotonic() - began
