"""`workers-parity wrangler ARGS`, and any command that is not ours, run the pinned wrangler with our Node, as
pywrangler passes them on; and `workers-parity dev` keeps a folder's local state where wrangler's `--local` commands
look for it (the folder's .wrangler/state), so both see the same D1 data, whichever wrote it."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from workers_parity.servers import toolchain
from workers_parity.servers.ports import free_port

ROOT = Path(__file__).resolve().parents[1]  # the repository
NOTES_PY = ROOT / "examples" / "notes" / "py"
COMMAND = [sys.executable, "-m", "workers_parity"]


def workers_parity(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*COMMAND, *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def test_the_wrangler_command_passes_everything_on_options_first_included(tmp_path: Path) -> None:
    found = workers_parity("wrangler", "--version", cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip().endswith(toolchain.package_version("wrangler"))


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    folder = tmp_path / "notes"
    shutil.copytree(NOTES_PY, folder, ignore=shutil.ignore_patterns(".wrangler", "python_modules"))
    return folder


def d1_texts(folder: Path) -> list[str]:
    """The notes' texts, as `wrangler d1 execute --local` reads them from the folder's state."""
    query = ("d1", "execute", "NOTES_DB", "--local", "--command", "SELECT text FROM notes ORDER BY id", "--json")
    found = workers_parity("wrangler", *query, cwd=folder)
    assert found.returncode == 0, found.stderr
    return [row["text"] for row in json.loads(found.stdout)[0]["results"]]


class Dev:
    """`workers-parity dev` on the folder, from `Ready on` to a Ctrl-C."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        argv = [*COMMAND, "dev", "--port", str(self.port), "--python-runtime", "pyodide-workerd"]
        self.process = subprocess.Popen(argv, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.seen = []
        for line in self.process.stdout:
            self.seen.append(line)
            if "Ready on http://" in line:
                return
        raise AssertionError("workers-parity dev never became ready:\n" + "".join(self.seen[-20:]))

    def __enter__(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.communicate(timeout=60)


def test_dev_and_wranglers_local_d1_commands_share_the_folders_state(notes: Path) -> None:
    applied = workers_parity("d1", "migrations", "apply", "NOTES_DB", "--local", cwd=notes)  # no `wrangler` word
    assert applied.returncode == 0 and "0001_notes.sql" in applied.stdout, applied.stdout + applied.stderr
    assert (notes / ".wrangler" / "state" / "v3" / "d1").is_dir()
    insert = "INSERT INTO notes (text) VALUES ('by wrangler')"
    inserted = workers_parity("wrangler", "d1", "execute", "NOTES_DB", "--local", "--command", insert, cwd=notes)
    assert inserted.returncode == 0, inserted.stderr
    with Dev(notes) as base_url:
        assert requests.get(f"{base_url}/notes", timeout=30).json() == {"notes": [{"id": 1, "text": "by wrangler"}]}
        created = requests.post(f"{base_url}/notes", json={"text": "by the worker"}, timeout=30)
        assert created.status_code == 201, created.text
    assert d1_texts(notes) == ["by wrangler", "by the worker"]
