"""Benchmarks: how fast each worker starts and serves, side by side, in one run.

    python -m workers_parity.bench [--starts N] [--requests N] [--seconds S] [--worker ID ...] [--out reports]

For every worker and every runtime usable here it measures start-up (spawn -> ready), latency and throughput of the
endpoints the project's plug-in names (else GET of the ready path) at 1 and 8 keep-alive clients, and
the peak RSS of the dev-server process tree; and the harness itself on a two-worker project (--scenario harness).
Workers are measured in alternation (first, second, ..., first, ...) so machine noise hits all alike.
Writes tables to the terminal, `reports/bench.md`, `reports/bench.json` and `reports/bench.html` (with plots).

Modules, one job each: subjects (what is measured, and its servers), startup, load, memory, machine (the machine and
the versions), results (the report as data), stats (statistics), units (figures as text), compare (ratios to
the baseline worker, targets), harness (workers-parity run's own speed), notes (how the figures were taken), tables
(terminal and Markdown), plots and page (bench.html), __main__ (the command).
"""
