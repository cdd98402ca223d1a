"""Follow the dev servers' log files and echo each new line to the terminal, prefixed and coloured by worker.

What `docker compose up` and honcho do. The log files stay the single source (each server writes only its file);
a daemon thread polls them from where they ended when the stream started, so nothing of earlier runs is repeated.

Escape sequences and carriage returns are stripped from the lines: they carry wrangler's colours or redraw a
spinner, which would reset the worker's colour or overwrite the prefix; box-drawing characters and emoji are plain
text and stay. rich colours the prefix, and only on a terminal without NO_COLOR.
"""

from __future__ import annotations

import errno
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from rich.console import Console
from rich.text import Text

from workers_parity.render.terminal import WORKER_COLOURS

POLL_SECONDS = 0.2
STOP_WAIT_SECONDS = 2.0  # a thread stuck writing to a frozen terminal is left behind (a daemon: it cannot hold us)
ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])")
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def colour(index: int) -> str:
    """The colour of the index-th worker (the palette's, render.terminal); more workers than colours repeat."""
    return WORKER_COLOURS[index % len(WORKER_COLOURS)]


class _TerminalConsole(Console):
    def on_broken_pipe(self) -> None:
        """rich's default points stdout at /dev/null and exits, for the whole process; here only the echo stops."""
        raise OSError(errno.EPIPE, "the terminal's pipe is closed")


def console(file: IO[str] | None = None, **options) -> Console:
    """Lines as they are: no rich markup, highlighting or emoji codes in them, never wrapped or cropped."""
    return _TerminalConsole(file=file, markup=False, highlight=False, emoji=False, soft_wrap=True, **options)


@dataclass
class Source:
    """One log file, followed from the size it had when the stream was created."""

    name: str
    path: Path
    style: str = ""
    position: int = 0
    partial: bytes = field(default=b"", repr=False)

    def __post_init__(self) -> None:
        self.position = self.path.stat().st_size if self.path.exists() else 0

    def new_lines(self, final: bool = False) -> list[str]:
        """Complete lines written since the last call; with final, an unfinished last line too."""
        chunk = self._read()
        *lines, self.partial = (self.partial + chunk).split(b"\n")
        if final and self.partial:
            lines.append(self.partial)
            self.partial = b""
        return [readable(line.decode(errors="replace")) for line in lines]

    def _read(self) -> bytes:
        try:
            with self.path.open("rb") as log:
                if log.seek(0, 2) < self.position:  # truncated: start over
                    self.position, self.partial = 0, b""
                log.seek(self.position)
                chunk = log.read()
        except FileNotFoundError:
            return b""
        self.position += len(chunk)
        return chunk


def readable(line: str) -> str:
    """What a terminal would show of the line: the text after its last carriage return, without escapes."""
    line = ESCAPES.sub("", line).rstrip("\r")
    return CONTROLS.sub("", line.rsplit("\r", 1)[-1])


class LogStream:
    """Echo new lines of every source until stopped; stops by itself for good once the terminal is gone."""

    def __init__(self, sources: list[Source], terminal: Console | None = None) -> None:
        self.sources = sources
        self.terminal = terminal or console()
        width = max((len(source.name) for source in sources), default=0)
        self.prefixes = {source.name: (f"{source.name:<{width}} | ", source.style) for source in sources}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="log-stream", daemon=True)

    def start(self) -> LogStream:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Echo what was written up to now, then end; never waits long, whatever the terminal does."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(STOP_WAIT_SECONDS)

    def __enter__(self) -> LogStream:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            while not self._stop.wait(POLL_SECONDS):
                self._echo_new_lines()
            self._echo_new_lines(final=True)
        except OSError:  # EIO once the window is closed, EPIPE from a closed pipe: nobody is reading any more
            return

    def _echo_new_lines(self, final: bool = False) -> None:
        for source in self.sources:
            for line in source.new_lines(final):
                self.terminal.print(Text.assemble(self.prefixes[source.name], line))
