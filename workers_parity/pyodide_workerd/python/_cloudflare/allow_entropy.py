"""How many random values the worker's top level may take, and whether requests have begun.

At start-up workerd refuses random values. Importing some modules needs a few anyway (`random` seeds itself, Rust
extensions seed hash maps): those imports are given a counted number of deterministic ("bad") values, whose users
are blocked until the first request reseeds them. The counter is one byte in Python's memory that the host's
`crypto.getRandomValues` (host/startup.mjs) reads and decrements.
"""

from array import array
from contextlib import contextmanager

EIO = 29
_allowed_calls = array("b", [0])
_in_request = False


def allowance_address():
    return _allowed_calls.buffer_info()[0]


def in_request_context():
    return _in_request


def enter_request_context():
    global _in_request
    _in_request = True


def raise_unless_entropy_allowed():
    if not (_in_request or _allowed_calls[0] > 0):
        raise OSError(EIO, "Cannot get entropy outside of request context")


@contextmanager
def allow_bad_entropy_calls(num_calls):
    """Let the block take up to num_calls deterministic random values; what it leaves is withdrawn afterwards.

    workerd raises on a leftover allowance: its package builds take exactly what the SDK allows. PyPI's wheels may
    take fewer (pydantic-core's for Python 3.13 takes none), so here a leftover is only withdrawn, never handed on.
    """
    previous = _allowed_calls[0]
    _allowed_calls[0] = num_calls
    try:
        yield
    finally:
        _allowed_calls[0] = previous
