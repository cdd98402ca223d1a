"""HTML: escaped text, tables and one self-contained page (inline CSS and SVG, no scripts, in-page links only)."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #1b1f24; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #d0d7de; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #d0d7de; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
pre { background: #f6f8fa; padding: .8em; overflow-x: auto; font-size: 12.5px; }
figure { margin: 1em 0; } figcaption { color: #57606a; font-size: .9em; } svg { max-width: 100%; height: auto; }
a { color: #0969da; }
"""

Cell = str | tuple[str, str]  # plain text, or (CSS class, HTML that is escaped already)


def escape(text: object) -> str:
    return html.escape(str(text), quote=True)


def _cell(value: Cell) -> str:
    if isinstance(value, tuple):
        css_class, content = value
        return f'<td class="{css_class}">{content}</td>' if css_class else f"<td>{content}</td>"
    return f"<td>{escape(value)}</td>"


def table(headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    head = "".join(f"<th>{escape(header)}</th>" for header in headers)
    body = "".join("<tr>" + "".join(map(_cell, row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def bullets(items: Iterable[str]) -> str:
    """A list of items that are HTML already; nothing for no items."""
    items = list(items)
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>" if items else ""


def page(title: str, body: Iterable[str], css: str = "") -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{CSS}{css}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
