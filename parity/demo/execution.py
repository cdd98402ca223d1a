"""Executing the story: each step's request sent to every worker at once (or every server restarted), the answers
laid out as rows, and the rows compared — a worker that differs from the others is flagged, the step judged."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from parity import client
from parity.demo.story import Call, Step
from parity.devserver import DevServer


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
