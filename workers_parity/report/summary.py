"""The sentences and rows every rendering of the report shares: verdict, run, legend, workers, since the last run."""

from __future__ import annotations

from workers_parity.report.history import Change, SinceLast
from workers_parity.report.model import LABELS, Report

LEGEND = (
    "Legend: ✓ pass, ✗ fail, ≠ expected difference (pinned in the config's expected_differences), "
    "– skip, · no test; [n] refers to the notes."
)
MASK_HEADER = ["mask", "written at", "reason", "answers changed"]
WORKER_HEADER = ["worker", "name", "runtime", "why this runtime", "versions", "start-up", "requests", "start error"]
LISTED_ITEMS = 100  # per gap in the Markdown and HTML pages; parity.json has them all


def verdict(report: Report) -> str:
    totals = report.totals
    counts = ", ".join(
        f"{totals[o]} {LABELS[o] if o != 'xfail' else 'expected differences'}"
        for o in ("pass", "fail", "error", "skip", "xfail")
        if totals[o]
    )
    return f"{report.verdict}: {len(report.tests)} tests ({counts or 'none'})"


def run_line(report: Report) -> str:
    run = report.run
    if run is None:
        return f"Generated {report.generated}; no run recorded."
    commit = (run.commit or "unknown")[:12] + (" with uncommitted changes" if run.dirty else "")
    return (
        f"Run {run.id} of commit {commit}, {run.started} to {run.finished or '?'}: `{run.command}`. "
        f"Generated {report.generated} from the run's results file."
    )


def worker_rows(report: Report) -> list[list[str]]:
    return [
        [
            info.id,
            info.name,
            info.runtime,
            info.reason,
            ", ".join(f"{name} {version}" for name, version in info.versions.items()) or "—",
            f"{info.startup_seconds:.2f} s" if info.startup_seconds is not None else "—",
            str(info.requests) if info.requests is not None else "—",
            (info.error or "").splitlines()[0] if info.error else "",
        ]
        for info in report.workers
    ]


def mask_rows(report: Report) -> list[list[str]]:
    return [
        [mask["mask"], mask["where"], mask["reason"], f"{mask['answers_changed']} of {mask['answers_seen']}"]
        for mask in report.masks
    ]


def listed(items: list[str], limit: int = LISTED_ITEMS) -> list[str]:
    if len(items) <= limit:
        return items
    return items[:limit] + [f"… and {len(items) - limit} more (all in parity.json)"]


def change_text(change: Change) -> str:
    return f"{change.label}: {change.before} → {change.after}"


def since_last_intro(since: SinceLast) -> str:
    run = since.run
    if not run:
        return "Compared with the last parity.json."
    return (
        f"Compared with run {run.get('id')} of commit {(run.get('commit') or 'unknown')[:12]}: `{run.get('command')}`."
    )
