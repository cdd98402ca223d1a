"""The workers-parity cache: npm packages and Pyodide memory snapshots, shared by every project on this machine.

It lives in the platform's cache folder (`~/.cache/workers-parity` on Linux), or where `WORKERS_PARITY_CACHE_DIR`
points, never in a user's worker folder.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import platformdirs

CACHE_ENV = "WORKERS_PARITY_CACHE_DIR"


def cache_dir() -> Path:
    value = os.environ.get(CACHE_ENV)
    return Path(value).expanduser().resolve() if value else Path(platformdirs.user_cache_dir("workers-parity"))


def snapshot_dir(worker_folder: Path) -> Path:
    """One folder per worker folder, so that removing a stale snapshot never touches another project's."""
    digest = hashlib.sha256(str(worker_folder.resolve()).encode()).hexdigest()[:16]
    return cache_dir() / "snapshots" / f"{worker_folder.resolve().name}-{digest}"


@contextlib.contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """Held while one process fills a cache entry, so that two at once never install into the same folder."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
