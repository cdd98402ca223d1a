"""What the harness reads from a worker folder's own wrangler config (wrangler.toml, wrangler.json or
wrangler.jsonc): its name, its main module and so its language, and its D1 databases' migrations."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import json5

from workers_parity.servers.registry import D1Database

CONFIG_NAMES = ("wrangler.jsonc", "wrangler.json", "wrangler.toml")  # wrangler's own order of preference
LANGUAGES = {".py": "python", ".js": "javascript", ".mjs": "javascript", ".ts": "javascript", ".mts": "javascript"}


class WranglerConfigError(ValueError):
    """A worker folder whose wrangler config is missing or unreadable; the message names the file and the fix."""


@dataclass(frozen=True)
class WranglerConfig:
    path: Path
    name: str
    main: str
    language: str
    compatibility_date: str | None
    compatibility_flags: tuple[str, ...]
    d1_databases: tuple[D1Database, ...]


def has_config(folder: Path) -> bool:
    """Whether the folder holds a wrangler config: a worker folder."""
    return any((folder / name).is_file() for name in CONFIG_NAMES)


def config_path(folder: Path) -> Path:
    if not folder.is_dir():
        raise WranglerConfigError(f"{folder}: no such folder")
    for name in CONFIG_NAMES:
        if (folder / name).is_file():
            return folder / name
    raise WranglerConfigError(
        f"{folder}: no wrangler config (looked for {', '.join(CONFIG_NAMES)}); a worker folder needs one, as for "
        "`wrangler dev`"
    )


def read(folder: Path) -> WranglerConfig:
    path = config_path(folder)
    data = _parse(path)
    main = data.get("main")
    if not isinstance(main, str) or not main:
        raise WranglerConfigError(f'{path}: no "main" entry module; name the worker\'s entry file, e.g. "src/entry.py"')
    language = LANGUAGES.get(Path(main).suffix)
    if language is None:
        known = ", ".join(sorted(LANGUAGES))
        raise WranglerConfigError(f"{path}: main {main!r} is in no language workers-parity runs (files ending {known})")
    return WranglerConfig(
        path=path,
        name=str(data.get("name") or folder.resolve().name),
        main=main,
        language=language,
        compatibility_date=data.get("compatibility_date"),
        compatibility_flags=tuple(str(flag) for flag in data.get("compatibility_flags") or ()),
        d1_databases=tuple(_d1_databases(folder, path, data.get("d1_databases") or [])),
    )


def _parse(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else json5.loads(text)
    except (tomllib.TOMLDecodeError, ValueError) as error:
        raise WranglerConfigError(f"{path}: cannot be read ({error})") from None
    if not isinstance(data, dict):
        raise WranglerConfigError(f"{path}: the top level must be a table of settings")
    return data


def _d1_databases(folder: Path, path: Path, entries: list) -> list[D1Database]:
    databases = []
    for entry in entries:
        binding = entry.get("binding") if isinstance(entry, dict) else None
        if not isinstance(binding, str) or not binding:
            raise WranglerConfigError(f'{path}: every d1_databases entry needs a "binding" name')
        databases.append(D1Database(binding, folder / str(entry.get("migrations_dir") or "migrations")))
    return databases
