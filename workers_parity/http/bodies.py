"""Request bodies as a browser or curl sends them: application/x-www-form-urlencoded and multipart/form-data.

Case files (`form`, `multipart`, `pad_to`), suites, the bench and the demo build their form bodies here, so the same
fields give the same bytes everywhere. Parsing is not here: an oracle reads bodies with a parser of its own, so a
mistake in one is caught by the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote, urlencode

URLENCODED = "application/x-www-form-urlencoded"  # the two media types, lowercase
MULTIPART = "multipart/form-data"
ENCODINGS = ("urlencoded", "multipart")

Value = str | bytes  # text is sent as UTF-8; bytes as they are (how a test sends bytes that are not UTF-8)
Fields = Iterable[tuple[str, Value]]


def urlencoded(fields: Fields) -> bytes:
    """Fields as a form submits them: UTF-8, percent-encoded, a space as `+` (urllib's quote_plus)."""
    return urlencode(list(fields)).encode()


def data_urlencode(fields: Iterable[tuple[str, str]]) -> bytes:
    """Fields as `curl --data-urlencode name=value` sends them: the name as given, the value percent-encoded with
    nothing left alone but unreserved characters (a space is %20)."""
    return "&".join(f"{name}={quote(value, safe='')}" for name, value in fields).encode()


def multipart_type(boundary: str) -> str:
    return f"{MULTIPART}; boundary={boundary}"


def part(name: str, value: Value, *, filename: str | None = None, content_type: str | None = None) -> bytes:
    """One form-data part, its header lines and its value, without the delimiter around it (multipart adds that)."""
    disposition = f'Content-Disposition: form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    lines = [disposition] + ([f"Content-Type: {content_type}"] if content_type is not None else [])
    return headed_part(lines, value)


def headed_part(lines: Iterable[str], value: Value) -> bytes:
    """A part with exactly these header lines, for parts `part` does not write (no disposition, another type)."""
    head = "".join(f"{line}\r\n" for line in lines).encode()
    return head + b"\r\n" + (value.encode() if isinstance(value, str) else value)


def delimiter(boundary: str) -> bytes:
    """The line that opens each part."""
    return f"--{boundary}\r\n".encode()


def closing(boundary: str) -> bytes:
    """The closing delimiter that ends the body."""
    return f"--{boundary}--\r\n".encode()


def multipart(parts: Iterable[bytes], boundary: str) -> bytes:
    """Each part after a delimiter and followed by CRLF, then the closing delimiter."""
    return b"".join(delimiter(boundary) + each + b"\r\n" for each in parts) + closing(boundary)


def multipart_fields(fields: Fields, boundary: str) -> bytes:
    return multipart([part(name, value) for name, value in fields], boundary)


def form(encoding: str, fields: Fields, boundary: str) -> tuple[bytes, str]:
    """The body and content type of `fields` in one of the two ENCODINGS (the boundary serves multipart only)."""
    if encoding == "urlencoded":
        return urlencoded(fields), URLENCODED
    if encoding == "multipart":
        return multipart_fields(fields, boundary), multipart_type(boundary)
    raise ValueError(f"encoding must be one of {ENCODINGS}, got {encoding!r}")


def sized_form(encoding: str, fields: Fields, size: int, boundary: str, pad: tuple[str, str]) -> tuple[bytes, str]:
    """`fields` and one field more, `pad` = (name, character): the character repeated fills the body to exactly
    `size` bytes (it must take one byte in both encodings, an ASCII letter or digit)."""
    fields = list(fields)
    name, character = pad
    unpadded, _ = form(encoding, [*fields, (name, "")], boundary)
    return form(encoding, [*fields, (name, character * (size - len(unpadded)))], boundary)
