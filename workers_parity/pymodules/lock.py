"""A Python worker's committed lock, pylock.toml (PEP 751): its pyproject.toml requirements resolved for Pyodide.

`workers-parity lock WORKER` writes it; filling python_modules/ reads it. The lock records the requirements it was
resolved from and their digest, so a pyproject.toml edited without refreshing the lock is caught, with the command.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from workers_parity.pymodules.pip import (
    TARGET_PYTHON,
    InvalidRequirement,
    PythonModulesError,
    Requirement,
    canonical_name,
)
from workers_parity.pymodules.resolve import Wheel, resolve_for_pyodide

LOCK_NAME = "pylock.toml"
INPUTS_FORMAT = "workers_parity.pymodules.lock/1"  # bump when what the inputs digest covers changes
SDK_NAME = "workers-runtime-sdk"
DEFAULT_SDK = f"{SDK_NAME}==1.9.5"  # for a pyproject.toml that does not pin the SDK in a dependency group
PYODIDE_ENVIRONMENT = 'sys_platform == "emscripten" and platform_machine == "wasm32"'


class PyprojectError(PythonModulesError, ValueError):
    """The worker's pyproject.toml is missing or does not say what it needs."""


class LockError(PythonModulesError):
    """The lock is missing, unreadable or older than pyproject.toml; the message names the command that refreshes it."""


@dataclass(frozen=True)
class Lock:
    path: Path
    wheels: list[Wheel]


def read_requirements(worker_dir: Path) -> list[str]:
    """The worker's `[project] dependencies` plus the workers SDK, in declaration order."""
    pyproject = worker_dir / "pyproject.toml"
    data = read_pyproject(pyproject, worker_dir)
    dependencies = data.get("project", {}).get("dependencies", [])
    if not isinstance(dependencies, list) or not all(isinstance(item, str) for item in dependencies):
        raise PyprojectError(f"{pyproject}: [project] dependencies must be a list of requirement strings")
    names = {canonical_name(parse_requirement(item, source=pyproject).name) for item in dependencies}
    return dependencies if SDK_NAME in names else [*dependencies, sdk_requirement(data, pyproject)]


def read_pyproject(pyproject: Path, worker_dir: Path) -> dict:
    try:
        return tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PyprojectError(f"{pyproject} not found: is {worker_dir} a Python worker folder?") from None
    except tomllib.TOMLDecodeError as error:
        raise PyprojectError(f"{pyproject} is not valid TOML: {error}") from None


def parse_requirement(text: str, *, source: object) -> Requirement:
    try:
        return Requirement(text)
    except InvalidRequirement as error:
        raise PyprojectError(f"{source}: invalid requirement {text!r}: {error}") from None


def sdk_requirement(data: dict, pyproject: Path) -> str:
    """The SDK pin from [dependency-groups] (where a pywrangler project keeps it), else the default."""
    for group in data.get("dependency-groups", {}).values():
        for item in group:
            if isinstance(item, str) and canonical_name(parse_requirement(item, source=pyproject).name) == SDK_NAME:
                return item
    return DEFAULT_SDK


def inputs_digest(requirements: list[str]) -> str:
    text = "\n".join([INPUTS_FORMAT, f"python {TARGET_PYTHON}", *requirements])
    return hashlib.sha256(text.encode()).hexdigest()


def refresh_command(worker_dir: Path) -> str:
    return f"workers-parity lock {Path(worker_dir).resolve()}"


def write_lock(worker_dir: Path, *, python: str = sys.executable) -> Path:
    """Resolve pyproject.toml for Pyodide and write worker_dir/pylock.toml; return its path."""
    worker_dir = Path(worker_dir).resolve()
    requirements = read_requirements(worker_dir)
    wheels = resolve_for_pyodide(requirements, python)
    path = worker_dir / LOCK_NAME
    write_atomically(path, render_lock(wheels, requirements, "workers-parity lock"))
    return path


def write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(text)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def render_lock(wheels: list[Wheel], requirements: list[str], refresh: str) -> str:
    lines = [
        f"# The pure-Python wheels Pyodide (Python {TARGET_PYTHON}, wasm32) gets in python_modules/, hash-checked.",
        f"# Written by `{refresh}` (in this folder) from pyproject.toml: run it again after editing the dependencies.",
        'lock-version = "1.0"',
        f"environments = [{toml_string(PYODIDE_ENVIRONMENT)}]",
        f"requires-python = {toml_string(f'=={TARGET_PYTHON}.*')}",
        'created-by = "workers_parity.pymodules.lock"',
    ]
    for wheel in wheels:
        lines += ["", "[[packages]]", f"name = {toml_string(wheel.name)}", f"version = {toml_string(wheel.version)}"]
        lines += ["", "[[packages.wheels]]", f"name = {toml_string(wheel.filename)}", f"url = {toml_string(wheel.url)}"]
        lines.append(f"hashes = {{ sha256 = {toml_string(wheel.sha256)} }}")
    lines += ["", "[tool.parity]", "# what the lock was resolved from; filling python_modules/ checks it"]
    lines.append(f"requirements = [{', '.join(map(toml_string, requirements))}]")
    lines.append(f"inputs-sha256 = {toml_string(inputs_digest(requirements))}")
    return "\n".join(lines) + "\n"


def toml_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid TOML basic string


def load_lock(worker_dir: Path) -> Lock:
    """The worker's lock, after checking it was resolved from what pyproject.toml asks for now."""
    worker_dir = Path(worker_dir).resolve()
    path, refresh = worker_dir / LOCK_NAME, refresh_command(worker_dir)
    requirements = read_requirements(worker_dir)
    data = read_lock_data(path, refresh)
    check_fresh(data, requirements, path, refresh)
    return Lock(path, [wheel_from_entry(entry, path, refresh) for entry in data.get("packages", [])])


def read_lock_data(path: Path, refresh: str) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LockError(f"{path} not found: python_modules/ is installed from it. Write it with `{refresh}`") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise LockError(f"{path} cannot be read ({error}): restore it, or write it again with `{refresh}`") from None


def check_fresh(data: dict, requirements: list[str], path: Path, refresh: str) -> None:
    recorded = data.get("tool", {}).get("parity", {})
    if "inputs-sha256" not in recorded:
        raise LockError(
            f"{path} has no [tool.parity] inputs-sha256 (it was not written by `workers-parity lock`), so it "
            f"cannot be checked against pyproject.toml: write it with `{refresh}`"
        )
    if recorded["inputs-sha256"] != inputs_digest(requirements):
        change = describe_change(recorded.get("requirements", []), requirements)
        raise LockError(
            f"{path.parent / 'pyproject.toml'} has changed since {path} was written ({change}): "
            f"refresh the lock with `{refresh}` and commit both files"
        )


def describe_change(before: list[str], now: list[str]) -> str:
    added = [item for item in now if item not in before]
    removed = [item for item in before if item not in now]
    parts = [f"now asks for {', '.join(added)}"] if added else []
    parts += [f"no longer for {', '.join(removed)}"] if removed else []
    return "; ".join(parts) or f"the lock format or the target Python {TARGET_PYTHON} changed"


def wheel_from_entry(entry: dict, path: Path, refresh: str) -> Wheel:
    try:
        wheel = entry["wheels"][0]
        filename = wheel.get("name") or wheel["url"].rsplit("/", 1)[-1]
        return Wheel(canonical_name(entry["name"]), entry["version"], filename, wheel["url"], wheel["hashes"]["sha256"])
    except (KeyError, IndexError, TypeError, AttributeError) as error:
        name = entry.get("name", "?") if isinstance(entry, dict) else "?"
        raise LockError(
            f"{path}: the entry for package {name!r} lacks {error} (a wheel with url and sha256 hash): "
            f"write the lock again with `{refresh}`"
        ) from None
