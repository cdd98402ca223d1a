"""How many tests a session ran, passed and skipped, from the JUnit XML its pytest wrote (standard library only).

    python .ci/tally.py [--require-a-run] FILE.xml ...

One line per file (named after the session). With --require-a-run (the noxfile passes it in CI), a session in which
no test ran — every one skipped, say for want of a tool — fails, naming the skip reasons: a green CI run means the
tests ran. Exit 0, or 1 when a file is missing or unreadable or (with --require-a-run) nothing ran.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import Path

OUTCOMES = ("passed", "failed", "errors", "skipped", "xfailed")


def outcome(case: ElementTree.Element) -> tuple[str, str]:
    """A testcase's outcome and, for a skip, its reason."""
    if case.find("failure") is not None:
        return "failed", ""
    if case.find("error") is not None:
        return "errors", ""
    skipped = case.find("skipped")
    if skipped is None:
        return "passed", ""
    if skipped.get("type") == "pytest.xfail":
        return "xfailed", ""
    reason = skipped.get("message", "")
    if reason == "collection skipped":  # a module skipped whole: the reason is in the text
        reason = (skipped.text or "").rpartition("Skipped: ")[2].rstrip("')")
    return "skipped", reason


def tally(path: Path) -> tuple[Counter, Counter]:
    """(outcome -> count, skip reason -> count) of one JUnit file."""
    counts, reasons = Counter({name: 0 for name in OUTCOMES}), Counter()
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        found, reason = outcome(case)
        counts[found] += 1
        if reason:
            reasons[reason] += 1
    return counts, reasons


def ran(counts: Counter) -> int:
    return counts["passed"] + counts["failed"] + counts["errors"] + counts["xfailed"]


def line(session: str, counts: Counter) -> str:
    parts = ", ".join(f"{counts[name]:,} {name}" for name in OUTCOMES if counts[name] or name in ("passed", "skipped"))
    return f"{session}: {ran(counts):,} tests ran of {sum(counts.values()):,} ({parts})"


def main(argv: list[str]) -> int:
    require_a_run = "--require-a-run" in argv
    status = 0
    for name in (arg for arg in argv if arg != "--require-a-run"):
        path = Path(name)
        try:
            counts, reasons = tally(path)
        except (OSError, ElementTree.ParseError) as error:
            print(f"{path.stem}: no test results ({error})")
            status = 1
            continue
        print(line(path.stem, counts))
        if require_a_run and ran(counts) == 0:
            why = "; ".join(f"{reason} ({n})" for reason, n in reasons.most_common()) or "no test was collected"
            print(f"{path.stem}: FAILED: in CI a session that ran no test fails: {why}")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
