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
    "startup": "Start-up per worker × runtime: the box spans the middle half of the timed starts, the line in it is "
    "the median, the whiskers reach the fastest and slowest start within 1.5 box lengths.",
    "latency": "Latency per endpoint and number of keep-alive clients: the bar reaches the median (p50), the whisker "
    "the 99th percentile (p99). Lower is better.",
}


def figures(report: Report) -> list[str]:
    drawn = {"startup": plots.startup_figure(report.startup), "latency": plots.latency_figure(report.load)}
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
