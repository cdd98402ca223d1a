"""The first run's long steps say what starts and why, then how long it took: installing node_modules and a worker's
python_modules (both faked here), pyodide-workerd's memory snapshot (read from a log), and under pytest too, where a
session fixture's output is otherwise captured."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from workers_parity.pymodules import install as pymodules
from workers_parity.pymodules import lock as pylock
from workers_parity.render import progress, terminal
from workers_parity.servers import cache, startlog, toolchain

STAMP = re.compile(r"^\[\s*\d+\.\ds\] ")


def said(lines: list[str]) -> list[str]:
    """The lines without their timestamps, durations made `N s`."""
    return [re.sub(r"\d+(\.\d)? s$", "N s", STAMP.sub("", line)) for line in lines]


def test_a_step_underway_says_what_and_why_then_its_duration_in_a_log() -> None:
    shown = terminal.captured(colour=False)
    with progress.underway("installing things", "first run", shown):
        pass
    with pytest.raises(RuntimeError), progress.underway("installing more", "lock changed", shown):
        raise RuntimeError("no network")
    assert said(terminal.text_of(shown).splitlines()) == [
        "installing things (first run) ...",
        "installing things: done in N s",
        "installing more (lock changed) ...",
        "installing more: failed after N s",
    ]


def test_on_a_terminal_the_lines_stay_and_the_spinner_goes() -> None:
    shown = terminal.captured(colour=True)
    with progress.underway("installing things", "first run", shown):
        pass
    text = terminal.text_of(shown)
    assert "installing things (first run) ..." in text and "installing things: done in" in text
    assert progress._spinner.bar is None


def test_while_a_bar_shows_a_step_underway_is_told_above_it_not_through_another_console(capsys) -> None:
    shown = terminal.captured(colour=True)
    with progress.steps("starting the dev servers", 1, shown) as steps:
        with progress.underway("installing things", "first run"):
            assert progress._spinner.bar is None, "one live display at a time"
        steps.done("js ready")
    text = terminal.text_of(shown)
    assert "installing things (first run) ..." in text and "installing things: done in" in text
    assert capsys.readouterr().out == ""


def test_routed_lines_go_to_the_writer_and_nowhere_else(capsys) -> None:
    lines: list[str] = []
    with progress.routed(lines.append), progress.underway("installing things", "first run"):
        pass
    assert said(lines) == ["installing things (first run) ...", "installing things: done in N s"]
    assert capsys.readouterr().out == ""


def test_node_modules_announce_their_install_once(tmp_path: Path, monkeypatch) -> None:
    """The npm packages go to the cache, one folder per lock: installed once, again after the lock changes."""
    package = tmp_path / "package"
    package.mkdir()
    (package / "package.json").write_text("{}")
    monkeypatch.setattr(toolchain, "NODE_PACKAGE", package)
    monkeypatch.setattr(toolchain, "LOCK_FILE", package / "package-lock.json")
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    installs = []
    monkeypatch.setattr(toolchain, "npm_ci", installs.append)
    toolchain.LOCK_FILE.write_text("{}")
    lines: list[str] = []
    with progress.routed(lines.append):
        first = toolchain.ensure_node_modules()
        toolchain.ensure_node_modules()  # installed: nothing to say
        toolchain.LOCK_FILE.write_text('{"changed": true}')
        second = toolchain.ensure_node_modules()
    assert said(lines) == [
        f"installing workers-parity's npm packages into {first.parent} (npm ci) (first run) ...",
        f"installing workers-parity's npm packages into {first.parent} (npm ci): done in N s",
        f"installing workers-parity's npm packages into {second.parent} (npm ci) (a new package-lock.json) ...",
        f"installing workers-parity's npm packages into {second.parent} (npm ci): done in N s",
    ]
    assert installs == [first.parent, second.parent]
    assert first.parent.parent == second.parent.parent == tmp_path / "cache" / "node"


def test_python_modules_announce_their_install(tmp_path: Path, monkeypatch) -> None:
    worker = tmp_path / "py-worker"
    worker.mkdir()
    (worker / "pyproject.toml").write_text('[project]\nname = "w"\nversion = "0"\ndependencies = []\n')
    monkeypatch.setattr(pylock, "ensure_lock", lambda folder, **_: pylock_with_two_packages(folder))
    monkeypatch.setattr(pymodules, "pip_install", lambda lock, directory, *_: (directory / "installed").touch())
    lines: list[str] = []
    with progress.routed(lines.append):
        pymodules.sync_python_modules(worker)
    assert (worker / "python_modules" / "installed").exists()
    assert said(lines) == [
        "installing py-worker's python_modules from pylock.toml (2 packages) (first run) ...",
        "installing py-worker's python_modules from pylock.toml (2 packages): done in N s",
    ]


def test_a_missing_lock_announces_its_writing_once(tmp_path: Path, monkeypatch) -> None:
    worker = tmp_path / "py-worker"
    worker.mkdir()
    (worker / "pyproject.toml").write_text('[project]\nname = "w"\nversion = "0"\ndependencies = []\n')
    monkeypatch.setattr(pylock, "resolve_for_pyodide", lambda *_, **__: [])
    lines: list[str] = []
    with progress.routed(lines.append), pylock.serialized(worker):
        pylock.ensure_lock(worker)
        pylock.ensure_lock(worker)  # current: nothing to say
    what = "locking py-worker's packages for Python 3.14 on Pyodide (pyemscripten_2026_0_wasm32) into pylock.toml"
    assert said(lines) == [f"{what} (no pylock.toml yet) ...", f"{what}: done in N s"]


def pylock_with_two_packages(folder: Path):
    (folder / "pylock.toml").write_text("# made up\n")

    class Lock:
        path = folder / "pylock.toml"
        packages = ["a==1", "b==2"]

    return Lock()


def test_a_snapshot_being_taken_is_told_when_the_log_says_so(tmp_path: Path) -> None:
    log = tmp_path / "py.log"
    log.write_text("an earlier start\nsnapshot: taking /old.bin (first start)\n")  # before the watch: not this start
    lines: list[str] = []
    with progress.routed(lines.append):
        watch = startlog.StartLog("py-worker", log)
        with log.open("a") as out:
            out.write("snapshot: taking /s/snapshot-1.bin (first st")
            out.flush()
            watch.poll()  # half a line: not yet
            assert lines == []
            out.write("art)\n")
            out.flush()
            watch.poll()
            assert said(lines) == ["py-worker: making the memory snapshot (first start) ..."]
            out.write("snapshot: created /s/snapshot-1.bin\nReady on http://127.0.0.1:1\n")
        watch.close()
    assert said(lines)[1:] == ["py-worker: making the memory snapshot: done in N s"]


def test_a_start_that_fails_during_the_snapshot_says_so(tmp_path: Path) -> None:
    log = tmp_path / "py.log"
    lines: list[str] = []
    with progress.routed(lines.append):
        watch = startlog.StartLog("py-worker", log)
        log.write_text("snapshot: taking /s/snapshot-1.bin (its inputs changed)\n")
        watch.close(failed=True)
    assert said(lines) == [
        "py-worker: making the memory snapshot (its inputs changed) ...",
        "py-worker: making the memory snapshot: failed after N s",
    ]


SUITE = """
import pytest
from workers_parity.render import progress


@pytest.fixture(scope="session")
def installed():
    print("an ordinary print, captured as always")
    with progress.underway("installing things", "first run"):
        pass


def test_uses_it(installed):
    pass
"""


@pytest.mark.parametrize("blocked", [False, True], ids=["installed plugin", "plugin blocked"])
def test_under_pytest_a_session_fixtures_progress_reaches_the_terminal(tmp_path: Path, blocked: bool) -> None:
    """workers-parity's pytest plugin (its pytest11 entry point) lets the lines through; blocked, pytest's capture
    keeps them."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_suite.py").write_text(SUITE)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-c", str(tmp_path / "pytest.ini")]
    command += ["-p", "no:workers_parity"] if blocked else []
    finished = subprocess.run([*command, str(tmp_path)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    shown = "installing things (first run) ..." in finished.stdout and "installing things: done in" in finished.stdout
    assert shown == (not blocked), finished.stdout
    assert "an ordinary print" not in finished.stdout
