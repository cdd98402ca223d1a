"""A project's workers-parity config: `workers-parity.toml` at the project's root, or `[tool.workers-parity]` in its
pyproject.toml. Paths in it are relative to the file. Unknown keys are errors, named with their line.

    cases = ["parity-cases.toml"]

    [[worker]]
    folder = "js"

    [[worker]]
    folder = "py"

    [[mask]]
    body = '"now":\\d+'
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

CONFIG_NAME = "workers-parity.toml"
CONFIG_ENV = "WORKERS_PARITY_CONFIG"  # a config file to use instead of looking for one
PYPROJECT_TABLE = "workers-parity"
TOP_KEYS = {
    "cases": list,  # case files, run in order
    "found_cases": str,  # where `workers-parity fuzz` appends what it finds
    "expected_differences": str,  # pinned known differences
    "reports": str,  # the reports folder
    "baseline": str,  # the worker the others are judged against
    "plugins": list,  # Python modules (importable from the config's folder) that add to the judge and the suite
    "worker": list,
    "mask": list,
}
WORKER_KEYS = {"folder": str, "id": str, "port": int, "base_url": str, "ready_path": str}
MASK_KEYS = {"header": str, "body": str, "replacement": str, "reason": str}


class ConfigError(ValueError):
    """A config that cannot be used; the message names the file (and line) and what to do."""


@dataclass(frozen=True)
class WorkerEntry:
    folder: Path
    id: str | None = None
    port: int | None = None
    base_url: str | None = None
    ready_path: str | None = None


@dataclass(frozen=True)
class MaskEntry:
    header: str | None = None
    body: str | None = None
    replacement: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Config:
    path: Path
    root: Path
    workers: tuple[WorkerEntry, ...]
    cases: tuple[Path, ...] = ()
    masks: tuple[MaskEntry, ...] = ()
    baseline: str | None = None
    found_cases: Path | None = None
    expected_differences: Path | None = None
    reports: Path | None = None
    plugins: tuple[str, ...] = ()


def find(start: Path | None = None) -> Path | None:
    """The config to use: $WORKERS_PARITY_CONFIG, else the nearest workers-parity.toml or pyproject.toml with a
    [tool.workers-parity] table in start or a folder above it."""
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV]).expanduser().resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder / CONFIG_NAME
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
    return None


def _has_tool_table(pyproject: Path) -> bool:
    try:
        return PYPROJECT_TABLE in tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
    except (OSError, tomllib.TOMLDecodeError):
        return False


def load(path: Path) -> Config:
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get(PYPROJECT_TABLE)
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: no [tool.{PYPROJECT_TABLE}] table")
    where = _Where(path, text)
    where.check_keys(data, TOP_KEYS, "the config")
    root = path.parent
    workers = tuple(_worker(where, root, entry, index) for index, entry in enumerate(data.get("worker", [])))
    if not workers:
        raise ConfigError(
            f"{path}: no [[worker]] tables; add one per worker folder (`workers-parity init` writes them)"
        )
    return Config(
        path=path,
        root=root,
        workers=workers,
        cases=tuple(root / where.string(item, "cases") for item in data.get("cases", [])),
        masks=tuple(_mask(where, entry) for entry in data.get("mask", [])),
        baseline=data.get("baseline"),
        found_cases=_path(root, data.get("found_cases")),
        expected_differences=_path(root, data.get("expected_differences")),
        reports=_path(root, data.get("reports")),
        plugins=tuple(where.string(item, "plugins") for item in data.get("plugins", [])),
    )


def _path(root: Path, value: str | None) -> Path | None:
    return root / value if value else None


def _worker(where: _Where, root: Path, entry: object, index: int) -> WorkerEntry:
    where.check_keys(entry, WORKER_KEYS, f"[[worker]] number {index + 1}")
    if "folder" not in entry:
        raise ConfigError(f"{where.path}: [[worker]] number {index + 1} has no folder; say where the worker lives")
    return WorkerEntry(folder=(root / entry.pop("folder")).resolve(), **entry)


def _mask(where: _Where, entry: object) -> MaskEntry:
    where.check_keys(entry, MASK_KEYS, "[[mask]]")
    if ("header" in entry) == ("body" in entry):
        raise ConfigError(f"{where.path}:{where.line_of('mask')}: a [[mask]] names either header = \"…\" or body = '…'")
    if "body" in entry:
        try:
            re.compile(entry["body"])
        except re.error as error:
            raise ConfigError(f"{where.path}:{where.line_of(entry['body'])}: bad mask regex ({error})") from None
    return MaskEntry(**entry)


class _Where:
    """Names the line of a key, for errors (tomllib reports lines only for syntax errors)."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.lines = path, text.splitlines()

    def line_of(self, needle: str) -> int:
        pattern = re.compile(rf"^\s*(\[\[?)?\s*{re.escape(needle)}\b") if needle.isidentifier() else None
        for number, line in enumerate(self.lines, 1):
            if (pattern and pattern.search(line)) or (not pattern and needle in line):
                return number
        return 1

    def check_keys(self, table: object, allowed: dict[str, type], what: str) -> None:
        if not isinstance(table, dict):
            raise ConfigError(f"{self.path}: {what} must be a table")
        for key, value in table.items():
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                raise ConfigError(f"{self.path}:{self.line_of(key)}: unknown key {key!r} in {what} (known: {known})")
            expected = allowed[key]
            if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
                raise ConfigError(
                    f"{self.path}:{self.line_of(key)}: {key} must be {_type_name(expected)}, not {value!r}"
                )

    def string(self, value: object, key: str) -> str:
        if not isinstance(value, str):
            raise ConfigError(f"{self.path}:{self.line_of(key)}: every item of {key} must be a string, not {value!r}")
        return value


def _type_name(kind: type) -> str:
    return {str: "a string", int: "a whole number", list: "a list"}.get(kind, kind.__name__)
