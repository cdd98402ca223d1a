"""`workers-parity run`: every configured worker started on a free port and fresh state (or reached at its base URL),
every case sent to every worker in file order, the answers judged, the results recorded, the report written beside
the config and its summary printed. Exit 0 on PASS, 1 on FAIL, 3 on PARTIAL (config errors, 2, are the caller's)."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from workers_parity.plugins import results, runinfo
from workers_parity.project import Project
from workers_parity.project.config import ConfigError
from workers_parity.report.publish import print_summary, publish
from workers_parity.run import record, replay, suite, targets
from workers_parity.run.judging import CaseJudge
from workers_parity.run.targets import Selection, Target
from workers_parity.servers import devserver, fleet
from workers_parity.servers.devserver import DevServer
from workers_parity.servers.ports import free_port

LOG_LINES_SHOWN = 12  # of a worker that did not start, under its one-line error
RESULTS_NAME = "results.json"
MEMORY_FOLDER = Path("/dev/shm")  # a run's fresh state is thrown away: in memory, D1 and KV commit faster
MEMORY_NEEDED = 256 * 2**20


@dataclass(frozen=True)
class Options:
    workers: list[str] = field(default_factory=list)
    base_urls: list[str] = field(default_factory=list)
    python_runtime: str | None = None
    command: str = "workers-parity run"
    js_runtime: str | None = None  # workerd (wrangler dev) or direct; None: $PARITY_JS_RUNTIME or auto


@dataclass
class Outcome:
    exit_code: int
    report_files: list[Path]


def run(project: Project, options: Options) -> Outcome:
    """The whole run; ConfigError for a config, case file or option that cannot be used."""
    project_suite = suite.load(project)
    if not project_suite.cases:
        raise ConfigError(f"{project.config.path}: no cases to send; list case files in `cases` (docs/reference.md)")
    selection = targets.select(project, options.workers, options.base_urls, options.python_runtime, options.js_runtime)
    the_run = record.new_run(project_suite, selection, options.command, sys.argv[1:])
    with fresh_state_folder() as state, fleet.Fleet() as running:
        began = time.monotonic()
        urls, runs = start(selection, running, Path(state), project.reports / "logs")
        the_run.startup_seconds = time.monotonic() - began
        replayed = replay.replay(project_suite.cases, urls)
        for server in running.servers.values():
            server.request_stop()  # they stop while the answers are judged; leaving the block waits for them
        path = project.reports / RESULTS_NAME
        results.write(judged(project_suite, selection, the_run, runs, replayed), path)
        report, written = publish(path, project.reports)
    print_summary(report, written)
    return Outcome(report.exit_code, written)


def judged(
    project_suite: suite.Suite,
    selection: Selection,
    the_run: results.Run,
    runs: list[results.WorkerRun],
    replayed: dict[str, replay.Replayed],
) -> results.Results:
    """Every case's answers judged, in file order, with the masks' counts and each worker's replay time."""
    judge = CaseJudge(project_suite, selection.targets, selection.baseline_label())
    cases = project_suite.cases
    verdicts = [judge.judge(case, {t: done.answers[n] for t, done in replayed.items()}) for n, case in enumerate(cases)]
    for worker_run in runs:
        worker_run.replay_seconds = replayed[worker_run.id].seconds
        worker_run.requests = len(cases) if worker_run.replay_seconds is not None else 0
    the_run.masks, the_run.finished = judge.tally.rows(), runinfo.now()
    tests = [record.case_record(verdict, project_suite, the_run.targets) for verdict in verdicts]
    return results.Results(the_run, runs, tests)


def fresh_state_folder() -> tempfile.TemporaryDirectory:
    """A temporary folder for the workers' state: in memory when the system has room there, else on disk."""
    in_memory = MEMORY_FOLDER.is_dir() and os.access(MEMORY_FOLDER, os.W_OK)
    if in_memory and shutil.disk_usage(MEMORY_FOLDER).free >= MEMORY_NEEDED:
        return tempfile.TemporaryDirectory(prefix="workers-parity-state-", dir=MEMORY_FOLDER)
    return tempfile.TemporaryDirectory(prefix="workers-parity-state-")


def start(
    selection: Selection, running: fleet.Fleet, state: Path, logs: Path
) -> tuple[dict[str, str | None], list[results.WorkerRun]]:
    """Start every local target at once; each target's base URL (None: it did not start) and its record."""
    local = [target for target in selection.targets if target.choice is not None]
    servers = {target.id: running.add(target.id, _server(target, state, logs)) for target in local}
    failures = running.start(on_ready=_announce) if servers else {}
    urls: dict[str, str | None] = {}
    runs = []
    for target in selection.targets:
        server = servers.get(target.id)
        url = server.base_url if server is not None else selection.base_urls[target.worker.id]
        error = _start_error(target, server, failures.get(target.id)) if server else _unreachable(target, url)
        if error:
            print(f"workers-parity: {error}", file=sys.stderr, flush=True)
        urls[target.id] = None if error else url
        runs.append(record.worker_run(target, url, server=server, error=error))
    return urls, runs


def _server(target: Target, state: Path, logs: Path) -> DevServer:
    name = target.id.replace("@", "-")
    log = logs / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.unlink(missing_ok=True)  # each run's log is its own
    return DevServer(
        target.worker,
        port=free_port(),
        state_dir=state / name,
        log_path=log,
        runtime=target.choice.runtime,
        choice=target.choice,
    )


def _announce(server: DevServer) -> None:
    print(
        f"{server.worker.id}: ready at {server.base_url} in {server.startup_seconds:.1f} s "
        f"({server.choice.runtime}; log {server.log_path})",
        flush=True,
    )


def _start_error(target: Target, server: DevServer, failure: Exception | None) -> str | None:
    """One line saying why the target did not start and where to look, then the log's last lines."""
    if failure is None:
        return None
    first, *_ = str(failure).splitlines() or [type(failure).__name__]
    tail = _log_tail(server.log_path)
    return f"{target.id}: did not start: {first} (full log: {server.log_path})" + (f"\n{tail}" if tail else "")


def _log_tail(log: Path) -> str:
    with contextlib.suppress(OSError):
        lines = log.read_text(errors="replace").splitlines()[-LOG_LINES_SHOWN:]
        return "\n".join(f"  | {line}" for line in lines)
    return ""


def _unreachable(target: Target, url: str) -> str | None:
    if devserver.http_status(url + (target.worker.ready_path or "/")) is not None:
        return None
    return f"{target.id}: nothing answers at {url}; start it there, or drop its --base-url / base_url"
