"""Ratios on equal footing and the targets read off them (never timed tests).

- The language's cost: a Python subject's figures over JavaScript's in the same host, scenario by scenario (with
  several JavaScript workers, the config's `baseline` worker's, else the first one's).
- The tools' cost: a worker under wrangler dev over the same worker in the direct host.

The targets are read at the headline scenario: the first endpoint the project's plug-in names, at 1 client.
"""

from __future__ import annotations

from dataclasses import replace

from workers_parity import project
from workers_parity.bench import cpu
from workers_parity.bench.phases import PHASE_NAMES
from workers_parity.bench.results import LoadResult, ParityRun, Ratio, StartupResult, TargetCheck
from workers_parity.bench.stats import ratio
from workers_parity.bench.subjects import NO_SNAPSHOT, WARM_SNAPSHOT
from workers_parity.bench.units import format_bytes, format_cpu, format_ratio, format_seconds
from workers_parity.servers.registry import Host

JAVASCRIPT, PYTHON = "javascript", "python"
WORKERD_CPU_TARGET_VS_JS = 1.5  # Python's workerd CPU per request, headline scenario, same host
LAUNCHER_CPU_TARGET_MS = 0.02  # the direct host's launcher (Node) CPU per request, headline scenario
PROBE_START_TARGET_SECONDS = 2.0  # warm start of the plug-in's probe workers, spawn -> ready
RESTORE_GROWTH_TOLERANCE = 1.25  # restore time per MiB of the largest snapshot over the smallest's
PARITY_TARGET_SECONDS = 30.0  # a warm run of the project's own suite (ours: `./noxw -s parity`)
RESTORE_PHASE = PHASE_NAMES["python-interpreter-up"]  # the phase a snapshot restore falls in


def baseline_name() -> str:
    """The config's `baseline` worker, else its first worker (the wrangler name)."""
    settings = project.current()
    return settings.get(settings.config.baseline).name if settings.config.baseline else settings.workers[0].name


def javascript_bases(results: list, key) -> dict:
    """key(result) -> the JavaScript result the others are divided by: the baseline worker's, else the first."""
    baseline, bases = baseline_name(), {}
    for r in results:
        if r.language == JAVASCRIPT and (key(r) not in bases or r.worker == baseline):
            bases[key(r)] = r
    return bases


def headline(load: list[LoadResult]) -> tuple[str, int]:
    """(scenario, clients) the targets are read at: the first core scenario at 1 client."""
    return next(((r.scenario, r.clients) for r in load if r.core and r.clients == 1), ("", 1))


def with_startup_ratios(results: list[StartupResult]) -> list[StartupResult]:
    """Each start's median over JavaScript's in the same host."""
    bases = javascript_bases(results, lambda r: r.host)
    return [
        replace(r, median_vs_js=ratio(r.summary.median, bases[r.host].summary.median if r.host in bases else None))
        for r in results
    ]


def load_ratios(results: list[LoadResult]) -> list[Ratio]:
    return [*language_ratios(results), *host_ratios(results)]


def language_ratios(results: list[LoadResult]) -> list[Ratio]:
    bases = javascript_bases(results, lambda r: (r.host, r.scenario, r.clients))
    return [
        ratio_of("language", r, bases[(r.host, r.scenario, r.clients)])
        for r in results
        if r.language == PYTHON and (r.host, r.scenario, r.clients) in bases
    ]


def host_ratios(results: list[LoadResult]) -> list[Ratio]:
    direct = {(r.worker, r.scenario, r.clients): r for r in results if r.host == Host.DIRECT}
    return [
        ratio_of("host", r, direct[(r.worker, r.scenario, r.clients)])
        for r in results
        if r.host == Host.WRANGLER_DEV and (r.worker, r.scenario, r.clients) in direct
    ]


def ratio_of(kind: str, result: LoadResult, base: LoadResult) -> Ratio:
    return Ratio(
        kind,
        result.scenario,
        result.clients,
        result.subject,
        base.subject,
        ratio(result.cpu_ms_per_request, base.cpu_ms_per_request),
        ratio(result.cpu_ms_by_kind.get(cpu.WORKERD), base.cpu_ms_by_kind.get(cpu.WORKERD)),
        ratio(result.p50_seconds, base.p50_seconds),
        ratio(result.requests_per_second, base.requests_per_second),
    )


def check_targets(
    startup: list[StartupResult], load: list[LoadResult], ratios: list[Ratio], parity: ParityRun | None
) -> list[TargetCheck]:
    scenario = headline(load)
    return [
        *workerd_cpu_targets(ratios, scenario),
        *launcher_cpu_targets(load, scenario),
        *probe_start_targets(startup),
        *restore_growth_targets(startup),
        *parity_targets(parity),
    ]


def workerd_cpu_targets(ratios: list[Ratio], scenario: tuple[str, int]) -> list[TargetCheck]:
    limit = WORKERD_CPU_TARGET_VS_JS
    target = f"Python's workerd CPU per request <= {limit}x JavaScript's, same host, {scenario[0]} x{scenario[1]}"
    return [
        TargetCheck(target, r.subject, f"{format_ratio(r.workerd_cpu)} {r.baseline}", at_most(r.workerd_cpu, limit))
        for r in ratios
        if r.kind == "language" and (r.scenario, r.clients) == scenario
    ]


def launcher_cpu_targets(load: list[LoadResult], scenario: tuple[str, int]) -> list[TargetCheck]:
    target = (
        f"the launcher's CPU per request <= {LAUNCHER_CPU_TARGET_MS} ms, {scenario[0]} x{scenario[1]} "
        "(request logs shown)"
    )
    checks = []
    for r in load:
        if r.host == Host.DIRECT and (r.scenario, r.clients) == scenario:
            spent = r.cpu_ms_by_kind.get(cpu.NODE, 0.0)
            checks.append(TargetCheck(target, r.subject, format_cpu(spent), spent <= LAUNCHER_CPU_TARGET_MS))
    return checks


def probe_start_targets(startup: list[StartupResult]) -> list[TargetCheck]:
    limit = PROBE_START_TARGET_SECONDS
    target = f"warm start of the probe workers <= {limit:.1f} s, spawn -> ready"
    return [
        TargetCheck(target, r.subject, format_seconds(r.summary.median), at_most(r.summary.median, limit))
        for r in startup
        if r.probe and r.variant == WARM_SNAPSHOT
    ]


def restore_growth_targets(startup: list[StartupResult]) -> list[TargetCheck]:
    """Restore time per MiB of snapshot, largest snapshot over smallest: linear growth (with any fixed cost) keeps
    it at or below 1, a faster growth above."""
    points = restore_points(startup)
    if len(points) < 2:
        return []
    (small_bytes, small_seconds, small), (big_bytes, big_seconds, big) = points[0], points[-1]
    per_mib = ratio(big_seconds / big_bytes, small_seconds / small_bytes)
    measured = (
        f"{format_seconds(big_seconds)} for {format_bytes(big_bytes)} ({big}) vs {format_seconds(small_seconds)} "
        f"for {format_bytes(small_bytes)} ({small}): {format_ratio(per_mib)} per MiB"
    )
    target = (
        f"snapshot restore grows no worse than linearly with snapshot size (per MiB <= {RESTORE_GROWTH_TOLERANCE}x)"
    )
    return [TargetCheck(target, "every warm snapshot", measured, per_mib <= RESTORE_GROWTH_TOLERANCE)]


def restore_points(startup: list[StartupResult]) -> list[tuple[int, float, str]]:
    """(snapshot bytes, median restore seconds, subject), smallest snapshot first."""
    points = [
        (r.snapshot_bytes, r.phases[RESTORE_PHASE], r.subject)
        for r in startup
        if r.snapshot_bytes and RESTORE_PHASE in r.phases and r.variant != NO_SNAPSHOT
    ]
    return sorted(points)


def parity_targets(parity: ParityRun | None) -> list[TargetCheck]:
    if parity is None:
        return []
    target = f"a warm `{parity.command}` <= {PARITY_TARGET_SECONDS:.0f} s"
    met = parity.wall_seconds <= PARITY_TARGET_SECONDS and parity.exit_status == 0
    return [TargetCheck(target, "the whole suite", f"{format_seconds(parity.wall_seconds)}", met)]


def at_most(value: float | None, limit: float) -> bool | None:
    return None if value is None else value <= limit
