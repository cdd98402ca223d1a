"""CPU, latency and throughput: every subject's server up at once, then each scenario (scenarios.py: the endpoints
and growth curves the project's plug-in names) run against each subject in turn, until a request count or a time
bound, while memory is sampled. The headline figure is the CPU time the server's processes spent per request (cpu.py),
steadier on a shared machine than requests/s.

The load clients use http.client rather than requests: the client's own time is part of every latency measured, so
it is kept as thin as the standard library allows (one keep-alive connection per client thread)."""

from __future__ import annotations

import http.client
import itertools
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from workers_parity import project
from workers_parity.bench import cpu
from workers_parity.bench.memory import MemorySampler, memory_result
from workers_parity.bench.results import LoadResult, MemoryResult
from workers_parity.bench.scenarios import Endpoint, Scenario
from workers_parity.bench.stats import ended_by, percentile, throughput
from workers_parity.bench.subjects import Subject, new_server
from workers_parity.bench.units import format_cpu, format_rate, format_seconds
from workers_parity.plugins import hooks
from workers_parity.render import progress
from workers_parity.render.terminal import BAD
from workers_parity.servers.devserver import DevServer, DevServerError
from workers_parity.servers.fleet import Fleet

WARMUP_REQUESTS_PER_CLIENT = 10


@dataclass
class ClientTally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0


@dataclass(frozen=True)
class LoadPlan:
    scenario: Scenario
    max_requests: int
    seconds: float


def plans(scenarios: list[Scenario], max_requests: int, seconds: float) -> list[LoadPlan]:
    return [LoadPlan(scenario, max_requests, seconds) for scenario in scenarios]


def run_clients(host: str, port: int, plan: LoadPlan) -> tuple[list[ClientTally], float]:
    """`clients` threads, one keep-alive connection each, until the request count or the time bound is reached."""
    tickets = itertools.count()
    deadline = time.monotonic() + plan.seconds
    tallies = [ClientTally() for _ in range(plan.scenario.clients)]
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
            send_one(connection, plan.scenario.endpoint, tally)
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


def load_result(
    subject: Subject, plan: LoadPlan, tallies: list[ClientTally], seconds: float, spent: cpu.PerRequest
) -> LoadResult:
    latencies = [latency for tally in tallies for latency in tally.latencies]
    errors = sum(tally.errors for tally in tallies)
    cpu_total, cpu_by_kind = spent
    return LoadResult(
        subject.serving_label,
        subject.worker.name,
        subject.language,
        subject.runtime,
        subject.host,
        plan.scenario.label,
        plan.scenario.clients,
        len(latencies),
        errors,
        seconds,
        ended_by(len(latencies) + errors, plan.max_requests),
        cpu_total,
        cpu_by_kind,
        percentile(latencies, 0.5),
        percentile(latencies, 0.99),
        throughput(len(latencies), seconds),
        plan.scenario.curve,
        plan.scenario.core,
        plan.scenario.body_bytes,
    )


def measure_scenario(subject: Subject, server: DevServer, plan: LoadPlan) -> LoadResult:
    warm_up = replace(
        plan, max_requests=WARMUP_REQUESTS_PER_CLIENT * plan.scenario.clients, seconds=min(plan.seconds, 5.0)
    )
    run_clients(server.host, server.port, warm_up)
    before = cpu.sample(server, subject.host)
    tallies, seconds = run_clients(server.host, server.port, plan)
    answered = sum(len(tally.latencies) + tally.errors for tally in tallies)
    spent = cpu.per_request(before, cpu.sample(server, subject.host), answered)
    return load_result(subject, plan, tallies, seconds, spent)


def describe(result: LoadResult) -> str:
    return (
        f"{result.scenario:<17} x{result.clients:<2} {result.subject}: "
        f"{format_cpu(result.cpu_ms_per_request)} CPU/req, "
        f"{result.requests} ok, {result.errors} errors in {result.seconds:.1f} s; "
        f"p50 {format_seconds(result.p50_seconds)}, p99 {format_seconds(result.p99_seconds)}, "
        f"{format_rate(result.requests_per_second)}"
    )


@dataclass
class LoadPhase:
    load: list[LoadResult] = field(default_factory=list)
    memory: list[MemoryResult] = field(default_factory=list)
    statuses: dict[str, dict[str, object]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def measure_load(
    subjects: list[Subject], scenarios: list[Scenario], max_requests: int, seconds: float, workdir: Path, live: Fleet
) -> LoadPhase:
    """Every scenario (scenarios.scenarios()) against every subject that started."""
    phase = LoadPhase()
    with MemorySampler() as sampler:
        servers = start_for_load(subjects, workdir, live, sampler, phase)
        runs = plans(scenarios, max_requests, seconds)
        with progress.steps("load", len(runs) * len(servers)) as steps:
            for plan in runs:
                for subject, server in servers.items():
                    steps.doing(f"{plan.scenario.label} x{plan.scenario.clients} {subject.serving_label}")
                    phase.load.append(measure_scenario(subject, server, plan))
                    steps.done(describe(phase.load[-1]), BAD if phase.load[-1].errors else "")
        for server in servers.values():
            server.stop()
    phase.memory = [memory_result(subject, sampler.peaks[subject]) for subject in servers]
    return phase


def start_for_load(
    subjects: list[Subject], workdir: Path, live: Fleet, sampler: MemorySampler, phase: LoadPhase
) -> dict[Subject, DevServer]:
    servers = {}
    with progress.steps("starting the servers for the load runs", len(subjects)) as steps:
        for subject in subjects:
            server = new_server(live, subject, workdir, "load")
            sampler.watch(subject, server)
            steps.doing(subject.label)
            try:
                server.start()
            except DevServerError as error:
                phase.skipped[subject.label] = f"load runs: {str(error).splitlines()[0]}"
                steps.done(f"FAILED to start {subject.label}: {error}", BAD)
                continue
            steps.done(f"{subject.label} ready in {format_seconds(server.startup_seconds)}")
            phase.statuses[subject.serving_label] = described(server)
            servers[subject] = server
    return servers


def described(server: DevServer) -> dict[str, object]:
    """What the worker says about itself, as the project's plug-in asks it (its `describe_worker`)."""
    try:
        return hooks.load(project.current().config.plugins).describe_worker(server.base_url)
    except (OSError, ValueError, http.client.HTTPException) as error:
        return {"error": str(error)}
