"""reports/bench.html: the plots, then every table, what was not measured, the machine and how the figures were
taken, in one self-contained page."""

from __future__ import annotations

from workers_parity.bench import plots
from workers_parity.bench.results import Report
from workers_parity.bench.tables import VERDICTS, machine_lines, sections
from workers_parity.render import html_page
from workers_parity.render.html_page import escape

CSS = "td.missed { background: #ffd7d5; font-weight: bold; }"
CAPTIONS = {
    "cpu": "CPU time per request, by process kind, in each scenario: a bar per subject (numbered in the title), "
    "stacked: the workerd that runs the worker, wrangler dev's proxy workerd, Node (launcher or wrangler), other. "
    "Lower is better.",
    "phases": "Start-up of the direct hosts, split into the phases their launcher logs (--timings), from spawn to "
    "ready: medians of each phase.",
    "startup": "Start-up per subject: the box spans the middle half of the timed starts, the line in it is the "
    "median, the whiskers reach the fastest and slowest start within 1.5 box lengths.",
    "growth": "Growth: CPU per request along each growth curve the project's plug-in names, as the request body or "
    "the number of keep-alive clients grows.",
    "restore": "Snapshot restore time against snapshot size, one point per warm snapshot; the dashed line is linear "
    "growth through the smallest.",
    "latency": "Latency per scenario and number of keep-alive clients: the bar reaches the median (p50), the "
    "whisker the 99th percentile (p99). Lower is better.",
}


def figures(report: Report) -> list[str]:
    drawn = {
        "cpu": plots.cpu_figure(report.load),
        "phases": plots.phases_figure(report.startup),
        "startup": plots.startup_figure(report.startup),
        "growth": plots.growth_figure(report.load),
        "restore": plots.restore_figure(report.startup),
        "latency": plots.latency_figure(report.load),
    }
    return [
        f"<figure>{plots.svg(figure, name)}<figcaption>{escape(CAPTIONS[name])}</figcaption></figure>"
        for name, figure in drawn.items()
        if figure is not None
    ]


def _cells(row: list[str]) -> list[html_page.Cell]:
    return [("missed", escape(cell)) if cell == VERDICTS[False] else cell for cell in row]


def render_html(report: Report) -> str:
    run = f"Run {report.created}: python -m workers_parity.bench {report.settings['argv']}"
    body = [f"<h1>Benchmarks</h1><p>{escape(run)}</p>", *figures(report)]
    for title, headers, rows in sections(report):
        if rows:
            body.append(f"<h2>{escape(title)}</h2>" + html_page.table(headers, map(_cells, rows)))
    if report.skipped:
        body.append("<h2>Not measured</h2>" + html_page.bullets(escape(f"{k}: {v}") for k, v in report.skipped.items()))
    body.append("<h2>Machine and versions</h2>" + html_page.bullets(map(escape, machine_lines(report))))
    body.append("<h2>How these figures were taken</h2>" + html_page.bullets(map(escape, report.notes)))
    return html_page.page("Benchmarks", body, CSS)
