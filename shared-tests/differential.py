"""What our differential tests share (test_differential.py's generated submissions, test_fuzz.py): one request to
every worker at once, and the replies judged against each other and against the contract's answer (expected.py), with
the project's masks and pinned differences, as workers-parity judges a case of corpus.toml."""

from __future__ import annotations

import contract_plugin
import expected
import pytest

from workers_parity import project
from workers_parity.http import everywhere
from workers_parity.http.client import Reply
from workers_parity.judge import divergence
from workers_parity.plugins import pytest_results as recorded
from workers_parity.run import suite

SUITE = suite.load(project.current())


def send_to_all(workers: list, send) -> dict[str, Reply]:
    """The same request, `send(base_url, session)`, to every worker at once in its own session, each counted by its
    `call` (plugins/pytest_workers.WorkerUnderTest); replies keyed by target label."""

    def send_one(worker) -> Reply:
        return worker.call(lambda base_url: send(base_url, getattr(worker, "session", None)))

    return everywhere.at_once({worker.label: worker for worker in workers}, send_one)


def judge_replies(
    workers: list, replies: dict[str, Reply], case_id: str, answer, method: str, path: str
) -> divergence.Judgement:
    """Compare the replies with each other, masked as a case with this contract answer is, and check each against
    the contract's `answer` (expected.outcome)."""
    targets = {worker.label: (worker.name, worker.runtime) for worker in workers}  # runtime None: --base-url
    checks = {worker.label: [expected.expectation(answer, method, path, worker.name)] for worker in workers}
    masks = (*SUITE.project.config.masks, *contract_plugin.answer_masks(answer))
    return divergence.judge(case_id, replies, targets, masks=masks, checks=checks, pins=SUITE.pins)


def record(node: pytest.Item, workers: list, judgement: divergence.Judgement, detail: str) -> None:
    """Each worker's outcome, and the divergence, for the parity report (plugins/pytest_results.py)."""
    outcomes = {w.id: (judgement.outcome_of(w.label), " ".join(judgement.reasons_of(w.label))) for w in workers}
    recorded.record_cells(node, outcomes, detail if judgement.eventful else "")
