"""Benchmarks on equal footing: what each language costs in the same host, and what each host's tools cost.

    python -m workers_parity.bench [--starts N] [--requests N] [--seconds S] [--worker ID ...] [--no-parity]
                                   [--scenario all|workers|harness] [--pair FOLDER] [--out reports]

For every worker in every runtime usable here — JavaScript under wrangler dev and in the direct host (workerd
through miniflare, as pyodide-workerd hosts Python), Python in pyodide-workerd and under wrangler dev — it measures
CPU time per request (by process kind), latency and throughput of the endpoints the project's plug-in names (else GET
of the ready path) at 1 and 8 keep-alive clients, the growth curves the plug-in names, start-up (spawn -> ready) and
its phases, peak memory; the start-up of the plug-in's probe workers and the snapshot restore time against snapshot
size (--scenario workers). And the harness's own speed (--scenario harness): the wall time of a warm run of the
project's own suite (the plug-in's command; ours `./noxw -s parity`), and `workers-parity run` on a two-worker
project. Subjects are measured in alternation so machine noise hits all alike. Writes tables to the terminal,
`reports/bench.md`, `reports/bench.json` and `reports/bench.html` (with plots).

Modules, one job each: subjects (what is measured, and its servers), scenarios (the load scenarios), startup and
phases (start-up and its split), load and cpu (CPU per request, latency, throughput), memory, paritytime (the
project's own suite's speed), harness (workers-parity run's own speed), machine (the machine and the versions),
results (the report as data), stats (statistics), units (figures as text), compare (same-host and host-vs-host
ratios, targets), notes (how the figures were taken), tables (terminal and Markdown), plots and page (bench.html),
__main__ (the command).
"""
