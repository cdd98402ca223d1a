"""What executes each worker: workerd through `wrangler dev`; for Python pyodide-workerd (our offline host), or the
same host under `wrangler dev` (pyodide-wrangler); for JavaScript `direct` (workerd through miniflare as
pyodide-workerd runs it, without wrangler dev's proxy) — how each is prepared and launched, and what a requested
runtime means. Which one `auto` and `all` pick is servers/choose.py's question: it may start a probe server, so it
sits above the dev server."""

from __future__ import annotations

import functools
import os
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

from workers_parity import PACKAGE_DIR
from workers_parity.pymodules import for_worker, releases
from workers_parity.servers import cache, toolchain
from workers_parity.servers.ports import free_port
from workers_parity.servers.registry import Host, Runtime, Worker

AUTO, ALL = "auto", "all"
PYTHON, JAVASCRIPT = "python", "javascript"
RUNTIME_ENV = "PARITY_PYTHON_RUNTIME"  # auto, all or a Python runtime
JS_RUNTIME_ENV = "PARITY_JS_RUNTIME"  # auto, all or a JavaScript runtime
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


@dataclass(frozen=True)
class RuntimeRecord:
    """All the harness knows of one runtime: adding a runtime is a name in registry.Runtime and one of these in
    RECORDS; tests, reports, the bench and `doctor` follow from it."""

    runtime: Runtime
    about: str
    host: Host  # what stands between the client and the worker's workerd
    languages: tuple[str, ...]
    tools: tuple[str, ...]  # whose versions say what executed a worker (toolchain.versions() names)
    watch_flags: tuple[str, ...]  # what makes it reload on edit (`wrangler dev` always does)
    launch: Callable[[Worker, int, str, Path, releases.Choice | None], Launch]  # worker, port, ip, state, Python
    availability: Callable[[], Availability]  # are its tools here
    proven_by_a_start: tuple[str, ...] = ()  # languages it runs only once a start of it succeeded here


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


def _with_node(launcher: Path | None, usable_because: str) -> Availability:
    """Usable when our Node (and the launcher script, if one) is here; the reason says what runs it."""
    try:
        toolchain.node_binary()
    except toolchain.ToolMissing as missing:
        return Availability(False, str(missing))
    if launcher is not None and not launcher.exists():
        return Availability(False, f"{launcher} is missing")
    return Availability(True, usable_because)


def pyodide_workerd_availability() -> Availability:
    return _with_node(
        PYODIDE_WORKERD,
        (
            f"Pyodide {toolchain.package_version('pyodide') or '(installed on first run)'} as a module worker in "
            f"workerd {toolchain.package_version('workerd') or ''}; python_modules/ filled from PyPI".replace("  ", " ")
        ),
    )


def direct_availability() -> Availability:
    return _with_node(DIRECT_JS, "workerd through miniflare, as pyodide-workerd runs Python: no wrangler dev proxy")


def wrangler_dev_availability() -> Availability:
    return _with_node(None, "wrangler dev runs JavaScript workers and D1 locally, offline")


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
    """python: what prepare returned; a Pyodide runtime (pyodide-workerd, pyodide-wrangler) requires it."""
    return record(runtime).launch(worker, port, host, state_dir, python)


def _pyodide_workerd_launch(
    worker: Worker, port: int, host: str, state_dir: Path, python: releases.Choice | None
) -> Launch:
    if python is None:
        raise ValueError(f"{worker.name}: a Pyodide runtime launches with the Python that runtimes.prepare chose")
    argv = [str(toolchain.node_binary()), str(PYODIDE_WORKERD), "--worker-dir", str(worker.folder)]
    argv += ["--pyodide-package", python.release.npm_package]
    cache.prune_snapshots()
    argv += ["--snapshot-dir", str(cache.snapshot_dir(worker.folder))]  # a later --snapshot-dir overrides it
    env = toolchain.node_env({toolchain.NODE_MODULES_ENV: str(toolchain.ensure_node_modules())})
    return Launch([*argv, *_serve_flags(port, host, state_dir)], worker.folder, env)


def _pyodide_wrangler_launch(
    worker: Worker, port: int, host: str, state_dir: Path, python: releases.Choice | None
) -> Launch:
    launched = _pyodide_workerd_launch(worker, port, host, state_dir, python)
    under_wrangler = ["--host", "wrangler-dev", "--inspector-port", str(free_port())]
    return Launch([*launched.argv, *under_wrangler], launched.cwd, launched.env)


def _direct_launch(worker: Worker, port: int, host: str, state_dir: Path, python: releases.Choice | None) -> Launch:
    argv = [str(toolchain.node_binary()), str(DIRECT_JS), "--worker-dir", str(worker.folder)]
    env = toolchain.node_env({toolchain.NODE_MODULES_ENV: str(toolchain.ensure_node_modules())})
    return Launch([*argv, *_serve_flags(port, host, state_dir)], worker.folder, env)


def _wrangler_dev_launch(
    worker: Worker, port: int, host: str, state_dir: Path, python: releases.Choice | None
) -> Launch:
    argv = [*toolchain.wrangler_command(), "dev", *_serve_flags(port, host, state_dir)]
    argv += ["--inspector-port", str(free_port()), "--show-interactive-dev-session=false"]
    return Launch(argv, worker.folder, toolchain.node_env(_workerd_bundle_env(worker)))


def _serve_flags(port: int, host: str, state_dir: Path) -> list[str]:
    """The flags both runtimes share, spelled as `wrangler dev` spells them."""
    return ["--port", str(port), "--ip", host, "--persist-to", str(state_dir)]


def watch_flags(runtime: str) -> tuple[str, ...]:
    return record(runtime).watch_flags


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
    names = record(runtime).tools if runtime in RECORDS else ()
    return {name: tools[name] for name in names if tools.get(name)}


# Preferred first for each language: `auto` picks the first usable one (servers/choose.py).
RECORDS: dict[Runtime, RuntimeRecord] = {
    record.runtime: record
    for record in (
        RuntimeRecord(
            Runtime.WORKERD,
            "Cloudflare's runtime under `wrangler dev`; Python in workerd's own Pyodide bundle",
            Host.WRANGLER_DEV,
            (JAVASCRIPT, PYTHON),
            ("wrangler", "workerd"),
            (),
            _wrangler_dev_launch,
            wrangler_dev_availability,
            proven_by_a_start=(PYTHON,),
        ),
        RuntimeRecord(
            Runtime.PYODIDE_WORKERD,
            "our host: npm Pyodide as a module worker in workerd through miniflare, nothing in front",
            Host.DIRECT,
            (PYTHON,),
            ("pyodide", "workerd", "miniflare"),
            ("--watch",),
            _pyodide_workerd_launch,
            pyodide_workerd_availability,
        ),
        RuntimeRecord(
            Runtime.DIRECT,
            "JavaScript in workerd through miniflare as pyodide-workerd hosts Python: no wrangler dev proxy",
            Host.DIRECT,
            (JAVASCRIPT,),
            ("workerd", "miniflare"),
            ("--watch",),
            _direct_launch,
            direct_availability,
        ),
        RuntimeRecord(
            Runtime.PYODIDE_WRANGLER,
            "our host for Python served by `wrangler dev`, as JavaScript is",
            Host.WRANGLER_DEV,
            (PYTHON,),
            ("pyodide", "wrangler", "workerd"),
            (),
            _pyodide_wrangler_launch,
            pyodide_workerd_availability,
        ),
    )
}


def record(runtime: str) -> RuntimeRecord:
    return RECORDS[Runtime(runtime)]


def for_language(language: str) -> tuple[Runtime, ...]:
    """The runtimes that can execute a worker in this language, preferred first."""
    return tuple(runtime for runtime, found in RECORDS.items() if language in found.languages)


def of(worker: Worker) -> tuple[Runtime, ...]:
    return for_language(worker.language)


PYTHON_RUNTIMES = for_language(PYTHON)
JS_RUNTIMES = for_language(JAVASCRIPT)
RUNTIME_CHOICES = (AUTO, ALL, *PYTHON_RUNTIMES)  # for Python workers
JS_RUNTIME_CHOICES = (AUTO, ALL, *JS_RUNTIMES)
