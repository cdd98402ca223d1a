"""How the figures were taken, in sentences that go with every report (bench.md, bench.html, bench.json)."""

from __future__ import annotations

from workers_parity.bench.load import WARMUP_REQUESTS_PER_CLIENT
from workers_parity.bench.memory import MEMORY_SAMPLE_SECONDS
from workers_parity.bench.startup import READY_POLL_SECONDS

HARNESS_NOTE = (
    "Harness: a copy of the two-worker pair (--pair) with 100 cases, warmed by one untimed run, then timed runs of "
    "`workers-parity run` as a user types it (a new process each). Harness time is the wall time minus the start-up "
    "its results file records (every worker prepared, migrated and answering); the rest is Python starting, "
    "loading, replaying, judging, stopping the workers and writing the report. Replay is cases per second of each "
    "worker over its whole replay (every case in order, a new connection each): the workers' own time is most of it, "
    "so the same replay against an instant local server shows what the harness alone can send. Medians."
)


def notes(settings: dict[str, object]) -> list[str]:
    measured = _worker_notes(settings) if "starts" in settings else []
    if "suite" in settings:
        measured.append(_suite_note(settings))
    if settings.get("scenario", "all") != "workers":
        measured.append(HARNESS_NOTE)
    return measured


def _clients(settings: dict[str, object]) -> str:
    return " and ".join(str(count) for count in settings.get("clients") or [])


def _curves(settings: dict[str, object]) -> str:
    curves = settings.get("curves") or {}
    if not curves:
        return "The project's plug-in names no growth curves."
    named = "; ".join(f"{curve}: {', '.join(points)}" for curve, points in curves.items())
    return f"The growth curves (the project's plug-in's `bench_curves()`): {named}."


def _worker_notes(settings: dict[str, object]) -> list[str]:
    probes = ", ".join(settings.get("probes") or []) or "none"
    return [
        "Subjects: each worker in each runtime usable here. Hosts: `wrangler-dev` (workerd behind wrangler dev: "
        "wrangler's Node process and its proxy worker in a workerd of its own) and `direct` (a launcher starts "
        "workerd through miniflare and workerd answers the client: pyodide-workerd for Python, serve-js.mjs for "
        "JavaScript). Ratios within one host are the language's cost; a worker under wrangler dev over the same "
        "worker in the direct host is the tools' cost.",
        "CPU per request: the user and system CPU time of every process of the dev server (its session, psutil) "
        "over a load run, divided by the requests answered, split by process kind: the workerd that runs the "
        "worker, wrangler dev's proxy workerd (the one listening on the port), Node (the launcher, or wrangler), "
        "other. The load clients run in the harness's process and are not counted. On a shared machine CPU time "
        "is steadier than requests/s, which is given beside it with the latency percentiles.",
        f"Load: the endpoints the project's plug-in names (`bench_endpoints()`) at {_clients(settings)} keep-alive "
        f"clients; each scenario runs until {settings['requests']} requests or {settings['seconds']} s, "
        f"whichever comes first, after {WARMUP_REQUESTS_PER_CLIENT} untimed warm-up requests per client, against "
        "every subject in turn. Clients are Python threads, one keep-alive http.client connection each; only 200 "
        f"answers count as ok. {_curves(settings)} The targets are read at the first endpoint, 1 client.",
        f"Start-up: {settings['starts']} timed starts per subject after one untimed first start (which migrates the "
        "state and, for a warm snapshot, builds it in a fresh snapshot folder), from spawn to ready (a 200 at the "
        f"worker's ready path); readiness is polled every {READY_POLL_SECONDS:.1f} s. A warm start that rebuilt its "
        "snapshot is listed as failed, not counted. `no snapshot` passes `--no-snapshot` to pyodide-workerd. The "
        "phases of a direct host are logged by its launcher (`--timings`) on its own clock, since workerd's clock "
        "stands still while a worker starts: the host's own start-up lines are timed as they reach the launcher. "
        f"Probe workers (the project's plug-in's `bench_probes()`: {probes}) start in pyodide-workerd.",
        "Snapshot restore: the phase `Python boot or restore` of each warm start, against the size of the snapshot "
        "it restored; linear growth keeps the restore time per MiB of the largest snapshot at or below the "
        "smallest's.",
        f"Memory: the sum of the resident set size (RSS) over every process of the dev server, sampled every "
        f"{MEMORY_SAMPLE_SECONDS * 1000:.0f} ms from start to stop of the load runs (pages shared between processes "
        "count once for each).",
    ]


def _suite_note(settings: dict[str, object]) -> str:
    return (
        f"Parity's own speed: `{settings['suite']}` (the project's plug-in's `bench_suite()`) run twice in the "
        "project's root; the second (warm) run is timed from outside. Its phases: pytest's own session time (from "
        "its summary line), the slowest worker's start (the workers start in parallel, from the run's "
        "results.json), the report drawn again alone from the same results, and the rest (nox and pip)."
    )
