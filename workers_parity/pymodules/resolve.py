"""Resolve a worker's requirements to exact pure-Python wheels for Pyodide (Python 3.14, wasm32), for its lock.

pip resolves on the host interpreter, which evaluates environment markers (`python_version < "3.13"`) for the host
rather than for Pyodide; we therefore re-walk pip's resolution with Pyodide's markers and keep exactly the packages
Pyodide needs, each with the URL and sha256 of the wheel pip chose.
"""

from __future__ import annotations

import json
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from workers_parity.pymodules.pip import (
    TARGET_PYTHON,
    IndexUnreachable,
    NoPureWheelError,
    PythonModulesError,
    Requirement,
    canonical_name,
    check_pip_result,
    indexes_in,
    install_args,
    run_pip,
    unreachable_indexes,
    without_marker,
)

# What Pyodide's interpreter reports for PEP 508 markers.
PYODIDE_MARKERS = {
    "implementation_name": "cpython",
    "implementation_version": "3.14.2",
    "os_name": "posix",
    "platform_machine": "wasm32",
    "platform_python_implementation": "CPython",
    "platform_release": "",
    "platform_system": "Emscripten",
    "platform_version": "",
    "python_full_version": "3.14.2",
    "python_version": TARGET_PYTHON,
    "sys_platform": "emscripten",
}
MAX_RESOLVE_ROUNDS = 4
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


@dataclass(frozen=True)
class Wheel:
    """One locked package: the exact wheel file Pyodide gets."""

    name: str
    version: str
    filename: str
    url: str
    sha256: str

    def __str__(self) -> str:
        return f"{self.name}=={self.version}"


@dataclass(frozen=True)
class Resolved:
    """One package from pip's installation report."""

    wheel: Wheel
    requires: tuple[str, ...]


@dataclass(frozen=True)
class Resolution:
    packages: dict[str, Resolved]
    indexes: list[str]  # where pip looked, for finding a public URL of a wheel it took from a local mirror


def pip_resolve(requirements: list[str], python: str) -> Resolution:
    """Ask pip (without installing) which pure-Python wheels satisfy the requirements."""
    with tempfile.TemporaryDirectory(prefix="parity-pip-") as scratch:
        report = Path(scratch) / "report.json"
        target = Path(scratch) / "target"
        result = run_pip(python, install_args(target, "--dry-run", "--report", str(report), *requirements))
        check_pip_result(result, "resolving " + ", ".join(requirements), python)
        entries = json.loads(report.read_text(encoding="utf-8"))["install"]
    packages = {canonical_name(entry["metadata"]["name"]): resolved_from_report(entry) for entry in entries}
    return Resolution(packages, indexes_in(result.stdout))


def resolved_from_report(entry: dict) -> Resolved:
    metadata, download = entry["metadata"], entry["download_info"]
    url = download["url"]
    wheel = Wheel(
        name=canonical_name(metadata["name"]),
        version=metadata["version"],
        filename=urllib.parse.unquote(url.rsplit("/", 1)[-1]),
        url=url,
        sha256=download["archive_info"]["hashes"]["sha256"],
    )
    return Resolved(wheel, tuple(metadata.get("requires_dist") or ()))


def applies_on_pyodide(requirement: Requirement, extras: Iterable[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({**PYODIDE_MARKERS, "extra": extra}) for extra in ("", *extras))


def needed_on_pyodide(roots: list[str], resolved: dict[str, Resolved]) -> tuple[list[Wheel], list[str]]:
    """Walk the dependency graph from the roots with Pyodide's markers.

    Returns the wheels to install and the requirements pip did not resolve because the host's markers excluded them.
    """
    pending = [Requirement(text) for text in roots]
    wheels: dict[str, Wheel] = {}
    unresolved: list[str] = []
    seen: set[tuple[str, frozenset[str]]] = set()
    while pending:
        requirement = pending.pop()
        name, extras = canonical_name(requirement.name), frozenset(requirement.extras)
        if (name, extras) in seen or not applies_on_pyodide(requirement, ()):
            continue
        seen.add((name, extras))
        if name not in resolved:
            unresolved.append(str(without_marker(requirement)))
            continue
        wheels[name] = resolved[name].wheel
        dependencies = (Requirement(text) for text in resolved[name].requires)
        pending.extend(dependency for dependency in dependencies if applies_on_pyodide(dependency, extras))
    return list(wheels.values()), unresolved


def resolve_for_pyodide(requirements: list[str], python: str) -> list[Wheel]:
    """The wheels Pyodide needs for the requirements, sorted by name, each with a URL anyone can download."""
    try:
        wheels, indexes = resolve_roots(requirements, python)
    except NoPureWheelError:
        raise every_missing_wheel(requirements, python) from None
    return [with_public_url(wheel, indexes) for wheel in wheels]


def every_missing_wheel(requirements: list[str], python: str) -> NoPureWheelError:
    """pip stops at the first package without a usable wheel; resolve each requirement alone to name them all."""
    needed_by: dict[str, str] = {}
    for requirement in requirements:
        try:
            resolve_roots([requirement], python)
        except NoPureWheelError as error:
            for name in error.packages:
                needed_by.setdefault(name, Requirement(requirement).name)
    return NoPureWheelError(list(needed_by), needed_by)


def resolve_roots(requirements: list[str], python: str) -> tuple[list[Wheel], list[str]]:
    roots = list(requirements)
    for _ in range(MAX_RESOLVE_ROUNDS):
        resolution = pip_resolve(roots, python)
        wheels, unresolved = needed_on_pyodide(roots, resolution.packages)
        if not unresolved:
            return sorted(wheels, key=lambda wheel: wheel.name), resolution.indexes
        roots += unresolved
    raise PythonModulesError(f"could not resolve {', '.join(requirements)} for Pyodide: still missing {unresolved}")


def with_public_url(wheel: Wheel, indexes: list[str]) -> Wheel:
    """pip may take a wheel from a local mirror (file://); a committed lock names where anyone can download it."""
    if wheel.url.startswith(("https://", "http://")):
        return wheel
    web_indexes = [index for index in indexes if index.startswith(("https://", "http://"))]
    for index in web_indexes:
        url = url_on_index(index, wheel)
        if url:
            return replace(wheel, url=url)
    unreachable = unreachable_indexes(web_indexes)
    if unreachable:
        raise IndexUnreachable(unreachable)
    raise PythonModulesError(
        f"pip took {wheel.filename} from {wheel.url}, and no package index ({', '.join(web_indexes) or 'none'}) "
        f"lists that file with sha256 {wheel.sha256}: a committed lock must name a URL anyone can download"
    )


def url_on_index(index: str, wheel: Wheel) -> str | None:
    """The wheel's URL from the index's JSON simple API (PEP 691), if it lists the same file."""
    page = f"{index.rstrip('/')}/{wheel.name}/"
    try:
        with urllib.request.urlopen(urllib.request.Request(page, headers={"Accept": SIMPLE_JSON}), timeout=30) as got:
            files = json.load(got).get("files", [])
            base = got.url
    except (OSError, ValueError):
        return None
    for file in files:
        if file.get("filename") == wheel.filename and file.get("hashes", {}).get("sha256") == wheel.sha256:
            return urllib.parse.urljoin(base, file["url"])
    return None
