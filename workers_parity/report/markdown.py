"""The report as Markdown (reports/parity.md)."""

from __future__ import annotations

from workers_parity.render.markdown import plain, table
from workers_parity.report import summary
from workers_parity.report.matrices import Matrix, Notes
from workers_parity.report.model import Finding, Report


def _matrix_rows(matrix: Matrix, columns: list[str], notes: Notes) -> list[list[str]]:
    return [
        [label, matrix.row_notes.get(label, "")]
        + [cells[w].text(notes, matrix.with_counts) if w in cells else "·" for w in columns]
        for label, cells in matrix.rows.items()
    ]


def markdown(report: Report) -> str:
    lines = [f"# Parity report — {summary.verdict(report)}", "", summary.run_line(report), "", summary.LEGEND, ""]
    lines += [f"- **{problem}**" for problem in report.problems] + ([""] if report.problems else [])
    lines += _not_run(report)
    lines += ["## Workers", "", table(summary.WORKER_HEADER, summary.worker_rows(report)), ""]
    if report.masks:
        lines += ["## Masks", "", table(summary.MASK_HEADER, summary.mask_rows(report)), ""]
    for matrix in report.matrices:
        header = [*matrix.header, *report.columns]
        lines += [f"## {matrix.title}", "", table(header, _matrix_rows(matrix, report.columns, report.notes)), ""]
    lines += _findings("Divergences", report.divergences, "none: every worker gave the expected answer to every case")
    lines += _findings("Expected differences", report.expected_differences, "none")
    lines += _findings("Other failures", report.other_failures, "none")
    lines += _since_last(report)
    if report.notes.numbers:
        lines += ["## Notes", ""] + [f"{n}. {plain(reason)}" for reason, n in report.notes.numbers.items()] + [""]
    return "\n".join(lines)


def _not_run(report: Report) -> list[str]:
    if not report.gaps:
        return []
    lines = ["## What did not run", ""]
    for gap in report.gaps:
        lines.append(f"- {gap.what}")
        lines += [f"  - `{item}`" for item in summary.listed(gap.items)]
    return lines + [""]


def _findings(title: str, findings: list[Finding], empty: str) -> list[str]:
    lines = [f"## {title}", ""]
    if not findings:
        return lines + [empty, ""]
    for finding in findings:
        reason = f"Reason: {finding.test.message}\n\n" if finding.test.outcome == "xfail" else ""
        lines += [f"### {finding.title}", "", reason + "```diff", finding.body.replace("```", "`\u200b``"), "```", ""]
    return lines


def _since_last(report: Report) -> list[str]:
    since = report.since_last
    if since is None:
        return []
    lines = ["## Since the last run", "", summary.since_last_intro(since), ""]
    for title, changes in (("Newly failing", since.newly_failing), ("Newly passing", since.newly_passing)):
        lines += [f"{title}:" if changes else f"{title}: none", ""]
        lines += [f"- `{summary.change_text(change)}`" for change in changes] + ([""] if changes else [])
    return lines
