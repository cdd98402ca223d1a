"""Request bodies are read as they arrive, and no further than the answer needs: C7.2, C7.4, C7.5.

A client sends a chunked body slowly and never ends it. A worker that waits for the end of the body (or a bridge that
buffers it before the app runs) never answers; one that keeps reading after its answer lets the server's memory
grow with what the client sends. Both are failures here.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import expected
import pytest
from together import outcome, with_every

from workers_parity.http import rawhttp
from workers_parity.servers.registry import Runtime

SLOW_CHUNK = 4096
SLOW_PAUSE = 0.02  # seconds between chunks: the body arrives in many reads
ANSWER_TIMEOUT = 30.0  # generous: a liveness bound for a loaded machine, not a performance target
QUIET_WINDOW = 1.0  # how long a premature answer is waited for
FLOOD_BYTES = 64 * 1024 * 1024  # offered after the 413; a server that buffered it would grow by at least this much
FLOOD_CHUNK = 64 * 1024
FLOOD_STALL = 2.0  # a send blocked this long means the server has stopped reading
MEMORY_GROWTH_LIMIT = 16 * 1024 * 1024


CHUNKED = "transfer-encoding: chunked"


def open_post(worker, path: str, framing: str = CHUNKED) -> socket.socket:
    """A connection on which a POST's head has been sent; the body is the caller's to send (raw: requests sends a
    body whole and then waits, never a body held open while the answer is awaited)."""
    sock = rawhttp.open_connection(worker.base_url, ANSWER_TIMEOUT)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {{host}}\r\ncontent-type: application/x-www-form-urlencoded\r\n"
        f"{framing}\r\n\r\n"
    )
    sock.sendall(rawhttp.with_host(worker.base_url, head.encode()))
    return sock


def send_slowly(sock: socket.socket, size: int) -> None:
    """`size` bytes of body, in small chunks with pauses, the terminating chunk never sent."""
    while size > 0:
        piece = min(SLOW_CHUNK, size)
        sock.sendall(rawhttp.chunk(b"a" * piece))
        size -= piece
        time.sleep(SLOW_PAUSE)


def flood(sock: socket.socket) -> int:
    """Offer up to FLOOD_BYTES more body; the bytes the server accepted before closing or no longer reading."""
    sock.settimeout(FLOOD_STALL)
    piece = rawhttp.chunk(b"a" * FLOOD_CHUNK)
    sent = 0
    try:
        while sent < FLOOD_BYTES:
            sock.sendall(piece)
            sent += len(piece)
    except (TimeoutError, OSError):  # stalled, or the server closed the connection: it reads no more
        pass
    return sent


def require_measurable_memory(worker) -> None:
    if worker.server is None or not Path("/proc/self/stat").exists():
        pytest.skip("the server's memory is measured through /proc, for a dev server this suite started")


def assert_payload_too_large(reply) -> None:
    assert (reply.status, reply.header("content-type"), reply.body) == (413, expected.TEXT, expected.PAYLOAD_TOO_LARGE)


def never_ending_body(worker) -> tuple[bool, rawhttp.Reply | None]:
    """65536 bytes sent slowly, a quiet window, then byte 65537: (answered early, the answer after byte 65537)."""
    with open_post(worker, "/form") as sock:
        send_slowly(sock, expected.MAX_BODY_BYTES)
        if rawhttp.answered_within(sock, QUIET_WINDOW):
            return True, None
        sock.sendall(rawhttp.chunk(b"a"))
        return False, rawhttp.read_reply(sock) if rawhttp.answered_within(sock, ANSWER_TIMEOUT) else None


@pytest.fixture(scope="session")
def never_ending_bodies(started_workers):
    return with_every(started_workers.members, never_ending_body)


@pytest.mark.contract("C7.2", "C7.4")
def test_never_ending_body_is_cut_off_after_byte_65537(worker, never_ending_bodies):
    answered_early, reply = outcome(never_ending_bodies[worker.id])
    assert not answered_early, "answered before the body passed 65536 bytes"
    assert reply is not None, f"no answer {ANSWER_TIMEOUT:.0f} s after byte 65537"
    assert_payload_too_large(reply)


@pytest.mark.contract("C7.4")
def test_memory_stays_flat_while_the_client_keeps_sending(worker):
    """workerd closes the connection after the 413, so little of the flood is accepted; a server that kept
    reading would take all of it, and one that kept what it read would grow by as much."""
    require_measurable_memory(worker)
    with open_post(worker, "/form") as sock:
        send_slowly(sock, expected.MAX_BODY_BYTES + 1)
        assert_payload_too_large(rawhttp.read_reply(sock))
        before = worker.server.resident_bytes()
        accepted = flood(sock)
        growth = worker.server.resident_bytes() - before
    assert growth < MEMORY_GROWTH_LIMIT, (
        f"the server grew by {growth / 2**20:.1f} MiB while the client sent {accepted / 2**20:.1f} MiB after the 413"
    )


# Bodies the worker does not read: the start of the body is sent, its end held back.
UNREAD_BODIES = {
    "POST /hello chunked": ("/hello", CHUNKED, rawhttp.chunk(b"name=Bob"), b"0\r\n\r\n", 405),
    "POST /form declared 70000": ("/form", "content-length: 70000", b"name=Bob", b"a" * (70000 - 8), 413),
}
ANSWERS = {405: expected.METHOD_NOT_ALLOWED, 413: expected.PAYLOAD_TOO_LARGE}


@pytest.mark.contract("C7.2", "C7.3", "C7.5")
@pytest.mark.parametrize(("path", "framing", "start", "end", "status"), UNREAD_BODIES.values(), ids=UNREAD_BODIES)
def test_a_body_the_worker_does_not_read_is_not_waited_for(worker, path, framing, start, end, status):
    """wrangler dev holds the answer until the body has ended: its bundler wraps the worker in a request-draining
    middleware (a documented tool answer, C7.5); everywhere else the answer comes while the body is still open,
    under wrangler dev too for modules it serves unbundled (pyodide-wrangler)."""
    if worker.runtime is None:
        pytest.skip("the platform of an external --base-url worker is unknown")
    with open_post(worker, path, framing) as sock:
        sock.sendall(start)
        if worker.runtime == Runtime.WORKERD:
            assert not rawhttp.answered_within(sock, QUIET_WINDOW), "wrangler dev no longer waits for the body"
            sock.sendall(end)
        assert rawhttp.answered_within(sock, ANSWER_TIMEOUT), "no answer while the body is still open"
        reply = rawhttp.read_reply(sock)
    assert (reply.status, reply.header("content-type"), reply.body) == (status, expected.TEXT, ANSWERS[status])
