"""The cells of reports/parity.json (every test and case × worker × runtime, with its outcome and diff, flat, for
tools) and the comparison with the last run's: the cells that newly fail and those that newly pass."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from workers_parity.plugins.results import FAILED, TestRecord

FORMAT = 1


@dataclass(frozen=True)
class Change:
    test: str
    target: str | None
    before: str  # an outcome, or "absent" when the last run had no such cell
    after: str

    @property
    def label(self) -> str:
        return f"{self.test} · {self.target}" if self.target else self.test


@dataclass
class SinceLast:
    run: dict  # the last run's id, commit, command and times
    newly_failing: list[Change] = field(default_factory=list)
    newly_passing: list[Change] = field(default_factory=list)


def cells(tests: list[TestRecord]) -> list[dict]:
    """One row per test × target, flat, so that a tool can filter without knowing the report's structure."""
    rows = []
    for test in tests:
        for cell in test.cells:
            diff = cell.divergence or (test.details or test.message if cell.outcome in FAILED else "")
            rows.append(
                {
                    "test": test.id,
                    "case": test.case,
                    "rules": test.rules,
                    "target": cell.target,
                    "worker": cell.worker,
                    "runtime": cell.runtime,
                    "outcome": cell.outcome,
                    "reason": cell.reason,
                    "diff": diff,
                }
            )
    return rows


def read_previous(path: Path) -> dict | None:
    """The last run's parity.json, or None when there is none (or it is not one this report can read)."""
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return previous if isinstance(previous, dict) and previous.get("format") == FORMAT else None


def since_last(previous: dict, current: list[dict]) -> SinceLast:
    before = {(row["test"], row["target"]): row["outcome"] for row in previous.get("cells", [])}
    changes = SinceLast(previous.get("run") or {})
    for row in current:
        was, now = before.get((row["test"], row["target"]), "absent"), row["outcome"]
        change = Change(row["test"], row["target"], was, now)
        if now in FAILED and was not in FAILED:
            changes.newly_failing.append(change)
        elif now in ("pass", "xfail") and was in FAILED:
            changes.newly_passing.append(change)
    return changes
