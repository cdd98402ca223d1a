"""Differential testing beyond the corpus: the cases of corpus.toml are tests of their own (workers-parity's pytest
plugin makes one per case and worker, judged with our plug-in's oracle: contract_plugin.py); here, checks of the
corpus and the oracle themselves, and a hypothesis property test of generated form posts, judged alike.

Differences the contract cannot remove would be pinned in expected-differences.toml (there are none) and become
expected failures. The judge itself is tested without workers in tests/test_judge.py.
"""

from __future__ import annotations

from itertools import cycle, islice

import contract_plugin
import expected
import pytest
from differential import SUITE, judge_replies, record, send_to_all
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workers_parity.cases.model import Case
from workers_parity.http import bodies
from workers_parity.http.client import request

CASES = SUITE.cases


def test_corpus_is_well_formed() -> None:
    assert len(CASES) >= 60
    known = {case.id for case in CASES}
    stale = [pin.case for pin in SUITE.pins if pin.case not in known]
    assert not stale, f"expected-differences.toml names cases that are not in corpus.toml: {stale}"
    assert set(contract_plugin.ANSWER_NAMES) == set(expected.NAMED_ANSWERS) | set(expected.PLATFORM_ANSWERS)


def test_every_counter_and_status_case_masks_exactly_what_c14_2_allows() -> None:
    """The masks are data in corpus.toml: each case whose contract answer is the counter page or /status (on GET)
    carries the mask our plug-in names for it, and no other case carries a mask."""
    for case in CASES:
        answer = contract_plugin.contract_answer(case)
        wanted = contract_plugin.answer_masks(answer) if case.method != "HEAD" and case.raw is None else []
        assert [m.pattern for m in case.masks] == [m.pattern for m in wanted], case.id


@pytest.mark.parametrize(
    "case", [pytest.param(case, id=case.id) for case in CASES if "answer" in case.extra and case.raw is None]
)
def test_stated_answer_is_the_derived_one(case: Case) -> None:
    """Where a case states the contract's answer, expected.py's reading of the contract derives the same one
    (a check of the oracle and of the corpus, not of a worker)."""
    derived = expected.outcome(case.method, case.path, case.headers, case.sent_body())
    for worker in ("js-worker", "py-worker"):
        stated_answer = expected.expectation(case.extra["answer"], case.method, case.path, worker)
        derived_answer = expected.expectation(derived, case.method, case.path, worker)
        assert (derived_answer.status, derived_answer.body) == (stated_answer.status, stated_answer.body), derived


# --- generated submissions -------------------------------------------------------------------------------------

NAME_LENGTHS = (0, 1, 2, 99, 100, 101, 102)
MESSAGE_LENGTHS = (0, 1, 2, 999, 1000, 1001, 1002)
TRICKY = (
    " ",
    "\t",
    "\n",
    "\r",
    "\f",
    "\x0b",
    "\x00",
    "\x85",
    "\xa0",
    "\ufeff",
    "\u3000",
    "\u2028",
    "<",
    ">",
    "&",
    "'",
    '"',
    "+",
    "%",
    "=",
    ";",
    "\ufffd",
    "\u0301",
    "\u202e",
    "\u200d",
    "😀",
    "𝔄",
)
EDGE_WHITESPACE = " \t\n\r\f\x0b\xa0\u3000\ufeff"
BOUNDARY = "parity-hypothesis-Q9x7Lr2vKd"

any_character = st.characters(exclude_categories=["Cs"])  # every code point UTF-8 can carry, astral included
pattern = st.text(st.one_of(any_character, st.sampled_from(TRICKY)), min_size=1, max_size=6)
edge = st.text(st.sampled_from(EDGE_WHITESPACE), max_size=3)


def repeated_to(seed: str, length: int) -> str:
    """`seed`'s code points repeated to exactly `length` code points."""
    return "".join(islice(cycle(seed), length))


def field_value(lengths: tuple[int, ...]) -> st.SearchStrategy[str]:
    """A value at or near a length limit (or short), maybe with whitespace around it that trimming removes."""
    length = st.one_of(st.sampled_from(lengths), st.integers(min_value=0, max_value=8))
    return st.builds(lambda before, seed, n, after: before + repeated_to(seed, n) + after, edge, pattern, length, edge)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    encoding=st.sampled_from(bodies.ENCODINGS),
    name=field_value(NAME_LENGTHS),
    message=field_value(MESSAGE_LENGTHS),
)
@pytest.mark.contract("C4.3", "C4.4", "C4.6", "C4.7", "C4.8", "C4.9", "C5.1", "C5.2", "C5.3", "C14.1")
@pytest.mark.case("generated submissions (hypothesis)")
def test_generated_submission(
    compared_workers: list, request: pytest.FixtureRequest, encoding: str, name: str, message: str
) -> None:
    # function_scoped_fixture is suppressed because `request` only serves to record properties; no state is reset.
    body, content_type = bodies.form(encoding, [("name", name), ("message", message)], BOUNDARY)
    replies = send_to_all(compared_workers, form_post(body, content_type))
    answer = {"name": name, "message": message}  # the fields sent: the oracle renders the contract's page for them
    judgement = judge_replies(compared_workers, replies, "generated-submission", answer, "POST", "/form")
    submitted = (
        f"POST /form ({encoding}) with name={name!r} ({len(name)} code points), "
        f"message={message!r} ({len(message)} code points)"
    )
    detail = judgement.report(f"generated submission: {submitted}\nworkers: {', '.join(replies)}")
    record(request.node, compared_workers, judgement, detail)
    if judgement.failed:
        raise AssertionError(detail)  # the input is in the message, so the shrunk example reaches the report


def form_post(body: bytes, content_type: str):
    """The post as send_to_all sends it: `send(base_url, session)`."""
    headers = {"content-type": content_type}
    return lambda base_url, session: request(base_url, "POST", "/form", body=body, headers=headers, session=session)
