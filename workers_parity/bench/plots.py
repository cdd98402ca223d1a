"""The figures of bench.html, drawn with matplotlib as inline SVG: start-up per worker × runtime with its spread, and
latency percentiles per endpoint and number of clients."""

from __future__ import annotations

import io
import re

import matplotlib
from matplotlib.figure import Figure

from workers_parity.bench.results import LoadResult, StartupResult

# Text stays text (smaller, searchable); a fixed salt makes the same figure the same SVG.
SVG_SETTINGS = {"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False}
COLOURS = ("#0969da", "#bf3989", "#1a7f37", "#bc4c00", "#8250df", "#57606a")


def svg(figure: Figure, name: str) -> str:
    """The figure as an <svg> element for an HTML page (no XML prologue, no doctype, no date)."""
    buffer = io.StringIO()
    with matplotlib.rc_context({**SVG_SETTINGS, "svg.hashsalt": name}):
        figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    # matplotlib numbers its elements per figure (figure_1, line2d_1): prefixed, two figures share no id in one page
    return re.sub(r'(\bid="|url\(#|href="#)', rf"\1{name}-", text)


def startup_figure(results: list[StartupResult]) -> Figure | None:
    """One row per subject: a box over its timed starts, each start a dot, the untimed first start a hollow diamond."""
    shown = [r for r in results if r.seconds]
    if not shown:
        return None
    with matplotlib.rc_context(SVG_SETTINGS):
        figure = Figure(figsize=(9, 0.45 * len(shown) + 1.4), layout="constrained")
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
    """One panel per endpoint; per number of clients a bar per subject up to its p50, a whisker up to its p99."""
    endpoints = list(dict.fromkeys(r.endpoint for r in results))
    subjects = list(dict.fromkeys(r.subject for r in results))
    clients = sorted({r.clients for r in results})
    if not endpoints:
        return None
    found = {(r.endpoint, r.clients, r.subject): r for r in results}
    width = 0.8 / len(subjects)
    with matplotlib.rc_context(SVG_SETTINGS):
        figure = Figure(figsize=(9, 3.4), layout="constrained")
        panels = figure.subplots(1, len(endpoints), sharey=True, squeeze=False)[0]
        for axes, endpoint in zip(panels, endpoints, strict=True):
            for index, subject in enumerate(subjects):
                _latency_bars(axes, [found.get((endpoint, count, subject)) for count in clients], index, width)
            axes.set_title(endpoint)
            axes.set_xticks(range(len(clients)), [f"{count} client{'s' if count > 1 else ''}" for count in clients])
            axes.grid(axis="y", alpha=0.3)
        panels[0].set_ylabel("milliseconds (bar: p50, whisker: p99)")
        figure.legend(
            handles=panels[0].containers[: len(subjects)],
            labels=subjects,
            loc="outside lower center",
            ncols=min(3, len(subjects)),
            frameon=False,
        )
    return figure


def _latency_bars(axes, results: list[LoadResult | None], index: int, width: float) -> None:
    offset = index * width - 0.4 + width / 2  # the subjects' bars side by side, centred on their group
    positions = [n + offset for n in range(len(results))]
    p50 = [1e3 * r.p50_seconds if r and r.p50_seconds is not None else 0.0 for r in results]
    p99 = [1e3 * r.p99_seconds if r and r.p99_seconds is not None else 0.0 for r in results]
    colour = COLOURS[index % len(COLOURS)]
    axes.bar(positions, p50, width * 0.9, color=colour, alpha=0.85)
    axes.vlines(positions, p50, p99, color=colour, linewidth=1.2)
    axes.plot(positions, p99, "_", color=colour, markersize=8)
