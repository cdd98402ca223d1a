"""What the harness shows people, drawn in one place for the parity report, the benchmarks and the demo.

Modules, one job each: terminal (rich consoles and tables, colour only on a TTY without NO_COLOR, one palette),
progress (bars on a terminal, a line per step in a log), markdown (tables and inline text), html_page (tables and
self-contained pages).
"""
