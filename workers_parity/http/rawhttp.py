"""Raw HTTP/1.x over a socket (TLS for an https worker), for what `requests` cannot send byte-exactly: HTTP/1.0, no
Host, repeated or malformed headers, hand-framed chunked bodies, paths it would re-encode, bodies sent at the caller's
own pace, and the bytes that follow an answer. Answers are parsed into the same Reply as http.client's."""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
from collections.abc import Iterator
from typing import BinaryIO
from urllib.parse import urlsplit

from workers_parity.http.reply import Reply

HOST_PLACEHOLDER = b"{host}"


DEFAULT_PORTS = {"http": 80, "https": 443}


def address(base_url: str) -> tuple[str, int]:
    url = urlsplit(base_url)
    if url.scheme not in DEFAULT_PORTS:
        raise ValueError(f"raw requests speak http and https, not {base_url}")
    return url.hostname, url.port or DEFAULT_PORTS[url.scheme]


def tls_context() -> ssl.SSLContext:
    """The system's trusted certificates, as requests checks a deployed worker's (a test may trust its own)."""
    return ssl.create_default_context()


def open_connection(base_url: str, timeout: float = 30.0) -> socket.socket:
    """A connected socket to the server of base_url, TLS-wrapped (with SNI) for an https URL."""
    host, port = address(base_url)
    sock = socket.create_connection((host, port), timeout=timeout)
    if urlsplit(base_url).scheme != "https":
        return sock
    try:
        return tls_context().wrap_socket(sock, server_hostname=host)
    except BaseException:
        sock.close()
        raise


@contextlib.contextmanager
def connection(base_url: str, timeout: float = 30.0) -> Iterator[socket.socket]:
    with open_connection(base_url, timeout) as sock:
        yield sock


def with_host(base_url: str, request: bytes) -> bytes:
    """The request with every `{host}` replaced by the server's host:port."""
    return request.replace(HOST_PLACEHOLDER, urlsplit(base_url).netloc.encode())


def exchange(base_url: str, request: bytes, timeout: float = 30.0, fill_host: bool = True) -> Reply:
    """Send the request bytes as they are (`{host}` filled in, unless told not to) and read the one answer."""
    with connection(base_url, timeout) as sock:
        # The server may answer (414, 431, 400) and close before it has read everything: the answer still counts.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(with_host(base_url, request) if fill_host else request)
        return read_reply(sock, head=request.startswith(b"HEAD "))


# Methods urllib3 sends without Content-Length when they carry no body (any other gets Content-Length: 0).
_NO_BODY_EXPECTED = {"GET", "HEAD", "DELETE", "TRACE", "OPTIONS", "CONNECT"}


def request_bytes(
    base_url: str, method: str, path: str, headers: dict[str, str], body: bytes | list[bytes] | None
) -> bytes:
    """An HTTP/1.1 request framed as http.client frames it through requests (Host, `Accept-Encoding: identity`
    unless given, Content-Length or chunked), for a path requests would rewrite."""
    given = {name.lower() for name in headers}
    lines = [f"{method} {path} HTTP/1.1"]
    lines += [f"Host: {urlsplit(base_url).netloc}"] if "host" not in given else []
    lines += ["Accept-Encoding: identity"] if "accept-encoding" not in given else []
    if not given & {"content-length", "transfer-encoding"}:
        if isinstance(body, list):
            lines.append("Transfer-Encoding: chunked")
        elif body is not None or method.upper() not in _NO_BODY_EXPECTED:
            lines.append(f"Content-Length: {len(body or b'')}")
    lines += [f"{name}: {value}" for name, value in headers.items()]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
    if isinstance(body, list):
        return head + b"".join(chunk(piece) for piece in body if piece) + b"0\r\n\r\n"
    return head + (body or b"")


def answered_within(sock: socket.socket, seconds: float) -> bool:
    """Has the server sent anything (an answer, or closed the connection) within `seconds`?"""
    if isinstance(sock, ssl.SSLSocket) and sock.pending():  # already decrypted: select would not see it
        return True
    return bool(select.select([sock], [], [], seconds)[0])


def read_reply(source: socket.socket | BinaryIO, head: bool = False) -> Reply:
    """The next final answer on a connection (1xx interim answers are skipped), framed as its headers say."""
    stream = source.makefile("rb") if isinstance(source, socket.socket) else source
    while True:
        status, headers = read_head(stream)
        if not 100 <= status < 200:
            return read_body(stream, status, headers, head)


Headers = tuple[tuple[str, str], ...]  # as received, in order, names lowercased (as Reply keeps them)


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


def read_body(stream: BinaryIO, status: int, headers: Headers, head: bool = False) -> Reply:
    """The answer whose head has been read, with its body."""
    framing = Reply(status, headers, b"")
    if head or status in (204, 304):
        return framing
    if "chunked" in (framing.header("transfer-encoding") or "").lower():
        return Reply(status, headers, _read_chunked(stream))
    if framing.header("content-length") is not None:
        return Reply(status, headers, _read_exactly(stream, int(framing.header("content-length"))))
    return Reply(status, headers, stream.read())


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
