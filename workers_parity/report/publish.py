"""A report written out: parity.md, parity.html and parity.json in one folder, and the summary for the terminal."""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import asdict
from pathlib import Path

from workers_parity.render.terminal import use_colour
from workers_parity.report import history, terminal
from workers_parity.report.html_page import html_page
from workers_parity.report.markdown import markdown
from workers_parity.report.model import Report, build


def publish(results: Path, out: Path, previous: Path | None = None) -> tuple[Report, list[Path]]:
    """Build the report of a results file and write it to `out` (the last run's parity.json there is compared)."""
    report = build(results, history.read_previous(previous or out / "parity.json"))
    return report, write(report, out)


def write(report: Report, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    md, page, data = out / "parity.md", out / "parity.html", out / "parity.json"
    md.write_text(markdown(report), encoding="utf-8")
    page.write_text(html_page(report), encoding="utf-8")
    data.write_text(json.dumps(document(report), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return [md, page, data]


def document(report: Report) -> dict:
    """parity.json: the report for tools."""
    return {
        "format": history.FORMAT,
        "verdict": report.verdict,
        "generated": report.generated,
        "run": asdict(report.run) if report.run else None,
        "problems": report.problems,
        "not_run": [asdict(gap) for gap in report.gaps],
        "workers": [asdict(info) for info in report.workers],
        "masks": report.masks,
        "cells": history.cells(report.tests),
        "since_last_run": asdict(report.since_last) if report.since_last else None,
    }


def print_summary(report: Report, written: list[Path]) -> None:
    colour = use_colour(sys.stdout)
    width = shutil.get_terminal_size((terminal.WIDTH, 24)).columns if colour else terminal.WIDTH
    print(terminal.terminal_summary(report, colour, written, width), flush=True)
