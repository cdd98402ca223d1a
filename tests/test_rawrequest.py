"""Raw requests (http/rawrequest.py) and the cases the fuzzer writes (cases/write.py), without
workers: exact bytes on the wire, the headers a worker reads, reproduction commands run against a local socket,
and found cases that load back as the same request."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from workers_parity.cases import load, write
from workers_parity.cases.load import CaseError
from workers_parity.ci import missing_tool
from workers_parity.http.rawrequest import RawRequest

MULTIPART = "multipart/form-data; boundary=\xc3\xa9"  # boundary=é, as its UTF-8 bytes
REQUESTS = {
    "form post": RawRequest("POST", "/form", (("Content-Type", "application/x-www-form-urlencoded"),), b"name=Bob"),
    "get": RawRequest("GET", "/hello?x=[1]{2}", (("X-Empty", ""), ("Cookie", "a=b"))),
    "head": RawRequest("HEAD", "/form", ()),
    "odd bytes": RawRequest(
        "POST",
        "/caf\xc3\xa9/../form#f",
        (("Content-Type", MULTIPART), ("content-type", " text/plain\t"), ("X-Ctl", "a\x01\x7f\xff")),
        b"--\xc3\xa9\r\n\x00'\\%" + b"a" * 100 + b"\xff--\xc3\xa9--",
    ),
    "chunked": RawRequest("POST", "/form", (("Content-Type", MULTIPART),), b"-" * 70 + b"end", chunk_size=16),
    "empty body": RawRequest("PATCH", "/status", (), b""),
}


def test_the_request_goes_on_the_wire_as_given() -> None:
    raw = REQUESTS["odd bytes"]
    head, _, body = raw.wire("h:1").partition(b"\r\n\r\n")
    assert head.split(b"\r\n") == [
        b"POST /caf\xc3\xa9/../form#f HTTP/1.1",
        b"Host: h:1",
        b"Content-Type: multipart/form-data; boundary=\xc3\xa9",
        b"content-type:  text/plain\t",
        b"X-Ctl: a\x01\x7f\xff",
        b"Content-Length: 117",
    ]
    assert body == raw.body
    chunked = REQUESTS["chunked"].framed_body()
    assert chunked.startswith(b"10\r\n" + b"-" * 16 + b"\r\n") and chunked.endswith(b"9\r\n------end\r\n0\r\n\r\n")
    assert b"Content-Length" not in REQUESTS["get"].wire("h") and b"Content-Length: 0" in REQUESTS["empty body"].wire(
        "h"
    )


def test_framing_headers_are_the_requests_own() -> None:
    with pytest.raises(ValueError, match="content-length"):
        RawRequest("POST", "/form", (("content-length", "3"),), b"abc")


def test_a_worker_reads_headers_decoded_trimmed_and_joined() -> None:
    seen = REQUESTS["odd bytes"].seen_headers()
    assert seen["content-type"] == "multipart/form-data; boundary=é, text/plain"
    assert seen["x-ctl"] == "a\x01\x7f\ufffd"
    empties = RawRequest("GET", "/", (("A", ""), ("a", " "), ("A", "x"), ("a", ""), ("a", "y"), ("B", "")))
    assert empties.seen_headers() == {"a": "x, , y", "b": ""}  # C16.3: empty fields before the first value drop


class Capture:
    """A one-connection HTTP server on a free port that keeps the bytes it received and answers 200."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.received = b""
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        connection, _ = self.listener.accept()
        with connection:
            connection.settimeout(10)
            while not complete(self.received):
                data = connection.recv(65536)
                if not data:
                    break
                self.received += data
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        self.listener.close()


def complete(data: bytes) -> bool:
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        return False
    if b"\r\nTransfer-Encoding: chunked" in head:
        return body.endswith(b"0\r\n\r\n")
    length = next(
        (line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")), b"0"
    )
    return len(body) >= int(length)


def parsed(data: bytes) -> tuple[bytes, list[bytes], bytes]:
    """Request line, header lines but Host and Content-Length (which curl writes itself), body."""
    head, _, body = data.partition(b"\r\n\r\n")
    line, *headers = head.split(b"\r\n")
    return line, [h for h in headers if not h.lower().startswith((b"host:", b"content-length:"))], body


@pytest.mark.parametrize("name", REQUESTS)
def test_the_reproduction_sends_the_same_request(name: str) -> None:
    if shutil.which("bash") is None:
        missing_tool("the reproduction commands are bash commands, and bash is not installed here")
    raw = REQUESTS[name]
    server = Capture()
    command = raw.reproduction(server.base_url)
    by_curl = "python3 -c" not in command
    if by_curl and shutil.which("curl") is None:
        missing_tool("curl is not installed here")
    result = subprocess.run(["bash", "-c", command], capture_output=True, timeout=30)
    server.thread.join(10)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    sent = raw.wire(server.base_url.removeprefix("http://"))
    if by_curl:  # curl writes Host and Content-Length itself
        assert parsed(server.received) == parsed(sent)
    else:
        assert server.received == sent  # byte for byte
    assert b"200" in result.stdout


def test_curl_is_used_only_where_it_sends_the_same_bytes() -> None:
    assert REQUESTS["form post"].reproduction("http://h:1").startswith("printf 'name=Bob' | curl ")
    assert REQUESTS["head"].reproduction("http://h:1").startswith("curl ") and " -I " in REQUESTS["head"].reproduction(
        "http://h:1"
    )
    for name in ("odd bytes", "chunked"):
        assert "python3 -c" in REQUESTS[name].reproduction("http://h:1")


@pytest.mark.parametrize("name", REQUESTS)
def test_a_found_case_loads_back_as_the_same_request(tmp_path: Path, name: str) -> None:
    raw = REQUESTS[name]
    path = tmp_path / "found.toml"
    rules = {"rules": ["C4.4", "C14.1"]}
    assert write.append(path, write.exact_case(raw, 'a note with "quotes" and é', rules))
    assert not write.append(path, write.exact_case(raw, "again", rules))
    (case,) = load.load([path], frozenset({"rules"}))
    assert case.exact == raw and case.id == write.case_id(raw)
    assert (case.method, case.path, case.sent_body(), case.headers) == (
        raw.method,
        raw.target_text(),
        raw.body,
        raw.seen_headers(),
    )
    assert case.note == 'a note with "quotes" and é' and case.extra["rules"] == ["C4.4", "C14.1"]


def test_long_runs_are_written_short(tmp_path: Path) -> None:
    raw = RawRequest("POST", "/form?" + "a" * 5000, (("X-Long", "b" * 9000),), b"name=" + b"c" * 60000)
    text = write.exact_case(raw, "long")
    assert len(text) < 1000 and "times = 60000" in text
    path = tmp_path / "found.toml"
    path.write_text(text)
    assert load.load([path])[0].exact == raw


def test_the_corpus_rejects_what_a_raw_case_cannot_send(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[[case]]\nid = "x"\nheaders = [["Content-Length", "3"]]\nbody = "abc"\n')
    with pytest.raises(CaseError, match="bad.toml:3: case 'x': .*frames itself"):
        load.load([path])
    path.write_text('[[case]]\nid = "x"\nheaders = [["A", "b"]]\nform = "a=b"\n')
    with pytest.raises(CaseError, match="body"):
        load.load([path])
    path.write_text('[[case]]\nid = "x"\npath = "/\\u20ac"\nheaders = []\n')
    with pytest.raises(CaseError, match="latin-1"):
        load.load([path])
