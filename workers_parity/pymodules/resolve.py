"""Resolve a worker's requirements to exact files for a Pyodide target, for its lock: the target's own wheels and
pure-Python ones from the package index, or, for a package with neither, its source distribution when that builds to a
pure-Python wheel.

pip resolves with the target's platform tags and Python version, but evaluates environment markers
(`sys_platform == "win32"`) for the Python running it; we therefore re-walk pip's resolution with Pyodide's markers and
keep exactly the packages Pyodide needs, each with the URL and sha256 of the file pip chose.
"""

from __future__ import annotations

import json
import tempfile
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from workers_parity.pymodules import index
from workers_parity.pymodules.errors import HashMismatch, IndexUnreachable, NoUsableDistribution, PythonModulesError
from workers_parity.pymodules.missing import Missing, explain
from workers_parity.pymodules.pip import (
    Requirement,
    Unavailable,
    canonical_name,
    check_pip_result,
    indexes_in,
    install_args,
    run_pip,
    without_marker,
)
from workers_parity.pymodules.sdist import NotPure, SourceBuilds
from workers_parity.pymodules.target import PythonTarget, pyodide_platform

MAX_RESOLVE_ROUNDS = 8  # each round adds requirements pip skipped for the host's markers or a package built from source


@dataclass(frozen=True)
class Locked:
    """One locked package: the exact file python_modules/ gets it from (a wheel, or a source distribution)."""

    name: str
    version: str
    filename: str
    url: str
    sha256: str

    @property
    def from_source(self) -> bool:
        return not self.filename.endswith(".whl")

    def __str__(self) -> str:
        return f"{self.name}=={self.version}"


@dataclass(frozen=True)
class Resolved:
    """One package from pip's installation report."""

    locked: Locked
    requires: tuple[str, ...]


@dataclass(frozen=True)
class Resolution:
    packages: dict[str, Resolved]
    indexes: list[str]  # where pip looked, for finding a public URL of a file it took from a local mirror


class Unresolvable(PythonModulesError):
    """Some packages cannot be had for the target (internal: resolve_for_pyodide names them all)."""

    def __init__(self, missing: list[Missing], indexes: list[str]) -> None:
        self.missing, self.indexes = missing, indexes
        super().__init__(", ".join(item.name for item in missing))


def resolve_for_pyodide(
    requirements: list[str], target: PythonTarget, python: str, *, preferred: Iterable[Locked] = ()
) -> list[Locked]:
    """The files Pyodide needs for the requirements, sorted by name, each with a URL anyone can download.

    Preferred packages (an earlier lock's) keep their versions where the requirements still allow them.
    """
    with tempfile.TemporaryDirectory(prefix="parity-resolve-") as scratch:
        builds = SourceBuilds(Path(scratch) / "built", target, python)
        constraints = write_constraints(Path(scratch) / "constraints.txt", preferred)
        if constraints:
            try:
                return without_natives_left_behind(
                    requirements, *resolve_roots(requirements, builds, constraints), builds
                )
            except (IndexUnreachable, HashMismatch, NoUsableDistribution):
                raise
            except PythonModulesError:
                pass  # the earlier versions no longer fit together: resolve afresh
        try:
            locked, indexes = resolve_roots(requirements, builds)
            return without_natives_left_behind(requirements, locked, indexes, builds)
        except Unresolvable as failure:
            raise every_missing(requirements, builds, failure) from None


def without_natives_left_behind(
    requirements: list[str], locked: list[Locked], indexes: list[str], builds: SourceBuilds
) -> list[Locked]:
    """The resolution, unless pip took a pure-Python release of a package the worker asks for whose newest release is
    native (pydantic-core's 0.0.1 placeholder, for want of a wheel of 2.x for this Python): a far older release, not
    the package the worker means. Such packages are named as missing, as pip would have had to."""
    versions = {package.name: package for package in locked}
    left_behind = []
    for text in requirements:
        requirement = Requirement(text)
        package = versions.get(canonical_name(requirement.name))
        if package is not None and native_left_behind(package, requirement, indexes):
            reason = (
                f"the release pip would take instead, {package.version}, is a pure-Python one without its native code"
            )
            left_behind.append(Missing(package.name, text, reason, native=True))
    if left_behind:
        lines = [explain(item, builds.target, indexes) for item in left_behind]
        raise NoUsableDistribution([item.name for item in left_behind], lines)
    return locked


def native_left_behind(package: Locked, requirement: Requirement, indexes: list[str]) -> bool:
    if pyodide_platform(package.filename):
        return False
    releases = index.releases_of(index.listed_files(package.name, indexes) or [])
    newest = index.newest_matching(releases, str(requirement))
    if newest is None or str(newest) == package.version:
        return False
    return any(pyodide_platform(file.filename) for file in releases[newest])


def write_constraints(path: Path, preferred: Iterable[Locked]) -> Path | None:
    pins = sorted(str(package) for package in preferred)
    if not pins:
        return None
    path.write_text("".join(f"{pin}\n" for pin in pins), encoding="utf-8")
    return path


def resolve_roots(
    requirements: list[str], builds: SourceBuilds, constraints: Path | None = None
) -> tuple[list[Locked], list[str]]:
    """The files, sorted by name, and the indexes pip looked in."""
    roots = list(requirements)
    for _ in range(MAX_RESOLVE_ROUNDS):
        try:
            resolution = pip_resolve(roots, builds, constraints)
        except Unavailable as unavailable:
            build_from_source(unavailable, builds)
            continue
        needed, unresolved = needed_on_pyodide(roots, resolution.packages, builds.target)
        if not unresolved:
            files = (locked_file(item, builds, resolution.indexes) for item in needed)
            return sorted(files, key=lambda x: x.name), resolution.indexes
        roots += unresolved
    raise PythonModulesError(f"could not resolve {', '.join(requirements)} for Pyodide in {MAX_RESOLVE_ROUNDS} rounds")


def build_from_source(unavailable: Unavailable, builds: SourceBuilds) -> None:
    """Build each package pip found no wheel for from its source distribution, or name those that cannot be."""
    missing, indexes = [], indexes_in(unavailable.pip_output)
    for name, requirement in unavailable.requirements.items():
        try:
            builds.add(requirement, indexes)
        except NotPure as not_pure:
            missing.append(Missing(name, requirement, not_pure.reason))
    if missing:
        raise Unresolvable(missing, indexes)


def pip_resolve(roots: list[str], builds: SourceBuilds, constraints: Path | None) -> Resolution:
    """Ask pip (without installing) which files satisfy the requirements on the target."""
    with tempfile.TemporaryDirectory(prefix="parity-pip-") as scratch:
        report = Path(scratch) / "report.json"
        extra = ["--dry-run", "--report", str(report), "--find-links", str(builds.folder)]
        extra += ["--constraint", str(constraints)] if constraints else []
        result = run_pip(builds.python, install_args(Path(scratch) / "target", builds.target, *extra, *roots))
        check_pip_result(result, "resolving " + ", ".join(roots))
        entries = json.loads(report.read_text(encoding="utf-8"))["install"]
    packages = {canonical_name(entry["metadata"]["name"]): resolved_from_report(entry) for entry in entries}
    return Resolution(packages, indexes_in(result.stdout))


def resolved_from_report(entry: dict) -> Resolved:
    metadata, download = entry["metadata"], entry["download_info"]
    url = download["url"]
    locked = Locked(
        name=canonical_name(metadata["name"]),
        version=metadata["version"],
        filename=urllib.parse.unquote(url.rsplit("/", 1)[-1]),
        url=url,
        sha256=download["archive_info"]["hashes"]["sha256"],
    )
    return Resolved(locked, tuple(metadata.get("requires_dist") or ()))


def locked_file(package: Locked, builds: SourceBuilds, indexes: list[str]) -> Locked:
    """What the lock names: the source distribution of a wheel built here, else the wheel's public URL."""
    source = builds.source_of(package.name, package.version)
    if source:
        return Locked(source.name, source.version, source.filename, source.url, source.sha256)
    url = index.public_url(package.name, package.filename, package.url, package.sha256, indexes)
    return Locked(package.name, package.version, package.filename, url, package.sha256)


def applies_on(requirement: Requirement, extras: Iterable[str], target: PythonTarget) -> bool:
    if requirement.marker is None:
        return True
    markers = target.markers()
    return any(requirement.marker.evaluate({**markers, "extra": extra}) for extra in ("", *extras))


def needed_on_pyodide(
    roots: list[str], resolved: dict[str, Resolved], target: PythonTarget
) -> tuple[list[Locked], list[str]]:
    """Walk the dependency graph from the roots with Pyodide's markers.

    Returns the files to install and the requirements pip did not resolve because the host's markers excluded them.
    """
    pending = [Requirement(text) for text in roots]
    needed: dict[str, Locked] = {}
    unresolved: list[str] = []
    seen: set[tuple[str, frozenset[str]]] = set()
    while pending:
        requirement = pending.pop()
        name, extras = canonical_name(requirement.name), frozenset(requirement.extras)
        if (name, extras) in seen or not applies_on(requirement, (), target):
            continue
        seen.add((name, extras))
        if name not in resolved:
            unresolved.append(str(without_marker(requirement)))
            continue
        needed[name] = resolved[name].locked
        dependencies = (Requirement(text) for text in resolved[name].requires)
        # A dependency's marker is judged here, with its dependent's extras (`h2; extra == "http2"`), and only here.
        pending.extend(without_marker(item) for item in dependencies if applies_on(item, extras, target))
    return list(needed.values()), unresolved


def every_missing(requirements: list[str], builds: SourceBuilds, first: Unresolvable) -> NoUsableDistribution:
    """pip stops at the first package it cannot place; resolve each requirement alone to name them all."""
    found: dict[str, Missing] = {}
    indexes = first.indexes
    for requirement in requirements:
        try:
            resolve_roots([requirement], builds)
        except (IndexUnreachable, HashMismatch):
            raise
        except Unresolvable as failure:
            root = canonical_name(Requirement(requirement).name)
            for item in failure.missing:
                needed_by = requirement if item.name != root else None
                found.setdefault(item.name, Missing(item.name, item.requirement, item.reason, needed_by))
        except PythonModulesError:
            continue  # alone it fails otherwise (a conflict): what it lacks is named with the others, if at all
    for item in first.missing:  # when only the requirements together pull it in
        found.setdefault(item.name, item)
    lines = [explain(item, builds.target, indexes) for item in found.values()]
    return NoUsableDistribution(list(found), lines)
