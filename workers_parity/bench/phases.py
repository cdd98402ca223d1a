"""Start-up phases of a direct host, measured from outside: the launcher logs `timing: MARK EPOCH_MS` as each phase
ends (serve.mjs, serve-js.mjs with --timings; inside workerd time stands still while a worker starts, so the host's
own start-up lines are timed by the launcher as they arrive), and the harness adds the spawn and the moment of ready."""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable

from workers_parity.bench.results import StartupResult

SPAWN, ANSWER = "spawn", "answer"
TIMING = re.compile(r"^timing: (\S+) (\d+(?:\.\d+)?)$", re.MULTILINE)
# The marks in the order they come; a phase is named after the mark that ends it.
MARKS = [
    SPAWN,
    "launcher-up",
    "workerd-starting",
    "python-boot-begins",
    "python-interpreter-up",
    "python-ready",
    "workerd-listening",
    ANSWER,
]
PHASE_NAMES = {
    "launcher-up": "launcher up",
    "workerd-starting": "config, snapshot, modules",
    "python-boot-begins": "workerd start",
    "python-interpreter-up": "Python boot or restore",
    "python-ready": "main module import",
    "workerd-listening": "until listening",
    ANSWER: "first answer",
}


def marks(log_text: str) -> dict[str, float]:
    """Each mark's first time in the log, in epoch seconds."""
    found: dict[str, float] = {}
    for mark, epoch_ms in TIMING.findall(log_text):
        found.setdefault(mark, float(epoch_ms) / 1000)
    return found


def durations(found: dict[str, float]) -> dict[str, float]:
    """Seconds from each mark present to the next one present, named after the later mark."""
    present = [mark for mark in MARKS if mark in found]
    phases = {}
    for earlier, later in zip(present, present[1:], strict=False):
        name = PHASE_NAMES[later]
        if later == "workerd-listening" and earlier == "workerd-starting":
            name = PHASE_NAMES["python-boot-begins"]  # JavaScript: workerd starts and listens in one phase
        phases[name] = max(0.0, found[later] - found[earlier])
    return phases


def seen_in_order(results: Iterable[StartupResult]) -> list[str]:
    """The names of the phases any of the results has, in the order the phases happen."""
    seen = {name for r in results for name in r.phases}
    return [name for name in dict.fromkeys(PHASE_NAMES.values()) if name in seen]


def medians(starts: list[dict[str, float]]) -> dict[str, float]:
    """The median of each phase that every start has."""
    if not starts:
        return {}
    common = [name for name in starts[0] if all(name in start for start in starts)]
    return {name: statistics.median(start[name] for start in starts) for name in common}
