"""`workers-parity init`: a starter workers-parity.toml for the worker folders found under a project's folder (each
one with a wrangler config), and a first case file when there is none, judged by agreement until it expects more."""

from __future__ import annotations

import os
from pathlib import Path

from workers_parity.cases.write import string
from workers_parity.project import wrangler
from workers_parity.project.config import CONFIG_NAME, ConfigError

CASES_NAME = "parity-cases.toml"
SKIPPED = {"node_modules", "python_modules", ".wrangler", ".git", ".venv", "venv", "__pycache__", "reports"}
DEPTH = 3  # how far below the project's folder worker folders are looked for

STARTER_CASES = """\
# workers-parity cases: each one is sent to every worker, in this order, on fresh state (docs/reference.md).
# Without `expect`, a case passes when every worker gives the same answer: status, headers (but the transport
# ones) and body bytes. With `expect`, every answer must also hold what it says.

[[case]]
id = "root"
path = "/"

# [[case]]
# id = "create"
# method = "POST"
# path = "/items"
# headers = { content-type = "application/json" }
# body = '{"name": "first"}'
# expect = { status = 201, json = { name = "first" } }
"""


def find_worker_folders(root: Path) -> list[Path]:
    """Folders under root (root itself included) holding a wrangler config, in a stable order."""
    found = []
    for folder, subfolders, _ in os.walk(root):
        here = Path(folder)
        subfolders[:] = sorted(name for name in subfolders if name not in SKIPPED and not name.startswith("."))
        if len(here.relative_to(root).parts) >= DEPTH:
            subfolders[:] = []
        if wrangler.has_config(here):
            found.append(here)
            subfolders[:] = []  # a worker's own folders hold no other worker
    return found


def config_text(root: Path, folders: list[Path], cases: str) -> str:
    lines = [
        "# workers-parity: prove that these workers answer alike (docs/reference.md describes every key).",
        "# `workers-parity run` starts each one on fresh state and sends it every case.",
        "",
        f"cases = [{string(cases)}]",
        "",
    ]
    for folder in folders:
        config = wrangler.read(folder)
        lines += [f"[[worker]]  # {config.name}: {config.language}, {config.path.name}"]
        lines += [f'folder = "{folder.relative_to(root).as_posix() or "."}"', ""]
    lines += [
        "# Parts of the answers that may differ between the workers, masked before they are compared:",
        "# [[mask]]",
        '# header = "date"',
        "# [[mask]]",
        "# body = '\"now\":\\d+'",
    ]
    return "\n".join(lines) + "\n"


def init(root: Path) -> list[str]:
    """Write the config (and a case file when there is none); the lines to print. ConfigError when a config is there
    already or no worker folder is found."""
    target = root / CONFIG_NAME
    if target.exists():
        raise ConfigError(f"{target}: exists already; edit it, or remove it to start again")
    folders = find_worker_folders(root)
    if not folders:
        raise ConfigError(
            f"{root}: no worker folder found (a folder with {', '.join(wrangler.CONFIG_NAMES)}); "
            "run `workers-parity init` in the folder that holds your workers"
        )
    try:
        text = config_text(root, folders, CASES_NAME)
    except wrangler.WranglerConfigError as error:
        raise ConfigError(str(error)) from None
    target.write_text(text, encoding="utf-8")
    said = [f"wrote {target} with {len(folders)} worker{'s' if len(folders) != 1 else ''}: "]
    said[0] += ", ".join(folder.relative_to(root).as_posix() or "." for folder in folders)
    cases = root / CASES_NAME
    if cases.exists():
        said.append(f"kept {cases}: its cases are the ones `workers-parity run` sends")
    else:
        cases.write_text(STARTER_CASES, encoding="utf-8")
        said.append(f"wrote {cases} with one case (GET /); add your own")
    if len(folders) < 2:
        said.append("one worker only: parity needs two or more (add [[worker]] tables)")
    said.append("next: workers-parity run")
    return said
