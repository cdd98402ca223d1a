"""One thing done to every worker at the same time: the same request (the differential tests, the demo) or a restart
(the demo). Each worker answers on a server of its own, so each gets a thread; the results come back keyed by worker."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

Worker = TypeVar("Worker")
Result = TypeVar("Result")


def at_once(workers: Mapping[str, Worker], action: Callable[[Worker], Result]) -> dict[str, Result]:
    """`action(worker)` for every worker at once; the results keyed (and ordered) as `workers`.

    An exception of one action is raised here once every action has ended: catch it inside `action` to keep it as
    that worker's result and the others' results with it."""
    if not workers:
        return {}
    with ThreadPoolExecutor(max_workers=len(workers)) as pool:
        return dict(zip(workers, pool.map(action, workers.values()), strict=True))
