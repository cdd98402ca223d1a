"""A worker folder's packages for the Python it runs: the one its compatibility date and flags give it (releases.py),
or the newest when that one cannot run it here — some of its packages have no wheel for it on PyPI, or it imports
standard-library modules that Pyodide release ships apart. Such a stand-in is remembered in the folder's
`.wrangler/` until pyproject.toml or the worker's own code changes, so later starts do not find it out again."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from workers_parity.project import wrangler
from workers_parity.pymodules import install, lock, releases
from workers_parity.pymodules.errors import NoUsableDistribution
from workers_parity.pymodules.target import PythonTarget

REMEMBERED = Path(".wrangler") / "workers-parity-python.json"
SKIPPED_DIRS = {"__pycache__", "node_modules", ".wrangler", ".venv", ".git"}


def sync(folder: Path) -> releases.Choice:
    """python_modules/ for the worker's Python; the Python it is for."""
    return _for_its_python(folder, lambda target: install.sync_python_modules(folder, target=target))


def write_lock(folder: Path) -> tuple[Path, releases.Choice]:
    """pylock.toml resolved afresh for the worker's Python; its path and the Python it is for."""
    written: list[Path] = []
    choice = _for_its_python(folder, lambda target: written.append(lock.write_lock(folder, target=target)))
    return written[-1], choice


def _by_compatibility(folder: Path) -> releases.Choice:
    if not wrangler.has_config(folder):
        return releases.Choice(releases.NEWEST, "the newest: no wrangler config names a compatibility date")
    config = wrangler.read(folder)
    date = config.compatibility_date or datetime.date.today().isoformat()  # wrangler dev's default
    return releases.release_for(date, config.compatibility_flags)


def _for_its_python(folder: Path, action: Callable[[PythonTarget], object]) -> releases.Choice:
    chosen = _by_compatibility(folder)
    remembered = _remembered(folder, chosen)
    if remembered:
        action(remembered.release.target)
        return remembered
    choice = chosen
    try:
        action(choice.release.target)
    except NoUsableDistribution as missing:
        if choice.release == releases.NEWEST:
            raise
        choice = releases.instead_for_packages(choice, missing.packages)
        action(choice.release.target)
    absent = imported_modules(folder, choice.release.modules_not_here)
    if absent:
        choice = releases.instead_for_modules(choice, absent)
        action(choice.release.target)
    _remember(folder, chosen, choice)
    return choice


def imported_modules(folder: Path, names: Iterable[str]) -> dict[str, str]:
    """Which of these top-level modules the worker's code or packages import unconditionally — an `import x` or
    `from x …` line of a module's top level (an indented one, in a function or under `try:`, may do without) — each
    with the first file that does."""
    names = tuple(names)
    if not names:
        return {}
    pattern = re.compile(rf"^(?:import|from)\s+({'|'.join(map(re.escape, names))})\b", re.MULTILINE)
    found: dict[str, str] = {}
    for source in _python_files(folder, with_packages=True):
        for name in pattern.findall(source.read_text(encoding="utf-8", errors="replace")):
            found.setdefault(name, str(source.relative_to(folder)))
    return dict(sorted(found.items()))


def _python_files(folder: Path, *, with_packages: bool) -> Iterable[Path]:
    skipped = SKIPPED_DIRS if with_packages else SKIPPED_DIRS | {"python_modules"}
    for directory, subdirectories, files in os.walk(folder):
        subdirectories[:] = sorted(name for name in subdirectories if name not in skipped)
        yield from (Path(directory) / name for name in sorted(files) if name.endswith(".py"))


# A decision holds while the Python the date gives, pyproject.toml, the lock and the worker's own code are what they
# were; one that kept the Python the date gives is remembered too, so the worker's packages are not read again.


def _remembered(folder: Path, chosen: releases.Choice) -> releases.Choice | None:
    try:
        saved = json.loads((folder / REMEMBERED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if saved.get("key") != _key(folder, chosen):
        return None
    release = next((r for r in releases.KNOWN if r.pyodide == saved.get("pyodide")), None)
    return releases.Choice(release, saved["reason"]) if release and isinstance(saved.get("reason"), str) else None


def _remember(folder: Path, chosen: releases.Choice, choice: releases.Choice) -> None:
    path = folder / REMEMBERED
    record = {"key": _key(folder, chosen), "pyodide": choice.release.pyodide, "reason": choice.reason}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    except OSError:
        pass  # a folder we cannot write to finds the stand-in again next time


def _key(folder: Path, chosen: releases.Choice) -> str:
    digest = hashlib.sha256(f"{chosen.release.pyodide}\0{chosen.reason}".encode())
    for name in ("pyproject.toml", lock.LOCK_NAME):
        digest.update(f"\0{name}\0".encode() + ((folder / name).read_bytes() if (folder / name).is_file() else b"-"))
    for path in _python_files(folder, with_packages=False):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
