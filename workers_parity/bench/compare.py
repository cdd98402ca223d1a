"""The baseline worker (the config's `baseline`, else its first worker): each figure's ratio to the baseline's in the
same run, and the targets read off those ratios (never timed tests)."""

from __future__ import annotations

from dataclasses import replace

from workers_parity import project
from workers_parity.bench.results import LoadResult, MemoryResult, StartupResult, TargetCheck
from workers_parity.bench.stats import ratio
from workers_parity.bench.subjects import PYODIDE_WORKERD, WARM_SNAPSHOT
from workers_parity.bench.units import format_bytes, format_rate, format_ratio, format_seconds

STARTUP_TARGET_VS_JS = 1.3  # warm start of a Python worker at most this many times the baseline's (medians)
THROUGHPUT_TARGET_VS_JS = 0.8  # Python throughput on the first endpoint at least this share of the baseline's


def baseline_name() -> str:
    settings = project.current()
    return settings.get(settings.config.baseline).name if settings.config.baseline else settings.workers[0].name


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


def check_targets(
    startup: list[StartupResult], load: list[LoadResult], memory: list[MemoryResult] = ()
) -> list[TargetCheck]:
    return [*ready_targets(startup), *first_endpoint_throughput_targets(load), *memory_targets(memory)]


def ready_targets(startup: list[StartupResult]) -> list[TargetCheck]:
    target = f"warm start (median) <= {STARTUP_TARGET_VS_JS}x {baseline_name()}'s"
    return [
        TargetCheck(
            target,
            r.subject,
            f"{format_seconds(r.summary.median)} = {format_ratio(r.median_vs_js)} base",
            None if r.median_vs_js is None else r.median_vs_js <= STARTUP_TARGET_VS_JS,
        )
        for r in startup
        if r.runtime == PYODIDE_WORKERD and r.variant == WARM_SNAPSHOT
    ]


def first_endpoint_throughput_targets(load: list[LoadResult]) -> list[TargetCheck]:
    first = load[0].endpoint if load else ""
    target = f"Python {first} throughput >= {THROUGHPUT_TARGET_VS_JS}x {baseline_name()}'s"
    return [
        TargetCheck(
            f"{target} ({r.clients} client{'s' if r.clients > 1 else ''})",
            r.subject,
            f"{format_rate(r.requests_per_second)} = {format_ratio(r.throughput_vs_js)} base",
            None if r.throughput_vs_js is None else r.throughput_vs_js >= THROUGHPUT_TARGET_VS_JS,
        )
        for r in load
        if r.endpoint == first and r.worker != baseline_name()
    ]


def memory_targets(memory: list[MemoryResult]) -> list[TargetCheck]:
    return [
        TargetCheck(
            f"peak RSS of the dev server <= {baseline_name()}'s",
            r.subject,
            f"{format_bytes(r.peak_rss_bytes)} = {format_ratio(r.peak_vs_js)} base",
            None if r.peak_vs_js is None else r.peak_vs_js <= 1.0,
        )
        for r in memory
        if r.worker != baseline_name()
    ]
