"""Which runtime runs each worker here: a JavaScript worker workerd under wrangler dev, or the host forced
(--js-runtime / PARITY_JS_RUNTIME: `direct`, or `all` for both); a Python worker the one forced (pyodide-workerd,
pyodide-wrangler, workerd), or with `auto` workerd's own Python once a start of it succeeded on this machine
(workerd_python.py), else pyodide-workerd; with `all` every usable one. And `doctor`, which says so per worker.

Choosing may start a probe server (a DevServer), so this sits above servers/devserver.py: whoever makes a server
chooses its runtime first (fleet.fresh_server, dev, run, the pytest plugin), and a server's own start never probes.
"""

from __future__ import annotations

import sys

from workers_parity import project
from workers_parity.servers import runtimes, toolchain, workerd_python
from workers_parity.servers.registry import Runtime, Worker
from workers_parity.servers.runtimes import (
    ALL,
    AUTO,
    BUNDLE_DIR_ENV,
    RUNTIME_ENV,
    Availability,
    Choice,
    bundle_dir,
    javascript_choice,
    js_request,
    requested_js_runtime,
    requested_runtime,
    versions,
)


def select(worker: Worker, requested: str | None = None, js_requested: str | None = None) -> Choice:
    """Resolve `auto`: workerd when it can start this worker here, else pyodide-workerd."""
    return select_all(worker, requested, js_requested)[0]


def select_all(worker: Worker, requested: str | None = None, js_requested: str | None = None) -> list[Choice]:
    """The runtimes to run this worker in: one, or with `all` every usable one (at least the preferred).

    `requested` is the Python runtime; a JavaScript worker follows `js_requested`, or `requested` when it names a
    JavaScript runtime (a server made for one runtime, as the bench makes them)."""
    if not worker.is_python:
        js = requested_js_runtime(js_request(requested, js_requested))
        if js == ALL:
            usable = [r for r in runtimes.of(worker) if availability(worker, r).usable]
            return [Choice(r, "all: every usable JavaScript host") for r in usable] or [javascript_choice(AUTO)]
        return [javascript_choice(js)]
    requested = requested_runtime(requested)
    if requested == ALL:
        usable = [r for r in runtimes.of(worker) if availability(worker, r).usable]
        return [Choice(r, "all: every usable runtime") for r in usable] or select_all(worker, AUTO)
    if requested != AUTO:
        return [Choice(Runtime(requested), f"forced by {RUNTIME_ENV} / --python-runtime")]
    preferred, *others = runtimes.of(worker)
    first = availability(worker, preferred)
    if first.usable or not others:
        return [Choice(preferred, f"auto: {first.reason}")]
    return [Choice(others[0], f"auto: {preferred} cannot run {worker.id} here ({first.reason})")]


def workerd_python_availability() -> Availability:
    """Can workerd start a Python worker here? Only after a start of it succeeded on this machine (workerd_python)."""
    folder = bundle_dir()
    if folder is not None and not (folder.is_dir() and any(folder.glob("*.bin"))):
        return Availability(False, f"{BUNDLE_DIR_ENV}={folder} holds no bundle (*.bin) file")
    found = workerd_python.outcome()
    if found.started:
        return Availability(True, f"a start of it succeeded here ({found.describe()})")
    return Availability(
        False,
        f"no start of it succeeded here ({found.describe()}): {found.reason}; tried again after "
        f"{workerd_python.RETRY_SECONDS // 3600} h, or now with {workerd_python.REPROBE_ENV}=1",
    )


def availability(worker: Worker, runtime: str) -> Availability:
    found = runtimes.record(runtime)
    if worker.language not in found.languages:
        return Availability(False, f"{runtime} runs {' and '.join(found.languages)} workers only ({found.about})")
    if worker.language in found.proven_by_a_start:
        return workerd_python_availability()
    return found.availability()


def doctor_rows() -> list[tuple[str, str, Availability]]:
    return [
        (worker.id, runtime, availability(worker, runtime))
        for worker in project.workers()
        for runtime in runtimes.of(worker)
    ]


def doctor(out=sys.stdout) -> int:
    """Print, per worker, which runtimes are usable here and why not; exit 1 if a worker has none."""
    rows = doctor_rows()
    versions_here = toolchain.versions()
    for worker_id, runtime, found in rows:
        mark = "yes" if found.usable else "no "
        print(f"{worker_id:<11} {runtime:<16} {mark}  {found.reason}", file=out)
    for worker in project.workers():
        choice = select(worker)
        named = ", ".join(f"{name} {version}" for name, version in versions(choice.runtime, versions_here).items())
        print(f"{worker.id}: auto selects {choice.runtime} ({choice.reason}){f'; {named}' if named else ''}", file=out)
    usable_per_worker = {worker_id for worker_id, _, found in rows if found.usable}
    return 0 if usable_per_worker == {worker.id for worker in project.workers()} else 1
