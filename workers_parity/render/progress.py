"""Progress of a long job: a rich bar with elapsed and remaining time on a terminal, and in a log (no TTY) one
timestamped line per finished step. Both show each step's line, so a terminal keeps what a log would have.

A long step that only some runs need (the first run's installs) is `underway`: a line when it starts, saying why, and
one when it ends, with its duration; a spinner meanwhile on a terminal. Where stdout is captured (a pytest fixture),
`routed` sends the lines elsewhere."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from workers_parity.render import terminal

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
            _spinner.showing.append(self.console)

    def _stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            _spinner.showing.remove(self.console)

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
    """A timestamped line outside any job: above the bar or spinner showing now, if any, else on stdout."""
    if console is None and _spinner.route is not None:
        _spinner.route(stamp(line))
        return
    console = console or _spinner.showing_on() or terminal.console()
    console.print(Text(stamp(line), style), soft_wrap=True)


def seconds_text(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"


class Underway:
    """One long step: `begin` says what starts and why, `end` how long it took (or that it failed)."""

    def __init__(self, what: str, why: str, console: Console | None = None) -> None:
        self.what, self.why, self.console = what, why, console
        self.started: float | None = None
        self._task: TaskID | None = None

    def begin(self) -> Underway:
        say(f"{self.what} ({self.why}) ...", console=self.console)
        self.started = time.monotonic()
        self._task = _spinner.add(self.what, self.console)
        return self

    def end(self, failed: bool = False) -> float:
        """The step's seconds; said once, however often it is ended."""
        if self.started is None:
            return 0.0
        seconds, self.started = time.monotonic() - self.started, None
        _spinner.remove(self._task)
        if failed:
            say(f"{self.what}: failed after {seconds_text(seconds)}", terminal.BAD, self.console)
        else:
            say(f"{self.what}: done in {seconds_text(seconds)}", terminal.GOOD, self.console)
        return seconds


@contextmanager
def underway(what: str, why: str, console: Console | None = None) -> Iterator[Underway]:
    step = Underway(what, why, console).begin()
    try:
        yield step
    except BaseException:
        step.end(failed=True)
        raise
    step.end()


@contextmanager
def routed(write: Callable[[str], None]) -> Iterator[None]:
    """Meanwhile, lines said without a console of their own go to `write` (one timestamped line each), no spinner."""
    previous, _spinner.route = _spinner.route, write
    try:
        yield
    finally:
        _spinner.route = previous


class _Spinner:
    """One spinner line per step underway, all on one transient display; none while a Steps bar shows, in a log, or
    when routed: the start and end lines say it all there."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # steps run on several threads at once (parallel server starts)
        self.bar: Progress | None = None
        self.showing: list[Console] = []  # where Steps bars show
        self.route: Callable[[str], None] | None = None

    def add(self, what: str, console: Console | None) -> TaskID | None:
        with self.lock:
            if self.bar is None:
                shown = console or terminal.console()
                if not shown.is_terminal or self.showing or self.route is not None:
                    return None
                self.bar = Progress(
                    SpinnerColumn(),
                    TextColumn("{task.description}"),
                    TimeElapsedColumn(),
                    console=shown,
                    transient=True,
                )
                self.bar.start()
            return self.bar.add_task(what, total=None)

    def showing_on(self) -> Console | None:
        """The console of a bar showing now: a line printed through another console would land inside the bar."""
        if self.bar is not None:
            return self.bar.console
        return self.showing[-1] if self.showing else None

    def remove(self, task: TaskID | None) -> None:
        with self.lock:
            if task is None or self.bar is None:
                return
            self.bar.remove_task(task)
            if not self.bar.tasks:
                self.bar.stop()
                self.bar = None


_spinner = _Spinner()
