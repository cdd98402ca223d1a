"""The report's summary for the terminal, drawn with rich: coloured only on a TTY and without NO_COLOR."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from rich.table import Table
from rich.text import Text

from workers_parity.render import terminal
from workers_parity.render.terminal import BAD, GOOD, QUIET, WARN
from workers_parity.report import summary
from workers_parity.report.matrices import Cell, Matrix
from workers_parity.report.model import LABELS, SYMBOLS, Report

WIDTH = terminal.WIDE_TABLES  # when not a TTY (a CI log): wide enough that version lists do not wrap
EXPECTED_LINE = 160  # an expected difference's reason is cut there; the pages have it whole
LISTED_ITEMS = 5  # per gap; the pages and parity.json list them all
HEADLINE = re.compile(r"^[a-z-]+ differs|^expected difference not observed")
STYLES = {"pass": GOOD, "fail": BAD, "xfail": WARN, "skip": QUIET, "none": QUIET}
VERDICT_STYLES = {"PASS": f"bold {GOOD}", "PARTIAL": f"bold {WARN}", "FAIL": BAD}


def terminal_summary(report: Report, colour: bool, written: list[Path], width: int = WIDTH) -> str:
    console = terminal.captured(colour, width)
    console.print(Text(f"Parity report: {summary.verdict(report)}", VERDICT_STYLES[report.verdict]))
    console.print(summary.run_line(report).partition(" Generated")[0])
    console.print()
    for matrix in report.matrices[:-1]:  # a plug-in's tables, counts in every cell
        console.print(_table(report, matrix))
    for line in _cases(report) + _masks(report) + _workers(report) + _not_run(report) + _since_last(report):
        console.print(line)
    for problem in report.problems:
        console.print(Text(problem, STYLES["fail"]))
    console.print(f"report: {', '.join(map(str, written))}")
    return terminal.text_of(console)


def _table(report: Report, matrix: Matrix) -> Table:
    rows = []
    for label, cells in matrix.rows.items():
        row = [cells.get(target, Cell()) for target in report.columns]
        rows.append([label, *(Text(cell.text(report.notes, True), STYLES[cell.state]) for cell in row)])
    return terminal.table([matrix.header[0], *report.columns], rows, no_wrap=True)


def _masks(report: Report) -> list[Text | str]:
    lines: list[Text | str] = []
    for mask in report.masks:
        changed, seen = mask["answers_changed"], mask["answers_seen"]
        style = STYLES["xfail"] if seen and changed == seen else ""  # a mask that changes every answer hides a lot
        lines.append(Text(f"mask {mask['mask']} ({mask['where']}): changed {changed} of {seen} answers", style))
    return [*lines, ""] if lines else []


def _cases(report: Report) -> list[Text | str]:
    rows = report.case_matrix.rows
    if not rows:
        return []
    states = Counter(cell.state for cells in rows.values() for cell in cells.values())
    parts = [
        Text(f"{SYMBOLS[s]} {states[s]} {LABELS[s]}{'s' if s == 'xfail' and states[s] > 1 else ''}", STYLES[s])
        for s in ("pass", "fail", "xfail", "skip")
        if states[s]
    ]
    workers = f"{len(report.columns)} worker{'s' if len(report.columns) != 1 else ''}"
    lines: list[Text | str] = [Text(f"cases: {len(rows)} x {workers}: ").append(Text(", ").join(parts))]
    for finding in report.divergences:
        fields = [line.rstrip(":") for line in finding.body.splitlines() if HEADLINE.match(line)][:3]
        lines.append(Text(f"  ✗ {finding.title}: {'; '.join(fields) or finding.test.message}", STYLES["fail"]))
    for finding in report.expected_differences:
        targets = [cell.target or "all" for cell in finding.test.cells if cell.outcome == "xfail"]
        text = Text(f"  ≠ {finding.title}: {', '.join(targets)}: {finding.test.message}", STYLES["xfail"])
        text.truncate(EXPECTED_LINE, overflow="ellipsis")
        lines.append(text)
    return [*lines, ""]


def _workers(report: Report) -> list[Table | str]:
    if not report.workers:
        return []
    table = Table(box=None, show_header=False, pad_edge=False)
    for info in report.workers:
        startup = f"{info.startup_seconds:.2f} s" if info.startup_seconds is not None else "—"
        versions = ", ".join(f"{k} {v}" for k, v in info.versions.items())
        table.add_row(info.id, info.runtime, f"start-up {startup}", f"requests {info.requests}", versions)
    return [table, ""]


def _not_run(report: Report) -> list[Text | str]:
    lines: list[Text | str] = []
    for gap in report.gaps:
        lines.append(Text(f"not run: {gap.what}", STYLES["xfail"]))
        lines += [f"  {item}" for item in summary.listed(gap.items, LISTED_ITEMS)]
    return [*lines, ""] if lines else []


def _since_last(report: Report) -> list[Text | str]:
    since = report.since_last
    if since is None:
        return []
    lines: list[Text | str] = [f"since the last run ({since.run.get('id', 'unknown')}):"]
    for title, changes, style in (
        ("newly failing", since.newly_failing, STYLES["fail"]),
        ("newly passing", since.newly_passing, STYLES["pass"]),
    ):
        lines.append(Text(f"  {title}: {len(changes)}", style if changes else ""))
        lines += [f"    {text}" for text in summary.listed(list(map(summary.change_text, changes)), LISTED_ITEMS)]
    return [*lines, ""]
