"""The workers-parity cache: npm packages and Pyodide memory snapshots, shared by every project on this machine.

It lives in the platform's cache folder (`~/.cache/workers-parity` on Linux), or where `WORKERS_PARITY_CACHE_DIR`
points, never in a user's worker folder.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import platformdirs

CACHE_ENV = "WORKERS_PARITY_CACHE_DIR"


def cache_dir() -> Path:
    value = os.environ.get(CACHE_ENV)
    return Path(value).expanduser().resolve() if value else Path(platformdirs.user_cache_dir("workers-parity"))


SNAPSHOTS = "snapshots"
OWNER_FILE = "worker-folder"  # in each snapshot folder: the worker folder it belongs to


def snapshot_dir(worker_folder: Path) -> Path:
    """One folder per worker folder, so that removing a stale snapshot never touches another project's; it names
    its worker folder, so that it goes when that folder goes (prune_snapshots)."""
    folder = worker_folder.resolve()
    digest = hashlib.sha256(str(folder).encode()).hexdigest()[:16]
    snapshots = cache_dir() / SNAPSHOTS / f"{folder.name}-{digest}"
    snapshots.mkdir(parents=True, exist_ok=True)
    (snapshots / OWNER_FILE).write_text(str(folder), encoding="utf-8")
    return snapshots


def prune_snapshots() -> list[Path]:
    """Remove the snapshots of worker folders that no longer exist (a memory snapshot is tens of MB); the removed."""
    removed = []
    for snapshots in sorted((cache_dir() / SNAPSHOTS).glob("*/")):
        try:
            owner = Path((snapshots / OWNER_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # being made, or not ours to judge
        if not owner.is_dir():
            shutil.rmtree(snapshots, ignore_errors=True)
            removed.append(snapshots)
    return removed


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
