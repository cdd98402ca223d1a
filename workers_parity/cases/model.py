"""One case as the harness sends it: a request (parsed fields, or headers as exact pairs, or whole raw bytes), what
its answer must hold (`expect`), the masks it adds, and the keys a project's plug-in gave it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import requests

from workers_parity.http import client, rawhttp
from workers_parity.http.rawrequest import RawRequest
from workers_parity.judge.expect import Expect
from workers_parity.judge.masks import Mask

DEFAULT_CHUNK_SIZE = 4096


@dataclass(frozen=True)
class Source:
    """Where a case is written, for messages and the report."""

    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Case:
    id: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    chunked: bool = False
    chunk_size: int = DEFAULT_CHUNK_SIZE
    note: str = ""
    pieces: tuple[bytes, ...] | None = field(default=None, repr=False)  # explicit chunks, when given
    raw: bytes | None = field(default=None, repr=False)  # the whole request as sent, `{host}` filled in
    exact: RawRequest | None = field(default=None, repr=False)  # headers given as pairs: sent exactly
    expect: Expect | None = None
    masks: tuple[Mask, ...] = ()
    extra: dict[str, object] = field(default_factory=dict, compare=False)  # keys a plug-in declared
    source: Source | None = field(default=None, compare=False)

    @property
    def file(self) -> str:
        return self.source.path.name if self.source else "cases"

    @property
    def test_id(self) -> str:
        """How results and the report name it: its file and id."""
        return f"{self.file}::{self.id}"

    def send(self, base_url: str, session: requests.Session | None = None) -> client.Reply:
        """Send the case (in `session`, the worker's, if given); a raw case is sent as written, which requests
        cannot do (malformed framing, HTTP/1.0, repeated headers)."""
        if self.exact is not None:  # headers given as pairs (repeated, in order): requests would merge them
            return self.exact.send(base_url)
        if self.raw is not None:
            return rawhttp.exchange(base_url, self.raw)
        return client.request(
            base_url, self.method, self.path, body=self.wire_body(), headers=dict(self.headers), session=session
        )

    def wire_body(self) -> bytes | list[bytes] | None:
        """The body as the client sends it: bytes with a content-length, or a list of chunks."""
        if self.pieces is not None:
            return list(self.pieces)
        if self.chunked:
            data = self.body or b""
            return [data[start : start + self.chunk_size] for start in range(0, len(data), self.chunk_size)]
        return self.body

    def sent_body(self) -> bytes | None:
        """All the body bytes sent, however they are framed."""
        return b"".join(self.pieces) if self.pieces is not None else self.body

    def describe(self) -> str:
        """A one-line summary of the request, for failure messages."""
        if self.exact is not None:
            return self.exact.describe()
        if self.raw is not None:
            line = self.raw.split(b"\r\n", 1)[0]
            line = line if len(line) <= 120 else line[:100] + b"..."
            return f"raw request {line!r} ({len(self.raw)} bytes)"
        path = self.path if len(self.path) <= 120 else f"{self.path[:100]}… ({len(self.path)} characters)"
        content_type = header(self.headers, "content-type")
        kind = f", content-type {content_type!r}" if content_type is not None else ""
        if self.pieces is None and self.body is None:
            return f"{self.method} {path} (no body{kind})"
        size = sum(map(len, self.pieces)) if self.pieces is not None else len(self.body)
        framing = " chunked" if self.pieces is not None or self.chunked else ""
        return f"{self.method} {path} ({size}-byte{framing} body{kind})"


def header(headers: dict[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name), None)
