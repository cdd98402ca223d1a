"""The benchmark's results as data, one dataclass per kind; bench.json is `Report` as written by dataclasses.asdict."""

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
    runtimes_seen: dict[str, dict[str, object]]  # subject -> what it said of itself (the plug-in's describe_worker)
    skipped: dict[str, str]  # "worker · runtime" -> why it was not measured
    startup: list[StartupResult]
    load: list[LoadResult]
    memory: list[MemoryResult]
    targets: list[TargetCheck]
    notes: list[str]
    harness: list[TargetCheck] = field(default_factory=list)  # workers-parity run on a two-worker project
