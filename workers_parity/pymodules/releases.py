"""Which Python a worker runs: Cloudflare picks it by the worker's compatibility date and flags, and pyodide-workerd
runs the npm release of the same Pyodide, or says which one it runs instead.

Measured with workerd 1.20261117.1 (the one our npm lock pins), from the Pyodide bundle workerd asks for:
a date from 2026-09-08 gets Pyodide 314.0.6, the flag python_workers_20260610 314.0.4, a date from 2025-09-29 (or the
flag python_workers_20250116, unless no_python_workers_20250116) 0.28.2, anything older 0.26.0a2.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from workers_parity.pymodules.target import PY313, PY314, PythonTarget


@dataclass(frozen=True)
class PythonRelease:
    target: PythonTarget  # the Python and the wheels its packages need
    pyodide: str  # the npm Pyodide that runs it here
    npm_package: str  # its name in workers_parity/node/package.json
    # Standard-library modules this release ships as separate packages, fetched from Pyodide's CDN, so not here
    # offline (its pyodide-lock.json's cpython_module packages; tests/test_python_releases.py checks the list).
    modules_not_here: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"Python {self.target.python} (Pyodide {self.pyodide})"


@dataclass(frozen=True)
class Choice:
    release: PythonRelease
    reason: str  # why, in words: the date or flag that chose it, and any stand-in


PYODIDE_314_0_6 = PythonRelease(PY314, "314.0.6", "pyodide")
PYODIDE_314_0_4 = PythonRelease(PY314, "314.0.4", "pyodide-314.0.4")
PYODIDE_0_28_2 = PythonRelease(
    PY313, "0.28.2", "pyodide-0.28.2", ("_hashlib", "_lzma", "_sqlite3", "_ssl", "lzma", "sqlite3", "ssl")
)
NEWEST = PYODIDE_314_0_6
KNOWN = (PYODIDE_314_0_6, PYODIDE_314_0_4, PYODIDE_0_28_2)

PYTHON_314_DATE = "2026-09-08"
PYTHON_313_DATE = "2025-09-29"
PYTHON_314_0_4_FLAG = "python_workers_20260610"
PYTHON_313_FLAG = "python_workers_20250116"


def release_for(compatibility_date: str, flags: Iterable[str]) -> Choice:
    """The Python Cloudflare runs for these compatibility settings, or the stand-in that runs here, and why."""
    flags = set(flags)
    if compatibility_date >= PYTHON_314_DATE:
        return Choice(PYODIDE_314_0_6, f"as Cloudflare runs compatibility date {compatibility_date}")
    if PYTHON_314_0_4_FLAG in flags:
        return Choice(PYODIDE_314_0_4, f"as Cloudflare runs compatibility flag {PYTHON_314_0_4_FLAG}")
    if f"no_{PYTHON_313_FLAG}" not in flags:
        if compatibility_date >= PYTHON_313_DATE:
            return Choice(PYODIDE_0_28_2, f"as Cloudflare runs compatibility date {compatibility_date}")
        if PYTHON_313_FLAG in flags:
            return Choice(PYODIDE_0_28_2, f"as Cloudflare runs compatibility flag {PYTHON_313_FLAG}")
    return Choice(
        PYODIDE_0_28_2,
        f"instead of Python 3.12 (Pyodide 0.26.0a2), which Cloudflare runs for compatibility date "
        f"{compatibility_date}: npm has no such release, and its 0.26 releases cannot start a worker under workerd's "
        "start-up rules",
    )


def instead_for_modules(choice: Choice, importers: dict[str, str]) -> Choice:
    """The newest Python, when the worker imports standard-library modules its Python lacks offline (module name ->
    a file importing it), and why."""
    imports = ", ".join(f"{name} ({where})" for name, where in sorted(importers.items()))
    return Choice(
        NEWEST,
        f"instead of {choice.release.describe()} ({choice.reason}): the worker imports {imports}, which Pyodide "
        f"{choice.release.pyodide} ships apart from its standard library, on its CDN",
    )


def instead_for_packages(choice: Choice, missing: Iterable[str]) -> Choice:
    """The newest Python, when the chosen one lacks wheels of some packages on PyPI, and why."""
    names = ", ".join(sorted(missing))
    return Choice(
        NEWEST,
        f"instead of {choice.release.describe()} ({choice.reason}): {names} "
        f"{'has' if ',' not in names else 'have'} no wheel for it on PyPI",
    )
