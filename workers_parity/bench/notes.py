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
    measured = [HARNESS_NOTE] if settings.get("scenario", "all") != "workers" else []
    return measured + (_worker_notes(settings) if "starts" in settings else [])


def _worker_notes(settings: dict[str, object]) -> list[str]:
    return [
        "Workers are measured in alternation (round-robin over workers for every start and every load scenario) "
        "so machine noise hits all alike. Ratios (×base) divide each figure by the baseline worker's (the config's "
        "baseline, else its first worker): for latency and memory "
        "above 1 is worse, for req/s below 1 is worse.",
        f"Start-up: {settings['starts']} timed starts per subject after one untimed first start (which migrates the "
        f"state and, for pyodide-workerd with a warm snapshot, builds the snapshot in a fresh snapshot folder). "
        f"Readiness is polled every {READY_POLL_SECONDS:.1f} s by the harness' DevServer, so a figure can be up to "
        f"that much late (pyodide-workerd listens at once and holds requests until ready, so its figures are exact). "
        "`no snapshot` passes `--no-snapshot` to pyodide-workerd; a warm start that had to rebuild its snapshot (the "
        "runtime or python_modules changed meanwhile) is listed as failed, not counted. The load runs start "
        "pyodide-workerd from the warm snapshot.",
        f"Load: each scenario runs until {settings['requests']} requests or {settings['seconds']} s, whichever comes "
        f"first (column `ended by`), after {WARMUP_REQUESTS_PER_CLIENT} untimed warm-up requests per client. Clients "
        f"are Python threads, one keep-alive http.client connection each, in the same process as the harness; on a "
        f"small machine they compete with the server for the CPU, so absolute req/s is a lower bound. "
        f"Only 200 answers count; `err` counts anything else.",
        f"Memory: the sum of the resident set size (RSS) over every process in the dev server's process group, "
        f"sampled every {MEMORY_SAMPLE_SECONDS * 1000:.0f} ms from start to stop of the load runs (pages shared "
        "between processes count once for each).",
    ]
