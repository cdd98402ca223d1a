"""Local TCP ports: is one free, and a free one to use."""

from __future__ import annotations

import random
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")  # Linux: "32768\t60999"
LOWEST = 10000  # below it, ports people give their services (8787 and its neighbours among them)
TRIES = 200

_handed_out: set[int] = set()
_handing_out = threading.Lock()  # servers are made on several threads at once


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port free now, that this process has not handed out before, outside the kernel's ephemeral range.

    The kernel hands ports of that range to every bind to port 0 and every outgoing connection, so one found free
    there may be taken a moment later: miniflare's loopback server, started by a dev server before it listens, once
    got the port just chosen for that server, and answered its readiness check. And two servers made one after the
    other, then started together, were once given the same port (one server answered for both)."""
    with _handing_out:
        for port in _candidates():
            if port not in _handed_out and port_is_free(port):
                _handed_out.add(port)
                return port
    raise OSError("no free local TCP port found")


def _candidates() -> Iterator[int]:
    """Random ports below the ephemeral range; where there is no room below it, ports the kernel offers."""
    first_ephemeral = _first_ephemeral_port()
    if first_ephemeral - LOWEST >= 1000:
        yield from (random.randrange(LOWEST, first_ephemeral) for _ in range(TRIES))
    for _ in range(TRIES):
        yield _offered_by_the_kernel()


def _first_ephemeral_port() -> int:
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return LOWEST  # not Linux: no room known, the kernel chooses


def _offered_by_the_kernel() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
