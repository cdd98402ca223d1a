"""The bench command: measure start-up, then load and memory (the workers), then the project's own suite and
`workers-parity run` on a two-worker project (the harness), and write bench.md, bench.json and bench.html."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import workers_parity.bench
from workers_parity import project
from workers_parity.bench import compare, harness, load, machine, page, paritytime, scenarios, startup, subjects, tables
from workers_parity.bench.notes import notes
from workers_parity.bench.results import Machine, ParityRun, Report, StartupResult, TargetCheck
from workers_parity.plugins import hooks
from workers_parity.render import progress, terminal
from workers_parity.servers import fleet, parentwatch, runtimes, toolchain

DEFAULT_STARTS = 7
DEFAULT_REQUESTS = 5000
DEFAULT_SECONDS = 10.0
DEFAULT_HARNESS_RUNS = 3
# workers: start-up, load, memory, the probes; harness: the project's own suite and workers-parity run's own speed
SCENARIOS = ("all", "workers", "harness")


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
        "--no-parity",
        action="store_true",
        help="leave out the project's own suite (two runs of the command its plug-in names: ours ./noxw -s parity)",
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
    settings: dict[str, object] = {"argv": argv_text, "scenario": args.scenario, "workers": [w.id for w in workers]}
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    found_machine = machine.machine()
    starts, phase, skipped, probed = [], load.LoadPhase(), {}, []
    if args.scenario != "harness":
        starts, phase, skipped, probed = measure_workers(args, settings, workers, workdir, live)
    parity, measured_harness = None, []
    if args.scenario != "workers":
        parity = None if args.no_parity else measure_suite(settings, skipped)
        measured_harness = harness.measure(args.pair, args.harness_runs, workdir)
    versions = machine.versions(workers + probed)
    return build_report(started_at, settings, found_machine, versions, starts, phase, parity, skipped, measured_harness)


def measure_workers(
    args: argparse.Namespace, settings: dict[str, object], workers: list, workdir: Path, live: fleet.Fleet
) -> tuple[list[StartupResult], load.LoadPhase, dict[str, str], list]:
    """Start-up (the probes too), then load and memory; settings gain what they were measured with."""
    usable, skipped = subjects.usable_subjects(workers)
    probes, skipped_probes = subjects.probe_subjects()
    skipped.update(skipped_probes)
    progress.say(f"measuring {', '.join(s.label for s in usable + probes) or 'nothing'}; workdir {workdir}")
    for name, why in skipped.items():
        progress.say(f"skipping {name}: {why}", terminal.WARN)
    prepare(usable + probes)
    found_scenarios = scenarios.scenarios()
    settings |= {
        "starts": args.starts,
        "requests": args.requests,
        "seconds": args.seconds,
        "clients": list(scenarios.CLIENT_COUNTS),
        "curves": {
            curve: [f"{s.label} x{s.clients}" for s in found_scenarios if s.curve == curve]
            for curve in dict.fromkeys(s.curve for s in found_scenarios if s.curve)
        },
        "probes": [s.worker.id for s in probes],
    }
    starts = startup.measure_startups(subjects.startup_subjects(usable, probes), args.starts, workdir, live)
    serving = subjects.serving_subjects(usable)
    phase = load.measure_load(serving, found_scenarios, args.requests, args.seconds, workdir, live)
    return starts, phase, skipped, [s.worker for s in probes]


def measure_suite(settings: dict[str, object], skipped: dict[str, str]) -> ParityRun | None:
    """The project's own suite, as its plug-in names it (ours: `./noxw -s parity`), warm; None when it names none."""
    command = hooks.load(project.current().config.plugins).bench_suite()
    if not command:
        skipped["the project's own suite"] = "its plug-in names no suite command (bench_suite)"
        return None
    settings["suite"] = " ".join(command)
    return paritytime.measure_parity(project.current().root, tuple(command))


def prepare(found: list[subjects.Subject]) -> None:
    toolchain.ensure_node_modules()
    with progress.steps("preparing the runtimes", len(found)) as steps:
        for subject in found:
            steps.doing(subject.label)
            runtimes.prepare(subject.worker, subject.runtime)
            steps.done(f"{subject.label} prepared")


def build_report(
    created: str,
    settings: dict[str, object],
    found_machine: Machine,
    found_versions: dict[str, object],
    starts: list[StartupResult],
    phase: load.LoadPhase,
    parity: ParityRun | None,
    skipped: dict[str, str],
    measured_harness: list[TargetCheck],
) -> Report:
    starts = compare.with_startup_ratios(starts)
    ratios = compare.load_ratios(phase.load)
    return Report(
        created,
        settings,
        found_machine,
        found_versions,
        phase.statuses,
        {**skipped, **phase.skipped},
        starts,
        phase.load,
        ratios,
        phase.memory,
        parity,
        compare.check_targets(starts, phase.load, ratios, parity),
        notes(settings),
        measured_harness,
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
    """A start failed, a server could not be started for the load runs (runtimes unusable here do not count), or
    the parity run failed."""
    load_failures = any(why.startswith("load runs:") for why in report.skipped.values())
    parity_failed = report.parity is not None and report.parity.exit_status != 0
    return load_failures or parity_failed or any(result.failures for result in report.startup)


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
