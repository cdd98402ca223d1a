"""A Python worker's lock, pylock.toml (PEP 751): its pyproject.toml requirements resolved for one Pyodide target.

The lock records what it was resolved from and for ([tool.workers-parity]: the target's Python and platforms, the
requirements and their digest). `ensure_lock` writes it when it is missing, out of date or for another target, saying
so in one line, as `uv run` updates uv.lock; it keeps the locked versions that still fit. `write_lock` resolves
afresh (`workers-parity lock`). Same inputs and the same package index give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import tomllib
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from workers_parity.pymodules.errors import LockError
from workers_parity.pymodules.pip import canonical_name
from workers_parity.pymodules.requirements import PYPROJECT_NAME, Requirements, read_requirements
from workers_parity.pymodules.resolve import Locked, resolve_for_pyodide
from workers_parity.pymodules.target import DEFAULT_TARGET, PythonTarget
from workers_parity.render import progress
from workers_parity.servers import cache

LOCK_NAME = "pylock.toml"
TOOL = "workers-parity"
LEGACY_TOOL = "parity"  # what locks of workers-parity 0.1 recorded
INPUTS_FORMAT = "workers_parity.pymodules.lock/2"  # bump when what the inputs digest covers changes
PYODIDE_ENVIRONMENT = 'sys_platform == "emscripten" and platform_machine == "wasm32"'


@dataclass(frozen=True)
class Lock:
    path: Path
    packages: list[Locked]


@dataclass(frozen=True)
class Recorded:
    """What a lock says it was resolved from and for."""

    python: str | None
    platforms: tuple[str, ...]
    requirements: list[str]
    digest: str | None


def refresh_command(folder: Path) -> str:
    return f"workers-parity lock {Path(folder).resolve()}"


def inputs_digest(requirements: list[str], target: PythonTarget) -> str:
    text = "\n".join([INPUTS_FORMAT, f"python {target.python}", *target.platforms, *requirements])
    return hashlib.sha256(text.encode()).hexdigest()


def serialized(folder: Path) -> AbstractContextManager[None]:
    """Held while one process locks or fills one worker folder's packages: parallel starts and test sessions."""
    return cache.exclusive(folder / ".wrangler" / "python_modules.lock")


def write_lock(folder: Path, *, target: PythonTarget = DEFAULT_TARGET, python: str = sys.executable) -> Path:
    """Resolve the folder's requirements afresh (the newest versions they allow) and write its pylock.toml."""
    folder = Path(folder).resolve()
    with serialized(folder):
        return relock(folder, read_requirements(folder), target, python, "asked for: the newest versions allowed")


def ensure_lock(folder: Path, *, target: PythonTarget = DEFAULT_TARGET, python: str = sys.executable) -> Lock:
    """The folder's lock for the target, written first when it is missing, out of date or for another target.

    The caller holds serialized(folder).
    """
    requirements = read_requirements(folder)
    path = folder / LOCK_NAME
    if not path.exists():
        relock(folder, requirements, target, python, why_new(requirements))
        return load_lock(folder, target)
    data = read_lock_data(path)
    reason = out_of_date(data, requirements, target, path)
    if reason:
        same_target = recorded(data).platforms in ((), target.platforms)
        preferred = earlier_packages(data, path) if same_target else []
        relock(folder, requirements, target, python, reason, preferred)
        return load_lock(folder, target)
    # Current: load_lock would only read and check the same files again. Its Lock names the resolved path.
    path = Path(folder).resolve() / LOCK_NAME
    return Lock(path, packages_of(data, path))


def earlier_packages(data: dict, path: Path) -> list[Locked]:
    try:
        return packages_of(data, path)
    except LockError:
        return []  # a damaged entry is written again anyway


def why_new(requirements: Requirements) -> str:
    if requirements.from_pyproject:
        return f"no {LOCK_NAME} yet"
    return f"no {LOCK_NAME} yet; no {PYPROJECT_NAME} either, so no dependencies: the workers SDK only"


def relock(
    folder: Path,
    requirements: Requirements,
    target: PythonTarget,
    python: str,
    why: str,
    preferred: Iterable[Locked] = (),
) -> Path:
    path = folder / LOCK_NAME
    with progress.underway(f"locking {folder.name}'s packages for {target.describe()} into {LOCK_NAME}", why):
        packages = resolve_for_pyodide(requirements.items, target, python, preferred=preferred)
        write_atomically(path, render_lock(packages, requirements.items, target))
    return path


def write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def render_lock(packages: list[Locked], requirements: list[str], target: PythonTarget) -> str:
    lines = [
        f"# The packages python_modules/ gets for {target.describe()}, hash-checked on install.",
        "# Written by `workers-parity lock` from pyproject.toml, and again by `workers-parity dev` or `sync` when that",
        "# changes. Commit it with pyproject.toml.",
        'lock-version = "1.0"',
        f"environments = [{toml_string(PYODIDE_ENVIRONMENT)}]",
        f"requires-python = {toml_string(f'=={target.python}.*')}",
        f"created-by = {toml_string(TOOL)}",
    ]
    for package in packages:
        lines += ["", "[[packages]]", f"name = {toml_string(package.name)}"]
        lines += [f"version = {toml_string(package.version)}", "", *file_table(package)]
        lines += [f"name = {toml_string(package.filename)}", f"url = {toml_string(package.url)}"]
        lines.append(f"hashes = {{ sha256 = {toml_string(package.sha256)} }}")
    lines += ["", f"[tool.{TOOL}]", "# what the lock was resolved from and for; dev and sync check it"]
    lines += [f"python = {toml_string(target.python)}", f"platforms = {toml_list(target.platforms)}"]
    lines += [f"requirements = {toml_list(requirements)}"]
    lines.append(f"inputs-sha256 = {toml_string(inputs_digest(requirements, target))}")
    return "\n".join(lines) + "\n"


def file_table(package: Locked) -> list[str]:
    if package.from_source:
        built = "# no wheel for Pyodide nor a pure-Python one: built without a C compiler into a pure-Python wheel"
        return [built, "[packages.sdist]"]
    return ["[[packages.wheels]]"]


def toml_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid TOML basic string


def toml_list(items: Iterable[str]) -> str:
    return f"[{', '.join(map(toml_string, items))}]"


def load_lock(folder: Path, target: PythonTarget = DEFAULT_TARGET) -> Lock:
    """The folder's lock, after checking it was resolved from what the folder asks for now, for the target."""
    folder = Path(folder).resolve()
    path = folder / LOCK_NAME
    data = read_lock_data(path)
    reason = out_of_date(data, read_requirements(folder), target, path)
    if reason:
        raise LockError(f"{path} is out of date ({reason}): write it again with `{refresh_command(folder)}`")
    return Lock(path, packages_of(data, path))


def read_lock_data(path: Path) -> dict:
    refresh = refresh_command(path.parent)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LockError(f"{path} not found: python_modules/ is installed from it. Write it with `{refresh}`") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise LockError(f"{path} cannot be read ({error}): restore it, or write it again with `{refresh}`") from None
    if TOOL not in data.get("tool", {}) and LEGACY_TOOL not in data.get("tool", {}):
        raise LockError(
            f"{path} was not written by workers-parity (it has no [tool.{TOOL}] table), so it is not ours to "
            f"rewrite: to let workers-parity lock this folder's packages, run `{refresh}`"
        )
    return data


def recorded(data: dict) -> Recorded:
    tool = data["tool"].get(TOOL) or {}
    platforms = tool.get("platforms", [])
    return Recorded(
        python=tool.get("python"),
        platforms=tuple(platforms) if isinstance(platforms, list) else (),
        requirements=tool.get("requirements", []),
        digest=tool.get("inputs-sha256"),
    )


def out_of_date(data: dict, requirements: Requirements, target: PythonTarget, path: Path) -> str | None:
    """Why the lock must be written again, or None when it is current."""
    if TOOL not in data["tool"]:
        return "it was written by an earlier workers-parity"
    found = recorded(data)
    if (found.python, found.platforms) != (target.python, target.platforms):
        was = PythonTarget(found.python or "?", platforms=found.platforms).describe()
        return f"it was resolved for {was}"
    if found.digest == inputs_digest(requirements.items, target):
        return None
    return describe_change(found.requirements, requirements, path)


def describe_change(before: list[str], now: Requirements, path: Path) -> str:
    added = [item for item in now.items if item not in before]
    removed = [item for item in before if item not in now.items]
    parts = [f"now asks for {', '.join(added)}"] if added else []
    parts += [f"no longer for {', '.join(removed)}"] if removed else []
    change = "; ".join(parts) or "the lock format changed"
    if not now.from_pyproject:
        return f"the workers SDK workers-parity supplies changed: {change}"
    return f"{PYPROJECT_NAME} changed since {path.name} was written: {change}"


def packages_of(data: dict, path: Path) -> list[Locked]:
    packages = data.get("packages", [])
    if not isinstance(packages, list):
        refresh = refresh_command(path.parent)
        raise LockError(f"{path}: packages must be an array of tables: write it again with `{refresh}`")
    return [locked_from_entry(entry, path) for entry in packages]


def locked_from_entry(entry: dict, path: Path) -> Locked:
    try:
        file = entry["sdist"] if "sdist" in entry else entry["wheels"][0]
        filename = file.get("name") or file["url"].rsplit("/", 1)[-1]
        return Locked(canonical_name(entry["name"]), entry["version"], filename, file["url"], file["hashes"]["sha256"])
    except (KeyError, IndexError, TypeError, AttributeError) as error:
        name = entry.get("name", "?") if isinstance(entry, dict) else "?"
        raise LockError(
            f"{path}: the entry for package {name!r} lacks {error} (a wheel or sdist with url and sha256 hash): "
            f"write the lock again with `{refresh_command(path.parent)}`"
        ) from None
