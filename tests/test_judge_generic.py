"""The generic judge any project gets, on made-up answers (no workers, no oracle): agreement without a baseline,
blame with one, masks as data (and their counts), and a case's own `expect`."""

from __future__ import annotations

import pytest

from workers_parity.http.reply import Reply
from workers_parity.judge import divergence
from workers_parity.judge.expect import ExpectError, expect_from
from workers_parity.judge.masks import MaskError, Tally, mask_from

JSON = (("content-type", "application/json"),)


def answer(body: bytes, status: int = 200, headers=JSON) -> Reply:
    return Reply(status, headers, body)


def outcomes(judgement: divergence.Judgement, labels) -> list[str]:
    return [judgement.outcome_of(label) for label in labels]


def test_two_workers_that_disagree_both_fail_without_a_baseline() -> None:
    judgement = divergence.judge("c", {"js": answer(b'{"a":1}'), "py": answer(b'{"a":2}')})
    assert outcomes(judgement, ["js", "py"]) == ["fail", "fail"]  # neither is more right than the other
    assert "body differs (js 7 bytes, py 7 bytes)" in judgement.report("c")


def test_with_a_baseline_the_worker_apart_from_it_fails() -> None:
    replies = {"js": answer(b"1"), "py": answer(b"2"), "rs": answer(b"2")}
    judgement = divergence.judge("c", replies, baseline="js")
    assert outcomes(judgement, replies) == ["pass", "fail", "fail"]  # the majority does not outvote the baseline
    assert outcomes(divergence.judge("c", replies), replies) == ["fail", "pass", "pass"]  # without one, it does


def test_a_header_mask_hides_values_but_not_a_missing_header() -> None:
    mask = mask_from({"header": "X-Request-Id"}, "t:1")
    same = {name: answer(b"", headers=(*JSON, ("x-request-id", name))) for name in ("js", "py")}
    tally = Tally()
    assert not divergence.judge("c", same, masks=[mask], tally=tally).failed
    assert tally.rows()[0] == {
        "mask": "header x-request-id", "where": "t:1", "reason": "", "answers_seen": 2, "answers_changed": 2,
    }  # fmt: skip
    one_without = {"js": same["js"], "py": answer(b"")}
    judgement = divergence.judge("c", one_without, masks=[mask])
    assert judgement.failed and "header x-request-id differs" in judgement.report("c")


def test_a_body_mask_replaces_what_its_regex_matches_and_counts_what_it_changed() -> None:
    mask = mask_from({"body": r'"now":\d+', "reason": "the clock"}, "t:2")
    replies = {"js": answer(b'{"now":1,"x":1}'), "py": answer(b'{"now":2,"x":1}'), "rs": answer(b'{"x":1}')}
    tally = Tally()
    judgement = divergence.judge("c", {k: replies[k] for k in ("js", "py")}, masks=[mask], tally=tally)
    assert not judgement.failed
    judgement = divergence.judge("c", replies, masks=[mask], tally=tally)
    assert outcomes(judgement, replies) == ["pass", "pass", "fail"]  # rs has no clock at all
    row = tally.rows()[0]
    assert (row["answers_seen"], row["answers_changed"], row["reason"]) == (5, 4, "the clock")


def test_a_mask_that_hides_everything_shows_in_its_count() -> None:
    mask = mask_from({"body": "(?s).+"}, "t:3")
    tally = Tally()
    judgement = divergence.judge("c", {"js": answer(b"yes"), "py": answer(b"no")}, masks=[mask], tally=tally)
    assert not judgement.failed
    assert tally.rows()[0]["answers_changed"] == tally.rows()[0]["answers_seen"] == 2


def test_a_body_mask_keeps_bytes_that_are_not_utf8() -> None:
    mask = mask_from({"body": "id=\\d+", "replacement": "id=N"}, "t:4")
    view = {"status": 200, "body": b"\xff\xfe id=42 \x80"}
    assert mask.apply(view) and view["body"] == b"\xff\xfe id=N \x80"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"header": "a", "body": "b"}, "either"),
        ({}, "either"),
        ({"body": "("}, "bad mask regex"),
        ({"body": "a", "replacement": r"\3"}, "bad mask regex"),
        ({"header": "a", "why": "x"}, "unknown mask key 'why'"),
        ({"header": 3}, "must be a string"),
        ("date", "is a table"),
    ],
)
def test_a_mask_that_cannot_be_used_is_refused(entry, message: str) -> None:
    with pytest.raises(MaskError, match=message):
        mask_from(entry, "t:5")


def test_expect_fails_workers_that_agree_on_a_wrong_answer() -> None:
    expect = expect_from({"status": 201, "headers": {"content-type": "application/json"}, "json": {"id": 1}})
    replies = {"js": answer(b'{"id":2}'), "py": answer(b'{"id":2}')}
    judgement = divergence.judge("c", replies, checks={label: [expect] for label in replies})
    assert not judgement.unexpected and outcomes(judgement, replies) == ["fail", "fail"]
    report = judgement.report("c")
    assert "status: the case says 201, got 200" in report and "json $.id: the case says 1, got 2" in report


@pytest.mark.parametrize(
    ("expected", "body", "problem"),
    [
        ({"json": {"a": {"b": [1, 2]}}}, b'{"a":{"b":[1,2],"c":3},"d":4}', None),  # extra keys are fine
        ({"json": {"a": {"b": [1, 2]}}}, b'{"a":{"b":[1]}}', "json $.a.b"),  # arrays must be equal
        ({"json": {"ok": True}}, b'{"ok":1}', "json $.ok"),  # true is not 1
        ({"json": {"n": 1}}, b'{"n":1.0}', None),  # one JSON number
        ({"json": {"x": "y"}}, b"not json", "json"),
        ({"body": "exact"}, b"exact", None),
        ({"body": "exact"}, b"exact\n", "body"),
        ({"body_regex": "^[a-z]+$"}, b"abc", None),
        ({"body_regex": "^[a-z]+$"}, b"ab1", "body"),
        ({"headers": {"x-a": ["1", "2"]}}, b"", None),
        ({"headers": {"x-a": "1"}}, b"", "header x-a"),  # a repeated header is its values in order
    ],
)
def test_expect_checks_what_it_names(expected: dict, body: bytes, problem: str | None) -> None:
    reply = Reply(200, (("x-a", "1"), ("x-a", "2")), body)
    found = [mismatch.field for mismatch in expect_from(expected).mismatches(reply)]
    assert found == ([problem] if problem else [])


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"status": 700}, "HTTP status"),
        ({"status": True}, "HTTP status"),
        ({"stauts": 200}, "unknown expect key 'stauts'"),
        ({"body_regex": "(["}, "bad expect.body_regex"),
        ({"headers": {"a": 1}}, "string or a list"),
        ({"body": 3}, "must be a string"),
    ],
)
def test_an_expect_that_cannot_be_used_is_refused(entry: dict, message: str) -> None:
    with pytest.raises(ExpectError, match=message):
        expect_from(entry)
