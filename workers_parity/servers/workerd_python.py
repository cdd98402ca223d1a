"""Can workerd's own Python start a worker on this machine? Only a start tells: workerd fetches a Pyodide bundle from
a Cloudflare host (or reads one supplied on disk) and checks it against a hash compiled into it.

So `auto` picks workerd's own Python only after a start of it succeeded here: a tiny Python worker started under
`wrangler dev` and its answer read, once per workerd version and bundle source. The outcome is cached in the
workers-parity cache: a success for good, a failure (with its reason) for RETRY_SECONDS, or until the next process
that has REPROBE_ENV set.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from workers_parity.servers import cache, toolchain

PROBE_TIMEOUT = 90.0  # seconds for the start: an online first start downloads the bundle
RETRY_SECONDS = 6 * 3600  # a failure is believed this long, then the start is tried again
REPROBE_ENV = "PARITY_REPROBE_WORKERD_PYTHON"  # set: try the start again now, once per process
ANSWER = "workerd's own Python started"
PROBE_CONFIG = """{
  "name": "workerd-python-probe",
  "main": "src/entry.py",
  "compatibility_date": "2026-09-08",
  "compatibility_flags": ["python_workers"]
}
"""
PROBE_ENTRY = f"""from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response({ANSWER!r})
"""
ANSI = re.compile(r"\x1b\[[0-9;]*m")
WORKERD_FAILURE = re.compile(r"\bfailed: (.+)")  # workerd's exceptions: `file.rs:843: failed: what happened`

Probe = Callable[[Path], tuple[bool, str]]  # (the probe's own folder) -> (started, what happened)
_reprobed: set[Path] = set()  # with REPROBE_ENV, a process tries each start again once, not at every look


@dataclass(frozen=True)
class Outcome:
    started: bool
    reason: str  # what happened: the answer, or why there was none
    workerd: str  # the version tried
    source: str  # where its Pyodide bundle came from: downloaded, or a folder
    at: float  # when, in seconds since the epoch

    def believed(self, now: float) -> bool:
        return self.started or now - self.at < RETRY_SECONDS

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.at))
        return f"workerd {self.workerd}, bundle {self.source}, {when}"


def outcome(probe: Probe | None = None, now: float | None = None) -> Outcome:
    """The cached outcome of a start of workerd's own Python here, starting the probe worker when there is none."""
    now = time.time() if now is None else now
    version, source = workerd_version(), bundle_source()
    path = probe_folder() / f"{_key(version, source)}.json"
    with cache.exclusive(path.with_suffix(".lock")):
        cached = _read(path)
        if cached is not None and cached.believed(now) and not _reprobe_asked(path):
            return cached
        started, reason = (probe or start_probe_worker)(path.with_suffix(""))
        found = Outcome(started, reason, version, source, now)
        path.write_text(json.dumps(asdict(found), indent=2) + "\n")
        return found


def probe_folder() -> Path:
    return cache.cache_dir() / "workerd-python"


def workerd_version() -> str:
    """The pinned workerd, read from the npm lock (nothing needs to be installed to look up the cache)."""
    lock = json.loads(toolchain.LOCK_FILE.read_text())
    return lock["packages"]["node_modules/workerd"]["version"]


def bundle_source() -> str:
    from workers_parity.servers import runtimes

    folder = runtimes.bundle_dir()
    return f"from {folder}" if folder else "downloaded"


def _key(version: str, source: str) -> str:
    return f"workerd-{version}-{hashlib.sha256(source.encode()).hexdigest()[:12]}"


def _read(path: Path) -> Outcome | None:
    try:
        return Outcome(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def _reprobe_asked(path: Path) -> bool:
    if not os.environ.get(REPROBE_ENV) or path in _reprobed:
        return False
    _reprobed.add(path)
    return True


def start_probe_worker(folder: Path, timeout: float = PROBE_TIMEOUT) -> tuple[bool, str]:
    """Start a tiny Python worker in workerd's own Python under `wrangler dev` and ask it once."""
    from workers_parity.http import client
    from workers_parity.servers.devserver import DevServerError

    server = _probe_server(folder)
    try:
        server.start(timeout=timeout, migrate=False, prepare=False)  # no dependencies: workerd has the SDK
        reply = client.get(server.base_url, "/")
    except (DevServerError, OSError) as error:
        return False, failure_reason(str(error), server.log_path)
    finally:
        server.stop()
    if (reply.status, reply.body) != (200, ANSWER.encode()):
        return False, f"it started but answered {reply.status} {reply.body[:200]!r} (log {server.log_path})"
    return True, "a tiny Python worker started in it and answered"


def _probe_server(folder: Path):
    from workers_parity import project
    from workers_parity.servers import runtimes
    from workers_parity.servers.devserver import DevServer
    from workers_parity.servers.ports import free_port
    from workers_parity.servers.registry import Runtime

    shutil.rmtree(folder, ignore_errors=True)
    (folder / "src").mkdir(parents=True)
    (folder / "wrangler.jsonc").write_text(PROBE_CONFIG)
    (folder / "src" / "entry.py").write_text(PROBE_ENTRY)
    # ready at a 200 only: any answer would do for a worker without a ready path, a 403 from a helper socket too
    worker = dataclasses.replace(project.worker_from_folder(folder, worker_id="workerd-python-probe"), ready_path="/")
    choice = runtimes.Choice(Runtime.WORKERD, "probing whether workerd's own Python starts here")
    return DevServer(worker, port=free_port(), state_dir=folder / "state", log_path=folder / "probe.log", choice=choice)


def failure_reason(error: str, log_path: Path) -> str:
    """workerd's own words for the failure when its log has them, else the start error's first line."""
    log = log_path.read_text(errors="replace") if log_path.exists() else ""
    said = WORKERD_FAILURE.search(ANSI.sub("", log))
    what = said[1].strip() if said else error.splitlines()[0]
    return f"{what[:300]} (log {log_path})"
