"""Differential testing: the same request to every selected worker must get the same answer (CONTRACT.md C14).

Every case of corpus.toml is one test (its id is the case id); a hypothesis property test adds generated form posts.
Differences the workers cannot avoid are listed in expected-differences.toml and become expected failures.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from itertools import cycle, islice

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parity import corpus, divergence
from parity.client import Reply, multipart_body, request
from parity.pytest_contract_plugin import contract_rules

CASES = corpus.load()
EXPECTED = divergence.load_expected()


@pytest.fixture(scope="session")
def compared_workers(request: pytest.FixtureRequest, selection) -> list:
    """The selected workers, started; differential testing needs at least two of them."""
    if len(selection.workers) < 2:
        only = ", ".join(worker.id for worker in selection.workers)
        pytest.skip(
            f"differential testing compares workers, and only {only} is selected "
            "(select two or more with --worker/--base-url, or none for all)"
        )
    fleet = request.getfixturevalue("workers_fleet")
    return [fleet.get(worker.id) for worker in selection.workers]


def set_property(node: pytest.Item, name: str, value: str) -> None:
    """Record a JUnit property for the parity report, replacing an earlier value (hypothesis re-runs tests)."""
    node.user_properties[:] = [(key, old) for key, old in node.user_properties if key != name]
    node.user_properties.append((name, value))


def record(node: pytest.Item, workers: list, judgement: divergence.Judgement, detail: str) -> None:
    """Properties for the parity report (the contract rules too, when the contract plugin did not record them)."""
    if not any(key == "contract" for key, _ in node.user_properties):
        set_property(node, "contract", " ".join(contract_rules(node)))
    set_property(node, "workers", " ".join(worker.id for worker in workers))
    for worker in workers:
        set_property(node, f"outcome:{worker.id}", judgement.outcome_of(worker.name))
    if judgement.unexpected or judgement.expected or judgement.not_observed:
        set_property(node, "divergence", detail)


def send_to_all(workers: list, send) -> dict[str, Reply]:
    """The same request to every worker at once (each answers on its own server); replies keyed by worker name."""
    with ThreadPoolExecutor(max_workers=len(workers)) as pool:
        replies = pool.map(lambda worker: send(worker.base_url), workers)
        return {worker.name: reply for worker, reply in zip(workers, replies, strict=True)}


def compare_replies(replies: dict[str, Reply], case_id: str, compare: str = "bytes") -> divergence.Judgement:
    views = {name: divergence.comparable(reply, compare) for name, reply in replies.items()}
    return divergence.judge(case_id, views, EXPECTED)


def case_param(case: corpus.Case):
    """Every case also checks byte parity itself (C14.1)."""
    rules = dict.fromkeys([*case.rules, "C14.1"])
    return pytest.param(case, id=case.id, marks=pytest.mark.contract(*rules))


@pytest.mark.parametrize("case", [case_param(case) for case in CASES])
def test_corpus_case(case: corpus.Case, compared_workers: list, request: pytest.FixtureRequest) -> None:
    replies = send_to_all(compared_workers, case.send)
    judgement = compare_replies(replies, case.id, case.compare)
    names = ", ".join(replies)
    detail = judgement.report(f"case {case.id}: {case.describe()}\nworkers: {names}")
    record(request.node, compared_workers, judgement, detail)
    if judgement.failed:
        pytest.fail(detail, pytrace=False)
    if judgement.expected:
        pytest.xfail("; ".join(sorted({expectation.reason for _, expectation in judgement.expected})))


def test_corpus_is_well_formed() -> None:
    assert len(CASES) >= 60
    known = {case.id for case in CASES}
    stale = [e.case for e in EXPECTED if e.case not in known]
    assert not stale, f"expected-differences.toml names cases that are not in corpus.toml: {stale}"


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


def encode(encoding: str, name: str, message: str) -> tuple[bytes, str]:
    fields = [("name", name), ("message", message)]
    if encoding == "urlencoded":
        from urllib.parse import urlencode

        return urlencode(fields).encode(), corpus.URLENCODED
    return multipart_body(fields, BOUNDARY), f"multipart/form-data; boundary={BOUNDARY}"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    encoding=st.sampled_from(["urlencoded", "multipart"]),
    name=field_value(NAME_LENGTHS),
    message=field_value(MESSAGE_LENGTHS),
)
@pytest.mark.contract("C4.3", "C4.4", "C4.6", "C4.7", "C4.8", "C4.9", "C5.1", "C5.2", "C5.3", "C14.1")
def test_generated_submission(
    compared_workers: list, request: pytest.FixtureRequest, encoding: str, name: str, message: str
) -> None:
    # function_scoped_fixture is suppressed because `request` only serves to record properties; no state is reset.
    body, content_type = encode(encoding, name, message)
    replies = send_to_all(compared_workers, lambda base_url: request_form(base_url, body, content_type))
    judgement = compare_replies(replies, "generated-submission")
    submitted = (
        f"POST /form ({encoding}) with name={name!r} ({len(name)} code points), "
        f"message={message!r} ({len(message)} code points)"
    )
    detail = judgement.report(f"generated submission: {submitted}\nworkers: {', '.join(replies)}")
    record(request.node, compared_workers, judgement, detail)
    if judgement.failed:
        raise AssertionError(detail)  # the input is in the message, so the shrunk example reaches the report


def request_form(base_url: str, body: bytes, content_type: str) -> Reply:
    return request(base_url, "POST", "/form", body=body, headers={"content-type": content_type})
