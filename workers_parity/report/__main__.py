"""The report's command line: read the results, write parity.md, parity.html and parity.json, print a summary, and
exit 0 on PASS, 1 on FAIL, 2 when no tests ran, 3 on PARTIAL (nothing failed, but not everything ran)."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from workers_parity import project
from workers_parity.render.terminal import use_colour
from workers_parity.report import history, terminal
from workers_parity.report.html_page import html_page
from workers_parity.report.markdown import markdown
from workers_parity.report.model import Report, build


def write(report: Report, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    md, page, data = out / "parity.md", out / "parity.html", out / "parity.json"
    md.write_text(markdown(report), encoding="utf-8")
    page.write_text(html_page(report), encoding="utf-8")
    history.write(report, data)
    return [md, page, data]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers_parity.report", description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, required=True, help="the plugin's --parity-results file")
    parser.add_argument(
        "--out", type=Path, default=None, help="folder for parity.md, .html and .json (default: the project's reports/)"
    )
    parser.add_argument(
        "--previous", type=Path, default=None, help="the last run's parity.json (default: the one in --out)"
    )
    parser.add_argument("--contract", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.out = args.out or project.current().reports
    previous = history.read_previous(args.previous or args.out / "parity.json")
    report = build(args.results, args.contract, previous)
    written = write(report, args.out)
    colour = use_colour(sys.stdout)
    width = shutil.get_terminal_size((terminal.WIDTH, 24)).columns if colour else terminal.WIDTH
    print(terminal.terminal_summary(report, colour, written, width))
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
