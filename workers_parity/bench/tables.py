"""The report's tables as rows of text, and the terminal and Markdown (bench.md) views of them. Same-host ratios
(the language's cost) come first, then host-vs-host ratios (the tools' cost), then the figures they come from, then
the harness's own speed."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import RenderableType
from rich.text import Text

from workers_parity.bench import cpu
from workers_parity.bench.phases import seen_in_order
from workers_parity.bench.results import (
    LoadResult,
    MemoryResult,
    ParityRun,
    Ratio,
    Report,
    StartupResult,
    TargetCheck,
)
from workers_parity.bench.units import (
    format_bytes,
    format_cpu,
    format_rate,
    format_ratio,
    format_seconds,
    format_spread,
)
from workers_parity.render import markdown, terminal

RATIO_HEADERS = ("scenario", "clients", "subject", "over", "CPU/req", "workerd CPU/req", "p50", "req/s")
LOAD_HEADERS = (
    "scenario",
    "clients",
    "worker · runtime",
    "host",
    "CPU/req",
    *cpu.KINDS,
    "p50",
    "p99",
    "req/s",
    "ok",
    "err",
)
STARTUP_HEADERS = (
    "worker · runtime",
    "host",
    "starts",
    "median",
    "min – max",
    "first start",
    "×js same host",
    "snapshot",
)
MEMORY_HEADERS = ("worker · runtime", "host", "peak RSS", "processes", "samples")
PARITY_HEADERS = ("command", "warm run", "first run", "tests", "exit", "phases")
TARGET_HEADERS = ("target", "subject", "measured", "met")
VERDICTS = {True: "yes", False: "NO", None: "not checked"}


def ratio_rows(ratios: list[Ratio], kind: str) -> list[list[str]]:
    return [
        [
            r.scenario,
            str(r.clients),
            r.subject,
            r.baseline,
            format_ratio(r.cpu),
            format_ratio(r.workerd_cpu),
            format_ratio(r.p50),
            format_ratio(r.requests_per_second),
        ]
        for r in ratios
        if r.kind == kind
    ]


def load_rows(results: list[LoadResult]) -> list[list[str]]:
    return [
        [
            r.scenario,
            str(r.clients),
            r.subject,
            r.host,
            format_cpu(r.cpu_ms_per_request),
            *(format_cpu(r.cpu_ms_by_kind[kind]) if kind in r.cpu_ms_by_kind else "–" for kind in cpu.KINDS),
            format_seconds(r.p50_seconds),
            format_seconds(r.p99_seconds),
            format_rate(r.requests_per_second),
            str(r.requests),
            str(r.errors),
        ]
        for r in results
    ]


def startup_rows(results: list[StartupResult]) -> list[list[str]]:
    return [
        [
            r.subject,
            r.host,
            f"{len(r.seconds)}" + (f" ({len(r.failures)} failed)" if r.failures else ""),
            format_seconds(r.summary.median),
            format_spread(r.summary.minimum, r.summary.maximum),
            format_seconds(r.first_start_seconds),
            format_ratio(r.median_vs_js),
            format_bytes(r.snapshot_bytes),
        ]
        for r in results
    ]


def phase_rows(results: list[StartupResult], names: list[str]) -> list[list[str]]:
    """A row per result with phases: its median of each of `names` (seen_in_order)."""
    return [[r.subject, *(format_seconds(r.phases.get(name)) for name in names)] for r in results if r.phases]


def memory_rows(results: list[MemoryResult]) -> list[list[str]]:
    return [
        [r.subject, r.host, format_bytes(r.peak_rss_bytes), str(r.processes_at_peak), str(r.samples)] for r in results
    ]


def parity_rows(run: ParityRun | None) -> list[list[str]]:
    if run is None:
        return []
    shown = "; ".join(f"{name} {format_seconds(seconds)}" for name, seconds in run.phases.items())
    first = format_seconds(run.first_run_seconds)
    return [[f"`{run.command}`", format_seconds(run.wall_seconds), first, str(run.tests), str(run.exit_status), shown]]


def target_rows(checks: list[TargetCheck]) -> list[list[str]]:
    return [[c.target, c.subject, c.measured, VERDICTS[c.met]] for c in checks]


def sections(report: Report) -> list[tuple[str, Sequence[str], list[list[str]]]]:
    phase_names = seen_in_order(report.startup)
    return [
        (
            "The language's cost: Python over JavaScript in the same host",
            RATIO_HEADERS,
            ratio_rows(report.ratios, "language"),
        ),
        (
            "The tools' cost: wrangler dev over the direct host, same worker",
            RATIO_HEADERS,
            ratio_rows(report.ratios, "host"),
        ),
        ("CPU per request (ms, by process kind), latency and throughput", LOAD_HEADERS, load_rows(report.load)),
        ("Start-up: spawn -> ready (a 200 at the ready path)", STARTUP_HEADERS, startup_rows(report.startup)),
        (
            "Start-up phases, direct hosts (medians)",
            ["worker · runtime", *phase_names],
            phase_rows(report.startup, phase_names),
        ),
        ("Peak memory: RSS of the dev server's processes", MEMORY_HEADERS, memory_rows(report.memory)),
        ("Parity's own speed: the project's own suite, warm", PARITY_HEADERS, parity_rows(report.parity)),
        ("Targets", TARGET_HEADERS, target_rows(report.targets)),
        ("The harness: workers-parity run on a two-worker project", TARGET_HEADERS, target_rows(report.harness)),
    ]


def terminal_view(report: Report) -> list[RenderableType]:
    """The tables, a missed target or a failed start in the palette's colour, then what was not measured."""
    shown: list[RenderableType] = []
    for title, headers, rows in sections(report):
        if rows:
            shown += [terminal.table(headers, [[_painted(cell) for cell in row] for row in rows], title=title), ""]
    shown += [Text(f"not measured: {name}: {why}", terminal.WARN) for name, why in report.skipped.items()]
    return shown


def _painted(cell: str) -> Text:
    return Text(cell, terminal.BAD if cell == VERDICTS[False] or "failed)" in cell else "")


def render_markdown(report: Report) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Run {report.created}: `python -m workers_parity.bench {report.settings['argv']}`",
        "",
    ]
    for title, headers, rows in sections(report):
        if rows:
            lines += [f"## {title}", "", markdown.table(headers, rows), ""]
    if report.skipped:
        lines += ["## Not measured", "", *[f"- {name}: {why}" for name, why in report.skipped.items()], ""]
    lines += ["## Machine and versions", "", *[f"- {line}" for line in machine_lines(report)], ""]
    lines += ["## How these figures were taken", "", *[f"- {note}" for note in report.notes], ""]
    return "\n".join(lines)


def machine_lines(report: Report) -> list[str]:
    m = report.machine
    lines = [
        f"machine: {m.cpu_model}, {m.cores} cores ({m.usable_cores} usable), "
        f"{format_bytes(m.memory_bytes)} memory, {m.system}; load average at start {m.load_average}",
        f"tools: {', '.join(f'{k} {v}' for k, v in report.versions['tools'].items())}",
        f"harness Python {report.versions['harness python']}",
    ]
    for name, packages in report.versions.items():
        if isinstance(packages, dict) and name != "tools":
            lines.append(f"{name} python_modules: {', '.join(f'{k} {v}' for k, v in packages.items()) or 'none'}")
    lines += [
        f"{subject} says: " + ", ".join(f"{key} {value!r}" for key, value in said.items())
        for subject, said in report.runtimes_seen.items()
        if said
    ]
    return lines
