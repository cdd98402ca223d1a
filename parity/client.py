"""A tiny HTTP client that sends exactly the bytes it is given (odd paths, chunked bodies, bad headers)."""

from __future__ import annotations

import http.client
import threading
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

PARITY_HEADERS = ("content-type", "allow", "cache-control")
REQUESTS_SENT: Counter[str] = Counter()  # by base URL, for the parity report
_count_lock = threading.Lock()


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str] = field(repr=False)
    body: bytes = field(repr=False)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def parity_view(self) -> dict[str, object]:
        """What byte parity compares: status, body bytes and the parity headers."""
        view: dict[str, object] = {"status": self.status, "body": self.body}
        view.update({name: self.header(name) for name in PARITY_HEADERS})
        return view


def request(
    base_url: str,
    method: str,
    path: str,
    body: bytes | list[bytes] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> Reply:
    """Send one request; a list body is sent with chunked transfer encoding."""
    url = urlsplit(base_url)
    count_request(base_url)
    connection_class = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(url.netloc, timeout=timeout)
    try:
        chunked = isinstance(body, list)
        connection.request(
            method, path, body=iter(body) if chunked else body, headers=headers or {}, encode_chunked=chunked
        )
        response = connection.getresponse()
        payload = response.read()
        received = {name.lower(): value for name, value in response.getheaders()}
        return Reply(response.status, received, payload)
    finally:
        connection.close()


def count_request(base_url: str) -> None:
    with _count_lock:
        REQUESTS_SENT[base_url.rstrip("/")] += 1


def get(base_url: str, path: str, **kwargs) -> Reply:
    return request(base_url, "GET", path, **kwargs)


def post_form(base_url: str, fields: dict[str, str] | list[tuple[str, str]], path: str = "/form") -> Reply:
    from urllib.parse import urlencode

    body = urlencode(fields).encode()
    return request(base_url, "POST", path, body=body, headers={"content-type": "application/x-www-form-urlencoded"})


def post_multipart(
    base_url: str, parts: list[tuple[str, str | bytes]], boundary: str = "parityboundary", path: str = "/form"
) -> Reply:
    return request(
        base_url,
        "POST",
        path,
        body=multipart_body(parts, boundary),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )


def multipart_body(parts: list[tuple[str, str | bytes]], boundary: str) -> bytes:
    chunks = []
    for name, value in parts:
        data = value.encode() if isinstance(value, str) else value
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + data + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks)
