"""The harness's own speed, on a warm two-worker project of real workers (a copy of examples/notes: JavaScript under
wrangler dev, Python in its runtime), with 100 cases. Read off a table, never timed tests:
- harness time: a `workers-parity run`'s wall time (the command as a user types it) minus its workers' start-up
  (what its results file records: preparing, migrating and starting them), at most 2 s;
- replay: cases sent and answered per second, per worker (each worker replays every case in order), at least 200;
  the workers' own time is most of it, so the same replay against an instant local server is shown beside it (what
  the harness alone could send);
- a 10,000-request HAR file imported (`workers-parity import-har`, wall time), within 5 s.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from workers_parity.bench.results import TargetCheck
from workers_parity.bench.units import format_rate, format_seconds
from workers_parity.cases import load
from workers_parity.plugins import results
from workers_parity.project import starter
from workers_parity.render import progress
from workers_parity.run import replay

CASES = 100
HAR_ENTRIES = 10_000
HARNESS_SECONDS = 2.0
REPLAY_PER_SECOND = 200.0
HAR_SECONDS = 5.0
NOT_COPIED = shutil.ignore_patterns("reports", ".wrangler", "python_modules", "workers-parity.toml")


def measure(pair: Path, runs: int, workdir: Path) -> list[TargetCheck]:
    """Copy the pair, warm it with one run, then time `runs` runs and a HAR import."""
    if not pair.is_dir():
        return [TargetCheck("harness time", "(no pair)", f"not measured: {pair} is not a folder", None)]
    project = _project(pair, workdir / "pair")
    with progress.steps("the harness on a two-worker project", runs + 3) as steps:
        steps.doing("warming: a first run (python_modules, snapshots, npm packages)")
        steps.done(f"warm run: {_run(project)[0]:.1f} s")
        timings = []
        for number in range(1, runs + 1):
            steps.doing(f"timed run {number}/{runs}")
            timings.append(_timed_run(project))
            steps.done(f"run {number}/{runs}: harness {format_seconds(timings[-1][0])}")
        steps.doing(f"importing a {HAR_ENTRIES:,}-request HAR file")
        har_seconds = _har_import(workdir)
        steps.done(f"HAR import: {format_seconds(har_seconds)}")
        steps.doing("the same cases against an instant local server")
        capacity = harness_capacity(project)
        steps.done(f"harness alone: {format_rate(capacity)}")
    return checks(timings, har_seconds, capacity)


def _project(pair: Path, copy: Path) -> Path:
    shutil.copytree(pair, copy, ignore=NOT_COPIED)
    starter.init(copy)  # the config a user gets
    cases = copy / starter.CASES_NAME
    written = cases.read_text(encoding="utf-8").count("[[case]]")
    cases.write_text(cases.read_text(encoding="utf-8") + "\n" + more_cases(CASES - written), encoding="utf-8")
    return copy


def more_cases(count: int) -> str:
    """Cases that use the pair's D1 and KV in turn, each GET after the write it reads."""
    kinds = [
        'method = "POST"\npath = "/notes"\nbody = \'{{"text": "note {n}"}}\'',
        'path = "/notes/{n}"',
        'method = "PUT"\npath = "/prefs/key-{n}"\nbody = "value {n}"',
        'path = "/prefs/key-{n}"',
    ]
    return "\n".join(f'[[case]]\nid = "more-{n}"\n{kinds[n % 4].format(n=n)}\n' for n in range(count))


def _run(project: Path) -> tuple[float, results.Results]:
    env = {key: value for key, value in os.environ.items() if key != "WORKERS_PARITY_CONFIG"}
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "workers_parity", "run"], cwd=project, env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"workers-parity run in {project} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return wall, results.read(project / "reports" / "results.json")


def _timed_run(project: Path) -> tuple[float, dict[str, float]]:
    """(harness seconds, cases per second of each worker)."""
    wall, found = _run(project)
    rates = {run.id: len(found.tests) / run.replay_seconds for run in found.workers if run.replay_seconds}
    return wall - (found.run.startup_seconds or 0.0), rates


def _har_import(workdir: Path) -> float:
    har = workdir / "big.har"
    har.write_text(json.dumps(big_har(HAR_ENTRIES)), encoding="utf-8")
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "workers_parity", "import-har", str(har), "--out", str(workdir / "big.toml")],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - began


def big_har(entries: int) -> dict:
    """A browser session: reads and writes of a JSON API with the headers a browser sends."""
    headers = [{"name": name, "value": value} for name, value in BROWSER_HEADERS]
    made = []
    for n in range(entries):
        request = {"method": "GET", "url": f"https://app.example/api/notes/{n}?view=full", "headers": headers}
        if n % 3 == 0:
            text = json.dumps({"text": f"note {n} · café", "tags": ["a", "b"]})
            request |= {"method": "POST", "url": "https://app.example/api/notes"}
            request["postData"] = {"mimeType": "application/json", "text": text}
        made.append({"startedDateTime": "2026-12-01T10:00:00.000Z", "request": request, "response": {"status": 200}})
    return {"log": {"version": "1.2", "creator": {"name": "bench"}, "entries": made}}


BROWSER_HEADERS = [
    ("Host", "app.example"),
    ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"),
    ("Accept", "application/json, text/plain, */*"),
    ("Accept-Language", "en-GB,en;q=0.9"),
    ("Cookie", "session=abc123; theme=dark"),
    ("Referer", "https://app.example/notes"),
    ("Connection", "keep-alive"),
]


class _Instant(BaseHTTPRequestHandler):
    """Answers every request at once: what replay costs the harness itself."""

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

    def log_message(self, *args) -> None:
        pass


def harness_capacity(project: Path, rounds: int = 10) -> float:
    """Cases per second replayed against an instant server in this process, two targets at once as in a run."""
    cases = load.load([project / starter.CASES_NAME]) * rounds
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _Instant) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        urls = {str(n): f"http://127.0.0.1:{server.server_address[1]}" for n, server in enumerate(servers)}
        replayed = replay.replay(cases, urls)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
    return min(len(cases) / done.seconds for done in replayed.values())


def checks(timings: list[tuple[float, dict[str, float]]], har_seconds: float, capacity: float) -> list[TargetCheck]:
    harness = statistics.median(seconds for seconds, _ in timings)
    subject = f"{CASES} cases, 2 workers"
    found = [
        TargetCheck(
            f"harness time <= {HARNESS_SECONDS:g} s", subject, format_seconds(harness), harness <= HARNESS_SECONDS
        )
    ]
    target = f"replay >= {REPLAY_PER_SECOND:g} cases/s per worker"
    for worker in timings[0][1]:
        rate = statistics.median(rates[worker] for _, rates in timings if worker in rates)
        found.append(TargetCheck(target, worker, format_rate(rate), rate >= REPLAY_PER_SECOND))
    found.append(TargetCheck(target, "the harness alone (instant server)", format_rate(capacity), None))
    target = f"HAR import <= {HAR_SECONDS:g} s"
    found.append(
        TargetCheck(target, f"{HAR_ENTRIES:,} requests", format_seconds(har_seconds), har_seconds <= HAR_SECONDS)
    )
    return found
