"""Progress of a long job: a rich bar with elapsed and remaining time on a terminal, and in a log (no TTY) one
timestamped line per finished step. Both show each step's line, so a terminal keeps what a log would have."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.text import Text

from parity.render import terminal

_CLOCK_ZERO = time.monotonic()


def stamp(message: str) -> str:
    """A log line with the seconds since this process began."""
    return f"[{time.monotonic() - _CLOCK_ZERO:6.1f}s] {message}"


class Steps:
    """A job of `total` steps: `doing` says what runs now (on the bar), `done` finishes a step and says how it went."""

    def __init__(self, description: str, total: int, console: Console) -> None:
        self.description, self.total, self.console = description, total, console
        self.finished = 0
        self._lock = threading.Lock()  # steps may finish on several threads at once
        self._bar: Progress | None = None
        self._task = None

    def _start(self) -> None:
        if self.console.is_terminal:
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                console=self.console,
                transient=True,
            )
            self._task = self._bar.add_task(self.description, total=self.total)
            self._bar.start()

    def _stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()

    def doing(self, what: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, description=f"{self.description}: {what}")

    def done(self, line: str, style: str = "") -> None:
        with self._lock:
            self.finished += 1
            self.say(f"[{self.finished}/{self.total}] {line}", style)
            if self._bar is not None:
                self._bar.update(self._task, completed=self.finished, description=self.description)

    def say(self, line: str, style: str = "") -> None:
        """A line of its own, above the bar on a terminal; never wrapped, so that a log keeps it on one line."""
        self.console.print(Text(stamp(line), style), soft_wrap=True)


@contextmanager
def steps(description: str, total: int, console: Console | None = None) -> Iterator[Steps]:
    job = Steps(description, total, console or terminal.console())
    job._start()
    try:
        yield job
    finally:
        job._stop()


def say(line: str, style: str = "", console: Console | None = None) -> None:
    """A timestamped line outside any job."""
    (console or terminal.console()).print(Text(stamp(line), style), soft_wrap=True)
