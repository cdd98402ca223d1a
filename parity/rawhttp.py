"""Raw HTTP/1.x over a socket: requests http.client will not send (HTTP/1.0, no Host, repeated or malformed headers)
and bodies sent at the caller's own pace. Answers are parsed into the same Reply as parity.client's."""

from __future__ import annotations

import contextlib
import select
import socket
from collections.abc import Iterator
from typing import BinaryIO
from urllib.parse import urlsplit

from parity import client

HOST_PLACEHOLDER = b"{host}"


def address(base_url: str) -> tuple[str, int]:
    url = urlsplit(base_url)
    if url.scheme != "http":
        raise ValueError(f"raw requests speak plain HTTP only, not {base_url}")
    return url.hostname, url.port or 80


@contextlib.contextmanager
def connection(base_url: str, timeout: float = 30.0) -> Iterator[socket.socket]:
    with socket.create_connection(address(base_url), timeout=timeout) as sock:
        yield sock


def with_host(base_url: str, request: bytes) -> bytes:
    """The request with every `{host}` replaced by the server's host:port."""
    return request.replace(HOST_PLACEHOLDER, urlsplit(base_url).netloc.encode())


def exchange(base_url: str, request: bytes, timeout: float = 30.0) -> client.Reply:
    """Send the request bytes as they are (`{host}` filled in) and read the one answer."""
    with connection(base_url, timeout) as sock:
        # The server may answer (414, 431, 400) and close before it has read everything: the answer still counts.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(with_host(base_url, request))
        return read_reply(sock, head=request.startswith(b"HEAD "))


def answered_within(sock: socket.socket, seconds: float) -> bool:
    """Has the server sent anything (an answer, or closed the connection) within `seconds`?"""
    return bool(select.select([sock], [], [], seconds)[0])


def read_reply(source: socket.socket | BinaryIO, head: bool = False) -> client.Reply:
    """The next final answer on a connection (1xx interim answers are skipped), framed as its headers say."""
    stream = source.makefile("rb") if isinstance(source, socket.socket) else source
    while True:
        status, headers = read_head(stream)
        if not 100 <= status < 200:
            return read_body(stream, status, headers, head)


Headers = tuple[tuple[str, str], ...]  # as received, in order, names lowercased (as client.Reply keeps them)


def read_head(stream: BinaryIO) -> tuple[int, Headers]:
    """The status and headers of the next answer, interim or final."""
    status_line = stream.readline()
    parts = status_line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        raise ConnectionError(f"no HTTP answer, got {status_line[:200]!r}")
    headers = []
    while (line := stream.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers.append((name.strip().lower(), value.strip()))
    return int(parts[1]), tuple(headers)


def read_body(stream: BinaryIO, status: int, headers: Headers, head: bool = False) -> client.Reply:
    """The answer whose head has been read, with its body."""
    framing = client.Reply(status, headers, b"")
    if head or status in (204, 304):
        return framing
    if "chunked" in (framing.header("transfer-encoding") or "").lower():
        return client.Reply(status, headers, _read_chunked(stream))
    if framing.header("content-length") is not None:
        return client.Reply(status, headers, _read_exactly(stream, int(framing.header("content-length"))))
    return client.Reply(status, headers, stream.read())


def _read_exactly(stream, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise ConnectionError(f"the connection closed after {len(data)} of {size} body bytes")
    return data


def _read_chunked(stream) -> bytes:
    chunks = []
    while (size := int(stream.readline().split(b";")[0], 16)) > 0:
        chunks.append(_read_exactly(stream, size))
        stream.readline()
    while stream.readline() not in (b"\r\n", b"\n", b""):  # trailers
        pass
    return b"".join(chunks)


def chunk(data: bytes) -> bytes:
    """One chunk of a chunked body."""
    return b"%x\r\n%s\r\n" % (len(data), data)
