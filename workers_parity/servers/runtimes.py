"""What executes each worker: workerd through `wrangler dev`; for Python pyodide-workerd (our offline host), or the
same host under `wrangler dev` (pyodide-wrangler); for JavaScript `direct` (workerd through miniflare as
pyodide-workerd runs it, without wrangler dev's proxy) — how each is prepared and launched, and what a requested
runtime means. Which one `auto` and `all` pick is servers/choose.py's question: it may start a probe server, so it
sits above the dev server."""

from __future__ import annotations

import functools
import os
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

from workers_parity import PACKAGE_DIR
from workers_parity.pymodules import for_worker, releases
from workers_parity.servers import cache, toolchain
from workers_parity.servers.ports import free_port
from workers_parity.servers.registry import Runtime, Worker

AUTO, ALL = "auto", "all"
PYTHON_RUNTIMES = (Runtime.WORKERD, Runtime.PYODIDE_WORKERD, Runtime.PYODIDE_WRANGLER)
RUNTIME_CHOICES = (AUTO, ALL, *PYTHON_RUNTIMES)  # for Python workers
RUNTIME_ENV = "PARITY_PYTHON_RUNTIME"  # one of RUNTIME_CHOICES
JS_RUNTIMES = (Runtime.WORKERD, Runtime.DIRECT)
JS_RUNTIME_CHOICES = (AUTO, ALL, *JS_RUNTIMES)
JS_RUNTIME_ENV = "PARITY_JS_RUNTIME"  # one of JS_RUNTIME_CHOICES
BUNDLE_DIR_ENV = "PARITY_PYODIDE_BUNDLE_DIR"  # folder holding workerd's Pyodide bundle file
BUNDLE_HOST = "pyodide-capnp-bin.edgeworker.net"
PYODIDE_WORKERD = PACKAGE_DIR / "pyodide_workerd" / "serve.mjs"
DIRECT_JS = PACKAGE_DIR / "pyodide_workerd" / "serve-js.mjs"
WORKERD_WRAPPER = PACKAGE_DIR / "servers" / "workerd-with-bundle.sh"


@dataclass(frozen=True)
class Choice:
    runtime: Runtime
    reason: str


@dataclass(frozen=True)
class Availability:
    usable: bool
    reason: str


@dataclass(frozen=True)
class Launch:
    argv: list[str]
    cwd: Path
    env: dict[str, str]


def requested_runtime(explicit: str | None = None) -> str:
    requested = explicit or os.environ.get(RUNTIME_ENV) or AUTO
    if requested not in RUNTIME_CHOICES:
        raise ValueError(f"unknown Python runtime {requested!r}; choose one of {', '.join(RUNTIME_CHOICES)}")
    return requested


def requested_js_runtime(explicit: str | None = None) -> str:
    requested = explicit or os.environ.get(JS_RUNTIME_ENV) or AUTO
    if requested not in JS_RUNTIME_CHOICES:
        raise ValueError(f"unknown JavaScript runtime {requested!r}; choose one of {', '.join(JS_RUNTIME_CHOICES)}")
    return requested


def js_request(requested: str | None, js_requested: str | None) -> str | None:
    """What a JavaScript worker was asked to run in: `js_requested`, or `requested` when it names a JavaScript
    runtime (a server made for one runtime, as the bench makes them); None leaves it to the environment."""
    return js_requested or (requested if requested in JS_RUNTIMES else None)


def given(worker: Worker, requested: str | None = None, js_requested: str | None = None) -> Choice:
    """The runtime of a server started with no choice made for it: the one forced, or for a JavaScript worker with
    `auto` workerd under wrangler dev. `auto` for a Python worker, and `all`, are choose.select's to resolve, before
    the server is made: that may start a probe server of workerd's own Python (workerd_python.py), which a server's
    own start must not do."""
    if not worker.is_python:
        js = requested_js_runtime(js_request(requested, js_requested))
        if js == ALL:
            raise ValueError(
                f"{worker.name}: 'all' is resolved before a server is made, not by the server's start: give the "
                "server its runtime (DevServer(..., choice=choose.select(worker, js_requested='all')))"
            )
        return javascript_choice(js)
    requested = requested_runtime(requested)
    if requested in (AUTO, ALL):
        raise ValueError(
            f"{worker.name}: {requested!r} is resolved before a server is made, not by the server's start: "
            f"give the server its runtime (DevServer(..., choice=choose.select(worker, {requested!r}))"
        )
    return Choice(Runtime(requested), f"forced by {RUNTIME_ENV} / --python-runtime")


def javascript_choice(requested: str) -> Choice:
    """A JavaScript worker's one runtime: `auto` is wrangler dev's workerd, as a user's `wrangler dev` runs it."""
    if requested == AUTO:
        return Choice(Runtime.WORKERD, "JavaScript workers run under wrangler dev unless asked otherwise")
    return Choice(Runtime(requested), f"forced by {JS_RUNTIME_ENV} / --js-runtime")


def bundle_dir() -> Path | None:
    value = os.environ.get(BUNDLE_DIR_ENV)
    return Path(value).expanduser().resolve() if value else None


def bundle_host_resolves() -> bool:
    return _resolves(BUNDLE_HOST)


@functools.cache
def _resolves(host: str, timeout: float = 3.0) -> bool:
    pool = ThreadPoolExecutor(max_workers=1)
    lookup = pool.submit(socket.getaddrinfo, host, 443)
    try:
        lookup.result(timeout=timeout)
        return True
    except (OSError, FutureTimeout):
        return False
    finally:
        pool.shutdown(wait=False)


def pyodide_workerd_availability() -> Availability:
    try:
        toolchain.node_binary()
    except toolchain.ToolMissing as missing:
        return Availability(False, str(missing))
    if not PYODIDE_WORKERD.exists():
        return Availability(False, f"{PYODIDE_WORKERD} is missing")
    return Availability(
        True,
        f"Pyodide {toolchain.package_version('pyodide') or '(installed on first run)'} as a module worker in "
        f"workerd {toolchain.package_version('workerd') or ''}; python_modules/ filled from PyPI".replace("  ", " "),
    )


def direct_availability() -> Availability:
    try:
        toolchain.node_binary()
    except toolchain.ToolMissing as missing:
        return Availability(False, str(missing))
    if not DIRECT_JS.exists():
        return Availability(False, f"{DIRECT_JS} is missing")
    return Availability(True, "workerd through miniflare, as pyodide-workerd runs Python: no wrangler dev proxy")


def prepare(worker: Worker, runtime: str) -> releases.Choice | None:
    """What a runtime needs before start: npm packages, and for a Python worker python_modules/ for the Python it
    runs (pymodules/for_worker.py); that choice."""
    toolchain.ensure_node_modules()
    if not worker.is_python:
        return None
    return for_worker.sync(worker.folder)


def launch(
    worker: Worker, runtime: str, *, port: int, host: str, state_dir: Path, python: releases.Choice | None = None
) -> Launch:
    if runtime in (Runtime.PYODIDE_WORKERD, Runtime.PYODIDE_WRANGLER):
        python = python or for_worker.python_of(worker.folder)
        launched = _pyodide_workerd_launch(worker, port, host, state_dir, python)
        if runtime == Runtime.PYODIDE_WORKERD:
            return launched
        under_wrangler = ["--host", "wrangler-dev", "--inspector-port", str(free_port())]
        return Launch([*launched.argv, *under_wrangler], launched.cwd, launched.env)
    if runtime == Runtime.DIRECT:
        return _direct_launch(worker, port, host, state_dir)
    return _wrangler_dev_launch(worker, port, host, state_dir)


def _pyodide_workerd_launch(worker: Worker, port: int, host: str, state_dir: Path, python: releases.Choice) -> Launch:
    argv = [str(toolchain.node_binary()), str(PYODIDE_WORKERD), "--worker-dir", str(worker.folder)]
    argv += ["--pyodide-package", python.release.npm_package]
    cache.prune_snapshots()
    argv += ["--snapshot-dir", str(cache.snapshot_dir(worker.folder))]  # a later --snapshot-dir overrides it
    env = toolchain.node_env({toolchain.NODE_MODULES_ENV: str(toolchain.ensure_node_modules())})
    return Launch([*argv, *_serve_flags(port, host, state_dir)], worker.folder, env)


def _direct_launch(worker: Worker, port: int, host: str, state_dir: Path) -> Launch:
    argv = [str(toolchain.node_binary()), str(DIRECT_JS), "--worker-dir", str(worker.folder)]
    env = toolchain.node_env({toolchain.NODE_MODULES_ENV: str(toolchain.ensure_node_modules())})
    return Launch([*argv, *_serve_flags(port, host, state_dir)], worker.folder, env)


def _wrangler_dev_launch(worker: Worker, port: int, host: str, state_dir: Path) -> Launch:
    argv = [*toolchain.wrangler_command(), "dev", *_serve_flags(port, host, state_dir)]
    argv += ["--inspector-port", str(free_port()), "--show-interactive-dev-session=false"]
    return Launch(argv, worker.folder, toolchain.node_env(_workerd_bundle_env(worker)))


def _serve_flags(port: int, host: str, state_dir: Path) -> list[str]:
    """The flags both runtimes share, spelled as `wrangler dev` spells them."""
    return ["--port", str(port), "--ip", host, "--persist-to", str(state_dir)]


def watch_flags(runtime: str) -> tuple[str, ...]:
    """What makes a runtime reload the worker when its files change (`wrangler dev` always does)."""
    return ("--watch",) if runtime in (Runtime.PYODIDE_WORKERD, Runtime.DIRECT) else ()


def _workerd_bundle_env(worker: Worker) -> dict[str, str]:
    """Point wrangler at a wrapper that adds --pyodide-bundle-disk-cache-dir to `workerd serve`."""
    folder = bundle_dir()
    if not worker.is_python or folder is None:
        return {}
    return {
        "MINIFLARE_WORKERD_PATH": str(WORKERD_WRAPPER),
        "PARITY_REAL_WORKERD": str(real_workerd()),
        BUNDLE_DIR_ENV: str(folder),
    }


def real_workerd() -> Path:
    found = sorted((toolchain.ensure_node_modules() / "@cloudflare").glob("workerd-*/bin/workerd"))
    if not found:
        raise toolchain.ToolMissing("workerd binary not found under node_modules/@cloudflare; run `npm ci`")
    return found[0]


def versions(runtime: str | None, tools: dict[str, str | None]) -> dict[str, str]:
    """The versions that matter for what executed a worker, from toolchain.versions()."""
    names = {
        Runtime.WORKERD: ("wrangler", "workerd"),
        Runtime.PYODIDE_WORKERD: ("pyodide", "workerd", "miniflare"),
        Runtime.DIRECT: ("workerd", "miniflare"),
        Runtime.PYODIDE_WRANGLER: ("pyodide", "wrangler", "workerd"),
    }.get(runtime or "", ())
    return {name: tools[name] for name in names if tools.get(name)}
