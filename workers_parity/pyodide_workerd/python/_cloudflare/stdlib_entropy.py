"""The standard library at start-up, as workerd shapes it: importing `random` (which seeds itself) works, using its
seeded functions does not until the first request reseeds them; `os.urandom` and everything built on it
(`secrets`, `uuid.uuid4`, `random.SystemRandom`) raise OSError; `tempfile` names its files from a fixed sequence."""

import os
import sys
from contextlib import contextmanager, nullcontext
from functools import wraps
from itertools import count

from .allow_entropy import allow_bad_entropy_calls, raise_unless_entropy_allowed
from .import_patch_manager import block_calls, register_before_first_request, register_exec_patch

IMPORT_ENTROPY_CALLS = 64  # more than CPython's `random` takes to seed itself; what is left over is dropped
_workerd_urandom = os.urandom


@wraps(_workerd_urandom)
def _urandom(size):
    raise_unless_entropy_allowed()
    return _workerd_urandom(size)


def install():
    """Called once, before the worker's packages are imported; modules already imported are shaped at once."""
    os.urandom = _urandom
    for name, shape in (("_random", _shape_random_seed), ("random", _block_random), ("tempfile", _fix_tempfile)):
        if name in sys.modules:
            shape(sys.modules[name])
        else:
            register_exec_patch(name)(_after_import(shape, entropy=name == "random"))
    register_exec_patch("multiprocessing.process")(_entropy_for_import)


def _after_import(shape, *, entropy):
    @contextmanager
    def patch(module):
        with _entropy_for_import() if entropy else nullcontext():
            yield
        shape(module)

    return patch


@contextmanager
def _entropy_for_import(module=None):
    with allow_bad_entropy_calls(IMPORT_ENTROPY_CALLS):
        yield


def _block_random(random):
    block_calls(random, allowlist=("Random", "SystemRandom"))
    register_before_first_request("random")(lambda module: module.seed())


def _shape_random_seed(_random):
    """`random.Random()` seeds itself from getentropy(): at start-up that is an OSError, not a crashed interpreter."""
    seed = _random.Random.seed

    @wraps(seed)
    def checked_seed(self, value=None):
        if value is None:
            raise_unless_entropy_allowed()
        return seed(self, value)

    _random.Random.seed = checked_seed
    register_before_first_request("_random")(lambda module: setattr(module.Random, "seed", seed))


def _fix_tempfile(tempfile):
    original = tempfile._RandomNameSequence
    tempfile._RandomNameSequence = _FixedNameSequence
    register_before_first_request("tempfile")(lambda module: setattr(module, "_RandomNameSequence", original))


class _FixedNameSequence:
    characters = "abcdefghijklmnopqrstuvwxyz0123456789_"

    def __init__(self):
        self._numbers = count(1)

    def __iter__(self):
        return self

    def __next__(self):
        number, letters = next(self._numbers), []
        for _ in range(8):
            number, digit = divmod(number, len(self.characters))
            letters.append(self.characters[digit])
        return "".join(letters)
