"""Comparing the workers' answers to one request field by field (CONTRACT.md C14), with readable diffs, and the
differences declared expected in shared-tests/expected-differences.toml."""

from __future__ import annotations

import difflib
import json
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from parity import ROOT, registry
from parity.client import PARITY_HEADERS, Reply

FIELDS = ("status", *PARITY_HEADERS, "body")
EXPECTED_PATH = ROOT / "shared-tests" / "expected-differences.toml"
COUNTER_VALUE = re.compile(rb'<span id="count">\d+</span>')
DIFF_CONTEXT_LINES = 2
UNREADABLE_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def comparable(reply: Reply, compare: str = "bytes") -> dict[str, object]:
    """The reply's parity view, with only the one difference C14.2 allows for this kind of case masked."""
    view = reply.parity_view()
    if compare == "counter-value":
        view["body"] = COUNTER_VALUE.sub(b'<span id="count">(count masked)</span>', reply.body)
    elif compare == "status-values":
        view["body"] = status_shape(reply.body)
    return view


def status_shape(body: bytes) -> bytes:
    """What every /status body must share: its keys in order and compact JSON form; the values may differ."""
    try:
        document = json.loads(body)
    except ValueError:
        return body
    if not isinstance(document, dict):
        return body
    compact = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode() == body
    shape = json.dumps(dict.fromkeys(document, "(value masked)"), separators=(",", ":"))
    return (shape if compact else shape + "\n(not in compact JSON form)").encode()


@dataclass(frozen=True)
class Divergence:
    """One field on which the workers disagree; groups of workers sharing a value, the majority first."""

    field: str
    groups: tuple[tuple[tuple[str, ...], object], ...]

    @property
    def majority(self) -> tuple[str, ...]:
        return self.groups[0][0]

    @property
    def minority(self) -> tuple[str, ...]:
        return tuple(worker for workers, _ in self.groups[1:] for worker in workers)

    def render(self) -> str:
        if self.field == "body":
            return _render_body(self)
        lines = [f"{self.field} differs:"]
        lines += [f"  {', '.join(workers)}: {value!r}" for workers, value in self.groups]
        return "\n".join(lines)


def compare(views: dict[str, dict[str, object]]) -> list[Divergence]:
    """Compare the views of several workers (keyed by worker name, first = tie-breaker) field by field."""
    order = list(views)
    divergences = []
    for field in FIELDS:
        groups: dict[object, list[str]] = {}
        for worker, view in views.items():
            groups.setdefault(view[field], []).append(worker)
        if len(groups) > 1:
            ranked = sorted(groups.items(), key=lambda item: (-len(item[1]), order.index(item[1][0])))
            divergences.append(Divergence(field, tuple((tuple(workers), value) for value, workers in ranked)))
    return divergences


def _render_body(divergence: Divergence) -> str:
    (reference, expected), *others = divergence.groups
    sizes = ", ".join(f"{'/'.join(workers)} {len(value)} bytes" for workers, value in divergence.groups)
    parts = [f"body differs ({sizes}):"]
    for workers, actual in others:
        parts.append(body_diff(expected, actual, "/".join(reference), "/".join(workers)))
    return "\n".join(parts)


def body_diff(expected: bytes, actual: bytes, expected_label: str, actual_label: str) -> str:
    """A unified diff of the decoded bodies; control and invisible characters are shown escaped."""
    before = readable(expected.decode("utf-8", "replace")).splitlines(keepends=False)
    after = readable(actual.decode("utf-8", "replace")).splitlines(keepends=False)
    diff = list(
        difflib.unified_diff(
            before, after, f"{expected_label} (body)", f"{actual_label} (body)", n=DIFF_CONTEXT_LINES, lineterm=""
        )
    )
    if not diff:  # same text after decoding: the bytes differ in invalid UTF-8 only
        offset = next(i for i, (a, b) in enumerate(zip(expected, actual, strict=False)) if a != b)
        return (
            f"  the decoded texts are equal; the bytes first differ at offset {offset}: "
            f"{expected[offset : offset + 16].hex(' ')} vs {actual[offset : offset + 16].hex(' ')}"
        )
    return "\n".join(diff)


def readable(text: str) -> str:
    """Escape what would be invisible or break a line in a diff, keeping the line feeds that structure pages."""
    return "".join(_escape(character) for character in text)


def _escape(character: str) -> str:
    if character in "\n\t" or unicodedata.category(character) not in UNREADABLE_CATEGORIES:
        return character
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


@dataclass(frozen=True)
class ExpectedDifference:
    """A difference the workers cannot avoid: the listed workers' `field` differs from the others' in `case`."""

    case: str
    workers: frozenset[str]  # worker names
    field: str
    reason: str

    def applies_to(self, names: list[str]) -> bool:
        """Only when every listed worker and at least one other worker take part."""
        return self.workers <= set(names) and bool(set(names) - self.workers)


def load_expected(path: Path = EXPECTED_PATH) -> list[ExpectedDifference]:
    if not path.exists():
        return []
    with path.open("rb") as source:
        entries = tomllib.load(source).get("difference", [])
    return [_expected_difference(path, entry) for entry in entries]


def _expected_difference(path: Path, entry: dict) -> ExpectedDifference:
    missing = {"case", "workers", "field", "reason"} - set(entry)
    if missing:
        raise ValueError(f"{path}: an expected difference lacks {sorted(missing)}: {entry}")
    if entry["field"] not in FIELDS:
        raise ValueError(f"{path}: field of {entry['case']} must be one of {FIELDS}, got {entry['field']!r}")
    if not entry["reason"].strip():
        raise ValueError(f"{path}: the expected difference of {entry['case']} needs a reason")
    names = frozenset(registry.get(worker).name for worker in entry["workers"])
    return ExpectedDifference(entry["case"], names, entry["field"], entry["reason"].strip())


@dataclass
class Judgement:
    """What one comparison means: divergences nobody declared, declared ones seen, declared ones not seen."""

    unexpected: list[Divergence]
    expected: list[tuple[Divergence, ExpectedDifference]]
    not_observed: list[ExpectedDifference]

    @property
    def failed(self) -> bool:
        return bool(self.unexpected or self.not_observed)

    def outcome_of(self, worker: str) -> str:
        """pass, fail or xfail for one worker (a worker outside the majority is the one that diverges)."""
        if any(worker in divergence.minority for divergence in self.unexpected) or self.not_observed:
            return "fail"
        if any(worker in expectation.workers for _, expectation in self.expected):
            return "xfail"
        return "pass"

    def report(self, heading: str) -> str:
        sections = [heading]
        sections += [divergence.render() for divergence in self.unexpected]
        sections += [
            f"{divergence.render()}\n(expected difference: {expectation.reason})"
            for divergence, expectation in self.expected
        ]
        sections += [_not_observed(expectation) for expectation in self.not_observed]
        return "\n\n".join(sections)


def _not_observed(expectation: ExpectedDifference) -> str:
    workers = ", ".join(sorted(expectation.workers))
    return (
        f"expected difference not observed: {expectation.field} of {workers} ({expectation.reason}); "
        f"all workers agree now, so remove it from {EXPECTED_PATH.name}"
    )


def judge(case_id: str, views: dict[str, dict[str, object]], expected: list[ExpectedDifference]) -> Judgement:
    names = list(views)
    declared = [e for e in expected if e.case == case_id and e.applies_to(names)]
    judgement = Judgement([], [], [])
    divergences = compare(views)
    for divergence in divergences:
        match = next((e for e in declared if e.field == divergence.field and _explains(e, divergence)), None)
        if match is None:
            judgement.unexpected.append(divergence)
        else:
            judgement.expected.append((divergence, match))
    seen = {e for _, e in judgement.expected}
    judgement.not_observed = [e for e in declared if e not in seen]
    return judgement


def _explains(expectation: ExpectedDifference, divergence: Divergence) -> bool:
    """True when the workers outside the declaration all agree, so only listed workers differ."""
    unlisted_groups = [workers for workers, _ in divergence.groups if set(workers) - expectation.workers]
    return len(unlisted_groups) == 1
