"""Benchmarks: how fast each worker starts and serves, side by side, in one run.

    python -m parity.bench [--starts N] [--requests N] [--seconds S] [--worker ID ...] [--out reports]

For every worker and every runtime usable here it measures start-up (spawn -> first 200 on /hello), latency and
throughput of GET /hello, POST /form and GET /counter at 1 and 8 keep-alive clients, and the peak RSS of the dev-server
process tree. Workers are measured in alternation (js, py, py-minimal, js, ...) so machine noise hits all alike.
Writes a table to the terminal, `reports/bench.md` and `reports/bench.json`.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from parity import ROOT, fleet, parentwatch, pymodules, registry, runtimes, toolchain
from parity.devserver import DevServer, DevServerError
from parity.ports import free_port
from parity.registry import Worker

CLIENT_COUNTS = (1, 8)
DEFAULT_STARTS = 7
DEFAULT_REQUESTS = 5000
DEFAULT_SECONDS = 10.0
WARMUP_REQUESTS_PER_CLIENT = 10
MEMORY_SAMPLE_SECONDS = 0.1
READY_POLL_SECONDS = 0.1  # DevServer's readiness poll: start-up figures can be up to this much late
BASELINE_WORKER = "js"
PYODIDE_WORKERD = registry.Runtime.PYODIDE_WORKERD
WARM_SNAPSHOT = "warm snapshot"
NO_SNAPSHOT = "no snapshot"
STARTUP_TARGET_VS_JS = 1.3  # warm start of a Python worker at most this many times js-worker's (medians)
THROUGHPUT_TARGET_VS_JS = 0.8  # Python GET /hello throughput at least this share of js-worker's
PYTHON_PACKAGES_OF_NOTE = ("workers-runtime-sdk", "starlette")
FORM_BODY = urlencode({"name": "Ada Lovelace", "message": "Benchmarks & <notes>"}).encode()
DASH = "–"


# ---------------------------------------------------------------------------------------------------------------------
# What is measured
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """One worker in one runtime; for pyodide-workerd also whether it starts from a warm snapshot or none."""

    worker_id: str
    runtime: str
    variant: str = ""

    @property
    def worker(self) -> Worker:
        return registry.get(self.worker_id)

    @property
    def label(self) -> str:
        text = f"{self.worker.name} · {self.runtime}"
        return f"{text} ({self.variant})" if self.variant else text

    @property
    def serving_label(self) -> str:
        """The label without the start variant: the load runs always start pyodide-workerd from its warm snapshot."""
        return f"{self.worker.name} · {self.runtime}"

    def snapshot_dir(self, snapshot_root: Path) -> Path | None:
        """Where this subject's pyodide-workerd keeps its snapshot; None when it runs without one (or in workerd)."""
        if self.runtime != PYODIDE_WORKERD or self.variant == NO_SNAPSHOT:
            return None
        return snapshot_root / self.worker_id

    @property
    def slug(self) -> str:
        return "-".join(filter(None, (self.worker_id, self.runtime, self.variant.replace(" ", "-"))))


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    body: bytes | None = None
    content_type: str | None = None

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def headers(self) -> dict[str, str]:
        return {"content-type": self.content_type} if self.content_type else {}


ENDPOINTS = (
    Endpoint("GET", "/hello"),
    Endpoint("POST", "/form", FORM_BODY, "application/x-www-form-urlencoded"),
    Endpoint("GET", "/counter"),
)


# ---------------------------------------------------------------------------------------------------------------------
# Results: one dataclass per kind
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    median: float | None
    minimum: float | None
    maximum: float | None
    q1: float | None
    q3: float | None


@dataclass(frozen=True)
class StartupResult:
    subject: str
    worker: str
    runtime: str
    variant: str
    seconds: list[float]  # the measured starts, in order
    first_start_seconds: float | None  # the untimed warm-up start (for a warm snapshot: the one that built it)
    summary: Summary
    failures: list[str] = field(default_factory=list)
    median_vs_js: float | None = None


@dataclass(frozen=True)
class LoadResult:
    subject: str
    worker: str
    runtime: str
    endpoint: str
    clients: int
    requests: int  # answered 200
    errors: int  # anything else, including broken connections
    seconds: float
    ended_by: str  # "request count" or "time bound"
    p50_seconds: float | None
    p99_seconds: float | None
    requests_per_second: float | None
    p50_vs_js: float | None = None
    p99_vs_js: float | None = None
    throughput_vs_js: float | None = None


@dataclass(frozen=True)
class MemoryResult:
    subject: str
    worker: str
    runtime: str
    peak_rss_bytes: int
    processes_at_peak: int
    samples: int
    peak_vs_js: float | None = None


@dataclass(frozen=True)
class TargetCheck:
    target: str
    subject: str
    measured: str
    met: bool | None  # None: could not be checked in this run


@dataclass(frozen=True)
class Machine:
    cores: int
    usable_cores: int
    memory_bytes: int
    cpu_model: str
    system: str
    python: str
    load_average: list[float]


@dataclass(frozen=True)
class Report:
    created: str
    settings: dict[str, object]
    machine: Machine
    versions: dict[str, object]
    runtimes_seen: dict[str, dict[str, object]]  # subject -> what /status said
    skipped: dict[str, str]  # "worker · runtime" -> why it was not measured
    startup: list[StartupResult]
    load: list[LoadResult]
    memory: list[MemoryResult]
    targets: list[TargetCheck]
    notes: list[str]


# ---------------------------------------------------------------------------------------------------------------------
# Statistics and formatting (pure; unit-tested in shared-tests/test_bench_math.py)
# ---------------------------------------------------------------------------------------------------------------------


def percentile(values: Iterable[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be within 0..1, got {fraction}")
    position = fraction * (len(ordered) - 1)
    below, above = math.floor(position), math.ceil(position)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def summarize(values: Sequence[float]) -> Summary:
    if not values:
        return Summary(None, None, None, None, None)
    return Summary(
        percentile(values, 0.5), min(values), max(values), percentile(values, 0.25), percentile(values, 0.75)
    )


def ratio(value: float | None, baseline: float | None) -> float | None:
    if value is None or not baseline:
        return None
    return value / baseline


def throughput(requests: int, seconds: float) -> float | None:
    return requests / seconds if seconds > 0 and requests else None


def ended_by(completed: int, max_requests: int) -> str:
    return "request count" if completed >= max_requests else "time bound"


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return DASH
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    if seconds >= 0.001:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"


def format_spread(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return DASH
    return f"{format_seconds(low)} {DASH} {format_seconds(high)}"


def format_rate(per_second: float | None) -> str:
    return DASH if per_second is None else f"{per_second:,.0f}/s"


def format_ratio(value: float | None) -> str:
    return DASH if value is None else f"{value:.2f}×"


def format_bytes(count: int | None) -> str:
    if not count:
        return DASH
    return f"{count / 2**20:,.0f} MiB"


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell, separated by two spaces."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = [headers, ["-" * width for width in widths], *rows]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in lines
    )


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |"

    return "\n".join([line(headers), line(["---"] * len(headers)), *map(line, rows)])


def parse_process_group(stat_text: str) -> int:
    """The process group id from /proc/PID/stat (fields after the parenthesised name: state, ppid, pgrp)."""
    return int(stat_text[stat_text.rindex(")") + 1 :].split()[2])


def parse_vmrss_bytes(status_text: str) -> int:
    """VmRSS from /proc/PID/status in bytes; 0 when absent (kernel threads, zombies)."""
    for line in status_text.splitlines():
        if line.startswith("VmRSS:"):
            amount, unit = line.split()[1:3]
            return int(amount) * {"kB": 1024, "mB": 2**20}.get(unit, 1)
    return 0


def parse_meminfo_total(meminfo_text: str) -> int:
    return next((int(line.split()[1]) * 1024 for line in meminfo_text.splitlines() if line.startswith("MemTotal:")), 0)


def parse_cpu_model(cpuinfo_text: str) -> str:
    for line in cpuinfo_text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("model name", "Model", "Hardware") and value.strip():
            return value.strip()
    return "unknown"


# ---------------------------------------------------------------------------------------------------------------------
# Progress output
# ---------------------------------------------------------------------------------------------------------------------

_CLOCK_ZERO = time.monotonic()


def progress(message: str) -> None:
    print(f"[{time.monotonic() - _CLOCK_ZERO:6.1f}s] {message}", flush=True)


# ---------------------------------------------------------------------------------------------------------------------
# Dev servers with extra runtime flags
# ---------------------------------------------------------------------------------------------------------------------


@dataclass
@dataclass
class BenchServer(DevServer):
    """A DevServer that knows its snapshot folder: a warm start that rebuilt the snapshot was not warm."""

    snapshot_dir: Path | None = None


def runtime_flags(subject: Subject, snapshot_root: Path) -> tuple[str, ...]:
    if subject.variant == NO_SNAPSHOT:
        return ("--no-snapshot",)
    snapshot_dir = subject.snapshot_dir(snapshot_root)
    return ("--snapshot-dir", str(snapshot_dir)) if snapshot_dir else ()


def snapshot_files(snapshot_dir: Path | None) -> set[str]:
    return {path.name for path in snapshot_dir.glob("*.bin")} if snapshot_dir and snapshot_dir.is_dir() else set()


class LiveServers:
    """Every server this run has spawned, so that Ctrl-C or an error still stops them all."""

    def __init__(self) -> None:
        self._servers: list[DevServer] = []

    def new(self, subject: Subject, workdir: Path, purpose: str) -> BenchServer:
        """A server on a free port with its own state folder and log file, named after the subject and purpose."""
        name = f"{purpose}-{subject.slug}"
        server = BenchServer(
            subject.worker,
            port=free_port(),
            state_dir=workdir / f"{name}-state",
            log_path=workdir / f"{name}.log",
            runtime=subject.runtime,
            extra_args=runtime_flags(subject, workdir / "snapshots"),
            snapshot_dir=subject.snapshot_dir(workdir / "snapshots"),
        )
        server.choice = runtimes.Choice(subject.runtime, "benchmark subject")
        self._servers.append(server)
        return server

    def __enter__(self) -> LiveServers:
        return self

    def __exit__(self, *exc_info) -> None:
        fleet.stop_all(self._servers)


# ---------------------------------------------------------------------------------------------------------------------
# Subjects
# ---------------------------------------------------------------------------------------------------------------------


def usable_runtimes(workers: list[Worker]) -> tuple[list[Subject], dict[str, str]]:
    """(worker, runtime) pairs usable here, in worker order, and the unusable ones with the reason."""
    usable, skipped = [], {}
    for worker in workers:
        for runtime in worker.runtimes:
            found = runtimes.availability(worker, runtime)
            if found.usable:
                usable.append(Subject(worker.id, runtime))
            else:
                skipped[f"{worker.name} · {runtime}"] = found.reason
    return usable, skipped


def startup_subjects(serving: list[Subject]) -> list[Subject]:
    """One round's order: every worker as it normally starts, then the pyodide-workerd workers with no snapshot."""
    normal = [replace(s, variant=WARM_SNAPSHOT) if s.runtime == PYODIDE_WORKERD else s for s in serving]
    cold = [replace(s, variant=NO_SNAPSHOT) for s in serving if s.runtime == PYODIDE_WORKERD]
    return normal + cold


def serving_subjects(serving: list[Subject]) -> list[Subject]:
    """The subjects of the load phase: pyodide-workerd starts from its warm snapshot as it normally would."""
    return [replace(s, variant=WARM_SNAPSHOT) if s.runtime == PYODIDE_WORKERD else s for s in serving]


# ---------------------------------------------------------------------------------------------------------------------
# Start-up
# ---------------------------------------------------------------------------------------------------------------------


def measure_startups(subjects: list[Subject], starts: int, workdir: Path, live: LiveServers) -> list[StartupResult]:
    servers = {subject: live.new(subject, workdir, "start") for subject in subjects}
    first = {subject: warm_up_start(subject, server) for subject, server in servers.items()}
    timings: dict[Subject, list[float]] = {subject: [] for subject in subjects}
    failures: dict[Subject, list[str]] = {subject: [] for subject in subjects}
    for round_number in range(1, starts + 1):
        for subject, server in servers.items():
            outcome = timed_start(server, migrate=False, expect_warm=True)
            target = timings[subject] if isinstance(outcome, float) else failures[subject]
            target.append(outcome)
            progress(f"start {round_number}/{starts}  {subject.label}: {describe_outcome(outcome)}")
    return [startup_result(s, timings[s], first[s], failures[s]) for s in subjects]


def warm_up_start(subject: Subject, server: BenchServer) -> float | None:
    """Migrate the state, prepare the runtime and start once untimed (a warm snapshot gets built here)."""
    progress(f"first start (not counted)  {subject.label} ...")
    outcome = timed_start(server, migrate=True)
    progress(f"first start (not counted)  {subject.label}: {describe_outcome(outcome)}")
    return outcome if isinstance(outcome, float) else None


def timed_start(server: BenchServer, migrate: bool, expect_warm: bool = False) -> float | str:
    """Spawn -> first 200 on /hello, in seconds; or the first line of why the start failed or was not warm."""
    snapshots_before = snapshot_files(server.snapshot_dir)
    try:
        server.start(migrate=migrate)
    except DevServerError as error:
        return str(error).splitlines()[0]
    finally:
        server.stop()
    if expect_warm and snapshot_files(server.snapshot_dir) != snapshots_before:
        # The snapshot key covers the runtime's sources and python_modules: one of them changed during the run.
        return f"not counted: took {format_seconds(server.startup_seconds)} but rebuilt its snapshot"
    return server.startup_seconds


def describe_outcome(outcome: float | str) -> str:
    if isinstance(outcome, float):
        return format_seconds(outcome)
    return outcome if outcome.startswith("not counted") else f"FAILED: {outcome}"


def startup_result(subject: Subject, seconds: list[float], first: float | None, failures: list[str]) -> StartupResult:
    return StartupResult(
        subject.label,
        subject.worker.name,
        subject.runtime,
        subject.variant,
        seconds,
        first,
        summarize(seconds),
        failures,
    )


# ---------------------------------------------------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------------------------------------------------


@dataclass
class ClientTally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0


@dataclass(frozen=True)
class LoadPlan:
    endpoint: Endpoint
    clients: int
    max_requests: int
    seconds: float


def run_clients(host: str, port: int, plan: LoadPlan) -> tuple[list[ClientTally], float]:
    """`clients` threads, one keep-alive connection each, until the request count or the time bound is reached."""
    tickets = itertools.count()
    deadline = time.monotonic() + plan.seconds
    tallies = [ClientTally() for _ in range(plan.clients)]
    threads = [
        threading.Thread(target=client_loop, args=(host, port, plan, tickets, deadline, tally), daemon=True)
        for tally in tallies
    ]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tallies, time.perf_counter() - began


def client_loop(
    host: str, port: int, plan: LoadPlan, tickets: Iterable[int], deadline: float, tally: ClientTally
) -> None:
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        for ticket in tickets:
            if ticket >= plan.max_requests or time.monotonic() >= deadline:
                return
            send_one(connection, plan.endpoint, tally)
    finally:
        connection.close()


def send_one(connection: http.client.HTTPConnection, endpoint: Endpoint, tally: ClientTally) -> None:
    began = time.perf_counter()
    try:
        connection.request(endpoint.method, endpoint.path, body=endpoint.body, headers=endpoint.headers)
        response = connection.getresponse()
        response.read()
    except (OSError, http.client.HTTPException):
        connection.close()  # the next request reconnects
        tally.errors += 1
        return
    if response.status == 200:
        tally.latencies.append(time.perf_counter() - began)
    else:
        tally.errors += 1


def load_result(subject: Subject, plan: LoadPlan, tallies: list[ClientTally], seconds: float) -> LoadResult:
    latencies = [latency for tally in tallies for latency in tally.latencies]
    errors = sum(tally.errors for tally in tallies)
    return LoadResult(
        subject.serving_label,
        subject.worker.name,
        subject.runtime,
        plan.endpoint.label,
        plan.clients,
        len(latencies),
        errors,
        seconds,
        ended_by(len(latencies) + errors, plan.max_requests),
        percentile(latencies, 0.5),
        percentile(latencies, 0.99),
        throughput(len(latencies), seconds),
    )


def measure_scenario(subject: Subject, server: DevServer, plan: LoadPlan) -> LoadResult:
    warm_up = replace(plan, max_requests=WARMUP_REQUESTS_PER_CLIENT * plan.clients, seconds=min(plan.seconds, 5.0))
    run_clients(server.host, server.port, warm_up)
    result = load_result(subject, plan, *run_clients(server.host, server.port, plan))
    progress(
        f"{plan.endpoint.label:<13} x{plan.clients}  {subject.serving_label}: {result.requests} ok, "
        f"{result.errors} errors in {result.seconds:.1f} s ({result.ended_by}); "
        f"p50 {format_seconds(result.p50_seconds)}, p99 {format_seconds(result.p99_seconds)}, "
        f"{format_rate(result.requests_per_second)}"
    )
    return result


def plans(max_requests: int, seconds: float) -> list[LoadPlan]:
    return [LoadPlan(endpoint, clients, max_requests, seconds) for endpoint in ENDPOINTS for clients in CLIENT_COUNTS]


# ---------------------------------------------------------------------------------------------------------------------
# Memory: RSS of each dev server's whole process group (its guard left out), sampled in the background
# ---------------------------------------------------------------------------------------------------------------------


def rss_by_process_group(groups: set[int]) -> dict[int, tuple[int, int]]:
    """Process group -> (sum of VmRSS in bytes, number of processes), over /proc."""
    usage = {group: (0, 0) for group in groups}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            group = parse_process_group(Path(entry.path, "stat").read_text())
            if group in usage and int(entry.name) != group:  # the group's leader is the harness's guard
                rss = parse_vmrss_bytes(Path(entry.path, "status").read_text())
                total, count = usage[group]
                usage[group] = (total + rss, count + 1)
        except (OSError, ValueError, IndexError):
            continue  # the process ended while we looked
    return usage


@dataclass
class Peak:
    rss_bytes: int = 0
    processes: int = 0
    samples: int = 0


class MemorySampler:
    """Samples every watched server's process-group RSS every ~100 ms and keeps the peak."""

    def __init__(self, interval: float = MEMORY_SAMPLE_SECONDS) -> None:
        self.interval = interval
        self.peaks: dict[Subject, Peak] = {}
        self._servers: dict[Subject, DevServer] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def watch(self, subject: Subject, server: DevServer) -> None:
        self._servers[subject] = server
        self.peaks[subject] = Peak()

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample_once()

    def sample_once(self) -> None:
        groups = {server.process.pid: subject for subject, server in list(self._servers.items()) if server.running}
        for group, (rss, count) in rss_by_process_group(set(groups)).items():
            peak = self.peaks[groups[group]]
            peak.samples += 1
            if rss > peak.rss_bytes:
                peak.rss_bytes, peak.processes = rss, count


def memory_result(subject: Subject, peak: Peak) -> MemoryResult:
    return MemoryResult(
        subject.serving_label, subject.worker.name, subject.runtime, peak.rss_bytes, peak.processes, peak.samples
    )


# ---------------------------------------------------------------------------------------------------------------------
# The load phase: all servers up, every scenario run against each worker in turn
# ---------------------------------------------------------------------------------------------------------------------


@dataclass
class LoadPhase:
    load: list[LoadResult] = field(default_factory=list)
    memory: list[MemoryResult] = field(default_factory=list)
    statuses: dict[str, dict[str, object]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def measure_load(
    subjects: list[Subject], max_requests: int, seconds: float, workdir: Path, live: LiveServers
) -> LoadPhase:
    phase = LoadPhase()
    with MemorySampler() as sampler:
        servers = start_for_load(subjects, workdir, live, sampler, phase)
        for plan in plans(max_requests, seconds):
            phase.load.extend(measure_scenario(subject, server, plan) for subject, server in servers.items())
        for server in servers.values():
            server.stop()
    phase.memory = [memory_result(subject, sampler.peaks[subject]) for subject in servers]
    return phase


def start_for_load(
    subjects: list[Subject], workdir: Path, live: LiveServers, sampler: MemorySampler, phase: LoadPhase
) -> dict[Subject, DevServer]:
    servers = {}
    for subject in subjects:
        server = live.new(subject, workdir, "load")
        sampler.watch(subject, server)
        progress(f"starting {subject.label} for the load runs ...")
        try:
            server.start()
        except DevServerError as error:
            phase.skipped[subject.label] = f"load runs: {str(error).splitlines()[0]}"
            progress(f"FAILED to start {subject.label}: {error}")
            continue
        phase.statuses[subject.serving_label] = read_status(server)
        servers[subject] = server
    return servers


def read_status(server: DevServer) -> dict[str, object]:
    """What the worker says about itself on /status (its runtime, Python version)."""
    from parity import client

    try:
        return json.loads(client.get(server.base_url, "/status").body)
    except (OSError, ValueError, http.client.HTTPException) as error:
        return {"error": str(error)}


# ---------------------------------------------------------------------------------------------------------------------
# Ratios against js-worker
# ---------------------------------------------------------------------------------------------------------------------


def baseline_name() -> str:
    return registry.get(BASELINE_WORKER).name


def with_startup_ratios(results: list[StartupResult]) -> list[StartupResult]:
    base = next((r.summary.median for r in results if r.worker == baseline_name()), None)
    return [replace(r, median_vs_js=ratio(r.summary.median, base)) for r in results]


def with_load_ratios(results: list[LoadResult]) -> list[LoadResult]:
    bases = {(r.endpoint, r.clients): r for r in results if r.worker == baseline_name()}
    return [load_ratios(r, bases.get((r.endpoint, r.clients))) for r in results]


def load_ratios(result: LoadResult, base: LoadResult | None) -> LoadResult:
    if base is None:
        return result
    return replace(
        result,
        p50_vs_js=ratio(result.p50_seconds, base.p50_seconds),
        p99_vs_js=ratio(result.p99_seconds, base.p99_seconds),
        throughput_vs_js=ratio(result.requests_per_second, base.requests_per_second),
    )


def with_memory_ratios(results: list[MemoryResult]) -> list[MemoryResult]:
    base = next((r.peak_rss_bytes for r in results if r.worker == baseline_name()), None)
    return [replace(r, peak_vs_js=ratio(r.peak_rss_bytes, base)) for r in results]


# ---------------------------------------------------------------------------------------------------------------------
# Targets (read off the table, never timed tests): ratios to js-worker measured in the same run
# ---------------------------------------------------------------------------------------------------------------------


def check_targets(
    startup: list[StartupResult], load: list[LoadResult], memory: list[MemoryResult] = ()
) -> list[TargetCheck]:
    return [*ready_targets(startup), *hello_throughput_targets(load), *memory_targets(memory)]


def ready_targets(startup: list[StartupResult]) -> list[TargetCheck]:
    target = f"warm start (median) <= {STARTUP_TARGET_VS_JS}x js-worker's"
    return [
        TargetCheck(
            target,
            r.subject,
            f"{format_seconds(r.summary.median)} = {format_ratio(r.median_vs_js)} js",
            None if r.median_vs_js is None else r.median_vs_js <= STARTUP_TARGET_VS_JS,
        )
        for r in startup
        if r.runtime == PYODIDE_WORKERD and r.variant == WARM_SNAPSHOT
    ]


def hello_throughput_targets(load: list[LoadResult]) -> list[TargetCheck]:
    target = f"Python GET /hello throughput >= {THROUGHPUT_TARGET_VS_JS}x js-worker's"
    return [
        TargetCheck(
            f"{target} ({r.clients} client{'s' if r.clients > 1 else ''})",
            r.subject,
            f"{format_rate(r.requests_per_second)} = {format_ratio(r.throughput_vs_js)} js",
            None if r.throughput_vs_js is None else r.throughput_vs_js >= THROUGHPUT_TARGET_VS_JS,
        )
        for r in load
        if r.endpoint == "GET /hello" and r.worker != baseline_name()
    ]


def memory_targets(memory: list[MemoryResult]) -> list[TargetCheck]:
    return [
        TargetCheck(
            "peak RSS of the dev server <= js-worker's",
            r.subject,
            f"{format_bytes(r.peak_rss_bytes)} = {format_ratio(r.peak_vs_js)} js",
            None if r.peak_vs_js is None else r.peak_vs_js <= 1.0,
        )
        for r in memory
        if r.worker != baseline_name()
    ]


# ---------------------------------------------------------------------------------------------------------------------
# Versions and machine
# ---------------------------------------------------------------------------------------------------------------------


def versions(workers: list[Worker]) -> dict[str, object]:
    found: dict[str, object] = {"tools": toolchain.versions(), "harness python": platform.python_version()}
    for worker in workers:
        if worker.is_python:
            found[worker.name] = pymodules.installed_versions(worker.folder)
    return found


def machine() -> Machine:
    return Machine(
        cores=os.cpu_count() or 0,
        usable_cores=len(os.sched_getaffinity(0)),
        memory_bytes=parse_meminfo_total(read_text("/proc/meminfo")),
        cpu_model=parse_cpu_model(read_text("/proc/cpuinfo")),
        system=f"{platform.system()} {platform.release()} {platform.machine()}",
        python=platform.python_version(),
        load_average=[round(x, 2) for x in os.getloadavg()],
    )


def read_text(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


# ---------------------------------------------------------------------------------------------------------------------
# Rendering: terminal and Markdown from the same rows
# ---------------------------------------------------------------------------------------------------------------------

STARTUP_HEADERS = ("worker · runtime", "starts", "median", "min – max", "IQR", "first start", "median ×js")
LOAD_HEADERS = (
    "endpoint",
    "clients",
    "worker · runtime",
    "ok",
    "err",
    "ended by",
    "p50",
    "p99",
    "req/s",
    "p50 ×js",
    "p99 ×js",
    "req/s ×js",
)
MEMORY_HEADERS = ("worker · runtime", "peak RSS", "processes", "samples", "peak ×js")
TARGET_HEADERS = ("target", "worker · runtime", "measured", "met")


def startup_rows(results: list[StartupResult]) -> list[list[str]]:
    return [
        [
            r.subject,
            f"{len(r.seconds)}" + (f" ({len(r.failures)} failed)" if r.failures else ""),
            format_seconds(r.summary.median),
            format_spread(r.summary.minimum, r.summary.maximum),
            format_spread(r.summary.q1, r.summary.q3),
            format_seconds(r.first_start_seconds),
            format_ratio(r.median_vs_js),
        ]
        for r in results
    ]


def load_rows(results: list[LoadResult]) -> list[list[str]]:
    return [
        [
            r.endpoint,
            str(r.clients),
            r.subject,
            str(r.requests),
            str(r.errors),
            r.ended_by,
            format_seconds(r.p50_seconds),
            format_seconds(r.p99_seconds),
            format_rate(r.requests_per_second),
            format_ratio(r.p50_vs_js),
            format_ratio(r.p99_vs_js),
            format_ratio(r.throughput_vs_js),
        ]
        for r in results
    ]


def memory_rows(results: list[MemoryResult]) -> list[list[str]]:
    return [
        [
            r.subject,
            format_bytes(r.peak_rss_bytes),
            str(r.processes_at_peak),
            str(r.samples),
            format_ratio(r.peak_vs_js),
        ]
        for r in results
    ]


def target_rows(checks: list[TargetCheck]) -> list[list[str]]:
    verdict = {True: "yes", False: "NO", None: "not checked"}
    return [[c.target, c.subject, c.measured, verdict[c.met]] for c in checks]


def sections(report: Report) -> list[tuple[str, Sequence[str], list[list[str]]]]:
    return [
        ("Start-up: spawn -> first 200 on /hello", STARTUP_HEADERS, startup_rows(report.startup)),
        ("Latency and throughput", LOAD_HEADERS, load_rows(report.load)),
        ("Peak memory: RSS of the dev-server process group", MEMORY_HEADERS, memory_rows(report.memory)),
        ("Targets (ratios to js-worker)", TARGET_HEADERS, target_rows(report.targets)),
    ]


def render_terminal(report: Report) -> str:
    parts = [f"{title}\n{text_table(headers, rows)}" for title, headers, rows in sections(report) if rows]
    skipped = [f"not measured: {name}: {why}" for name, why in report.skipped.items()]
    return "\n\n".join([*parts, "\n".join(skipped)] if skipped else parts)


def render_markdown(report: Report) -> str:
    lines = ["# Benchmarks", "", f"Run {report.created}: `python -m parity.bench {report.settings['argv']}`", ""]
    for title, headers, rows in sections(report):
        if rows:
            lines += [f"## {title}", "", markdown_table(headers, rows), ""]
    if report.skipped:
        lines += ["## Not measured", "", *[f"- {name}: {why}" for name, why in report.skipped.items()], ""]
    lines += ["## Machine and versions", "", *machine_lines(report), ""]
    lines += ["## How these figures were taken", "", *[f"- {note}" for note in report.notes], ""]
    return "\n".join(lines)


def machine_lines(report: Report) -> list[str]:
    m = report.machine
    lines = [
        f"- machine: {m.cpu_model}, {m.cores} cores ({m.usable_cores} usable), "
        f"{format_bytes(m.memory_bytes)} memory, {m.system}; load average at start {m.load_average}",
        f"- tools: {', '.join(f'{k} {v}' for k, v in report.versions['tools'].items())}",
        f"- harness Python {report.versions['harness python']}",
    ]
    for name, packages in report.versions.items():
        if isinstance(packages, dict) and name != "tools":
            noted = {k: v for k, v in packages.items() if k in PYTHON_PACKAGES_OF_NOTE}
            lines.append(f"- {name} python_modules: {', '.join(f'{k} {v}' for k, v in noted.items()) or 'none'}")
    lines += [
        f"- {subject} /status: runtime {status.get('runtime')!r}, python {status.get('python_version')!r}"
        for subject, status in report.runtimes_seen.items()
    ]
    return lines


def notes(settings: dict[str, object]) -> list[str]:
    return [
        "Workers are measured in alternation (round-robin over workers for every start and every load scenario) "
        "so machine noise hits all alike. Ratios (×js) divide each figure by js-worker's: for latency and memory "
        "above 1 is worse, for req/s below 1 is worse.",
        f"Start-up: {settings['starts']} timed starts per subject after one untimed first start (which migrates the "
        f"state and, for pyodide-workerd with a warm snapshot, builds the snapshot in a fresh snapshot folder). "
        f"Readiness is polled every {READY_POLL_SECONDS:.1f} s by the harness' DevServer, so a figure can be up to "
        f"that much late (pyodide-workerd listens at once and holds requests until ready, so its figures are exact). "
        "`no snapshot` passes `--no-snapshot` to pyodide-workerd; a warm start that had to rebuild its snapshot (the "
        "runtime or python_modules changed meanwhile) is listed as failed, not counted. The load runs start "
        "pyodide-workerd from the warm snapshot.",
        f"Load: each scenario runs until {settings['requests']} requests or {settings['seconds']} s, whichever comes "
        f"first (column `ended by`), after {WARMUP_REQUESTS_PER_CLIENT} untimed warm-up requests per client. Clients "
        f"are Python threads, one keep-alive http.client connection each, in the same process as the harness; on a "
        f"small machine they compete with the server for the CPU, so absolute req/s is a lower bound. "
        f"Only 200 answers count; `err` counts anything else.",
        f"Memory: the sum of VmRSS over every process in the dev server's process group, sampled every "
        f"{MEMORY_SAMPLE_SECONDS * 1000:.0f} ms from start to stop of the load runs (pages shared between "
        "processes count once for each).",
    ]


# ---------------------------------------------------------------------------------------------------------------------
# Running it
# ---------------------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m parity.bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--starts", type=int, default=DEFAULT_STARTS, help=f"timed starts per subject (default {DEFAULT_STARTS})"
    )
    parser.add_argument(
        "--requests",
        type=int,
        default=DEFAULT_REQUESTS,
        help=f"requests per load scenario (default {DEFAULT_REQUESTS})",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=DEFAULT_SECONDS,
        help=f"time bound per load scenario (default {DEFAULT_SECONDS:g})",
    )
    parser.add_argument(
        "--worker", action="append", choices=registry.worker_ids(), help="only this worker (repeatable; default all)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "reports", help="folder for bench.md and bench.json")
    args = parser.parse_args(argv)
    if args.starts < 1 or args.requests < 1 or args.seconds <= 0:
        parser.error("--starts and --requests must be at least 1, --seconds above 0")
    return args


def run(args: argparse.Namespace, argv_text: str, workdir: Path) -> Report:
    workers = [registry.get(worker_id) for worker_id in (args.worker or registry.worker_ids())]
    usable, skipped = usable_runtimes(workers)
    progress(f"measuring {', '.join(s.label for s in usable) or 'nothing'}; workdir {workdir}")
    for name, why in skipped.items():
        progress(f"skipping {name}: {why}")
    toolchain.ensure_node_modules()
    for subject in usable:
        runtimes.prepare(subject.worker, subject.runtime)
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    found_machine = machine()
    with LiveServers() as live:
        startup = measure_startups(startup_subjects(usable), args.starts, workdir, live)
        phase = measure_load(serving_subjects(usable), args.requests, args.seconds, workdir, live)
    settings = {
        "argv": argv_text,
        "starts": args.starts,
        "requests": args.requests,
        "seconds": args.seconds,
        "clients": list(CLIENT_COUNTS),
        "workers": [w.id for w in workers],
    }
    return build_report(started_at, settings, found_machine, versions(workers), startup, phase, skipped)


def build_report(
    created: str,
    settings: dict[str, object],
    found_machine: Machine,
    found_versions: dict[str, object],
    startup: list[StartupResult],
    phase: LoadPhase,
    skipped: dict[str, str],
) -> Report:
    startup = with_startup_ratios(startup)
    load = with_load_ratios(phase.load)
    memory = with_memory_ratios(phase.memory)
    return Report(
        created,
        settings,
        found_machine,
        found_versions,
        phase.statuses,
        {**skipped, **phase.skipped},
        startup,
        load,
        memory,
        check_targets(startup, load, memory),
        notes(settings),
    )


def write_outputs(report: Report, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    markdown, machine_readable = out / "bench.md", out / "bench.json"
    markdown.write_text(render_markdown(report))
    machine_readable.write_text(json.dumps(asdict(report), indent=2, ensure_ascii=False) + "\n")
    return [markdown, machine_readable]


def had_failures(report: Report) -> bool:
    """A start failed or a server could not be started for the load runs (runtimes unusable here do not count)."""
    load_failures = any(why.startswith("load runs:") for why in report.skipped.values())
    return load_failures or any(result.failures for result in report.startup)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    parentwatch.exit_with_parent()
    workdir = Path(tempfile.mkdtemp(prefix="parity-bench-"))
    try:
        with fleet.interrupt_on_signals():
            report = run(args, " ".join(argv), workdir)
    except KeyboardInterrupt:
        progress(f"interrupted: every dev server has been stopped; logs kept in {workdir}")
        return 130
    print("\n" + render_terminal(report) + "\n", flush=True)
    for path in write_outputs(report, args.out):
        progress(f"wrote {path}")
    if had_failures(report):
        progress(f"dev-server logs kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
