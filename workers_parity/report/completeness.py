"""What a run left out — deselected tests, workers not selected, an early stop, skips, cases without a
result — so that the verdict says PARTIAL, never PASS, and lists each gap with its reason."""

from __future__ import annotations

from dataclasses import dataclass, field

from workers_parity.plugins.results import Results


@dataclass
class Gap:
    what: str  # one line: what did not run and why
    items: list[str] = field(default_factory=list)  # the tests (or test · worker cells) concerned


def gaps(results: Results, worker_ids: list[str], corpus_ids: list[str] | None) -> list[Gap]:
    """Every way in which `results` fall short of the whole suite and every case on every worker of the project."""
    found = _deselected(results) + _unselected_workers(results, worker_ids) + _stopped(results)
    return found + _skipped(results) + _corpus_without_results(results, corpus_ids)


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


def _corpus_without_results(results: Results, corpus_ids: list[str] | None) -> list[Gap]:
    if corpus_ids is None:
        return []
    recorded = {test.case for test in results.tests}
    missing = [case_id for case_id in corpus_ids if case_id not in recorded]
    if not missing:
        return []
    return [Gap(f"{len(missing)} of {len(corpus_ids)} cases have no result in this run", missing)]


def _count(items: list, noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"
