"""Fill a Python worker's python_modules/ from PyPI with pure-Python wheels, for when `pywrangler sync` cannot run.

The worker runs on Pyodide (Python 3.14, wasm32), so only wheels tagged `py3-none-any` can be used. pip resolves on
the host interpreter, which evaluates environment markers (`python_version < "3.13"`) for the host rather than for
Pyodide; we therefore re-walk pip's resolution with Pyodide's markers and install exactly the packages it needs.

    python -m parity.pymodules WORKER_DIR
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

try:
    from packaging.requirements import InvalidRequirement, Requirement
except ImportError:  # a bare Python with pip still has pip's vendored copy
    from pip._vendor.packaging.requirements import InvalidRequirement, Requirement

SDK_REQUIREMENT = "workers-runtime-sdk==1.9.5"
TARGET_PYTHON = "3.14"
# pip's flags for wheels any Python 3.14 can use: no platform wheels, no source distributions.
PURE_PYTHON_WHEELS = (
    "--only-binary=:all:",
    "--platform=any",
    "--implementation=py",
    "--abi=none",
    f"--python-version={TARGET_PYTHON}",
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
MODULES_DIR_NAME = "python_modules"
STAMP_NAME = ".parity-requirements.sha256"
STAMP_FORMAT = "parity.pymodules/1"  # bump when the way python_modules is built changes
MAX_RESOLVE_ROUNDS = 4


class PythonModulesError(RuntimeError):
    """python_modules/ could not be filled."""


class PyprojectError(PythonModulesError, ValueError):
    """The worker's pyproject.toml is missing or does not say what it needs."""


class NoPureWheelError(PythonModulesError):
    """Some requirement has no pure-Python wheel on the package index."""

    def __init__(self, packages: list[str], needed_by: dict[str, str] | None = None) -> None:
        self.packages = packages
        self.needed_by = needed_by or {}
        names = ", ".join(self._describe(name) for name in packages)
        super().__init__(
            f"no pure-Python wheel (py3-none-any) for Python {TARGET_PYTHON} on the package index for: {names}. "
            "Pyodide cannot use platform wheels or source distributions; pick a pure-Python alternative, "
            "or let `pywrangler sync` (online) provide it from Pyodide's own package index."
        )

    def _describe(self, name: str) -> str:
        root = self.needed_by.get(name)
        return f"{name} (needed by {root})" if root and canonical_name(root) != name else name


@dataclass(frozen=True)
class Pin:
    name: str
    version: str

    def __str__(self) -> str:
        return f"{self.name}=={self.version}"


@dataclass(frozen=True)
class Resolved:
    """One package from pip's installation report."""

    pin: Pin
    requires: tuple[str, ...]


def canonical_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_requirements(worker_dir: Path) -> list[str]:
    """The worker's `[project] dependencies` plus the pinned SDK, in declaration order."""
    pyproject = worker_dir / "pyproject.toml"
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    except FileNotFoundError:
        raise PyprojectError(f"{pyproject} not found: is {worker_dir} a Python worker folder?") from None
    except tomllib.TOMLDecodeError as error:
        raise PyprojectError(f"{pyproject} is not valid TOML: {error}") from None
    dependencies = project.get("dependencies", [])
    if not isinstance(dependencies, list) or not all(isinstance(item, str) for item in dependencies):
        raise PyprojectError(f"{pyproject}: [project] dependencies must be a list of requirement strings")
    for item in dependencies:
        parse_requirement(item, source=pyproject)
    return with_sdk(dependencies)


def parse_requirement(text: str, *, source: object) -> Requirement:
    try:
        return Requirement(text)
    except InvalidRequirement as error:
        raise PyprojectError(f"{source}: invalid requirement {text!r}: {error}") from None


def with_sdk(dependencies: list[str]) -> list[str]:
    sdk_name = canonical_name(Requirement(SDK_REQUIREMENT).name)
    others = [item for item in dependencies if canonical_name(Requirement(item).name) != sdk_name]
    return [*others, SDK_REQUIREMENT]


def requirements_digest(requirements: list[str]) -> str:
    text = "\n".join([STAMP_FORMAT, f"python {TARGET_PYTHON}", *requirements])
    return hashlib.sha256(text.encode()).hexdigest()


def is_up_to_date(modules_dir: Path, digest: str) -> bool:
    stamp = modules_dir / STAMP_NAME
    return stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == digest


def run_pip(python: str, args: list[str]) -> subprocess.CompletedProcess[str]:
    command = [python, "-m", "pip", "--disable-pip-version-check", "--no-input", *args]
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as error:
        raise PythonModulesError(f"cannot run pip with {python}: {error}") from None


def check_pip_result(result: subprocess.CompletedProcess[str], action: str, python: str) -> None:
    if result.returncode == 0:
        return
    output = result.stdout + result.stderr  # pip explains conflicts on stdout
    missing = unavailable_packages(output) or [
        canonical_name(Requirement(requirement).name)
        for requirement in conflicting_dependencies(output)
        if not has_pure_wheel(requirement, python)
    ]
    if missing:
        raise NoPureWheelError(missing)
    errors = [line for line in result.stderr.splitlines() if not line.startswith("WARNING:")]
    detail = "\n".join(errors[-20:]) or f"pip exited with status {result.returncode}"
    raise PythonModulesError(f"pip failed while {action}:\n{detail}")


def unavailable_packages(pip_stderr: str) -> list[str]:
    """Package names pip reported as having no usable distribution, in order, without duplicates."""
    found = re.findall(r"No matching distribution found for ([^\s;]+)", pip_stderr)
    names = [canonical_name(Requirement(item).name) for item in found]
    return list(dict.fromkeys(names))


def conflicting_dependencies(pip_stderr: str) -> list[str]:
    """After backtracking pip reports 'pydantic 2.14.4 depends on pydantic-core==2.50.5' instead of the cause.

    Returns one requirement per package, from the first (newest) line that names it.
    """
    found = re.findall(r"^\s+\S+ \S+ depends on (.+)$", pip_stderr, flags=re.MULTILINE)
    requirements = {}
    for text in found:
        with contextlib.suppress(InvalidRequirement):
            requirement = without_marker(Requirement(text.strip()))
            requirements.setdefault(canonical_name(requirement.name), str(requirement))
    return list(requirements.values())


def has_pure_wheel(requirement: str, python: str) -> bool:
    with tempfile.TemporaryDirectory(prefix="parity-pip-") as scratch:
        result = run_pip(python, install_args(scratch, "--dry-run", "--no-deps", requirement))
    return result.returncode == 0


def install_args(target: str | Path, *args: str) -> list[str]:
    """`pip install` into a folder of its own (pip allows --platform only with --target), pure-Python wheels only."""
    return ["install", "--target", str(target), "--ignore-installed", *PURE_PYTHON_WHEELS, *args]


def pip_resolve(requirements: list[str], python: str) -> dict[str, Resolved]:
    """Ask pip (without installing) which pure-Python wheels satisfy the requirements."""
    with tempfile.TemporaryDirectory(prefix="parity-pip-") as scratch:
        report = Path(scratch) / "report.json"
        target = Path(scratch) / "target"
        result = run_pip(python, install_args(target, "--dry-run", "--report", str(report), *requirements))
        check_pip_result(result, "resolving " + ", ".join(requirements), python)
        entries = json.loads(report.read_text(encoding="utf-8"))["install"]
    return {canonical_name(entry["metadata"]["name"]): resolved_from_report(entry) for entry in entries}


def resolved_from_report(entry: dict) -> Resolved:
    metadata = entry["metadata"]
    pin = Pin(canonical_name(metadata["name"]), metadata["version"])
    return Resolved(pin, tuple(metadata.get("requires_dist") or ()))


def applies_on_pyodide(requirement: Requirement, extras: Iterable[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({**PYODIDE_MARKERS, "extra": extra}) for extra in ("", *extras))


def needed_on_pyodide(roots: list[str], resolved: dict[str, Resolved]) -> tuple[list[Pin], list[str]]:
    """Walk the dependency graph from the roots with Pyodide's markers.

    Returns the pins to install and the requirements pip did not resolve because the host's markers excluded them.
    """
    pending = [Requirement(text) for text in roots]
    pins: dict[str, Pin] = {}
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
        pins[name] = resolved[name].pin
        dependencies = (Requirement(text) for text in resolved[name].requires)
        pending.extend(dependency for dependency in dependencies if applies_on_pyodide(dependency, extras))
    return list(pins.values()), unresolved


def without_marker(requirement: Requirement) -> Requirement:
    copy = Requirement(str(requirement))
    copy.marker = None
    return copy


def resolve_for_pyodide(requirements: list[str], python: str) -> list[Pin]:
    try:
        return resolve_roots(requirements, python)
    except NoPureWheelError:
        raise every_missing_wheel(requirements, python) from None


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


def resolve_roots(requirements: list[str], python: str) -> list[Pin]:
    roots = list(requirements)
    for _ in range(MAX_RESOLVE_ROUNDS):
        pins, unresolved = needed_on_pyodide(roots, pip_resolve(roots, python))
        if not unresolved:
            return sorted(pins, key=lambda pin: pin.name)
        roots += unresolved
    raise PythonModulesError(f"could not resolve {', '.join(requirements)} for Pyodide: still missing {unresolved}")


def pip_install(pins: list[Pin], target: Path, python: str) -> None:
    # --no-compile: host .pyc files are for the host's Python version and useless to Pyodide.
    result = run_pip(python, install_args(target, "--no-deps", "--no-compile", *map(str, pins)))
    check_pip_result(result, "installing " + ", ".join(map(str, pins)), python)
    shutil.rmtree(target / "bin", ignore_errors=True)  # console scripts cannot run inside a worker


def swap_in(built: Path, modules_dir: Path) -> None:
    """Replace modules_dir by built with two renames, so readers never see a half-filled folder."""
    retired = built.with_name(built.name + "-old")
    if modules_dir.exists():
        modules_dir.rename(retired)
    built.rename(modules_dir)
    shutil.rmtree(retired, ignore_errors=True)


@contextlib.contextmanager
def exclusive_lock(worker_dir: Path) -> Iterator[None]:
    """Serialise concurrent syncs of one worker (parallel test sessions)."""
    lock_path = worker_dir / ".wrangler" / "python_modules.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def sync_python_modules(worker_dir: Path, *, python: str = sys.executable) -> Path:
    """Make worker_dir/python_modules hold exactly what pyproject.toml asks for; return its path."""
    worker_dir = Path(worker_dir).resolve()
    requirements = read_requirements(worker_dir)
    digest = requirements_digest(requirements)
    modules_dir = worker_dir / MODULES_DIR_NAME
    with exclusive_lock(worker_dir):
        if is_up_to_date(modules_dir, digest):
            print(f"{MODULES_DIR_NAME}: up to date ({worker_dir.name})", flush=True)
            return modules_dir
        names = ", ".join(Requirement(item).name for item in requirements)
        print(f"{MODULES_DIR_NAME}: installing {names} …", flush=True)
        pins = resolve_for_pyodide(requirements, python)
        built = Path(tempfile.mkdtemp(prefix=f".{MODULES_DIR_NAME}-", dir=worker_dir))
        built.chmod(0o755)
        try:
            pip_install(pins, built, python)
            (built / STAMP_NAME).write_text(digest + "\n", encoding="utf-8")
            swap_in(built, modules_dir)
        finally:
            shutil.rmtree(built, ignore_errors=True)
    print(f"{MODULES_DIR_NAME}: installed {' '.join(map(str, pins))} into {modules_dir}", flush=True)
    return modules_dir


def installed_versions(worker_dir: Path) -> dict[str, str]:
    """What python_modules/ holds, read from its .dist-info folders: {"starlette": "1.10.0", ...}."""
    infos = sorted((worker_dir / MODULES_DIR_NAME).glob("*.dist-info"))
    return dict(parse_dist_info_name(info.name) for info in infos)


def parse_dist_info_name(directory_name: str) -> tuple[str, str]:
    """`workers_runtime_sdk-1.9.5.dist-info` -> ("workers-runtime-sdk", "1.9.5")."""
    name, _, version = directory_name.removesuffix(".dist-info").rpartition("-")
    return canonical_name(name), version


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m parity.pymodules", description=__doc__.splitlines()[0])
    parser.add_argument("worker_dir", type=Path, help="a Python worker folder (holds pyproject.toml)")
    parser.add_argument("--python", default=sys.executable, help="interpreter whose pip is used (default: this one)")
    args = parser.parse_args(argv)
    try:
        sync_python_modules(args.worker_dir, python=args.python)
    except PythonModulesError as error:
        print(f"{MODULES_DIR_NAME}: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
