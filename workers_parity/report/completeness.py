"""What a run left out — test files of the full run not collected, deselected tests, workers not selected, an early
stop, skips, case files and cases without a result — so that the verdict says PARTIAL, never PASS, and lists each gap
with its reason."""

from __future__ import annotations

from dataclasses import dataclass, field

from workers_parity.plugins.results import Results


@dataclass
class Gap:
    what: str  # one line: what did not run and why
    items: list[str] = field(default_factory=list)  # the tests (or test · worker cells) concerned


def gaps(results: Results, worker_ids: list[str], case_ids: dict[str, list[str]] | None) -> list[Gap]:
    """Every way in which `results` fall short of the whole suite and every case on every worker of the project;
    case_ids: each case file's case ids, as the run recorded them (None when the run replays no cases)."""
    found = _files_not_collected(results) + _deselected(results) + _unselected_workers(results, worker_ids)
    return found + _stopped(results) + _skipped(results) + _cases_without_results(results, case_ids)


def _files_not_collected(results: Results) -> list[Gap]:
    collected = set(results.run.collected_files)
    missing = [path for path in results.run.suite_files if path not in collected]
    if not missing:
        return []
    what = f"{_count(missing, 'test file')} of the full run did not run (not collected: not named, or --ignore'd)"
    return [Gap(what, missing)]


def _deselected(results: Results) -> list[Gap]:
    run = results.run
    if not run.deselected:
        return []
    by = ", ".join(run.narrowed_by) or "an option of the command line"
    return [Gap(f"{_count(run.deselected, 'test')} deselected by {by}", list(run.deselected))]


def _unselected_workers(results: Results, worker_ids: list[str]) -> list[Gap]:
    selected = {worker for worker, _ in results.run.targets.values()}
    missing = [worker_id for worker_id in worker_ids if worker_id not in selected]
    if not selected or not missing:
        return []
    return [Gap(f"workers not selected for this run (--worker/--base-url): {', '.join(missing)}")]


def _stopped(results: Results) -> list[Gap]:
    run = results.run
    why = run.stopped_early or "the run ended before them"
    if run.not_run:
        return [Gap(f"{_count(run.not_run, 'selected test')} did not run: {why}", list(run.not_run))]
    return [Gap(f"the run stopped early: {why}")] if run.stopped_early else []


def _skipped(results: Results) -> list[Gap]:
    by_reason: dict[str, list[str]] = {}
    for test in results.tests:
        for cell in test.cells:
            if cell.outcome == "skip":
                where = f"{test.id} · {cell.target}" if cell.target else test.id
                by_reason.setdefault(cell.reason or "(no reason given)", []).append(where)
    return [Gap(f"{_count(items, 'skipped test')}: {reason}", items) for reason, items in by_reason.items()]


def _cases_without_results(results: Results, case_ids: dict[str, list[str]] | None) -> list[Gap]:
    recorded = {test.case for test in results.tests}
    found = []
    for path, ids in (case_ids or {}).items():
        missing = [case_id for case_id in ids if case_id not in recorded]
        if len(missing) == len(ids) and ids:
            found.append(Gap(f"case file {path} did not run: none of its {_count(ids, 'case')} has a result", missing))
        elif missing:
            what = f"case file {path}: {len(missing)} of {len(ids)} cases have no result in this run"
            found.append(Gap(what, missing))
    return found


def _count(items: list, noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"
