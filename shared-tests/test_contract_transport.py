"""Hostile transport input, each worker against CONTRACT.md C16: the platform's limits, HTTP/1.0 and Host, repeated
headers, content encodings, Expect: 100-continue, percent-encoding, framing errors, clients that go away mid-body.

Platform answers are workerd's own, given before the worker runs: exact status, content type and body, no x-worker.
"""

from __future__ import annotations

import socket

import expected
import pytest
from test_contract_counter import visit

from workers_parity.http import client, rawhttp
from workers_parity.http.bodies import URLENCODED
from workers_parity.servers.registry import Host

ANSWER_TIMEOUT = 30.0

# Platform answers (status, content-type, body), as the oracle knows them.
URI_TOO_LONG = expected.PLATFORM_ANSWERS["uri-too-long"]
HEAD_TOO_LARGE = expected.PLATFORM_ANSWERS["head-too-large"]
NO_HOST = expected.PLATFORM_ANSWERS["no-host"]
HOST_UNUSABLE = expected.PLATFORM_ANSWERS["host-unusable"]
BAD_VERSION = expected.PLATFORM_ANSWERS["bad-version"]
NOT_HTTP = expected.PLATFORM_ANSWERS["not-http"]
BAD_CONTENT_LENGTH = expected.PLATFORM_ANSWERS["bad-content-length"]


def request(target: str = "/hello", *headers: str, method: str = "GET", version: str = "HTTP/1.1", body=b"") -> bytes:
    """A raw request: Host (unless HTTP/1.0 without one is wanted, see below) and Connection: close come first."""
    lines = [f"{method} {target} {version}", "Host: {host}", "Connection: close", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def without_host(raw: bytes) -> bytes:
    return raw.replace(b"Host: {host}\r\n", b"")


def form_post(*headers: str, body: bytes = b"name=Bob", target: str = "/form") -> bytes:
    return request(target, *headers, f"content-length: {len(body)}", method="POST", body=body)


def send(worker, raw: bytes) -> client.Reply:
    # Raw: these requests are malformed, HTTP/1.0, Host-less or hand-framed on purpose; requests would refuse them
    # or send them well-formed.
    return worker.call(lambda base_url: rawhttp.exchange(base_url, raw, timeout=ANSWER_TIMEOUT))


def assert_platform_answer(reply: client.Reply, answer: tuple[int, str | None, bytes]) -> None:
    assert (reply.status, reply.header("content-type"), reply.body) == answer
    assert reply.header("x-worker") is None, "a platform answer, not the worker's"


def assert_answer(reply: client.Reply, status: int, content_type: str, body: bytes) -> None:
    assert (reply.status, reply.header("content-type"), reply.body) == (status, content_type, body)


def assert_hello(reply: client.Reply) -> None:
    assert_answer(reply, 200, expected.TEXT, expected.HELLO)


def long_target(length: int) -> str:
    return "/hello?q=" + "a" * (length - len("/hello?q="))


def numbered_headers(count: int) -> list[str]:
    return [f"x-h{number}: {number}" for number in range(count)]


# C16.1, C16.2 limits ------------------------------------------------------------------------------------------------


@pytest.mark.contract("C16.1")
def test_a_request_target_of_65000_bytes_reaches_the_worker(worker):
    assert_hello(send(worker, request(long_target(65_000))))


@pytest.mark.contract("C16.1")
@pytest.mark.parametrize("length", [65_535, 65_536, 200_000])
def test_a_longer_request_target_gets_workerds_414(worker, length):
    assert_platform_answer(send(worker, request(long_target(length))), URI_TOO_LONG)


@pytest.mark.contract("C16.2")
@pytest.mark.parametrize(
    "headers",
    [[f"x-long: {'a' * 262_144}"], numbered_headers(500), numbered_headers(16_000), ["x-same: 1"] * 500],
    ids=["256 KiB header", "500 headers", "16000 headers", "500 repeated headers"],
)
def test_a_header_section_within_the_limits_reaches_the_worker(worker, headers):
    assert_hello(send(worker, request("/hello", *headers)))


@pytest.mark.contract("C16.2")
@pytest.mark.parametrize(
    "headers",
    [[f"x-long: {'a' * 524_288}"], numbered_headers(16_500)],
    ids=["512 KiB header", "16500 headers"],
)
def test_a_larger_header_section_gets_workerds_431(worker, headers):
    assert_platform_answer(send(worker, request("/hello", *headers)), HEAD_TOO_LARGE)


# C16.3 repeated headers, C16.4 content encoding ---------------------------------------------------------------------

REPEATED_CONTENT_TYPES = {
    "same type twice": ([URLENCODED, URLENCODED], 415),
    "form then text": ([URLENCODED, "text/plain"], 415),
    "text then form": (["text/plain", URLENCODED], 415),
    "parameter ends the media type": ([f"{URLENCODED}; charset=utf-8", "text/plain"], 200),
}


@pytest.mark.contract("C4.2", "C6.1", "C16.3")
@pytest.mark.parametrize(("types", "status"), REPEATED_CONTENT_TYPES.values(), ids=REPEATED_CONTENT_TYPES)
def test_repeated_content_types_are_one_combined_value(worker, types, status):
    reply = send(worker, form_post(*(f"content-type: {value}" for value in types)))
    if status == 415:
        assert_answer(reply, 415, expected.TEXT, expected.UNSUPPORTED_MEDIA_TYPE)
    else:
        assert_answer(reply, 200, expected.HTML, expected.thanks_page("Bob"))


GZIP_URLENCODED = bytes.fromhex("1f8b0800000000000203cb4bcc4db575ca4f52cb4d2d2e4e4c4fb5cdc80400fdee978013000000")


@pytest.mark.contract("C16.4")
def test_a_gzip_body_is_not_decoded(worker):
    """gzip of name=Bob&message=hi, parsed as sent: no field named name."""
    reply = send(worker, form_post(f"content-type: {URLENCODED}", "content-encoding: gzip", body=GZIP_URLENCODED))
    assert_answer(reply, 400, expected.HTML, expected.form_page(error=expected.NAME_REQUIRED))


@pytest.mark.contract("C16.4")
def test_a_gzip_label_on_a_plain_body_is_not_acted_on(worker):
    reply = send(worker, form_post(f"content-type: {URLENCODED}", "content-encoding: gzip"))
    assert_answer(reply, 200, expected.HTML, expected.thanks_page("Bob"))


# C16.5 Expect: 100-continue -----------------------------------------------------------------------------------------

EXPECTING = {
    "valid form": ("/form", b"name=Bob", 200, expected.HTML, expected.thanks_page("Bob")),
    "declared too large": ("/form", b"a" * 70_000, 413, expected.TEXT, expected.PAYLOAD_TOO_LARGE),
    "POST /hello": ("/hello", b"name=Bob", 405, expected.TEXT, expected.METHOD_NOT_ALLOWED),
}


@pytest.mark.contract("C16.5")
@pytest.mark.parametrize(("path", "body", "status", "content_type", "answer"), EXPECTING.values(), ids=EXPECTING)
def test_a_client_waiting_for_100_continue_gets_the_contracts_answer(worker, path, body, status, content_type, answer):
    """The client sends the body only after a 100 Continue; a final answer may come instead."""
    expect = ["Expect: 100-continue", f"content-type: {URLENCODED}", f"content-length: {len(body)}"]
    head = request(path, *expect, method="POST")
    with rawhttp.connection(worker.base_url, ANSWER_TIMEOUT) as sock:
        sock.sendall(rawhttp.with_host(worker.base_url, head))
        stream = sock.makefile("rb")
        first, headers = rawhttp.read_head(stream)
        if first == 100:
            sock.sendall(body)
            reply = rawhttp.read_reply(stream)
        else:
            reply = rawhttp.read_body(stream, first, headers)
    assert_answer(reply, status, content_type, answer)


# C16.6 percent-encoding ---------------------------------------------------------------------------------------------


@pytest.mark.contract("C11.1", "C16.6")
@pytest.mark.parametrize("path", ["/%zz", "/%", "/hello%", "/hello%2", "/%FF", "/%00", "/hel%6Co", "/form%"])
def test_invalid_or_valid_percent_escapes_are_never_decoded(worker, path):
    assert_answer(worker.get(path), 404, expected.TEXT, expected.NOT_FOUND)


@pytest.mark.contract("C16.6")
def test_percent_encoded_dots_are_dot_segments(worker):
    assert_hello(worker.get("/x/%2e%2E/hello"))


# C16.7 HTTP/1.0 and Host --------------------------------------------------------------------------------------------


@pytest.mark.contract("C2.1", "C4.1", "C16.7")
def test_http10_with_host_is_answered_like_http11(worker):
    assert_hello(send(worker, request("/hello", version="HTTP/1.0")))
    reply = send(worker, form_post(f"content-type: {URLENCODED}").replace(b"HTTP/1.1", b"HTTP/1.0", 1))
    assert_answer(reply, 200, expected.HTML, expected.thanks_page("Bob"))


@pytest.mark.contract("C8.2", "C16.7")
@pytest.mark.parametrize("version", ["HTTP/1.0", "HTTP/1.1"])
def test_no_host_gets_the_platforms_400_and_does_not_count(worker, version):
    before = visit(worker)
    for path in ["/hello", "/counter"]:
        assert_platform_answer(send(worker, without_host(request(path, version=version))), NO_HOST)
    assert_platform_answer(send(worker, request("/hello", version=version).replace(b"{host}", b"")), NO_HOST)
    assert visit(worker) == before + 1


@pytest.mark.contract("C16.7")
@pytest.mark.parametrize("host", ["{host}\r\nHost: example.com", "exa mple.com"], ids=["two Host headers", "a space"])
def test_an_unusable_host_gets_the_platforms_500(worker, host):
    raw = request("/hello").replace(b"Host: {host}", f"Host: {host}".encode())
    assert_platform_answer(send(worker, raw), HOST_UNUSABLE)


@pytest.mark.contract("C11.1", "C16.7")
def test_the_url_is_built_from_host_and_target(worker):
    """A Host with a path moves the path the worker sees: /hello becomes /x/hello."""
    reply = send(worker, request("/hello").replace(b"Host: {host}", b"Host: example.com/x"))
    assert_answer(reply, 404, expected.TEXT, expected.NOT_FOUND)
    assert_hello(send(worker, request("http://example.com/hello")))  # absolute form: its path is routed


# C16.8 framing --------------------------------------------------------------------------------------------------


@pytest.mark.contract("C4.1", "C16.8")
def test_chunked_framing_wins_over_content_length(worker):
    body = rawhttp.chunk(b"name=Bob") + b"0\r\n\r\n"
    raw = request(
        "/form", f"content-type: {URLENCODED}", "content-length: 3", "transfer-encoding: chunked", method="POST"
    )
    assert_answer(send(worker, raw + body), 200, expected.HTML, expected.thanks_page("Bob"))


FRAMING_ERRORS = {
    "content-length abc": (
        form_post(f"content-type: {URLENCODED}").replace(b"length: 8", b"length: abc"),
        BAD_CONTENT_LENGTH,
    ),
    "two content-lengths": (form_post(f"content-type: {URLENCODED}", "content-length: 9"), BAD_CONTENT_LENGTH),
    "HTTP/2.0 request line": (request("/hello", version="HTTP/2.0"), BAD_VERSION),
    "TLS handshake bytes": (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + b"\x00" * 32 + b"\r\n\r\n", NOT_HTTP),
}


@pytest.mark.contract("C16.8")
@pytest.mark.parametrize(("raw", "answer"), FRAMING_ERRORS.values(), ids=FRAMING_ERRORS)
def test_framing_errors_get_workerds_400(worker, raw, answer):
    assert_platform_answer(send(worker, raw), answer)


def post_head(path: str, framing: str = "transfer-encoding: chunked") -> bytes:
    return request(path, f"content-type: {URLENCODED}", framing, method="POST")


BROKEN_CHUNKS = rawhttp.chunk(b"name=Bob") + b"zz\r\nnot a chunk\r\n0\r\n\r\n"


@pytest.mark.contract("C13.1", "C16.8")
@pytest.mark.parametrize(
    ("path", "answer"),
    [
        ("/form", (500, expected.TEXT, expected.INTERNAL_SERVER_ERROR)),
        ("/hello", (405, expected.TEXT, expected.METHOD_NOT_ALLOWED)),
    ],
)
def test_chunked_framing_that_breaks_mid_body(worker, path, answer):
    """Reading the body fails: the worker's C13 500 on POST /form; POST /hello never reads it and answers 405.
    Under wrangler dev its proxy forwards the body and fails first: a platform 500 (miniflare's error text)."""
    if worker.runtime is None:
        pytest.skip("the platform of an external --base-url worker is unknown")
    reply = send(worker, post_head(path) + BROKEN_CHUNKS)
    if worker.host == Host.WRANGLER_DEV:
        assert (reply.status, reply.header("x-worker")) == (500, None)
        assert b"Network connection lost" in reply.body
    else:
        assert_answer(reply, *answer)
        assert reply.header("x-worker") == worker.name


# C16.9 a client that goes away mid-body --------------------------------------------------------------------------

CUT_SHORT = {
    "content-length": ("content-length: 1000", b"name=Bob&message="),
    "chunked": ("transfer-encoding: chunked", rawhttp.chunk(b"name=Bob&message=")),
}


@pytest.mark.contract("C8.2", "C16.9")
@pytest.mark.parametrize("path", ["/form", "/hello"])
@pytest.mark.parametrize(("framing", "start"), CUT_SHORT.values(), ids=CUT_SHORT)
def test_a_client_that_disconnects_mid_body_leaves_the_server_and_counter_intact(worker, path, framing, start):
    before = visit(worker)
    for _ in range(5):
        with rawhttp.connection(worker.base_url, ANSWER_TIMEOUT) as sock:
            sock.sendall(rawhttp.with_host(worker.base_url, post_head(path, framing) + start))
            sock.shutdown(socket.SHUT_RDWR)
    assert_hello(worker.get("/hello"))
    assert visit(worker) == before + 1
