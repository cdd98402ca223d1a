"""The benchmark's results as data, one dataclass per kind; bench.json is `Report` as written by dataclasses.asdict.

Every result names its subject: the worker, its language, the runtime that executes it and that runtime's host
(`wrangler-dev`, or `direct`: workerd answers the client itself)."""

from __future__ import annotations

from dataclasses import dataclass, field


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
    language: str
    runtime: str
    host: str
    variant: str
    seconds: list[float]  # the measured starts, spawn -> ready, in order
    first_start_seconds: float | None  # the untimed warm-up start (for a warm snapshot: the one that built it)
    summary: Summary
    failures: list[str] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)  # phase -> median seconds (direct hosts, --timings)
    snapshot_bytes: int | None = None  # the memory snapshot it restored
    median_vs_js: float | None = None  # to JavaScript's in the same host
    probe: bool = False  # a probe worker the project's plug-in names, measured for its start-up only


@dataclass(frozen=True)
class LoadResult:
    subject: str
    worker: str
    language: str
    runtime: str
    host: str
    scenario: str  # method, path and what tells it apart (a curve's body size), as the plug-in names it
    clients: int
    requests: int  # answered 200
    errors: int  # anything else, including broken connections
    seconds: float
    ended_by: str  # "request count" or "time bound"
    cpu_ms_per_request: float | None  # CPU time of every process of the server over the run, per request
    cpu_ms_by_kind: dict[str, float]  # the same split by process kind: workerd, proxy workerd, node, other
    p50_seconds: float | None
    p99_seconds: float | None
    requests_per_second: float | None
    curve: str = ""  # the growth curve it is a point of, if any
    core: bool = True  # one of the endpoints at 1 or 8 clients (not only a curve's point)
    body_bytes: int = 0  # the request body's size


@dataclass(frozen=True)
class Ratio:
    """One subject's figures over another's, in the same scenario: Python over JavaScript in one host (the
    language's cost), or wrangler dev over direct for one worker (the tools' cost)."""

    kind: str  # "language" or "host"
    scenario: str
    clients: int
    subject: str
    baseline: str
    cpu: float | None  # CPU per request (all processes)
    workerd_cpu: float | None  # CPU per request of the workerd that runs the worker
    p50: float | None
    requests_per_second: float | None


@dataclass(frozen=True)
class MemoryResult:
    subject: str
    worker: str
    language: str
    runtime: str
    host: str
    peak_rss_bytes: int
    processes_at_peak: int
    samples: int


@dataclass(frozen=True)
class ParityRun:
    """A warm run of the project's own suite (ours: `./noxw -s parity`, its venv and the workers' snapshots already
    made), timed from outside."""

    command: str
    exit_status: int
    wall_seconds: float
    first_run_seconds: float | None  # the run before it, that warmed it
    phases: dict[str, float]  # phase -> seconds
    tests: int


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
    runtimes_seen: dict[str, dict[str, object]]  # subject -> what it said of itself (the plug-in's describe_worker)
    skipped: dict[str, str]  # subject -> why it was not measured
    startup: list[StartupResult]
    load: list[LoadResult]
    ratios: list[Ratio]
    memory: list[MemoryResult]
    parity: ParityRun | None
    targets: list[TargetCheck]
    notes: list[str]
    harness: list[TargetCheck] = field(default_factory=list)  # workers-parity run on a two-worker project
