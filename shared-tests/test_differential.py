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
from parity import pytest_contract_plugin as recorded
from parity.client import Reply, multipart_body, request

CASES = corpus.load()
EXPECTED = divergence.load_expected()


@pytest.fixture(scope="session")
def compared_workers(request: pytest.FixtureRequest, selection) -> list:
    """The selected workers, started; differential testing needs at least two of them."""
    if len(selection.targets) < 2:
        only = ", ".join(target.id for target in selection.targets)
        pytest.skip(
            f"differential testing compares workers, and only {only} is selected "
            "(select two or more with --worker/--base-url, or none for all)"
        )
    fleet = request.getfixturevalue("workers_fleet")
    return [fleet.get(target.id) for target in selection.targets]


def record(node: pytest.Item, workers: list, judgement: divergence.Judgement, detail: str) -> None:
    """Each worker's outcome, and the divergence, for the parity report (parity/pytest_contract_plugin.py)."""
    outcomes = {w.id: (judgement.outcome_of(w.label), " ".join(judgement.reasons_of(w.label))) for w in workers}
    differs = judgement.unexpected or judgement.expected or judgement.not_observed
    recorded.record_cells(node, outcomes, detail if differs else "")


def send_to_all(workers: list, send) -> dict[str, Reply]:
    """The same request to every worker at once (each answers on its own server); replies keyed by target label."""
    with ThreadPoolExecutor(max_workers=len(workers)) as pool:
        replies = pool.map(lambda worker: worker.call(send), workers)
        return {worker.label: reply for worker, reply in zip(workers, replies, strict=True)}


def compare_replies(workers: list, replies: dict[str, Reply], case_id: str, compare: str = "bytes"):
    views = {label: divergence.comparable(reply, compare) for label, reply in replies.items()}
    targets = {worker.label: (worker.name, worker.runtime) for worker in workers}  # runtime None: --base-url
    return divergence.judge(case_id, views, EXPECTED, targets)


def case_param(case: corpus.Case):
    """Every case also checks byte parity itself (C14.1)."""
    rules = dict.fromkeys([*case.rules, "C14.1"])
    return pytest.param(case, id=case.id, marks=[pytest.mark.contract(*rules), pytest.mark.case(case.id)])


@pytest.mark.parametrize("case", [case_param(case) for case in CASES])
def test_corpus_case(case: corpus.Case, compared_workers: list, request: pytest.FixtureRequest) -> None:
    replies = send_to_all(compared_workers, case.send)
    judgement = compare_replies(compared_workers, replies, case.id, case.compare)
    names = ", ".join(replies)
    detail = judgement.report(f"case {case.id}: {case.describe()}\nworkers: {names}")
    record(request.node, compared_workers, judgement, detail)
    if judgement.failed:
        pytest.fail(detail, pytrace=False)
    if judgement.expected:
        pytest.xfail(" ".join(judgement.reasons))


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
@pytest.mark.case("generated submissions (hypothesis)")
def test_generated_submission(
    compared_workers: list, request: pytest.FixtureRequest, encoding: str, name: str, message: str
) -> None:
    # function_scoped_fixture is suppressed because `request` only serves to record properties; no state is reset.
    body, content_type = encode(encoding, name, message)
    replies = send_to_all(compared_workers, lambda base_url: request_form(base_url, body, content_type))
    judgement = compare_replies(compared_workers, replies, "generated-submission")
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


# --- the comparison itself (no workers needed) ----------------------------------------------------------------


def view(status: int = 200, body: bytes = b"ok", content_type: str | None = "text/plain; charset=utf-8") -> dict:
    return {"status": status, "body": body, "content-type": content_type, "allow": None, "cache-control": None}


def expect(worker: str, field: str = "status", runtime: str | None = None) -> divergence.ExpectedDifference:
    return divergence.ExpectedDifference("case", worker, field, f"{worker} cannot help it", runtime)


def test_agreeing_workers_pass() -> None:
    judgement = divergence.judge("case", {"js-worker": view(), "py-worker": view()}, [])
    assert not judgement.failed and not judgement.expected


def test_an_undeclared_difference_fails_the_minority() -> None:
    views = {"js-worker": view(), "py-worker": view(), "py-worker-minimal": view(400)}
    judgement = divergence.judge("case", views, [])
    assert judgement.failed
    assert [judgement.outcome_of(name) for name in views] == ["pass", "pass", "fail"]
    assert "status differs:\n  js-worker, py-worker: 200\n  py-worker-minimal: 400" in judgement.report("case")


def test_a_declared_difference_is_expected_and_strict() -> None:
    views = {"js-worker": view(), "py-worker": view(400)}
    judgement = divergence.judge("case", views, [expect("py-worker")])
    assert not judgement.failed and judgement.reasons == ["py-worker cannot help it"]
    assert [judgement.outcome_of(name) for name in views] == ["pass", "xfail"]
    no_longer = divergence.judge("case", {"js-worker": view(), "py-worker": view()}, [expect("py-worker")])
    assert no_longer.failed and "expected difference not observed" in no_longer.report("case")


def test_a_declaration_for_another_runtime_does_not_apply() -> None:
    views = {"js-worker": view(), "py-worker-minimal": view(400)}
    declared = [expect("py-worker-minimal", runtime="pyodide-workerd")]
    js = ("js-worker", "workerd")
    on_workerd = divergence.judge(
        "case", views, declared, {"js-worker": js, "py-worker-minimal": ("py-worker-minimal", "workerd")}
    )
    assert on_workerd.failed and not on_workerd.not_observed
    hosted = ("py-worker-minimal", "pyodide-workerd")
    assert not divergence.judge("case", views, declared, {"js-worker": js, "py-worker-minimal": hosted}).failed


def test_one_worker_in_two_runtimes_is_compared_per_runtime() -> None:
    views = {"js-worker": view(), "py-worker@workerd": view(), "py-worker@pyodide-workerd": view(400)}
    targets = {
        "js-worker": ("js-worker", "workerd"),
        "py-worker@workerd": ("py-worker", "workerd"),
        "py-worker@pyodide-workerd": ("py-worker", "pyodide-workerd"),
    }
    undeclared = divergence.judge("case", views, [], targets)
    assert [undeclared.outcome_of(label) for label in views] == ["pass", "pass", "fail"]
    declared = divergence.judge("case", views, [expect("py-worker", runtime="pyodide-workerd")], targets)
    assert not declared.failed
    assert [declared.outcome_of(label) for label in views] == ["pass", "pass", "xfail"]


def test_only_the_difference_c14_allows_is_masked() -> None:
    counter = Reply(200, {"content-type": "text/html"}, b'<p><span id="count">7</span></p>')
    assert divergence.comparable(counter, "counter-value")["body"] == b'<p><span id="count">(count masked)</span></p>'
    compact = Reply(200, {}, b'{"worker":"js-worker","d1":true}')
    spaced = Reply(200, {}, b'{"worker": "py-worker", "d1": true}')
    assert divergence.status_shape(compact.body) == b'{"worker":"(value masked)","d1":"(value masked)"}'
    assert divergence.status_shape(spaced.body).endswith(b"(not in compact JSON form)")


def test_body_diffs_show_invisible_characters_escaped() -> None:
    diff = divergence.body_diff(b"Thanks, a\x00b\xe2\x80\xae!\n", b"Thanks, ab!\n", "js-worker", "py-worker")
    assert "-Thanks, a\\x00b\\u202e!" in diff and "+Thanks, ab!" in diff
