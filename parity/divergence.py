"""Comparing the workers' answers to one request field by field (CONTRACT.md C14), with readable diffs, and the
differences declared expected in shared-tests/expected-differences.toml."""

from __future__ import annotations

import difflib
import json
import re
import tomllib
import unicodedata
from dataclasses import dataclass, replace
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
    """A difference a worker cannot avoid: its `field` differs from the reference answer (js-worker's) in `case`."""

    case: str
    worker: str  # worker name
    field: str
    reason: str
    runtime: str | None = None  # only when the worker runs on this runtime

    def for_targets(self, targets: dict[str, tuple[str, str | None]]) -> list[ExpectedDifference]:
        """This difference for each compared target (keyed by label) that is this worker on a matching runtime."""
        return [
            replace(self, worker=label)
            for label, (name, runtime) in targets.items()
            if name == self.worker and self.runtime in (None, runtime)
        ]


RUNTIMES = tuple(registry.Runtime)


def load_expected(path: Path = EXPECTED_PATH) -> list[ExpectedDifference]:
    """One ExpectedDifference per worker and field of each [[difference]] entry."""
    if not path.exists():
        return []
    with path.open("rb") as source:
        entries = tomllib.load(source).get("difference", [])
    return [expected for entry in entries for expected in _expand(path, entry)]


def _expand(path: Path, entry: dict) -> list[ExpectedDifference]:
    missing = {"case", "workers", "field", "reason"} - set(entry)
    if missing:
        raise ValueError(f"{path}: an expected difference lacks {sorted(missing)}: {entry}")
    fields = [entry["field"]] if isinstance(entry["field"], str) else entry["field"]
    if not set(fields) <= set(FIELDS):
        raise ValueError(f"{path}: fields of {entry['case']} must be among {FIELDS}, got {fields!r}")
    if not entry["reason"].strip():
        raise ValueError(f"{path}: the expected difference of {entry['case']} needs a reason")
    runtime = entry.get("runtime")
    if runtime not in (None, *RUNTIMES):
        raise ValueError(f"{path}: runtime of {entry['case']} must be one of {RUNTIMES}, got {runtime!r}")
    names = [registry.get(worker).name for worker in entry["workers"]]
    return [
        ExpectedDifference(entry["case"], name, field, entry["reason"].strip(), runtime)
        for name in names
        for field in fields
    ]


@dataclass
class Judgement:
    """What one comparison means: divergences nobody declared, declared ones seen, declared ones not seen."""

    unexpected: list[Divergence]
    expected: list[tuple[Divergence, list[ExpectedDifference]]]
    not_observed: list[ExpectedDifference]

    @property
    def failed(self) -> bool:
        return bool(self.unexpected or self.not_observed)

    def outcome_of(self, worker: str) -> str:
        """pass, fail or xfail for one worker (of an undeclared divergence, the workers outside the majority fail)."""
        if any(worker in divergence.minority for divergence in self.unexpected):
            return "fail"
        if any(expectation.worker == worker for expectation in self.not_observed):
            return "fail"
        if any(e.worker == worker for _, expectations in self.expected for e in expectations):
            return "xfail"
        return "pass"

    @property
    def reasons(self) -> list[str]:
        return list(dict.fromkeys(e.reason for _, expectations in self.expected for e in expectations))

    def reasons_of(self, worker: str) -> list[str]:
        return [
            reason
            for reason in self.reasons
            if any(e.worker == worker and e.reason == reason for _, expectations in self.expected for e in expectations)
        ]

    def report(self, heading: str) -> str:
        sections = [heading]
        sections += [divergence.render() for divergence in self.unexpected]
        sections += [
            divergence.render() + "".join(f"\n(expected difference of {e.worker}: {e.reason})" for e in expectations)
            for divergence, expectations in self.expected
        ]
        sections += [_not_observed(expectation) for expectation in self.not_observed]
        return "\n\n".join(sections)


def _not_observed(expectation: ExpectedDifference) -> str:
    return (
        f"expected difference not observed: {expectation.worker} gave the reference {expectation.field} "
        f"({expectation.reason}); remove it from {EXPECTED_PATH.name}"
    )


def judge(
    case_id: str,
    views: dict[str, dict[str, object]],
    expected: list[ExpectedDifference],
    targets: dict[str, tuple[str, str | None]] | None = None,
) -> Judgement:
    """Compare the views field by field. A declared worker must differ from the workers without a declaration
    (the reference answer), who must agree; declarations are only checked when such a reference worker takes part.

    Views are keyed by target label (a worker name, or name@runtime when one worker runs in several runtimes);
    `targets` maps each label to its worker name and runtime (None: an external worker).
    """
    targets = targets if targets is not None else {label: (label, None) for label in views}
    declared = [t for e in expected if e.case == case_id for t in e.for_targets(targets)]
    divergences = {divergence.field: divergence for divergence in compare(views)}
    judgement = Judgement([], [], [])
    for field in FIELDS:
        listed = [e for e in declared if e.field == field]
        reference = {view[field] for worker, view in views.items() if worker not in {e.worker for e in listed}}
        if not listed or not reference:  # nothing declared, or no reference worker: all must simply agree
            if field in divergences:
                judgement.unexpected.append(divergences[field])
            continue
        if len(reference) > 1:
            judgement.unexpected.append(divergences[field])
            continue
        differing = [e for e in listed if views[e.worker][field] not in reference]
        judgement.not_observed += [e for e in listed if e not in differing]
        if differing:
            judgement.expected.append((divergences[field], differing))
    return judgement
