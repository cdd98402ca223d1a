"""The bench command: measure start-up, then load and memory, and write bench.md, bench.json and bench.html."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path

import workers_parity.bench
from workers_parity import project
from workers_parity.bench import compare, harness, load, machine, page, startup, subjects, tables
from workers_parity.bench.notes import notes
from workers_parity.bench.results import Machine, Report, StartupResult
from workers_parity.render import progress, terminal
from workers_parity.servers import fleet, parentwatch, runtimes, toolchain

DEFAULT_STARTS = 7
DEFAULT_REQUESTS = 5000
DEFAULT_SECONDS = 10.0
DEFAULT_HARNESS_RUNS = 3
SCENARIOS = ("all", "workers", "harness")  # workers: start-up, load, memory; harness: workers-parity run's own speed


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m workers_parity.bench", description=workers_parity.bench.__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--starts", type=int, default=DEFAULT_STARTS, help=f"timed starts per subject (default {DEFAULT_STARTS})"
    )
    parser.add_argument(
        "--requests",
        type=int,
        default=DEFAULT_REQUESTS,
        help=f"requests per load scenario (default {DEFAULT_REQUESTS})",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=DEFAULT_SECONDS,
        help=f"time bound per load scenario (default {DEFAULT_SECONDS:g})",
    )
    parser.add_argument(
        "--worker", action="append", choices=project.worker_ids(), help="only this worker (repeatable; default all)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for bench.md, bench.json and bench.html (default: the project's reports/)",
    )
    parser.add_argument("--scenario", choices=SCENARIOS, default="all", help="what to measure (default all)")
    parser.add_argument(
        "--pair",
        type=Path,
        default=Path("examples/notes"),
        help="the two-worker project the harness scenario copies (default %(default)s)",
    )
    parser.add_argument(
        "--harness-runs", type=int, default=DEFAULT_HARNESS_RUNS, help="timed runs of the harness scenario"
    )
    args = parser.parse_args(argv)
    args.out = args.out or project.current().reports
    if args.starts < 1 or args.requests < 1 or args.seconds <= 0:
        parser.error("--starts and --requests must be at least 1, --seconds above 0")
    return args


def run(args: argparse.Namespace, argv_text: str, workdir: Path, live: fleet.Fleet) -> Report:
    workers = [project.get(worker_id) for worker_id in (args.worker or project.worker_ids())]
    settings = {"argv": argv_text, "scenario": args.scenario, "workers": [w.id for w in workers]}
    found_machine, started_at = machine.machine(), datetime.now(UTC).isoformat(timespec="seconds")
    measured_harness = harness.measure(args.pair, args.harness_runs, workdir) if args.scenario != "workers" else []
    if args.scenario == "harness":
        empty = load.LoadPhase()
        report = build_report(started_at, settings, found_machine, machine.versions(workers), [], empty, {})
        return replace(report, harness=measured_harness)
    report = measure_workers(args, settings, workers, workdir, live)
    return replace(report, created=started_at, harness=measured_harness)


def measure_workers(
    args: argparse.Namespace, settings: dict, workers: list, workdir: Path, live: fleet.Fleet
) -> Report:
    usable, skipped = subjects.usable_runtimes(workers)
    progress.say(f"measuring {', '.join(s.label for s in usable) or 'nothing'}; workdir {workdir}")
    for name, why in skipped.items():
        progress.say(f"skipping {name}: {why}", terminal.WARN)
    toolchain.ensure_node_modules()
    with progress.steps("preparing the runtimes", len(usable)) as steps:
        for subject in usable:
            steps.doing(subject.label)
            runtimes.prepare(subject.worker, subject.runtime)
            steps.done(f"{subject.label} prepared")
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    found_machine = machine.machine()
    starts = startup.measure_startups(subjects.startup_subjects(usable), args.starts, workdir, live)
    phase = load.measure_load(subjects.serving_subjects(usable), args.requests, args.seconds, workdir, live)
    settings |= {
        "starts": args.starts,
        "requests": args.requests,
        "seconds": args.seconds,
        "clients": list(load.CLIENT_COUNTS),
    }
    return build_report(started_at, settings, found_machine, machine.versions(workers), starts, phase, skipped)


def build_report(
    created: str,
    settings: dict[str, object],
    found_machine: Machine,
    found_versions: dict[str, object],
    starts: list[StartupResult],
    phase: load.LoadPhase,
    skipped: dict[str, str],
) -> Report:
    starts = compare.with_startup_ratios(starts)
    loads = compare.with_load_ratios(phase.load)
    memory = compare.with_memory_ratios(phase.memory)
    return Report(
        created,
        settings,
        found_machine,
        found_versions,
        phase.statuses,
        {**skipped, **phase.skipped},
        starts,
        loads,
        memory,
        compare.check_targets(starts, loads, memory),
        notes(settings),
    )


def write_outputs(report: Report, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = {
        out / "bench.md": tables.render_markdown(report),
        out / "bench.json": json.dumps(asdict(report), indent=2, ensure_ascii=False) + "\n",
        out / "bench.html": page.render_html(report),
    }
    for path, text in written.items():
        path.write_text(text, encoding="utf-8")
    return list(written)


def had_failures(report: Report) -> bool:
    """A start failed or a server could not be started for the load runs (runtimes unusable here do not count)."""
    load_failures = any(why.startswith("load runs:") for why in report.skipped.values())
    return load_failures or any(result.failures for result in report.startup)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    parentwatch.exit_with_parent()
    workdir = Path(tempfile.mkdtemp(prefix="parity-bench-"))
    try:
        with fleet.Fleet() as live:
            report = run(args, " ".join(argv), workdir, live)
    except KeyboardInterrupt:
        progress.say(f"interrupted: every dev server has been stopped; logs kept in {workdir}", terminal.BAD)
        return 130
    shown = terminal.console(plain_width=terminal.WIDE_TABLES)
    shown.print()
    for item in tables.terminal_view(report):
        shown.print(item)
    for path in write_outputs(report, args.out):
        progress.say(f"wrote {path}")
    if had_failures(report):
        progress.say(f"dev-server logs kept in {workdir}", terminal.BAD)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
