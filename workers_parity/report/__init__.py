"""The parity report: a run's results file (parity/results.py, written by the pytest plugin) turned into a verdict,
the rule and corpus matrices, parity.md, parity.html, parity.json and a terminal summary.

    python -m workers_parity.report --results reports/results.json --out reports

Modules, one job each: model (the report as data, the verdict), completeness (what did not run), matrices,
history (parity.json, since the last run), summary (shared sentences), markdown, html_page, terminal (rich).
"""
