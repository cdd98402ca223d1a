"""CONTRACT.md's form parsing (C4.2-C4.4, C5.4) written out from its text, for the oracle (expected.py).

No worker's code is used here: the workers parse with URLSearchParams / parse_qsl and workerd's FormData, and the
differential corpus checks them and this reading of the contract against each other, case by case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workers_parity.http.bodies import MULTIPART  # the media type's name only: the parsing here is the contract's

ASCII_WHITESPACE = "\t\n\f\r "
PERCENT_ESCAPE = re.compile(rb"%([0-9A-Fa-f]{2})")  # scanned left to right: `%%41` is `%` then `A`

# C4.4 step 1: the content type's parameters
PARAMETER_WHITESPACE = " \t\r\n"
TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\\")
# C4.4 step 4: part header lines
HEADER_BLOCK_END = re.compile(rb"\r?\n\r?\n")
HEADER_NAME = re.compile(rb'[^\x00-\x20\x7f()<>@,;:\\"/\[\]?={}]+')
# C4.4 step 5: the Content-Disposition value
DISPOSITION_WHITESPACE = b" \t\n\r\f\v"
IDENTIFIER = re.compile(rb"[A-Za-z0-9_-]+")


class Malformed(ValueError):
    """A multipart body that cannot be parsed (C5.4); the message says which step failed."""


def media_type(content_type: str | None) -> str:
    """C4.2: the value up to the first `;`, trimmed, ASCII lowercased."""
    return (content_type or "").split(";", 1)[0].strip(ASCII_WHITESPACE).lower()


def trim(value: str) -> str:
    """C4.7: ASCII whitespace only."""
    return value.strip(ASCII_WHITESPACE)


# --- C4.3 urlencoded ---------------------------------------------------------------------------------------------


def urlencoded_fields(body: bytes) -> list[tuple[str, str]]:
    """Decode the whole body as UTF-8, split on `&`, skip empty pieces, split at the first `=`, decode both sides."""
    fields = []
    for piece in body.decode("utf-8", "replace").split("&"):
        if piece:
            name, _, value = piece.partition("=")
            fields.append((form_decode(name), form_decode(value)))
    return fields


def form_decode(text: str) -> str:
    """`+` is a space, `%XX` with two hex digits is that byte, any other `%` stays; then UTF-8-decode."""
    data = text.encode("utf-8").replace(b"+", b" ")
    return PERCENT_ESCAPE.sub(lambda escape: bytes([int(escape.group(1), 16)]), data).decode("utf-8", "replace")


# --- C4.4 multipart ----------------------------------------------------------------------------------------------


def boundary(content_type: str) -> str | None:
    """Step 1: the value of the first readable `boundary` parameter (name case-insensitive), or None."""
    rest, found = content_type.partition(";")[2], {}
    while rest := rest.lstrip(PARAMETER_WHITESPACE):
        delimiter = min((i for i in (rest.find(";"), rest.find("=")) if i >= 0), default=None)
        if delimiter is None:  # no `=` left: the rest is ignored
            break
        name, separator, rest = rest[:delimiter], rest[delimiter], rest[delimiter + 1 :]
        if separator == ";":  # a piece without `=`
            continue
        if not name or not set(name) <= TOKEN:  # skip to the next `;`
            if ";" not in rest:
                break
            rest = rest.partition(";")[2]
            continue
        value, rest, more = _parameter_value(rest)
        if value is not None:
            found.setdefault(name.lower(), value)  # the first one wins
        if not more:
            break
    return found.get("boundary")


def _parameter_value(rest: str) -> tuple[str | None, str, bool]:
    """(value or None when unreadable, what follows, whether more parameters may follow)."""
    if rest.startswith('"'):  # to the next unescaped quote, or the end
        value, closed, after = _quoted(rest[1:])
        if not closed:
            return (None if _unreadable(value) else value), "", False
        if _unreadable(value):
            return None, after, True
        return value, after.partition(";")[2], ";" in after
    value, semicolon, after = rest.partition(";")  # to the next `;`, trailing whitespace dropped
    value = value.rstrip(PARAMETER_WHITESPACE)
    return (value if value and not _unreadable(value) else None), after, bool(semicolon)


def _quoted(rest: str) -> tuple[str, bool, str]:
    """A quoted value, from after its opening quote: (value, whether a closing quote ended it, what follows it).
    A backslash takes the next character as it is, a quote too, and is dropped; a backslash at the very end stays."""
    value, index = [], 0
    while index < len(rest):
        character = rest[index]
        if character == '"':
            return "".join(value), True, rest[index + 1 :]
        if character == "\\" and index + 1 < len(rest):
            index += 1
            character = rest[index]
        value.append(character)
        index += 1
    return "".join(value), False, ""


def _unreadable(value: str) -> bool:
    """Control characters other than tab, and DEL, make a parameter value unreadable."""
    return any((ord(c) < 0x20 and c != "\t") or c == "\x7f" for c in value)


@dataclass(frozen=True)
class Part:
    name: bytes
    value: bytes
    is_file: bool


def multipart_fields(body: bytes, content_type: str) -> list[tuple[str, str]]:
    """Steps 1-7: the text fields in order; raises Malformed."""
    if media_type_strictly(content_type) != MULTIPART:
        raise Malformed("the content type is not a MIME type workerd can read")
    marker = boundary(content_type)
    if marker is None:  # `boundary=""` is read, as a boundary of no characters
        raise Malformed("no boundary parameter that can be read")
    parts = split_parts(body, b"--" + marker.encode())
    return [(decode(part.name), decode(part.value)) for part in parts if not part.is_file]


def media_type_strictly(content_type: str) -> str:
    """The media type trimmed of space, tab, CR and LF only: a form feed C4.2 trims makes the body malformed."""
    return content_type.split(";", 1)[0].strip(PARAMETER_WHITESPACE).lower()


def split_parts(body: bytes, delimiter: bytes) -> list[Part]:
    start = body.find(delimiter)
    if start < 0:
        raise Malformed("no opening delimiter")  # step 2: what precedes it is a preamble
    rest, parts = body[start + len(delimiter) :], []
    while not rest.startswith(b"--"):  # step 3: `--` ends the form; an epilogue may follow
        if rest.startswith(b"\r\n") or rest.startswith(b"\n"):
            rest = rest[2:] if rest.startswith(b"\r") else rest[1:]
        else:
            raise Malformed("a delimiter followed by neither CRLF, LF nor --")
        block_end = HEADER_BLOCK_END.search(rest)
        if block_end is None:
            raise Malformed("a header block without an empty line after it")
        headers = header_lines(rest[: block_end.start()])
        rest = rest[block_end.end() :]
        name, is_file = disposition(headers)
        value_end = rest.find(b"\n" + delimiter)  # step 6
        if value_end < 0:
            raise Malformed("no delimiter after a part's value")
        value, rest = rest[:value_end], rest[value_end + 1 + len(delimiter) :]
        parts.append(Part(name, value[:-1] if value.endswith(b"\r") else value, is_file))
    return parts


def header_lines(text: bytes) -> dict[bytes, bytes]:
    """Step 4: `Name:value` lines; names case-insensitive, repeated headers joined with `, `."""
    headers: dict[bytes, bytes] = {}
    if not text:
        return headers
    if b"\x00" in text:
        raise Malformed("a NUL byte in a header block")
    for line in text.split(b"\n"):
        line = line[:-1] if line.endswith(b"\r") else line
        name = HEADER_NAME.match(line)
        if b"\r" in line or name is None or line[name.end() : name.end() + 1] != b":":
            raise Malformed(f"a header line that is not Name:value: {line!r}")
        key, value = name.group().lower(), line[name.end() + 1 :].strip(b" \t")
        headers[key] = headers[key] + b", " + value if key in headers else value
    return headers


def disposition(headers: dict[bytes, bytes]) -> tuple[bytes, bool]:
    """Step 5: the field name and whether the part is a file, from Content-Disposition."""
    value = headers.get(b"content-disposition")
    if value is None:
        raise Malformed("a part without Content-Disposition")
    index = _skip(value, 0)
    kind = IDENTIFIER.match(value, index)
    if kind is None or kind.group() != b"form-data":
        raise Malformed("a disposition type other than form-data")
    index, found = _skip(value, kind.end()), {}
    while (parameter := _parameter(value, index)) is not None:
        (key, text), index = parameter
        found[key] = text  # the last one wins
    if b"name" not in found:
        raise Malformed("no name parameter that can be read")
    return found[b"name"], b"filename" in found


def _parameter(value: bytes, index: int) -> tuple[tuple[bytes, bytes], int] | None:
    """`; key = "text"` (whitespace optional, \\c stands for c, no LF, text not empty), or None."""
    if value[index : index + 1] != b";":
        return None
    key = IDENTIFIER.match(value, _skip(value, index + 1))
    if key is None:
        return None
    index = _skip(value, key.end())
    if value[index : index + 1] != b"=":
        return None
    index = _skip(value, index + 1)
    if value[index : index + 1] != b'"':
        return None
    text, index = bytearray(), index + 1
    while index < len(value) and value[index] not in b'"\n':
        escaped = value[index] == ord("\\")
        if escaped and value[index + 1 : index + 2] in (b"", b"\n"):
            return None
        text.append(value[index + 1] if escaped else value[index])
        index += 2 if escaped else 1
    if value[index : index + 1] != b'"' or not text:
        return None
    return (key.group(), bytes(text)), _skip(value, index + 1)


def _skip(value: bytes, index: int) -> int:
    while index < len(value) and value[index] in DISPOSITION_WHITESPACE:
        index += 1
    return index


def decode(data: bytes) -> str:
    """Step 7, and C4.6: UTF-8 with U+FFFD for invalid input, a leading BOM kept."""
    return data.decode("utf-8", "replace")
