"""A worker folder's packages for the Python it runs: the one its compatibility date and flags give it (releases.py),
or the newest when some of its packages have no wheel for that one on PyPI."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path

from workers_parity.project import wrangler
from workers_parity.pymodules import install, lock, releases
from workers_parity.pymodules.errors import NoUsableDistribution
from workers_parity.pymodules.target import PythonTarget


def python_of(folder: Path) -> releases.Choice:
    """The Python Cloudflare gives the worker, by the compatibility settings of its wrangler config."""
    config = wrangler.read(folder)
    date = config.compatibility_date or datetime.date.today().isoformat()  # wrangler dev's default
    return releases.release_for(date, config.compatibility_flags)


def sync(folder: Path) -> releases.Choice:
    """python_modules/ for the worker's Python; the Python it is for."""
    return _for_its_python(folder, lambda target: install.sync_python_modules(folder, target=target))


def write_lock(folder: Path) -> tuple[Path, releases.Choice]:
    """pylock.toml resolved afresh for the worker's Python; its path and the Python it is for."""
    written: list[Path] = []
    choice = _for_its_python(folder, lambda target: written.append(lock.write_lock(folder, target=target)))
    return written[-1], choice


def _for_its_python(folder: Path, action: Callable[[PythonTarget], object]) -> releases.Choice:
    choice = python_of(folder)
    try:
        action(choice.release.target)
    except NoUsableDistribution as missing:
        if choice.release.target == releases.NEWEST.target:
            raise
        choice = releases.instead_for_packages(choice, missing.packages)
        action(choice.release.target)
    return choice
