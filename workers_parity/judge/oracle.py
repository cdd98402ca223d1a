"""An exact answer to one request, as an oracle knows it (a project's plug-in derives one from the request), and a
worker's reply checked against it, mismatch by mismatch.

Comparing workers with each other cannot catch an answer they all get wrong alike, so a project can check each case
against an Expectation too: this repository's plug-in (shared-tests/contract_plugin.py) derives one per case from
its contract.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from workers_parity.http.reply import Reply
from workers_parity.judge.diff import body_diff, body_summary

ABSENT = None  # in Expectation.content_length: no content-length header at all


@dataclass(frozen=True)
class Mismatch:
    """One way a reply is not the expected answer."""

    field: str  # "status", "body", "content-length", "header NAME", "json $.path"
    expected: str
    actual: str
    detail: str = ""  # a body diff
    source: str = "the oracle"  # who expects it: the project's oracle ("the contract"), or the case's `expect`

    def render(self) -> str:
        line = f"{self.field}: {self.source} says {self.expected}, got {self.actual}"
        return f"{line}\n{self.detail}" if self.detail else line


@dataclass(frozen=True)
class Expectation:
    """The exact answer for one worker: exact status and headers, the body exactly or judged by a check."""

    status: int
    headers: dict[str, tuple[str, ...]]  # every compared header (reply.TRANSPORT_HEADERS aside), exact values
    body: bytes | None = field(default=None, repr=False)  # the exact body; None: `body_check` judges it
    body_check: Callable[[bytes], str | None] | None = field(default=None, repr=False)  # the problem, or None
    content_length: tuple[str | None, ...] | None = None  # allowed values on HEAD; None: not checked
    summary: str = ""  # the answer in a few words, for failure messages
    source: str = "the oracle"  # whose answer it is, as failure messages name it

    def mismatches(self, reply: Reply, *, status_and_body: bool = True) -> list[Mismatch]:
        """Everything in `reply` that differs from this answer; `status_and_body=False` checks the headers only
        (for a worker whose status and body an expected difference pins instead)."""
        found = self._status_and_body(reply) if status_and_body else []
        found += self._headers(reply)
        if self.content_length is not None:
            length = reply.header("content-length")
            if length not in self.content_length:
                allowed = " or ".join("absent" if value is ABSENT else repr(value) for value in self.content_length)
                found.append(self._mismatch("content-length", allowed, "absent" if length is None else repr(length)))
        return found

    def _mismatch(self, name: str, expected: str, actual: str, detail: str = "") -> Mismatch:
        return Mismatch(name, expected, actual, detail, self.source)

    def _status_and_body(self, reply: Reply) -> list[Mismatch]:
        found = []
        if reply.status != self.status:
            found.append(self._mismatch("status", str(self.status), str(reply.status)))
        if self.body is not None and reply.body != self.body:
            diff = body_diff(self.body, reply.body, self.source, "the reply")
            found.append(self._mismatch("body", body_summary(self.body), body_summary(reply.body), diff))
        elif self.body_check is not None:
            problem = self.body_check(reply.body)
            if problem:
                found.append(self._mismatch("body", "a body that passes its check", problem))
        return found

    def _headers(self, reply: Reply) -> list[Mismatch]:
        received = reply.compared_headers()
        names = dict.fromkeys([*self.headers, *received])
        return [
            self._mismatch(f"header {name}", _values(self.headers.get(name)), _values(received.get(name)))
            for name in names
            if self.headers.get(name) != received.get(name)
        ]


def _values(values: tuple[str, ...] | None) -> str:
    return "absent" if not values else ", ".join(repr(value) for value in values)


def render(label: str, mismatches: list[Mismatch], summary: str) -> str:
    """A worker's mismatches as a report section."""
    wanted = f" ({summary})" if summary else ""
    source = mismatches[0].source if mismatches else "the oracle"
    heading = f"{label} is not {source}'s answer{wanted}:"
    return "\n".join([heading, *(f"  {mismatch.render()}" for mismatch in mismatches)])
