"""What the differential tests share (test_differential.py, test_fuzz.py): one request to every worker at once, and
the replies judged against each other and against the contract's answer (expected.py)."""

from __future__ import annotations

import expected
import pytest

from workers_parity.http import everywhere
from workers_parity.http.client import Reply
from workers_parity.judge import divergence, pins
from workers_parity.plugins import pytest_contract as recorded

PINS = pins.load()


def send_to_all(workers: list, send) -> dict[str, Reply]:
    """The same request, `send(base_url, session)`, to every worker at once in its own session, each counted by its
    `call` (conftest.WorkerUnderTest); replies keyed by target label."""

    def send_one(worker) -> Reply:
        return worker.call(lambda base_url: send(base_url, getattr(worker, "session", None)))

    return everywhere.at_once({worker.label: worker for worker in workers}, send_one)


def judge_replies(
    workers: list, replies: dict[str, Reply], case_id: str, answer, method: str, path: str, compare: str = "bytes"
) -> divergence.Judgement:
    """Compare the replies with each other and check each against the contract's `answer` (expected.outcome)."""
    targets = {worker.label: (worker.name, worker.runtime) for worker in workers}  # runtime None: --base-url
    expectations = {worker.label: expected.expectation(answer, method, path, worker.name) for worker in workers}
    return divergence.judge(case_id, replies, targets, compare_mode=compare, expectations=expectations, pins=PINS)


def record(node: pytest.Item, workers: list, judgement: divergence.Judgement, detail: str) -> None:
    """Each worker's outcome, and the divergence, for the parity report (parity/pytest_contract_plugin.py)."""
    outcomes = {w.id: (judgement.outcome_of(w.label), " ".join(judgement.reasons_of(w.label))) for w in workers}
    recorded.record_cells(node, outcomes, detail if judgement.eventful else "")


def compare_mode(answer: str | dict[str, str]) -> str:
    """The differences C14.2 allows: the count of the counter page, the values of /status."""
    return (
        {"counter": "counter-value", "status": "status-values"}.get(answer, "bytes")
        if isinstance(answer, str)
        else "bytes"
    )
