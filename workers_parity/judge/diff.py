"""Readable differences between two bodies: a unified diff of the decoded texts, invisible characters escaped."""

from __future__ import annotations

import difflib
import unicodedata

DIFF_CONTEXT_LINES = 2
UNREADABLE_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def body_diff(expected: bytes, actual: bytes, expected_label: str, actual_label: str) -> str:
    """A unified diff of the decoded bodies; control and invisible characters are shown escaped."""
    before = readable(expected.decode("utf-8", "replace")).splitlines(keepends=False)
    after = readable(actual.decode("utf-8", "replace")).splitlines(keepends=False)
    diff = list(
        difflib.unified_diff(
            before, after, f"{expected_label} (body)", f"{actual_label} (body)", n=DIFF_CONTEXT_LINES, lineterm=""
        )
    )
    if not diff:  # same text after decoding: the bytes differ in invalid UTF-8 only, or one is a prefix
        offset = next((i for i, (a, b) in enumerate(zip(expected, actual, strict=False)) if a != b), None)
        if offset is None:
            return f"  one body is the other plus {abs(len(expected) - len(actual))} bytes"
        return (
            f"  the decoded texts are equal; the bytes first differ at offset {offset}: "
            f"{expected[offset : offset + 16].hex(' ')} vs {actual[offset : offset + 16].hex(' ')}"
        )
    return "\n".join(diff)


def readable(text: str) -> str:
    """Escape what would be invisible or break a line in a diff, keeping the line feeds that structure pages."""
    return "".join(_escape(character) for character in text)


def _escape(character: str) -> str:
    if character in "\n\t" or unicodedata.category(character) not in UNREADABLE_CATEGORIES:
        return character
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def body_summary(body: bytes) -> str:
    shown = body if len(body) <= 80 else body[:60] + b"..." + body[-12:]
    return f"{len(body)} bytes {shown!r}"
