"""The report's matrices: cases × workers, built from the test records, and the cells any other table (a plug-in's,
such as this repository's contract rules × workers) is drawn with."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from workers_parity.plugins.results import TestRecord


class Notes:
    """Numbered footnotes for skip and expected-difference reasons, so matrix cells stay short."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}

    def number(self, reason: str) -> int:
        return self.numbers.setdefault(reason or "(no reason given)", len(self.numbers) + 1)


@dataclass
class Cell:
    """The outcomes of every test in one matrix cell, shown as one state."""

    counts: Counter = field(default_factory=Counter)
    reasons: dict[str, list[str]] = field(default_factory=dict)  # outcome -> distinct reasons

    def add(self, outcome: str, reason: str) -> None:
        self.counts[outcome] += 1
        if outcome in ("skip", "xfail") and reason not in self.reasons.setdefault(outcome, []):
            self.reasons[outcome].append(reason)

    @property
    def state(self) -> str:
        for outcome in ("error", "fail", "xfail", "pass", "skip"):
            if self.counts[outcome]:
                return "fail" if outcome == "error" else outcome
        return "none"

    def text(self, notes: Notes, with_counts: bool) -> str:
        state, total = self.state, sum(self.counts.values())
        failed = self.counts["fail"] + self.counts["error"]
        if state == "fail":
            return f"✗ {failed}/{total} failed" if with_counts else "✗ FAIL"
        if state == "none":
            return "·"
        refs = "".join(f"[{notes.number(reason)}]" for reason in self.reasons.get(state, []))
        if state == "xfail":
            rest = f" + ✓ {self.counts['pass']}" if with_counts and self.counts["pass"] else ""
            return f"≠ expected{refs}{rest}"
        if state == "skip":
            return f"– skip{refs}"
        skip_refs = "".join(f"[{notes.number(reason)}]" for reason in self.reasons.get("skip", []))
        skipped = f" (– {self.counts['skip']}{skip_refs})" if with_counts and self.counts["skip"] else ""
        return f"✓ {self.counts['pass']}{skipped}" if with_counts else "✓"


@dataclass
class Matrix:
    title: str
    rows: dict[str, dict[str, Cell]]  # row label -> target id -> cell
    row_notes: dict[str, str]  # row label -> a short description (rule title, case rules)
    with_counts: bool
    header: tuple[str, str]


def per_target(test: TestRecord, columns: list[str]) -> dict[str, tuple[str, str]]:
    """The outcome and reason of one test for each target it concerns (every column for a test about none)."""
    outcomes = {}
    for cell in test.cells:
        for target in [cell.target] if cell.target is not None else columns:
            outcomes[target] = (cell.outcome, cell.reason)
    return outcomes


def case_matrix(tests: list[TestRecord], columns: list[str]) -> Matrix:
    """One row per case (per test that names one), one column per target."""
    rows: dict[str, dict[str, Cell]] = {}
    notes = {}
    for test in tests:
        if test.case is None:
            continue
        notes[test.case] = " ".join(test.rules)
        for target, (outcome, reason) in per_target(test, columns).items():
            rows.setdefault(test.case, {}).setdefault(target, Cell()).add(outcome, reason)
    header = ("case", "rules") if any(notes.values()) else ("case", "")
    return Matrix("Cases × workers", rows, notes, False, header)
