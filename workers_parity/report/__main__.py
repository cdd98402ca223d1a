"""The report's command line: read a run's results, write parity.md, parity.html and parity.json, print a summary, and
exit 0 on PASS, 1 on FAIL, 2 when no tests ran, 3 on PARTIAL (nothing failed, but not everything ran)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workers_parity.report.publish import print_summary, publish


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers_parity.report", description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, required=True, help="the run's results file")
    parser.add_argument(
        "--out", type=Path, default=None, help="folder for parity.md, .html and .json (default: the results' folder)"
    )
    parser.add_argument(
        "--previous", type=Path, default=None, help="the last run's parity.json (default: the one in --out)"
    )
    args = parser.parse_args(argv)
    report, written = publish(args.results, args.out or args.results.parent, args.previous)
    print_summary(report, written)
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
