"""Markdown: tables whose cells stay one cell whatever they hold, code spans, and text that never turns into HTML."""

from __future__ import annotations

from collections.abc import Sequence


class Inline(str):
    """Text that is Markdown already (code spans, emphasis, <br>): a table keeps it as it is."""


def plain(text: str) -> str:
    """Plain text for a table cell or list item: backslashes stay backslashes, `|` and line breaks stay in one cell."""
    return _one_cell(str(text).replace("\\", "\\\\"))


def _one_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def cell(value: str) -> str:
    return _one_cell(value) if isinstance(value, Inline) else plain(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub table; a cell is plain text unless it is `Inline` Markdown."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(map(cell, cells)) + " |"

    return "\n".join([line(headers), line([Inline("---")] * len(headers)), *map(line, rows)])


def code(text: str) -> Inline:
    """An inline code span, also around text that holds backquotes (entities stay literal inside code spans)."""
    fence, padding = ("``", " ") if "`" in text else ("`", "")
    return Inline(f"{fence}{padding}{text}{padding}{fence}")


def text(words: str) -> Inline:
    """Words shown as written, never read as HTML (a title such as `a <script> name`)."""
    return Inline(words.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
