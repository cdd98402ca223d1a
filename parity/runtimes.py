"""What executes each worker: workerd (through wrangler) or pyodide-node (our offline Python runtime)."""

from __future__ import annotations

import os
import socket
import sys
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from parity import ROOT, toolchain
from parity.registry import WORKERS, Worker

RUNTIME_CHOICES = ("auto", "workerd", "pyodide-node")
RUNTIME_ENV = "PARITY_PYTHON_RUNTIME"  # auto | workerd | pyodide-node
BUNDLE_DIR_ENV = "PARITY_PYODIDE_BUNDLE_DIR"  # folder holding workerd's Pyodide bundle file
BUNDLE_HOST = "pyodide-capnp-bin.edgeworker.net"
PYODIDE_NODE = ROOT / "pyodide-node" / "serve.mjs"
WORKERD_WRAPPER = ROOT / "parity" / "workerd-with-bundle.sh"


@dataclass(frozen=True)
class Choice:
    runtime: str
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
    requested = explicit or os.environ.get(RUNTIME_ENV) or "auto"
    if requested not in RUNTIME_CHOICES:
        raise ValueError(f"unknown Python runtime {requested!r}; choose one of {', '.join(RUNTIME_CHOICES)}")
    return requested


def select(worker: Worker, requested: str | None = None) -> Choice:
    """Resolve `auto`: workerd when it can start this worker here, else pyodide-node."""
    requested = requested_runtime(requested)
    if not worker.is_python:
        return Choice("workerd", "JavaScript workers always run in workerd")
    if requested != "auto":
        return Choice(requested, f"forced by {RUNTIME_ENV} / --python-runtime")
    workerd = workerd_python_availability()
    if workerd.usable:
        return Choice("workerd", f"auto: {workerd.reason}")
    return Choice("pyodide-node", f"auto: workerd unusable ({workerd.reason})")


def bundle_dir() -> Path | None:
    value = os.environ.get(BUNDLE_DIR_ENV)
    return Path(value).expanduser().resolve() if value else None


def workerd_python_availability() -> Availability:
    """Can workerd start a Python worker here? It needs its Pyodide bundle: supplied on disk, or downloadable."""
    folder = bundle_dir()
    if folder is not None:
        bundles = sorted(folder.glob("*.bin")) if folder.is_dir() else []
        if bundles:
            return Availability(True, f"Pyodide bundle supplied in {folder} ({bundles[0].name})")
        return Availability(False, f"{BUNDLE_DIR_ENV}={folder} holds no bundle (*.bin) file")
    if bundle_host_resolves():
        return Availability(True, f"online: {BUNDLE_HOST} resolves, workerd can download its Pyodide bundle")
    return Availability(False, f"offline: {BUNDLE_HOST} does not resolve and {BUNDLE_DIR_ENV} is not set")


def bundle_host_resolves() -> bool:
    return _resolves(BUNDLE_HOST)


@cache
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


def pyodide_node_availability() -> Availability:
    try:
        toolchain.node_binary()
    except toolchain.ToolMissing as missing:
        return Availability(False, str(missing))
    if not PYODIDE_NODE.exists():
        return Availability(False, f"{PYODIDE_NODE} is missing")
    return Availability(
        True,
        f"Pyodide {toolchain.package_version('pyodide') or '(installed on first run)'} "
        "under Node; python_modules/ filled from PyPI (pure-Python wheels)",
    )


def availability(worker: Worker, runtime: str) -> Availability:
    if runtime == "pyodide-node":
        if not worker.is_python:
            return Availability(False, "pyodide-node runs Python workers only")
        return pyodide_node_availability()
    if worker.is_python:
        return workerd_python_availability()
    try:
        toolchain.node_binary()
    except toolchain.ToolMissing as missing:
        return Availability(False, str(missing))
    return Availability(True, "wrangler dev runs JavaScript workers and D1 locally, offline")


def prepare(worker: Worker, runtime: str) -> None:
    """What a runtime needs before start: npm packages, and python_modules/ for Python workers."""
    toolchain.ensure_node_modules()
    if worker.is_python:
        from parity import pymodules

        pymodules.sync_python_modules(worker.folder)


def launch(worker: Worker, runtime: str, *, port: int, host: str, state_dir: Path) -> Launch:
    if runtime == "pyodide-node":
        return _pyodide_node_launch(worker, port, host, state_dir)
    return _wrangler_dev_launch(worker, port, host, state_dir)


def _pyodide_node_launch(worker: Worker, port: int, host: str, state_dir: Path) -> Launch:
    argv = [str(toolchain.node_binary()), str(PYODIDE_NODE), "--worker-dir", str(worker.folder)]
    return Launch([*argv, *_serve_flags(port, host, state_dir)], ROOT, toolchain.node_env())


def _wrangler_dev_launch(worker: Worker, port: int, host: str, state_dir: Path) -> Launch:
    from parity.devserver import free_port

    argv = [*toolchain.wrangler_command(), "dev", *_serve_flags(port, host, state_dir)]
    argv += ["--inspector-port", str(free_port()), "--show-interactive-dev-session=false"]
    return Launch(argv, worker.folder, toolchain.node_env(_workerd_bundle_env(worker)))


def _serve_flags(port: int, host: str, state_dir: Path) -> list[str]:
    """The flags both runtimes share, spelled as `wrangler dev` spells them."""
    return ["--port", str(port), "--ip", host, "--persist-to", str(state_dir)]


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
    toolchain.ensure_node_modules()
    found = sorted((toolchain.NODE_MODULES / "@cloudflare").glob("workerd-*/bin/workerd"))
    if not found:
        raise toolchain.ToolMissing("workerd binary not found under node_modules/@cloudflare; run `npm ci`")
    return found[0]


def doctor_rows() -> list[tuple[str, str, Availability]]:
    return [(worker.id, runtime, availability(worker, runtime)) for worker in WORKERS for runtime in worker.runtimes]


def doctor(out=sys.stdout) -> int:
    """Print, per worker, which runtimes are usable here and why not; exit 1 if a worker has none."""
    rows = doctor_rows()
    for worker_id, runtime, found in rows:
        mark = "yes" if found.usable else "no "
        print(f"{worker_id:<11} {runtime:<13} {mark}  {found.reason}", file=out)
    for worker in WORKERS:
        choice = select(worker)
        print(f"{worker.id}: auto selects {choice.runtime} ({choice.reason})", file=out)
    usable_per_worker = {worker_id for worker_id, _, found in rows if found.usable}
    return 0 if usable_per_worker == {worker.id for worker in WORKERS} else 1
