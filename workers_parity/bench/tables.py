"""The report's tables as rows of text, and the terminal and Markdown (bench.md) views of them."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import RenderableType
from rich.text import Text

from workers_parity.bench.results import LoadResult, MemoryResult, Report, StartupResult, TargetCheck
from workers_parity.bench.units import format_bytes, format_rate, format_ratio, format_seconds, format_spread
from workers_parity.render import markdown, terminal

STARTUP_HEADERS = ("worker · runtime", "starts", "median", "min – max", "IQR", "first start", "median ×base")
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
    "p50 ×base",
    "p99 ×base",
    "req/s ×base",
)
MEMORY_HEADERS = ("worker · runtime", "peak RSS", "processes", "samples", "peak ×base")
TARGET_HEADERS = ("target", "worker · runtime", "measured", "met")
VERDICTS = {True: "yes", False: "NO", None: "not checked"}


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
    return [[c.target, c.subject, c.measured, VERDICTS[c.met]] for c in checks]


def sections(report: Report) -> list[tuple[str, Sequence[str], list[list[str]]]]:
    return [
        (
            "Start-up: spawn -> ready (an answer, or a 200 at the ready path)",
            STARTUP_HEADERS,
            startup_rows(report.startup),
        ),
        ("Latency and throughput", LOAD_HEADERS, load_rows(report.load)),
        ("Peak memory: RSS of the dev-server process group", MEMORY_HEADERS, memory_rows(report.memory)),
        ("Targets (ratios to the baseline worker)", TARGET_HEADERS, target_rows(report.targets)),
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
