"""Check a dev server's state folder before it is used: it can be created and written, and its D1 files are intact.

Left to wrangler, a read-only folder or a damaged D1 database shows up as an "internal error; reference = ..." from
`d1 migrations apply` (SQLITE_NOTADB only in the log) or, without migrations, as a 500 from every route that reads
D1 while the others answer. Here the error names the folder or file and what to do. Nothing in the state folder is
ever deleted.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from pathlib import Path

D1_DATABASES = "v3/d1/*/*.sqlite"  # miniflare's layout under --persist-to
SQLITE_HEADER = b"SQLite format 3\x00"
CORRUPTION_ERRORS = {"SQLITE_NOTADB", "SQLITE_CORRUPT"}


class StateError(RuntimeError):
    """The state folder cannot be used as it is; the message says what to do."""


class StateFolderError(StateError):
    """The state folder (or a file in it) cannot be created or written."""


class CorruptDatabase(StateError):
    """A D1 database file in the state folder is not a sound SQLite database."""


def check_state_folder(state_dir: Path) -> None:
    """Create state_dir if missing, then check it and its D1 databases can be written and read."""
    create_folder(state_dir)
    check_writable_folder(state_dir)
    for database in sorted(state_dir.glob(D1_DATABASES)):
        check_writable_folder(database.parent)
        check_writable_file(database)
        problem = database_problem(database)
        if problem:
            raise CorruptDatabase(corrupt_database_message(database, problem))


def create_folder(state_dir: Path) -> None:
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StateFolderError(
            f"cannot create the state folder {state_dir} ({error.strerror or error}): {creation_fix(state_dir)}"
        ) from None
    if not state_dir.is_dir():
        raise StateFolderError(f"the state folder {state_dir} exists but is not a folder: choose another path")


def creation_fix(state_dir: Path) -> str:
    existing = next(path for path in (state_dir, *state_dir.parents) if path.exists())
    if not existing.is_dir():
        return f"{existing} is a file, not a folder; choose another state folder"
    return f"make {existing} writable, or choose another state folder"


def check_writable_folder(folder: Path) -> None:
    """Create and remove a probe file: the one test that holds for root, read-only mounts and immutable folders."""
    try:
        handle, probe = tempfile.mkstemp(prefix=".parity-write-probe-", dir=folder)
    except OSError as error:
        raise StateFolderError(not_writable_message(folder, error)) from None
    os.close(handle)
    os.unlink(probe)


def check_writable_file(path: Path) -> None:
    try:
        with path.open("r+b"):  # opened for writing, nothing written
            pass
    except OSError as error:
        raise StateFolderError(not_writable_message(path, error)) from None


def not_writable_message(path: Path, error: OSError) -> str:
    return (
        f"the state {'folder' if path.is_dir() else 'file'} {path} is not writable ({error.strerror or error}): "
        "wrangler keeps the worker's D1, KV and other local data there. Make it writable (e.g. `chmod -R u+w` on it, "
        "or remount it read-write), or choose another state folder."
    )


def database_problem(path: Path) -> str | None:
    """Why the file is not a sound SQLite database, or None. An empty file is a valid empty database."""
    with path.open("rb") as file:
        header = file.read(len(SQLITE_HEADER))
    if header and header != SQLITE_HEADER:
        return "it does not start with the SQLite header (file is not a database)"
    try:
        with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as database:
            verdict = [row[0] for row in database.execute("PRAGMA quick_check").fetchall()]
    except sqlite3.DatabaseError as error:
        if getattr(error, "sqlite_errorname", None) in CORRUPTION_ERRORS:
            return str(error)
        return None  # busy or locked: not ours to judge, wrangler will say
    if verdict == ["ok"]:
        return None
    findings = [line.strip() for line in "\n".join(verdict).splitlines() if line.strip() and "***" not in line]
    return "SQLite's quick_check finds " + "; ".join(findings[:2]) + ("; …" if len(findings) > 2 else "")


def corrupt_database_message(path: Path, problem: str) -> str:
    companions = [path, *(Path(f"{path}{suffix}") for suffix in ("-wal", "-shm") if Path(f"{path}{suffix}").exists())]
    moves = " && ".join(f"mv {file} {file}.corrupt" for file in companions)
    return (
        f"the D1 database file {path} is damaged: {problem}. wrangler reports this only as an 'internal error' "
        "(migrations) or a 500 (requests that use D1). The harness leaves the file as it is. To start again with an "
        f"empty database (migrations re-create the tables; their rows are gone), move it aside: {moves}; "
        "or restore it from a backup."
    )
