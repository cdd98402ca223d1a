"""Cases written as TOML, in the format cases/load.py reads: the requests `workers-parity fuzz` finds (appended to
the project's found-cases file, so every later run replays them) and those `workers-parity import-har` converts."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from workers_parity.http.rawrequest import RawRequest

FOUND_HEADER = """\
# Requests `workers-parity fuzz` found: each one made the workers answer differently when it was found. They are read
# with the project's other cases, so every run replays them. Review them, fix the worker, and commit them.
#
# The format is the one of every case file (docs/reference.md), with `headers` a list of [name, value] pairs: the
# request is sent exactly as written, the headers in this order (a name may repeat), then Content-Length (or
# Transfer-Encoding: chunked with `chunked = true`, in pieces of `chunk_size` bytes) and the body. `path` and header
# values are byte strings: each code point U+0000-U+00FF is one byte, so UTF-8 text appears as its bytes
# ("caf\\u00c3\\u00a9"). `body` is UTF-8 text, `hex` any bytes; a long run is { prefix, repeat, times, suffix }.
"""
LONG_RUN = 64  # a repeated character this long is written as { repeat, times }
SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def case_id(request: RawRequest, prefix: str = "found") -> str:
    """Stable for the same request: a hash of its bytes (with a fixed Host)."""
    return f"{prefix}-" + hashlib.sha256(request.wire("host")).hexdigest()[:12]


def exact_case(
    request: RawRequest, note: str, extra: Mapping[str, object] | None = None, case: str | None = None
) -> str:
    """A case whose headers are [name, value] pairs: sent byte for byte as the request was; its id `case`, else one
    made from the request's bytes. `extra` adds keys (a plug-in's, or `mask`) after the request's own."""
    lines = [
        "[[case]]",
        f"id = {string(case or case_id(request))}",
        f"method = {string(request.method)}",
        f"path = {value(request.target, byte_string=True)}",
        f"headers = [{', '.join(_pair(name, text) for name, text in request.headers)}]",
    ]
    if request.body is not None:
        lines.append(body_line(request.body))
    if request.chunk_size is not None:
        lines += ["chunked = true", f"chunk_size = {request.chunk_size}"]
    lines += [f"{key_text(key)} = {toml_value(item)}" for key, item in (extra or {}).items()]
    lines.append(f"note = {string(note)}")
    return "\n".join(lines) + "\n"


def parsed_case(
    case: str, method: str, path: str, headers: Iterable[tuple[str, str]], body: bytes | None, note: str = ""
) -> str:
    """A case with a table of headers (text), as a person writes one."""
    lines = ["[[case]]", f"id = {string(case)}"]
    if method != "GET":
        lines.append(f"method = {string(method)}")
    lines.append(f"path = {value(path)}")
    pairs = list(headers)
    if pairs:
        lines.append("headers = { " + ", ".join(f"{key_text(name)} = {value(text)}" for name, text in pairs) + " }")
    if body is not None:
        lines.append(body_line(body))
    if note:
        lines.append(f"note = {string(note)}")
    return "\n".join(lines) + "\n"


def append(path: Path, case_text: str, header: str = FOUND_HEADER) -> bool:
    """Add the case unless the file has one with its id already; True when it was added."""
    existing = path.read_text(encoding="utf-8") if path.exists() else header
    case_line = next(line for line in case_text.splitlines() if line.startswith("id = "))
    if re.search(rf"^{re.escape(case_line)}$", existing, re.MULTILINE):
        return False
    path.write_text(existing + "\n" + case_text, encoding="utf-8")
    return True


def body_line(body: bytes) -> str:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return f'hex = "{body.hex()}"'
    return f"body = {value(text)}"


def _pair(name: str, text: str) -> str:
    return f"[{string(name, byte_string=True)}, {value(text, byte_string=True)}]"


def key_text(key: str) -> str:
    return key if BARE_KEY.match(key) else string(key)


def toml_value(item: object) -> str:
    """Strings, numbers, booleans, lists and tables of them, as inline TOML (a plug-in's keys, masks)."""
    if isinstance(item, str):
        return string(item)
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int | float):
        return repr(item)
    if isinstance(item, Mapping):
        return "{ " + ", ".join(f"{key_text(key)} = {toml_value(value)}" for key, value in item.items()) + " }"
    if isinstance(item, Iterable):
        return "[" + ", ".join(toml_value(value) for value in item) + "]"
    raise TypeError(f"cannot write {item!r} as TOML")


def value(text: str, byte_string: bool = False) -> str:
    """A TOML string, or { prefix, repeat, times, suffix } around its longest run of one character."""
    run = _longest_run(text)
    if run is None:
        return string(text, byte_string)
    start, end = run
    prefix, repeat, suffix = (string(part, byte_string) for part in (text[:start], text[start], text[end:]))
    return f"{{ prefix = {prefix}, repeat = {repeat}, times = {end - start}, suffix = {suffix} }}"


def _longest_run(text: str) -> tuple[int, int] | None:
    """Start and end of the longest run of one character, when it is at least LONG_RUN long."""
    if len(text) < LONG_RUN:
        return None
    best, start = (0, 0), 0
    for index in range(1, len(text) + 1):
        if index == len(text) or text[index] != text[start]:
            if index - start > best[1] - best[0]:
                best = (start, index)
            start = index
    return best if best[1] - best[0] >= LONG_RUN else None


def string(text: str, byte_string: bool = False) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped (in a byte string every byte
    beyond ASCII too, so that it reads as the byte it is)."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'  # the common case, fast (a HAR file may hold many thousands of values)
    return '"' + "".join(_character(character, byte_string) for character in text) + '"'


def _character(character: str, byte_string: bool) -> str:
    code = ord(character)
    if character in SHORT_ESCAPES:
        return SHORT_ESCAPES[character]
    if code < 0x20 or code == 0x7F or 0x80 <= code <= 0x9F or (byte_string and code > 0x7F):
        return f"\\u{code:04x}"
    return character
