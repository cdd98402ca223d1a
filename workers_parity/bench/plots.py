"""The figures of bench.html, drawn with matplotlib as inline SVG: CPU per request by process kind, the start-up
phases, the start-up spread, latency percentiles, and the growth curves (each curve the project's plug-in names, by
body size or by clients, and restore time against snapshot size)."""

from __future__ import annotations

import io
import re

import matplotlib
from matplotlib.figure import Figure

from workers_parity.bench import cpu
from workers_parity.bench.compare import restore_points
from workers_parity.bench.phases import seen_in_order
from workers_parity.bench.results import LoadResult, StartupResult
from workers_parity.bench.scenarios import KIB

# Text stays text (smaller, searchable); a fixed salt makes the same figure the same SVG.
SVG_SETTINGS = {"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False}
COLOURS = ("#0969da", "#bf3989", "#1a7f37", "#bc4c00", "#8250df", "#57606a", "#9a6700")
KIND_COLOURS = dict(zip(cpu.KINDS, (COLOURS[0], COLOURS[3], COLOURS[2], COLOURS[5]), strict=True))
MIB = 2**20


def svg(figure: Figure, name: str) -> str:
    """The figure as an <svg> element for an HTML page (no XML prologue, no doctype, no date)."""
    buffer = io.StringIO()
    with matplotlib.rc_context({**SVG_SETTINGS, "svg.hashsalt": name}):
        figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    # matplotlib numbers its elements per figure (figure_1, line2d_1): prefixed, two figures share no id in one page
    return re.sub(r'(\bid="|url\(#|href="#)', rf"\1{name}-", text)


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def core(results: list[LoadResult]) -> list[tuple[str, int]]:
    """(scenario, clients) of the core scenarios (every endpoint at 1 and 8 clients), in the order measured."""
    return list(dict.fromkeys((r.scenario, r.clients) for r in results if r.core))


def _grouped(results: list[LoadResult], shown: list[LoadResult]) -> tuple[dict, list[str], list[tuple[str, int]]]:
    """The shown results by (scenario, clients, subject), every subject, and the core scenarios any subject has."""
    found = {(r.scenario, r.clients, r.subject): r for r in shown}
    subjects = list(dict.fromkeys(r.subject for r in results))
    scenarios = [s for s in core(results) if any((*s, subject) in found for subject in subjects)]
    return found, subjects, scenarios


def cpu_figure(results: list[LoadResult]) -> Figure | None:
    """Per scenario, a bar per subject, stacked by process kind."""
    found, subjects, scenarios = _grouped(results, [r for r in results if r.cpu_ms_per_request is not None])
    if not scenarios:
        return None
    width = 0.8 / len(subjects)
    with matplotlib.rc_context(SVG_SETTINGS):
        figure = _figure(9, 3.8)
        axes = figure.add_subplot()
        for index, subject in enumerate(subjects):
            positions = [n + index * width - 0.4 + width / 2 for n in range(len(scenarios))]
            bottoms = [0.0] * len(scenarios)
            for kind in KIND_COLOURS:
                heights = [found.get((*s, subject)) for s in scenarios]
                heights = [r.cpu_ms_by_kind.get(kind, 0.0) if r else 0.0 for r in heights]
                label = kind if index == 0 else None
                axes.bar(positions, heights, width * 0.9, bottom=bottoms, color=KIND_COLOURS[kind], label=label)
                bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
            for position in positions:
                axes.text(position, 0, str(index + 1), ha="center", va="bottom", fontsize=7, color="white")
        axes.set_xticks(range(len(scenarios)), [f"{label}\nx{clients}" for label, clients in scenarios])
        axes.set_ylabel("CPU ms per request")
        axes.grid(axis="y", alpha=0.3)
        axes.legend(frameon=False, loc="upper left")
        keys = [f"{n}: {subject}" for n, subject in enumerate(subjects, 1)]
        key = "\n".join("   ".join(keys[i : i + 3]) for i in range(0, len(keys), 3))
        axes.set_title(key, fontsize=8, loc="left")
    return figure


def phases_figure(results: list[StartupResult]) -> Figure | None:
    """One row per direct-host subject: its median start split into phases, stacked left to right."""
    shown = [r for r in results if r.phases]
    if not shown:
        return None
    names = seen_in_order(shown)
    with matplotlib.rc_context(SVG_SETTINGS):
        figure = _figure(9, 0.42 * len(shown) + 1.6)
        axes = figure.add_subplot()
        rows = range(len(shown), 0, -1)
        lefts = [0.0] * len(shown)
        for index, name in enumerate(names):
            widths = [r.phases.get(name, 0.0) for r in shown]
            axes.barh(list(rows), widths, 0.6, left=lefts, color=COLOURS[index % len(COLOURS)], label=name)
            lefts = [left + width for left, width in zip(lefts, widths, strict=True)]
        axes.set_yticks(list(rows), [r.subject for r in shown])
        axes.set_xlabel("seconds from spawn (medians of each phase)")
        axes.grid(axis="x", alpha=0.3)
        figure.legend(loc="outside lower center", ncols=4, frameon=False)
    return figure


def startup_figure(results: list[StartupResult]) -> Figure | None:
    """One row per subject: a box over its timed starts, each start a dot, the untimed first start a hollow diamond."""
    shown = [r for r in results if r.seconds]
    if not shown:
        return None
    with matplotlib.rc_context(SVG_SETTINGS):
        figure = _figure(9, 0.45 * len(shown) + 1.4)
        axes = figure.add_subplot()
        rows = range(len(shown), 0, -1)  # the first subject on top, as in the table
        axes.boxplot([r.seconds for r in shown], positions=list(rows), orientation="horizontal", widths=0.5)
        for row, result in zip(rows, shown, strict=True):
            axes.plot(result.seconds, [row] * len(result.seconds), "o", color=COLOURS[0], alpha=0.6, markersize=4)
            if result.first_start_seconds is not None:
                axes.plot([result.first_start_seconds], [row], "D", mfc="none", color=COLOURS[3], markersize=5)
        axes.set_yticks(list(rows), [r.subject for r in shown])
        axes.set_xlabel("seconds from spawn to ready (dots: timed starts; ◇: untimed first start)")
        axes.set_xlim(left=0)
        axes.grid(axis="x", alpha=0.3)
    return figure


def latency_figure(results: list[LoadResult]) -> Figure | None:
    """Per scenario (x clients) a bar per subject up to its p50, a whisker up to its p99."""
    found, subjects, scenarios = _grouped(results, results)
    if not scenarios:
        return None
    width = 0.8 / len(subjects)
    with matplotlib.rc_context(SVG_SETTINGS):
        figure = _figure(9, 3.4)
        axes = figure.add_subplot()
        for index, subject in enumerate(subjects):
            _latency_bars(axes, [found.get((*s, subject)) for s in scenarios], index, width, subject)
        axes.set_xticks(range(len(scenarios)), [f"{label}\nx{clients}" for label, clients in scenarios])
        axes.set_ylabel("milliseconds (bar: p50, whisker: p99)")
        axes.grid(axis="y", alpha=0.3)
        figure.legend(loc="outside lower center", ncols=min(3, len(subjects)), frameon=False)
    return figure


def _latency_bars(axes, results: list[LoadResult | None], index: int, width: float, label: str) -> None:
    offset = index * width - 0.4 + width / 2  # the subjects' bars side by side, centred on their group
    positions = [n + offset for n in range(len(results))]
    p50 = [1e3 * r.p50_seconds if r and r.p50_seconds is not None else 0.0 for r in results]
    p99 = [1e3 * r.p99_seconds if r and r.p99_seconds is not None else 0.0 for r in results]
    colour = COLOURS[index % len(COLOURS)]
    axes.bar(positions, p50, width * 0.9, color=colour, alpha=0.85, label=label)
    axes.vlines(positions, p50, p99, color=colour, linewidth=1.2)
    axes.plot(positions, p99, "_", color=colour, markersize=8)


def growth_figure(results: list[LoadResult]) -> Figure | None:
    """A panel per growth curve: CPU per request against what grows along it — the clients, or the body's size."""
    curves = {}
    for r in results:
        if r.curve:
            curves.setdefault(r.curve, []).append(r)
    if not curves:
        return None
    with matplotlib.rc_context(SVG_SETTINGS):
        figure = _figure(9, 3.4)
        panels = figure.subplots(1, len(curves), squeeze=False)[0]
        for axes, (curve, points) in zip(panels, curves.items(), strict=True):
            by_clients = len({r.clients for r in points}) > 1
            x_of = (lambda r: r.clients) if by_clients else (lambda r: max(1, round(r.body_bytes / KIB)))
            routes = " · ".join(dict.fromkeys(" ".join(r.scenario.split()[:2]) for r in points))
            clients = points[0].clients
            unit = "keep-alive clients" if by_clients else f"body (KiB), {clients} client{'s' if clients > 1 else ''}"
            _curves(axes, points, x_of, f"{curve}: {routes}, {unit}")
        panels[0].set_ylabel("CPU ms per request")
        figure.legend(*panels[0].get_legend_handles_labels(), loc="outside lower center", ncols=3, frameon=False)
    return figure


def _curves(axes, results: list[LoadResult], x_of, xlabel: str) -> None:
    subjects = list(dict.fromkeys(r.subject for r in results))
    for index, subject in enumerate(subjects):
        points = sorted(
            (x_of(r), r.cpu_ms_per_request) for r in results if r.subject == subject and r.cpu_ms_per_request
        )
        xs, ys = [x for x, _ in points], [y for _, y in points]
        axes.plot(xs, ys, "o-", color=COLOURS[index % len(COLOURS)], label=subject, markersize=4)
    axes.set_xscale("log", base=2)
    xs = sorted({x_of(r) for r in results})
    axes.set_xticks(xs, [str(x) for x in xs])
    axes.set_xlabel(xlabel)
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)


def restore_figure(results: list[StartupResult]) -> Figure | None:
    """Median restore time against snapshot size, one point per warm snapshot, with the line through the origin
    and the smallest one (what linear growth would give)."""
    points = restore_points(results)
    if len(points) < 2:
        return None
    with matplotlib.rc_context(SVG_SETTINGS):
        figure = _figure(9, 3.2)
        axes = figure.add_subplot()
        sizes = [size / MIB for size, _, _ in points]
        seconds = [1e3 * restore for _, restore, _ in points]
        axes.plot(sizes, seconds, "o", color=COLOURS[0])
        for size, millis, (_, _, subject) in zip(sizes, seconds, points, strict=True):
            axes.annotate(subject.split(" · ")[0], (size, millis), textcoords="offset points", xytext=(4, 4))
        slope = seconds[0] / sizes[0]
        axes.plot([0, max(sizes)], [0, slope * max(sizes)], "--", color=COLOURS[5], label="linear through the smallest")
        axes.set_xlabel("snapshot size (MiB)")
        axes.set_ylabel("restore, ms (median)")
        axes.set_xlim(left=0)
        axes.set_ylim(bottom=0)
        axes.grid(alpha=0.3)
        axes.legend(frameon=False, loc="upper left")
    return figure
