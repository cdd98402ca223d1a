"""The parity report: a run's results file (plugins/results.py, written by `workers-parity run` or the pytest plugin)
turned into a verdict, the cases matrix (and a plug-in's tables), parity.md, parity.html, parity.json and a terminal
summary. It reads the results file and nothing else.

    python -m workers_parity.report --results reports/results.json --out reports

Modules, one job each: model (the report as data, the verdict), completeness (what did not run), matrices,
history (parity.json's cells, since the last run), summary (shared sentences), markdown, html_page, terminal (rich),
publish (the files written, the summary printed).
"""
