"""The text fields of a multipart form post, read with python-multipart (CONTRACT.md C4.4-C4.6, C5.4).

Starlette's `request.form()` drives the same parser but breaks the contract around it: it decodes invalid UTF-8 as
Latin-1 instead of U+FFFD, returns no fields instead of failing for an empty or truncated body, and accepts parts
whose disposition is not `form-data`. So the parser's callbacks are handled here.
"""

from dataclasses import dataclass, field

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header


class MalformedFormData(ValueError):
    """A multipart body that cannot be parsed (C5.4)."""


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    data: bytearray = field(default_factory=bytearray)
    name: bytes = b""
    is_file: bool = False


class _Collector:
    """python-multipart callbacks that gather the text fields and notice the closing delimiter."""

    def __init__(self) -> None:
        self.fields: list[tuple[str, str]] = []
        self.complete = False
        self._part = _Part()
        self._header_name = bytearray()
        self._header_value = bytearray()

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self._begin_part,
            "on_header_field": lambda data, start, end: self._header_name.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._header_value.extend(data[start:end]),
            "on_header_end": self._end_header,
            "on_headers_finished": self._read_disposition,
            "on_part_data": lambda data, start, end: self._part.data.extend(data[start:end]),
            "on_part_end": self._end_part,
            "on_end": self._end,
        }

    def _begin_part(self) -> None:
        self._part = _Part()

    def _end_header(self) -> None:
        self._part.headers.setdefault(bytes(self._header_name).lower(), bytes(self._header_value))
        self._header_name.clear()
        self._header_value.clear()

    def _read_disposition(self) -> None:
        header = self._part.headers.get(b"content-disposition", b"")
        params = parse_options_header(header)[1]
        # The type compared as sent: parse_options_header lowercases it, workerd's FormData rejects FORM-DATA.
        if header.split(b";", 1)[0].strip(b" \t") != b"form-data" or b"name" not in params:
            raise MalformedFormData("a part without Content-Disposition: form-data; name=...")
        self._part.name = params[b"name"]
        self._part.is_file = bool(params.get(b"filename"))  # filename="" is an ordinary field (C4.4)

    def _end_part(self) -> None:
        if not self._part.is_file:
            self.fields.append((decode(self._part.name), decode(self._part.data)))

    def _end(self) -> None:
        self.complete = True


def decode(data: bytes | bytearray) -> str:
    return data.decode("utf-8", "replace")  # whatever the part's own content type says (C4.4)


def multipart_fields(body: bytes, content_type: str) -> list[tuple[str, str]]:
    """The text fields of a multipart body in order; raises MalformedFormData when it cannot be parsed."""
    boundary = parse_options_header(content_type)[1].get(b"boundary")
    if not boundary:
        raise MalformedFormData("the boundary parameter is missing or empty")
    collector = _Collector()
    try:
        parser = MultipartParser(boundary, collector.callbacks())
        parser.write(without_preamble(body, boundary))
        parser.finalize()
    except FormParserError as error:
        raise MalformedFormData(str(error)) from error
    if not collector.complete:
        raise MalformedFormData("the closing delimiter is missing")
    return collector.fields


def without_preamble(body: bytes, boundary: bytes) -> bytes:
    """RFC 2046 lets text precede the first delimiter; python-multipart rejects it, workerd's FormData skips it."""
    start = body.find(b"--" + boundary)
    return body[start:] if start > 0 else body
