"""What a starting dev server's log says that its user should see at once: pyodide-workerd taking a memory snapshot.

serve.mjs logs `snapshot: taking FILE (WHY)` before the snapshot (tens of seconds on a first start) and
`snapshot: created FILE` after it; both become progress lines, the second with the wait's duration.
"""

from __future__ import annotations

import re
from pathlib import Path

from workers_parity.render import progress
from workers_parity.servers import logstream

TAKING = re.compile(r"^snapshot: taking \S+ \((?P<why>[^)]*)\)$")
CREATED = re.compile(r"^snapshot: created\b")


class StartLog:
    """Follows a log from where it ends now: the lines the server about to start will write."""

    def __init__(self, name: str, log_path: Path) -> None:
        self.name = name
        self.source = logstream.Source(name, log_path)
        self.step: progress.Underway | None = None

    def poll(self) -> None:
        for line in self.source.new_lines():
            taking = TAKING.match(line)
            if taking and self.step is None:
                what = f"{self.name}: making the memory snapshot"
                self.step = progress.Underway(what, taking.group("why")).begin()
            elif CREATED.match(line) and self.step is not None:
                self._end(failed=False)

    def close(self, failed: bool = False) -> None:
        """The server answers (or failed to start): a snapshot still being taken has ended with it."""
        self.poll()
        if self.step is not None:
            self._end(failed)

    def _end(self, failed: bool) -> None:
        self.step.end(failed=failed)
        self.step = None
