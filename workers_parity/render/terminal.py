"""The terminal, drawn with rich: consoles coloured only on a TTY without NO_COLOR, one palette, tables."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Sequence
from typing import IO

from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

# The palette every command uses, named for what a colour says.
GOOD = "green"
BAD = "bold red"
WARN = "yellow"
QUIET = "dim"
TITLE = "bold cyan"
COMMAND = "yellow"
STRONG = "bold"
# One colour per worker, in the order the workers are listed (`dev` prefixes each server's log lines with it).
WORKER_COLOURS = ("cyan", "magenta", "yellow", "green", "blue", "bright_red")

PLAIN_WIDTH = 120  # when not a TTY (a CI log): lines may be longer than a terminal, tables still read well
WIDE_TABLES = 240  # when not a TTY, for wide tables (the report's versions, the bench's twelve columns)


def use_colour(stream: IO[str]) -> bool:
    return not os.environ.get("NO_COLOR") and hasattr(stream, "isatty") and stream.isatty()


def console(
    stream: IO[str] | None = None,
    *,
    colour: bool | None = None,
    width: int | None = None,
    plain_width: int = PLAIN_WIDTH,
) -> Console:
    """A console on `stream` (stdout): `width` wide, else as wide as the terminal, or `plain_width` in a log.

    Markup, highlighting and emoji codes stay off: what we print is data (request bodies, error texts), never markup.
    """
    stream = stream or sys.stdout
    tty = hasattr(stream, "isatty") and stream.isatty()
    colour = use_colour(stream) if colour is None else colour
    return Console(
        file=stream,
        width=width or (None if tty else plain_width),
        force_terminal=True if colour else None if tty else False,  # NO_COLOR on a TTY: still bars, no colour
        no_color=not colour,
        color_system="standard" if colour else None,
        markup=False,
        highlight=False,
        emoji=False,
    )


def captured(colour: bool, width: int = PLAIN_WIDTH) -> Console:
    """A console writing to memory; `text_of` reads what was printed."""
    return console(io.StringIO(), colour=colour, width=width)


def text_of(printed: Console) -> str:
    """What a `captured` console holds, without the padding rich adds at the end of lines."""
    return "\n".join(line.rstrip() for line in printed.file.getvalue().rstrip("\n").splitlines())


def render(*items: RenderableType, colour: bool = False, width: int = PLAIN_WIDTH) -> str:
    printed = captured(colour, width)
    for item in items:
        printed.print(item)
    return text_of(printed)


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str | Text]],
    title: str | None = None,
    no_wrap: bool = False,
    max_width: int | None = None,
) -> Table:
    """Columns with a rule under the header, no outer frame; cells may be styled Text, long words fold."""
    shown = Table(
        title=title,
        title_justify="left",
        title_style=STRONG,
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
    )
    for header in headers:
        shown.add_column(header, no_wrap=no_wrap, max_width=max_width, overflow="fold")
    for row in rows:
        shown.add_row(*row)
    return shown
