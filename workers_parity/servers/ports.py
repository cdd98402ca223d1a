"""Local TCP ports: is one free, and a free one to use."""

from __future__ import annotations

import socket
import threading

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
    """A port free now that this process has not handed out before.

    The kernel may offer a port again as soon as the probe that found it closes: two servers made one after the
    other, then started together, were both given the same port once (one server answered for both)."""
    with _handing_out:
        while True:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            if port not in _handed_out:
                _handed_out.add(port)
                return port
