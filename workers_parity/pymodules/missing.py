"""One line per package that cannot go into python_modules/: which release, for which Pyodide, why not even from
source, what it does have (Pyodide wheels for another Python, an older release with a wheel), and what to do."""

from __future__ import annotations

from dataclasses import dataclass

from workers_parity.pymodules.index import IndexFile, Version, allows_python, listed_files, newest_matching, releases_of
from workers_parity.pymodules.pip import DEFAULT_INDEX, Requirement
from workers_parity.pymodules.target import PythonTarget, pyodide_platform, python_of_platform


@dataclass(frozen=True)
class Missing:
    name: str
    requirement: str  # as pip last saw it: `MarkupSafe>=2.0`
    reason: str  # why not from source, as a clause: "its source distribution needs a native build (maturin)"
    needed_by: str | None = None  # the worker's own requirement that pulls it in, when it is not one itself
    native: bool = False  # a native package: only a release with a Pyodide wheel of its own will do


def explain(missing: Missing, target: PythonTarget, indexes: list[str]) -> str:
    files = listed_files(missing.name, indexes)
    releases = releases_of(files or [])
    chosen = newest_matching(releases, missing.requirement)
    where = "PyPI" if DEFAULT_INDEX in indexes else ", ".join(indexes)
    needed = f" (needed by {missing.needed_by})" if missing.needed_by else ""
    if files is not None and chosen is None:
        return no_such_release(missing, releases, where, needed)
    what = f"{missing.name} {chosen}" if chosen else missing.requirement
    elsewhere = other_pyodides(releases.get(chosen, []), target) if chosen else ""
    head = f"no wheel of {what} for {target.describe()} on {where}, nor a pure-Python one{elsewhere}"
    fitting = fitting_release(releases, target, native=missing.native)
    return f"{head}, and {missing.reason}{needed}: {advice(missing, fitting)}"


def no_such_release(missing: Missing, releases: dict[Version, list[IndexFile]], where: str, needed: str) -> str:
    newest = max((version for version in releases if not version.is_prerelease), default=None)
    listed = f" (the newest is {newest})" if newest else " (no such project)"
    parent = Requirement(missing.needed_by).name if missing.needed_by else None
    fix = f"pin another version of {parent}" if parent else "fix the requirement in pyproject.toml"
    return f"no release of {missing.name} on {where} matches {missing.requirement}{listed}{needed}: {fix}"


def advice(missing: Missing, fitting: Version | None) -> str:
    remove = f"remove {Requirement(missing.needed_by).name} (which needs it)" if missing.needed_by else "remove it"
    pin = f"pin a version that has one ({missing.name} {fitting} is the newest)" if fitting else ""
    parts = [f"{remove} from pyproject.toml", pin, "or use a pure-Python alternative"]
    return ", ".join(part for part in parts if part)


def fitting_release(
    releases: dict[Version, list[IndexFile]], target: PythonTarget, *, native: bool = False
) -> Version | None:
    """The newest release with a wheel this Pyodide loads (a Pyodide wheel, when native) and a Requires-Python it
    meets."""

    def loads(file: IndexFile) -> bool:
        fits = target.fits(file.filename) and (not native or pyodide_platform(file.filename) is not None)
        return fits and allows_python(file, target.full_version)

    fitting = [version for version, files in releases.items() if any(loads(file) for file in files)]
    return max((version for version in fitting if not version.is_prerelease), default=None)


def other_pyodides(files: list[IndexFile], target: PythonTarget) -> str:
    """` (its Pyodide wheels are for pyemscripten_2024_0_wasm32 only: Python 3.12)`, or nothing."""
    platforms = sorted({pyodide_platform(file.filename) for file in files} - {None})
    if not platforms:
        return ""
    pythons = sorted({python_of_platform(platform) for platform in platforms} - {None})
    for_python = f": Python {', '.join(pythons)}" if pythons else ""
    return f" (its Pyodide wheels are for {', '.join(platforms)} only{for_python})"
