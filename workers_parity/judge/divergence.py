"""Judging the workers' answers to one request (CONTRACT.md C14): compared with each other field by field (status,
every header but the transport ones, body bytes) and each checked against the contract's answer (judge.oracle),
with readable diffs, and the differences pinned as expected in shared-tests/expected-differences.toml
(workers_parity.judge.pins)."""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from workers_parity.http.reply import Reply

if TYPE_CHECKING:
    from workers_parity.judge.oracle import Expectation, Mismatch
    from workers_parity.judge.pins import PinnedAnswer, PinnedDifference

COUNTER_VALUE = re.compile(rb'<span id="count">\d+</span>')
NOT_COMPACT = "(not in compact JSON form)"
OWN_NAME = "(the worker's own name)"  # x-worker may differ (C14.2) as long as each names itself (C1.1)
DIFF_CONTEXT_LINES = 2
UNREADABLE_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
Targets = dict[str, tuple[str, str | None]]  # label -> (worker name, runtime; None for a --base-url worker)


def comparable(reply: Reply, compare: str = "bytes", worker: str | None = None) -> dict[str, object]:
    """The fields byte parity compares ("status", "header NAME" for every non-transport header, "body"), with only
    the differences C14.2 allows masked: x-worker naming `worker`, and the body as the case's compare mode says."""
    view: dict[str, object] = {"status": reply.status}
    for name, values in reply.compared_headers().items():
        view[f"header {name}"] = (OWN_NAME,) if name == "x-worker" and values == (worker,) else values
    view["body"] = reply.body
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
    shape = json.dumps(dict.fromkeys(document, "(value masked)"), separators=(",", ":"))
    return (shape if compact_json(document, body) else shape + "\n" + NOT_COMPACT).encode()


def compact_json(document: object, body: bytes) -> bool:
    """Is `body` the compact JSON form of `document` (no spaces, UTF-8 unescaped), as C9 wants /status?"""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode() == body


def answer_of(view: dict[str, object]) -> tuple[int, str]:
    """A compared answer as an expected difference pins it: status and sha256 of the compared body."""
    return view["status"], hashlib.sha256(view["body"]).hexdigest()


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

    @property
    def outvoted(self) -> tuple[str, ...]:
        """The minority when the majority holds more than half of the workers; else all of them, none being more
        right than the others (the minority's tie-breaker is only an order)."""
        size = sum(len(workers) for workers, _ in self.groups)
        if len(self.majority) * 2 > size:
            return self.minority
        return tuple(worker for workers, _ in self.groups for worker in workers)

    def render(self) -> str:
        if self.field == "body":
            return _render_body(self)
        lines = [f"{self.field} differs:"]
        lines += [f"  {', '.join(workers)}: {_shown(value)}" for workers, value in self.groups]
        return "\n".join(lines)


def _shown(value: object) -> str:
    if value is None:
        return "(absent)"
    if isinstance(value, tuple):
        return ", ".join(repr(item) for item in value)
    return repr(value)


def fields_of(views: dict[str, dict[str, object]]) -> list[str]:
    """Status, every header any worker sent (sorted), body."""
    headers = sorted({key for view in views.values() for key in view if key.startswith("header ")})
    return ["status", *headers, "body"]


def compare(views: dict[str, dict[str, object]]) -> list[Divergence]:
    """Compare the views of several workers (keyed by label, first = tie-breaker) field by field; a header one
    worker did not send counts as None."""
    order = list(views)
    divergences = []
    for name in fields_of(views):
        groups: dict[object, list[str]] = {}
        for worker, view in views.items():
            groups.setdefault(view.get(name), []).append(worker)
        if len(groups) > 1:
            ranked = sorted(groups.items(), key=lambda item: (-len(item[1]), order.index(item[1][0])))
            divergences.append(Divergence(name, tuple((tuple(workers), value) for value, workers in ranked)))
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
    if not diff:  # same text after decoding: the bytes differ in invalid UTF-8 only, or one is a prefix
        offset = next((i for i, (a, b) in enumerate(zip(expected, actual, strict=False)) if a != b), None)
        if offset is None:
            return f"  one body is the other plus {abs(len(expected) - len(actual))} bytes"
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
class Changed:
    """A worker whose answer to a pinned case is no longer the pinned one."""

    label: str
    pinned: PinnedAnswer
    actual: tuple[int, str]

    def render(self, pin: PinnedDifference) -> str:
        return (
            f"{self.label} changed its answer to a pinned expected difference: pinned status {self.pinned.status}, "
            f"body sha256 {self.pinned.sha256}; got status {self.actual[0]}, body sha256 {self.actual[1]}. "
            f"Update or remove the entry of {pin.case} in expected-differences.toml ({pin.reason})"
        )


@dataclass
class Judgement:
    """What one comparison means: divergences nobody pinned, answers that are not the contract's, pinned answers
    that changed, and the pinned divergences seen."""

    unexpected: list[Divergence] = field(default_factory=list)
    wrong: dict[str, list[Mismatch]] = field(default_factory=dict)  # label -> its mismatches with the oracle
    summary: str = ""  # the contract's answer in a few words
    changed: list[Changed] = field(default_factory=list)
    expected: list[Divergence] = field(default_factory=list)
    pin: PinnedDifference | None = None
    deviating: frozenset[str] = frozenset()  # labels the pin says answer differently from the contract

    @property
    def failed(self) -> bool:
        return bool(self.unexpected or self.wrong or self.changed)

    @property
    def eventful(self) -> bool:
        return self.failed or bool(self.expected)

    def outcome_of(self, label: str) -> str:
        """pass, fail or xfail for one worker: a worker whose answer is not the contract's fails, and so does one
        whose pinned answer changed; of a divergence nobody pinned that the oracle cannot blame, the workers outside
        the majority fail."""
        if label in self.wrong or any(change.label == label for change in self.changed):
            return "fail"
        if any(label in self.blamed(divergence) for divergence in self.unexpected):
            return "fail"
        if self.expected and label in self.deviating:
            return "xfail"
        return "pass"

    def blamed(self, divergence: Divergence) -> tuple[str, ...]:
        """The workers a divergence counts against: those the oracle found wrong, else the minority."""
        wrong = tuple(label for workers, _ in divergence.groups for label in workers if label in self.wrong)
        return wrong or divergence.minority

    @property
    def reasons(self) -> list[str]:
        return [self.pin.reason] if self.pin and self.expected else []

    def reasons_of(self, label: str) -> list[str]:
        return self.reasons if label in self.deviating else []

    def report(self, heading: str) -> str:
        from workers_parity.judge import oracle

        sections = [heading]
        sections += [divergence.render() for divergence in self.unexpected]
        sections += [oracle.render(label, mismatches, self.summary) for label, mismatches in self.wrong.items()]
        sections += [change.render(self.pin) for change in self.changed]
        sections += [
            f"{divergence.render()}\n(expected difference of {', '.join(sorted(self.deviating))}: {self.pin.reason})"
            for divergence in self.expected
        ]
        return "\n\n".join(sections)


def judge(
    case_id: str,
    replies: dict[str, Reply],
    targets: Targets | None = None,
    *,
    compare_mode: str = "bytes",
    expectations: dict[str, Expectation] | None = None,
    pins: list[PinnedDifference] = (),
) -> Judgement:
    """Compare the replies field by field and check each against its expectation (the contract's answer).

    Replies are keyed by target label (a worker name, or name@runtime when one worker runs in several runtimes);
    `targets` maps each label to its worker name and runtime (None: an external worker). A pinned expected
    difference of this case lets status and body differ, as long as every worker gives exactly its pinned answer.
    """
    targets = targets if targets is not None else {label: (label, None) for label in replies}
    views = {label: comparable(reply, compare_mode, targets[label][0]) for label, reply in replies.items()}
    judgement = Judgement(pin=next((pin for pin in pins if pin.case == case_id), None))
    pinned = _check_pins(judgement, views, targets)
    for divergence in compare(views):
        explained = divergence.field in ("status", "body") and pinned and not judgement.changed
        (judgement.expected if explained else judgement.unexpected).append(divergence)
    for label, expectation in (expectations or {}).items():
        judgement.summary = expectation.summary
        mismatches = expectation.mismatches(replies[label], status_and_body=label not in judgement.deviating)
        if mismatches:
            judgement.wrong[label] = mismatches
    return judgement


def _check_pins(judgement: Judgement, views: dict[str, dict[str, object]], targets: Targets) -> bool:
    """Record pinned answers that changed and the deviating labels; True when every target has a pinned answer."""
    pin = judgement.pin
    if pin is None:
        return False
    answers = {label: pin.answer_for(*targets[label]) for label in views}
    for label, pinned in answers.items():
        actual = answer_of(views[label])
        if pinned is not None and (pinned.status, pinned.sha256) != actual:
            judgement.changed.append(Changed(label, pinned, actual))
    judgement.deviating = frozenset(
        label for label in views if targets[label][0] in pin.workers and answers[label] is not None
    )
    return all(answer is not None for answer in answers.values())
