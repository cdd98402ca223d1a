"""The report as one self-contained HTML page (reports/parity.html): inline CSS, no scripts, in-page links only."""

from __future__ import annotations

from workers_parity.render.html_page import bullets, page, table
from workers_parity.render.html_page import escape as _h
from workers_parity.report import summary
from workers_parity.report.matrices import Cell, Matrix
from workers_parity.report.model import Finding, Report

CSS = """
td.pass { background: #dafbe1; } td.fail { background: #ffd7d5; font-weight: bold; }
td.xfail { background: #fff8c5; } td.skip, td.none { background: #f6f8fa; color: #57606a; }
td.note { color: #57606a; font-size: .9em; }
.verdict { padding: .5em 1em; border-radius: 6px; font-weight: bold; display: inline-block; }
.verdict.pass { background: #dafbe1; } .verdict.fail { background: #ffd7d5; } .verdict.partial { background: #fff8c5; }
pre .add { color: #116329; } pre .del { color: #82071e; } pre .hunk { color: #8250df; }
"""


def _matrix(matrix: Matrix, report: Report, anchors: dict[str, str]) -> str:
    rows = []
    for label, cells in matrix.rows.items():
        row = [label, ("note", _h(matrix.row_notes.get(label, "")))]
        for target in report.columns:
            cell = cells.get(target, Cell())
            text = _h(cell.text(report.notes, matrix.with_counts))
            if cell.state == "fail" and label in anchors:
                text = f'<a href="#{anchors[label]}">{text}</a>'
            row.append((cell.state, text))
        rows.append(row)
    header = [*matrix.header, *report.columns]
    return f"<h2>{_h(matrix.title)}</h2>" + table(header, rows)


def _diff(text: str) -> str:
    def line(raw: str) -> str:
        cls = {"+": "add", "-": "del", "@": "hunk"}.get(raw[:1], "")
        if raw.startswith(("+++", "---")):
            cls = "hunk"
        return f'<span class="{cls}">{_h(raw)}</span>' if cls else _h(raw)

    return "<pre>" + "\n".join(map(line, text.splitlines())) + "</pre>"


def _findings(title: str, findings: list[Finding], empty: str) -> str:
    if not findings:
        return f"<h2>{_h(title)}</h2><p>{_h(empty)}</p>"
    parts = [f"<h2>{_h(title)}</h2>"]
    for finding in findings:
        reason = f"<p>Reason: {_h(finding.test.message)}</p>" if finding.test.outcome == "xfail" else ""
        parts.append(f'<h3 id="{finding.anchor}">{_h(finding.title)}</h3>{reason}{_diff(finding.body)}')
    return "".join(parts)


def _not_run(report: Report) -> str:
    if not report.gaps:
        return ""
    items = [
        _h(gap.what) + bullets([f"<code>{_h(item)}</code>" for item in summary.listed(gap.items)])
        for gap in report.gaps
    ]
    return "<h2>What did not run</h2>" + bullets(items)


def _since_last(report: Report) -> str:
    since = report.since_last
    if since is None:
        return ""
    parts = ["<h2>Since the last run</h2>", f"<p>{_h(summary.since_last_intro(since))}</p>"]
    for title, changes in (("Newly failing", since.newly_failing), ("Newly passing", since.newly_passing)):
        parts.append(f"<p>{title}: {'' if changes else 'none'}</p>")
        parts.append(bullets([f"<code>{_h(summary.change_text(change))}</code>" for change in changes]))
    return "".join(parts)


def html_page(report: Report) -> str:
    anchors = {f.test.case: f.anchor for f in report.divergences}
    worker_rows = summary.worker_rows(report)
    parts = [
        f'<h1>Parity report</h1><p class="verdict {report.verdict.lower()}">{_h(summary.verdict(report))}</p>',
        f"<p>{_h(summary.run_line(report))}</p><p>{_h(summary.LEGEND)}</p>",
        "".join(f"<p><strong>{_h(problem)}</strong></p>" for problem in report.problems),
        _not_run(report),
        "<h2>Workers</h2>" + table(summary.WORKER_HEADER, worker_rows),
        ("<h2>Masks</h2>" + table(summary.MASK_HEADER, summary.mask_rows(report))) if report.masks else "",
        *(_matrix(matrix, report, anchors) for matrix in report.matrices),
        _findings("Divergences", report.divergences, "none: every worker gave the expected answer to every case"),
        _findings("Expected differences", report.expected_differences, "none"),
        _findings("Other failures", report.other_failures, "none"),
        _since_last(report),
    ]
    if report.notes.numbers:
        items = "".join(f'<li value="{n}">{_h(reason)}</li>' for reason, n in report.notes.numbers.items())
        parts.append(f"<h2>Notes</h2><ol>{items}</ol>")
    return page(f"Parity report — {summary.verdict(report)}", parts, CSS)
