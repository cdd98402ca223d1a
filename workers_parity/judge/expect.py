"""A case's own `expect`: what every worker's answer must hold, whatever the others answer — a status, some headers,
the exact body, a regex the body matches, or a JSON document the body contains (a subset: extra keys allowed)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from workers_parity.http.reply import Reply
from workers_parity.judge.diff import body_diff, body_summary
from workers_parity.judge.oracle import Mismatch

EXPECT_KEYS = {"status", "headers", "body", "body_regex", "json"}
SOURCE = "the case"
NOTHING = object()  # no `json` expected (TOML has no null, so None cannot be expected anyway)


class ExpectError(ValueError):
    """An `expect` table that cannot be used; the message says what is wrong (the caller names file and line)."""


@dataclass(frozen=True)
class Expect:
    status: int | None = None
    headers: dict[str, tuple[str, ...]] = field(default_factory=dict)  # name (lowercase) -> exact values
    body: bytes | None = field(default=None, repr=False)
    body_regex: re.Pattern[str] | None = None
    json: object = field(default=NOTHING, repr=False)

    @property
    def summary(self) -> str:
        parts = [f"status {self.status}" if self.status is not None else ""]
        parts += [f"{name}: {', '.join(values)}" for name, values in self.headers.items()]
        parts += ["an exact body" if self.body is not None else ""]
        parts += [f"body matching /{self.body_regex.pattern}/" if self.body_regex is not None else ""]
        parts += ["a JSON body containing the expected document" if self.json is not NOTHING else ""]
        return "expect: " + "; ".join(part for part in parts if part)

    def mismatches(self, reply: Reply, *, status_and_body: bool = True) -> list[Mismatch]:
        """Every way the reply is not what the case expects (headers only, when an expected difference pins the
        worker's status and body)."""
        found = []
        if status_and_body and self.status is not None and reply.status != self.status:
            found.append(Mismatch("status", str(self.status), str(reply.status), source=SOURCE))
        for name, values in self.headers.items():
            got = reply.header_values(name)
            if got != values:
                found.append(Mismatch(f"header {name}", _shown(values), _shown(got), source=SOURCE))
        return found + (self._body(reply.body) if status_and_body else [])

    def _body(self, body: bytes) -> list[Mismatch]:
        found = []
        if self.body is not None and body != self.body:
            diff = body_diff(self.body, body, SOURCE, "the reply")
            found.append(Mismatch("body", body_summary(self.body), body_summary(body), diff, SOURCE))
        text = body.decode("utf-8", "replace")
        if self.body_regex is not None and not self.body_regex.search(text):
            found.append(Mismatch("body", f"a match for /{self.body_regex.pattern}/", body_summary(body), "", SOURCE))
        if self.json is not NOTHING:
            found += _json_mismatches(self.json, body)
        return found


def _shown(values: tuple[str, ...]) -> str:
    return "absent" if not values else ", ".join(repr(value) for value in values)


def _json_mismatches(wanted: object, body: bytes) -> list[Mismatch]:
    try:
        document = json.loads(body)
    except ValueError:
        return [Mismatch("json", "a JSON body", body_summary(body), source=SOURCE)]
    problem = subset_problem(wanted, document, "$")
    return [Mismatch(f"json {problem[0]}", problem[1], problem[2], source=SOURCE)] if problem else []


def subset_problem(wanted: object, actual: object, path: str) -> tuple[str, str, str] | None:
    """(path, expected, got) of the first place where `actual` does not contain `wanted`, else None. Tables need
    their keys (others may be there too); arrays and values must be equal, element by element."""
    if isinstance(wanted, dict):
        if not isinstance(actual, dict):
            return path, "an object", json.dumps(actual)
        for key, value in wanted.items():
            if key not in actual:
                return f"{path}.{key}", json.dumps(value), "absent"
            problem = subset_problem(value, actual[key], f"{path}.{key}")
            if problem:
                return problem
        return None
    if isinstance(wanted, list):
        if not isinstance(actual, list) or len(actual) != len(wanted):
            return path, f"an array of {len(wanted)}", json.dumps(actual)
        for index, (item, got) in enumerate(zip(wanted, actual, strict=True)):
            problem = subset_problem(item, got, f"{path}[{index}]")
            if problem:
                return problem
        return None
    if wanted != actual or isinstance(wanted, bool) != isinstance(actual, bool):  # True == 1 in Python, not JSON
        return path, json.dumps(wanted), json.dumps(actual)
    return None


def expect_from(entry: object) -> Expect:
    """An Expect from its TOML table; ExpectError names what is wrong."""
    if not isinstance(entry, dict):
        raise ExpectError(f"expect is a table such as {{ status = 200 }}, not {entry!r}")
    unknown = sorted(set(entry) - EXPECT_KEYS)
    if unknown:
        raise ExpectError(f"unknown expect key {unknown[0]!r} (known: {', '.join(sorted(EXPECT_KEYS))})")
    status = entry.get("status")
    if status is not None and (type(status) is not int or not 100 <= status <= 599):
        raise ExpectError(f"expect.status must be an HTTP status (100-599), not {status!r}")
    return Expect(
        status=status,
        headers=_headers(entry.get("headers", {})),
        body=_text(entry, "body").encode() if "body" in entry else None,
        body_regex=_regex(_text(entry, "body_regex")) if "body_regex" in entry else None,
        json=entry.get("json", NOTHING),
    )


def _text(entry: dict, key: str) -> str:
    if not isinstance(entry[key], str):
        raise ExpectError(f"expect.{key} must be a string, not {entry[key]!r}")
    return entry[key]


def _regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as error:
        raise ExpectError(f"bad expect.body_regex {pattern!r} ({error})") from None


def _headers(headers: object) -> dict[str, tuple[str, ...]]:
    if not isinstance(headers, dict):
        raise ExpectError(f"expect.headers is a table of name = value, not {headers!r}")
    found = {}
    for name, value in headers.items():
        values = (value,) if isinstance(value, str) else value
        if not isinstance(values, list | tuple) or not all(isinstance(item, str) for item in values):
            raise ExpectError(f"expect.headers.{name} must be a string or a list of strings, not {value!r}")
        found[name.lower()] = tuple(values)
    return found
