"""Judging the workers' answers to one case: compared with each other field by field (status, every header but the
transport ones, body bytes) once the masks are applied, each checked against what is expected of it (the case's
`expect`, a plug-in's oracle), and the differences a project pinned as expected (judge.pins) accepted only exactly
as pinned. Without a baseline every worker must agree with every other; with one, each must agree with it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from workers_parity.http.reply import Reply
from workers_parity.judge import oracle
from workers_parity.judge.diff import body_diff
from workers_parity.judge.masks import Mask, Tally, View
from workers_parity.judge.oracle import Mismatch

if TYPE_CHECKING:
    from workers_parity.judge.pins import PinnedAnswer, PinnedDifference

Targets = dict[str, tuple[str, str | None]]  # label -> (worker name, runtime; None for a --base-url worker)


class Check(Protocol):
    """What a worker's answer must be, whatever the others answer: a case's `expect`, or an oracle's Expectation."""

    summary: str

    def mismatches(self, reply: Reply, *, status_and_body: bool = True) -> list[Mismatch]: ...


def view_of(reply: Reply) -> View:
    """The fields byte parity compares: "status", "header NAME" for every non-transport header, "body"."""
    view: View = {"status": reply.status}
    view.update({f"header {name}": values for name, values in reply.compared_headers().items()})
    view["body"] = reply.body
    return view


def answer_of(view: View) -> tuple[int, str]:
    """A compared answer as an expected difference pins it: status and sha256 of the compared (masked) body."""
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

    def apart_from(self, baseline: str) -> tuple[str, ...] | None:
        """The workers whose value is not the baseline's; None when the baseline gave none."""
        for workers, _ in self.groups:
            if baseline in workers:
                return tuple(label for others, _ in self.groups if others != workers for label in others)
        return None

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


def fields_of(views: dict[str, View]) -> list[str]:
    """Status, every header any worker sent (sorted), body."""
    headers = sorted({key for view in views.values() for key in view if key.startswith("header ")})
    return ["status", *headers, "body"]


def compare(views: dict[str, View]) -> list[Divergence]:
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
            f"Update or remove the entry of {pin.case} in the expected differences ({pin.reason})"
        )


@dataclass
class Judgement:
    """What one comparison means: divergences nobody pinned, answers that are not the expected ones, pinned answers
    that changed, and the pinned divergences seen."""

    unexpected: list[Divergence] = field(default_factory=list)
    wrong: dict[str, list[Mismatch]] = field(default_factory=dict)  # label -> how it is not the expected answer
    summary: str = ""  # the expected answer in a few words
    changed: list[Changed] = field(default_factory=list)
    expected: list[Divergence] = field(default_factory=list)
    pin: PinnedDifference | None = None
    deviating: frozenset[str] = frozenset()  # labels the pin says answer differently
    baseline: str | None = None  # the label the others are judged against; None: all must agree

    @property
    def failed(self) -> bool:
        return bool(self.unexpected or self.wrong or self.changed)

    @property
    def eventful(self) -> bool:
        return self.failed or bool(self.expected)

    def outcome_of(self, label: str) -> str:
        """pass, fail or xfail for one worker: a worker whose answer is not the expected one fails, and so does one
        whose pinned answer changed; of a divergence nobody pinned, the workers it is blamed on fail."""
        if label in self.wrong or any(change.label == label for change in self.changed):
            return "fail"
        if any(label in self.blamed(divergence) for divergence in self.unexpected):
            return "fail"
        if self.expected and label in self.deviating:
            return "xfail"
        return "pass"

    def blamed(self, divergence: Divergence) -> tuple[str, ...]:
        """The workers a divergence counts against: those an expectation found wrong; else those apart from the
        baseline; else the outvoted (everyone, when no strict majority agrees)."""
        wrong = tuple(label for workers, _ in divergence.groups for label in workers if label in self.wrong)
        if wrong:
            return wrong
        apart = divergence.apart_from(self.baseline) if self.baseline else None
        return apart if apart is not None else divergence.outvoted

    @property
    def reasons(self) -> list[str]:
        return [self.pin.reason] if self.pin and self.expected else []

    def reasons_of(self, label: str) -> list[str]:
        return self.reasons if label in self.deviating else []

    def report(self, heading: str) -> str:
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
    masks: Sequence[Mask] = (),
    tally: Tally | None = None,
    checks: dict[str, Sequence[Check]] | None = None,
    pins: Sequence[PinnedDifference] = (),
    baseline: str | None = None,
) -> Judgement:
    """Compare the replies field by field, masks applied, and check each against its checks.

    Replies are keyed by target label (a worker name, or name@runtime when one worker runs in several runtimes);
    `targets` maps each label to its worker name and runtime (None: an external worker). A pinned expected
    difference of this case lets status and body differ, as long as every worker gives exactly its pinned answer.
    """
    targets = targets if targets is not None else {label: (label, None) for label in replies}
    tally = tally if tally is not None else Tally()
    views = {label: tally.masked(view_of(reply), masks) for label, reply in replies.items()}
    judgement = Judgement(pin=next((pin for pin in pins if pin.case == case_id), None), baseline=baseline)
    pinned = _check_pins(judgement, views, targets)
    for divergence in compare(views):
        explained = divergence.field in ("status", "body") and pinned and not judgement.changed
        (judgement.expected if explained else judgement.unexpected).append(divergence)
    for label, label_checks in (checks or {}).items():
        for check in label_checks:
            judgement.summary = judgement.summary or check.summary
            mismatches = check.mismatches(replies[label], status_and_body=label not in judgement.deviating)
            if mismatches:
                judgement.wrong.setdefault(label, []).extend(mismatches)
    return judgement


def _check_pins(judgement: Judgement, views: dict[str, View], targets: Targets) -> bool:
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
