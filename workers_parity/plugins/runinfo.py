"""What identifies a run in its results file: an id, the time, the commit of the project's checkout."""

from __future__ import annotations

import subprocess
import uuid
from datetime import datetime
from pathlib import Path


def git_state(folder: Path) -> tuple[str | None, bool | None]:
    """The commit checked out in folder, and whether tracked files changed since; (None, None) outside git."""
    try:
        commit = _git(folder, "rev-parse", "HEAD")
        return commit, bool(_git(folder, "status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.CalledProcessError):
        return None, None


def _git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True).stdout.strip()


def now() -> str:
    return datetime.now().astimezone().isoformat("T", "seconds")


def run_id() -> str:
    return datetime.now().strftime("%Y%m%dT%H%M%S-") + uuid.uuid4().hex[:6]
