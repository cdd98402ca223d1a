"""http.client sends what the suite says and nothing more, and gives answers back as they came: checked against a
local server that records every request's bytes and keeps its connections open."""

from __future__ import annotations

import gzip
import socket
import threading

import pytest
import requests

from workers_parity import project
from workers_parity.http import client
from workers_parity.run import suite

OK = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok"


class Recorder:
    """An HTTP/1.1 server that records the bytes of each request and answers every one with `answer` (None: it
    closes the connection without answering). It keeps connections open, so a client that reused one would show."""

    def __init__(self, answer: bytes | None = OK):
        self.answer = answer
        self.requests: list[bytes] = []
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection, connection.makefile("rb") as stream:
            while raw := read_request(stream):
                self.requests.append(raw)
                if self.answer is None:
                    return
                connection.sendall(self.answer)

    def head_lines(self, index: int = -1) -> list[bytes]:
        return self.requests[index].partition(b"\r\n\r\n")[0].split(b"\r\n")

    def body(self, index: int = -1) -> bytes:
        return self.requests[index].partition(b"\r\n\r\n")[2]


def read_request(stream) -> bytes:
    """One request's bytes as they came (head, and a body framed by content-length or chunked); b"" at the end."""
    head = b""
    while (line := stream.readline()) not in (b"\r\n", b""):
        head += line
    if not head:
        return b""
    fields = {name.strip().lower(): value.strip() for name, _, value in (h.partition(b":") for h in head.splitlines())}
    if fields.get(b"transfer-encoding") == b"chunked":
        body = b""
        while (size_line := stream.readline()) != b"0\r\n":
            body += size_line + stream.read(int(size_line, 16) + 2)
        return head + b"\r\n" + body + size_line + stream.readline()
    return head + b"\r\n" + stream.read(int(fields.get(b"content-length", b"0")))


@pytest.fixture
def recorder():
    server = Recorder()
    yield server
    server.listener.close()


def test_a_plain_get_carries_host_and_identity_encoding_only(recorder):
    with client.new_session() as session:
        reply = client.request(recorder.base_url, "GET", "/hello", session=session)
    assert (reply.status, reply.body, reply.header("content-type")) == (200, b"ok", "text/plain")
    host = recorder.base_url.removeprefix("http://").encode()
    # No gzip (workerd would compress the answer), no User-Agent, Accept or Connection of requests' or urllib3's.
    assert recorder.head_lines() == [b"GET /hello HTTP/1.1", b"Host: " + host, b"Accept-Encoding: identity"]


CORPUS = suite.load(project.current()).cases
PATHS = sorted({case.path for case in CORPUS if case.raw is None} | {"/a%2fb", "/x?", "/x?a=%zz", "/ é", "/*"})


@pytest.mark.parametrize("path", PATHS, ids=[path[:40] for path in PATHS])
def test_the_path_arrives_byte_for_byte(recorder, path):
    client.request(recorder.base_url, "GET", path)
    assert recorder.head_lines()[0] == f"GET {path} HTTP/1.1".encode()


def test_paths_requests_would_rewrite_are_the_ones_sent_raw():
    assert all(map(client.sent_as_given, ["/", "//hello", "/%68ello", "/hello%2F", "/h%C3%A9llo", "/a?b=c&d"]))
    assert not any(map(client.sent_as_given, ["/%zz", "/a%2fb", "/x/%2e%2E", "/x?", "/x#f", "/ é", "*", "/%"]))


FRAMINGS = {
    "GET, no body": ("GET", None),
    "DELETE, no body": ("DELETE", None),
    "POST, no body": ("POST", None),
    "POST, bytes": ("POST", b"name=Bob"),
    "POST, chunks": ("POST", [b"name", b"", b"=Bob"]),
}


@pytest.mark.parametrize(("method", "body"), FRAMINGS.values(), ids=FRAMINGS.keys())
def test_a_raw_path_request_is_framed_as_requests_frames_it(recorder, method, body):
    headers = {"content-type": "application/x-www-form-urlencoded", "x-extra": "1"}
    client.request(recorder.base_url, method, "/form", body=body, headers=headers)
    client.request(recorder.base_url, method, "/form%zz", body=body, headers=headers)
    through_requests, raw = recorder.head_lines(0), recorder.head_lines(1)
    assert raw[0] == through_requests[0].replace(b"/form", b"/form%zz")
    assert sorted(raw[1:]) == sorted(through_requests[1:])
    assert recorder.body(0) == recorder.body(1)


def test_a_list_body_goes_one_chunk_per_piece(recorder):
    client.request(recorder.base_url, "POST", "/form", body=[b"ab", b"", b"cde"])
    assert b"Transfer-Encoding: chunked" in recorder.head_lines()
    assert recorder.body() == b"2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n"  # an empty piece would end the body: left out


def test_a_hand_framed_body_is_refused():
    with pytest.raises(ValueError, match="rawhttp"):
        client.request("http://127.0.0.1:9", "POST", "/", body=b"0\r\n\r\n", headers={"transfer-encoding": "chunked"})


def test_an_answer_comes_back_as_sent_and_a_redirect_is_not_followed():
    body = gzip.compress(b"moved")
    answer = (
        b"HTTP/1.1 302 Found\r\nlocation: /elsewhere\r\nx-a: 1\r\ncontent-encoding: gzip\r\nx-a: 2\r\n"
        b"content-length: %d\r\n\r\n%b" % (len(body), body)
    )
    server = Recorder(answer)
    try:
        reply = client.request(server.base_url, "GET", "/old")
    finally:
        server.listener.close()
    assert (reply.status, reply.body) == (302, body)  # not gunzipped, not replaced by /elsewhere's
    assert reply.header_values("x-a") == ("1", "2")
    assert reply.header("location") == "/elsewhere"
    assert len(server.requests) == 1


def test_each_request_has_a_connection_of_its_own(recorder):
    with client.new_session() as session:
        for _ in range(3):
            client.request(recorder.base_url, "GET", "/counter", session=session)
    assert (len(recorder.requests), recorder.connections) == (3, 3)


def test_a_request_whose_connection_drops_is_not_sent_again():
    server = Recorder(answer=None)
    try:
        with client.new_session() as session, pytest.raises(requests.ConnectionError):
            client.request(server.base_url, "GET", "/counter", session=session)
    finally:
        server.listener.close()
    assert len(server.requests) == 1  # a retry would count a visit twice


def test_a_refused_connection_is_recognised_through_requests_wrapping():
    """The soak retries only refused requests (a server restarting); requests wraps the OSError twice."""
    from workers_parity.servers.ports import free_port

    with pytest.raises(requests.ConnectionError) as refused:
        client.get(f"http://127.0.0.1:{free_port()}", "/hello", timeout=5)
    assert client.refused(refused.value)
    assert not client.refused(requests.ConnectionError("connection reset by peer"))
