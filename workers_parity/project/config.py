"""A project's workers-parity config: `workers-parity.toml` at the project's root, or `[tool.workers-parity]` in its
pyproject.toml (docs/reference.md describes every key). Paths in it are relative to the file. Unknown keys are
errors, named with their line.

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

from workers_parity.judge.masks import Mask, MaskError, mask_from

CONFIG_NAME = "workers-parity.toml"
CONFIG_ENV = "WORKERS_PARITY_CONFIG"  # a config file to use instead of looking for one
PYPROJECT_TABLE = "workers-parity"
TOP_KEYS = {
    "cases": list,  # case files, run in order
    "found_cases": str,  # where `workers-parity fuzz` appends what it finds
    "expected_differences": str,  # pinned known differences
    "reports": str,  # the reports folder
    "baseline": str,  # the worker the others are judged against
    "plugins": list,  # Python files that add an app's own case keys, oracle and report tables (plugins/hooks.py)
    "worker": list,
    "mask": list,
}
WORKER_KEYS = {"folder": str, "id": str, "port": int, "base_url": str, "ready_path": str}


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
class Config:
    path: Path
    root: Path
    workers: tuple[WorkerEntry, ...]
    cases: tuple[Path, ...] = ()
    masks: tuple[Mask, ...] = ()
    baseline: str | None = None
    found_cases: Path | None = None
    expected_differences: Path | None = None
    reports: Path | None = None
    plugins: tuple[Path, ...] = ()


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
    where = _Where(path, text, f"tool.{PYPROJECT_TABLE}." if path.name == "pyproject.toml" else "")
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
        masks=tuple(_mask(where, entry, index) for index, entry in enumerate(data.get("mask", []))),
        baseline=data.get("baseline"),
        found_cases=_path(root, data.get("found_cases")),
        expected_differences=_path(root, data.get("expected_differences")),
        reports=_path(root, data.get("reports")),
        plugins=tuple((root / where.string(item, "plugins")).resolve() for item in data.get("plugins", [])),
    )


def _path(root: Path, value: str | None) -> Path | None:
    return root / value if value else None


def _worker(where: _Where, root: Path, entry: object, index: int) -> WorkerEntry:
    line = where.table_line("worker", index)
    where.check_keys(entry, WORKER_KEYS, f"[[worker]] number {index + 1}")
    if "folder" not in entry:
        raise ConfigError(
            f"{where.path}:{line}: [[worker]] number {index + 1} has no folder; say where the worker lives"
        )
    port = entry.get("port")
    if port is not None and not 1 <= port <= 65535:
        raise ConfigError(f"{where.path}:{where.line_of('port')}: port {port} is not a TCP port (1-65535)")
    if "base_url" in entry and not entry["base_url"].startswith(("http://", "https://")):
        raise ConfigError(f"{where.path}:{where.line_of('base_url')}: base_url must be an http(s) URL")
    if "ready_path" in entry and not entry["ready_path"].startswith("/"):
        raise ConfigError(f"{where.path}:{where.line_of('ready_path')}: ready_path must start with /")
    entry = dict(entry)
    return WorkerEntry(folder=(root / entry.pop("folder")).resolve(), **entry)


def _mask(where: _Where, entry: object, index: int) -> Mask:
    line = where.table_line("mask", index)
    try:
        return mask_from(entry, f"{where.path.name}:{line}")
    except MaskError as error:
        raise ConfigError(f"{where.path}:{line}: [[mask]]: {error}") from None


class _Where:
    """Names the line of a key, for errors (tomllib reports lines only for syntax errors)."""

    def __init__(self, path: Path, text: str, table_prefix: str = "") -> None:
        self.path, self.lines, self.prefix = path, text.splitlines(), table_prefix

    def table_line(self, name: str, index: int) -> int:
        """The line of the index-th [[name]] table (1 when it is written another way)."""
        header = re.compile(rf"^\s*\[\[\s*{re.escape(self.prefix + name)}\s*\]\]")
        found = [number for number, line in enumerate(self.lines, 1) if header.match(line)]
        return found[index] if index < len(found) else 1

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
