"""How the figures were taken, in sentences that go with every report (bench.md, bench.html, bench.json)."""

from __future__ import annotations

from workers_parity.bench.load import WARMUP_REQUESTS_PER_CLIENT
from workers_parity.bench.memory import MEMORY_SAMPLE_SECONDS
from workers_parity.bench.startup import READY_POLL_SECONDS


def notes(settings: dict[str, object]) -> list[str]:
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
        f"Load: each scenario runs until {settings['requests']} requests or {settings['seconds']} s, whichever comes "
        f"first, after {WARMUP_REQUESTS_PER_CLIENT} untimed warm-up requests per client, against every subject in "
        "turn. Clients are Python threads, one keep-alive http.client connection each; only 200 answers count as "
        "ok. The growth scenarios: POST /form padded to 1, 16 and 64 KiB with a field the worker ignores (64 KiB "
        "is the largest body the contract accepts), GET /counter at 1, 8 and 32 clients.",
        f"Start-up: {settings['starts']} timed starts per subject after one untimed first start (which migrates the "
        "state and, for a warm snapshot, builds it in a fresh snapshot folder), from spawn to the first 200 on the "
        f"worker's ready path; readiness is polled every {READY_POLL_SECONDS:.1f} s. A warm start that rebuilt its "
        "snapshot is listed as failed, not counted. `no snapshot` passes `--no-snapshot` to pyodide-workerd. The "
        "phases of a direct host are logged by its launcher (`--timings`) on its own clock, since workerd's clock "
        "stands still while a worker starts: the host's own start-up lines are timed as they reach the launcher. "
        "The FastAPI and Django workers are our own probes (tests/python_workers/), started in pyodide-workerd.",
        "Snapshot restore: the phase `Python boot or restore` of each warm start, against the size of the snapshot "
        "it restored; linear growth keeps the restore time per MiB of the largest snapshot at or below the "
        "smallest's.",
        f"Memory: the sum of the resident set size (RSS) over every process of the dev server, sampled every "
        f"{MEMORY_SAMPLE_SECONDS * 1000:.0f} ms from start to stop of the load runs (pages shared between processes "
        "count once for each).",
        "Parity's own speed: `./noxw -s parity` run twice in the project's root; the second (warm) run is timed "
        "from outside. Its phases: pytest's own session time (from its summary line), the slowest worker's start "
        "(the workers start in parallel, from the run's results.json), the report drawn again alone from the same "
        "results, and the rest (nox and pip).",
    ]
