"""The differential judge with our contract's oracle and masks, on synthetic answers (no workers): comparison of
every header, the oracle, pinned expected differences. Each test breaks an answer the way a worker could and shows
the judge fails it. (The generic judge — masks, `expect`, baseline — is tests/test_judge_generic.py's.)"""

from __future__ import annotations

import hashlib
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import contract_plugin
import expected
import pytest

from workers_parity import project
from workers_parity.http import client
from workers_parity.http.client import Reply
from workers_parity.judge import divergence, pins
from workers_parity.judge.masks import Tally
from workers_parity.judge.oracle import ABSENT

ROOT = Path(__file__).resolve().parents[1]  # the repository

WORKERS = ("js-worker", "py-worker", "py-worker-minimal")
HELLO_HEADERS = (("content-type", expected.TEXT),)


def reply(worker: str, status: int = 200, body: bytes = expected.HELLO, headers=HELLO_HEADERS, **extra) -> Reply:
    """A worker's answer as the client would receive it; `extra` adds headers (name_with_underscores=value)."""
    more = tuple((name.replace("_", "-"), value) for name, value in extra.items())
    return Reply(status, (*headers, ("x-worker", worker), *more), body)


def judge(replies: dict[str, Reply], answer="hello", method="GET", path="/hello", pinned=()) -> divergence.Judgement:
    """As a corpus case is judged: the project's masks (x-worker) and the case's, and the contract's answer."""
    checks = {label: [expected.expectation(answer, method, path, label)] for label in replies}
    masks = (*project.current().config.masks, *contract_plugin.answer_masks(answer))
    return divergence.judge("case", replies, masks=masks, checks=checks, pins=list(pinned))


def test_agreeing_workers_with_the_contracts_answer_pass() -> None:
    judgement = judge({worker: reply(worker) for worker in WORKERS})
    assert not judgement.failed and not judgement.expected
    assert [judgement.outcome_of(worker) for worker in WORKERS] == ["pass", "pass", "pass"]


def test_a_stray_header_on_one_worker_fails_it() -> None:
    replies = {worker: reply(worker) for worker in WORKERS}
    replies["py-worker"] = reply("py-worker", set_cookie="session=1")
    judgement = judge(replies)
    assert judgement.failed
    assert [judgement.outcome_of(worker) for worker in WORKERS] == ["pass", "fail", "pass"]
    report = judgement.report("case")
    assert "header set-cookie differs:\n  js-worker, py-worker-minimal: (absent)\n  py-worker: 'session=1'" in report
    assert "py-worker is not the contract's answer" in report and "header set-cookie" in report


def test_a_stray_header_on_every_worker_fails_them_all() -> None:
    judgement = judge({worker: reply(worker, x_frame_options="DENY") for worker in WORKERS})
    assert not judgement.unexpected  # the workers agree with each other ...
    assert judgement.failed and set(judgement.wrong) == set(WORKERS)  # ... not with the contract
    assert [judgement.outcome_of(worker) for worker in WORKERS] == ["fail", "fail", "fail"]


def test_the_oracle_not_the_majority_decides_who_is_wrong() -> None:
    replies = {worker: reply(worker, body=b"Hello") for worker in WORKERS}
    replies["js-worker"] = reply("js-worker")  # the only right answer, in the minority
    judgement = judge(replies)
    assert [judgement.outcome_of(worker) for worker in WORKERS] == ["pass", "fail", "fail"]


def test_all_workers_agreeing_on_a_wrong_answer_fail() -> None:
    wrong = {worker: reply(worker, body=b"Hello World") for worker in WORKERS}
    judgement = judge(wrong)
    assert not judgement.unexpected  # they agree with each other ...
    assert judgement.failed and set(judgement.wrong) == set(WORKERS)  # ... and all differ from the contract
    assert "body: the contract says 36 bytes" in judgement.report("case")


def test_header_values_are_compared_exactly_and_repeated_headers_as_lists() -> None:
    once = reply("js-worker", headers=(("content-type", expected.TEXT), ("cache-control", "no-store")))
    twice = reply("py-worker", headers=(*once.headers[:2], ("cache-control", "no-store")))
    cased = reply("py-worker-minimal", headers=(("content-type", "text/plain; charset=UTF-8"), once.headers[1]))
    answers = zip(WORKERS, [once, twice, cased], strict=True)
    views = {label: divergence.view_of(answer) for label, answer in answers}
    fields = {d.field: d for d in divergence.compare(views)}
    assert fields["header cache-control"].groups[1] == (("py-worker",), ("no-store", "no-store"))
    assert fields["header content-type"].minority == ("py-worker-minimal",)


def test_outvoted_is_the_minority_of_a_strict_majority_else_everyone() -> None:
    def body_divergence(bodies: dict[str, bytes]) -> divergence.Divergence:
        masks = project.current().config.masks  # x-worker
        views = {
            label: Tally().masked(divergence.view_of(reply(label, body=body)), masks) for label, body in bodies.items()
        }
        (only,) = divergence.compare(views)
        return only

    two_to_one = body_divergence({"js-worker": b"a", "py-worker": b"b", "py-worker-minimal": b"a"})
    assert two_to_one.outvoted == two_to_one.minority == ("py-worker",)
    all_apart = body_divergence({worker: worker.encode() for worker in WORKERS})
    assert all_apart.minority == WORKERS[1:]  # the first worker breaks the tie for the judge ...
    assert all_apart.outvoted == WORKERS  # ... but none of the three is more right than the others
    assert body_divergence({"js-worker": b"a", "py-worker": b"b"}).outvoted == ("js-worker", "py-worker")


def test_transport_headers_are_not_compared_and_x_worker_must_name_the_worker_itself() -> None:
    replies = {
        "js-worker": reply("js-worker", transfer_encoding="chunked", date="Mon, 01 Jan 2024 00:00:00 GMT"),
        "py-worker": reply("py-worker", content_length="36", connection="close"),
    }
    assert not judge(replies).failed
    impostor = {"js-worker": reply("js-worker"), "py-worker": reply("js-worker")}  # py-worker says js-worker
    judgement = judge(impostor)
    assert judgement.outcome_of("py-worker") == "fail" and "header x-worker" in judgement.report("case")


def test_head_content_length_is_absent_or_the_get_bodys_length() -> None:
    def head(length: str | None) -> Reply:
        extra = {"content_length": length} if length is not None else {}
        return reply("js-worker", body=b"", **extra)

    rule = expected.expectation("hello", "HEAD", "/hello", "js-worker")
    assert rule.content_length == (ABSENT, str(len(expected.HELLO)))
    assert not rule.mismatches(head(None)) and not rule.mismatches(head("36"))
    assert [m.field for m in rule.mismatches(head("0"))] == ["content-length"]
    assert [m.field for m in rule.mismatches(reply("js-worker"))] == ["body"]  # a HEAD answer with a body


def test_counter_and_status_bodies_are_checked_by_rule() -> None:
    page = reply("js-worker", body=expected.counter_page(7), headers=(("content-type", expected.HTML),))
    counter = expected.expectation("counter", "GET", "/counter", "js-worker")
    assert [m.field for m in counter.mismatches(page)] == ["header cache-control"]
    status = expected.expectation("status", "GET", "/status", "py-worker")
    good = (
        b'{"worker":"py-worker","language":"python","runtime":"Cloudflare-Workers","python_version":"3.13.2","d1":true}'
    )
    json_headers = (("content-type", expected.JSON),)
    assert not status.mismatches(reply("py-worker", body=good, headers=json_headers))
    spaced = good.replace(b",", b", ")
    assert "compact form" in status.mismatches(reply("py-worker", body=spaced, headers=json_headers))[0].actual


# --- pinned expected differences -----------------------------------------------------------------------------


def digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def pin(**answers: Reply) -> pins.PinnedDifference:
    entry = {
        "case": "case",
        "workers": ["py"],
        "reason": "py-worker cannot help it",
        "answers": {key: {"status": r.status, "sha256": digest(r.body)} for key, r in answers.items()},
    }
    return pins.parse(entry, project.current())


MALFORMED = expected.NAMED_ANSWERS["malformed"][2]


def form_reply(worker: str, status: int, body: bytes) -> Reply:
    return reply(worker, status, body, (("content-type", expected.HTML),))


def pinned_case() -> tuple[dict[str, Reply], pins.PinnedDifference]:
    """js-worker thanks Ada (the contract's answer); py-worker, pinned as deviating, says malformed."""
    replies = {
        "js-worker": form_reply("js-worker", 200, expected.thanks_page("Ada")),
        "py-worker": form_reply("py-worker", 400, MALFORMED),
    }
    return replies, pin(js=replies["js-worker"], py=replies["py-worker"])


def test_a_pinned_difference_is_expected_while_every_answer_is_the_pinned_one() -> None:
    replies, pinned = pinned_case()
    judgement = judge(replies, {"name": "Ada"}, "POST", "/form", [pinned])
    assert not judgement.failed and judgement.reasons == ["py-worker cannot help it"]
    assert [judgement.outcome_of(worker) for worker in replies] == ["pass", "xfail"]


def test_a_changed_answer_to_a_pinned_case_fails() -> None:
    replies, pinned = pinned_case()
    replies["py-worker"] = form_reply("py-worker", 400, expected.form_page(error=expected.NAME_REQUIRED))
    judgement = judge(replies, {"name": "Ada"}, "POST", "/form", [pinned])
    assert judgement.failed and judgement.outcome_of("py-worker") == "fail"
    assert "py-worker changed its answer to a pinned expected difference" in judgement.report("case")


def test_a_pinned_difference_that_disappears_fails() -> None:
    replies, pinned = pinned_case()
    replies["py-worker"] = form_reply("py-worker", 200, expected.thanks_page("Ada"))
    judgement = judge(replies, {"name": "Ada"}, "POST", "/form", [pinned])
    assert judgement.failed and judgement.outcome_of("py-worker") == "fail"


def test_a_changed_reference_answer_fails_too() -> None:
    replies, pinned = pinned_case()
    replies["js-worker"] = form_reply("js-worker", 200, expected.thanks_page("Bob"))
    judgement = judge(replies, {"name": "Ada"}, "POST", "/form", [pinned])
    assert judgement.failed and judgement.outcome_of("js-worker") == "fail"


def test_a_pin_for_one_runtime_applies_to_that_runtime_only() -> None:
    malformed = form_reply("py-worker", 400, MALFORMED)
    js = form_reply("js-worker", 200, expected.thanks_page("Ada"))
    only_hosted = pins.parse(
        {
            "case": "case",
            "workers": ["py"],
            "reason": "r",
            "answers": {
                "js": {"status": 200, "sha256": digest(js.body)},
                "py@pyodide-workerd": {"status": 400, "sha256": digest(malformed.body)},
            },
        },
        project.current(),
    )
    assert only_hosted.answer_for("py-worker", "pyodide-workerd").status == 400
    assert only_hosted.answer_for("py-worker", "workerd") is None
    targets = {"js-worker": ("js-worker", "workerd"), "py-worker": ("py-worker", "workerd")}
    replies = {"js-worker": js, "py-worker": malformed}
    masks = project.current().config.masks  # x-worker
    on_workerd = divergence.judge("case", replies, targets, masks=masks, pins=[only_hosted])
    assert on_workerd.failed  # no pinned answer for py-worker on workerd: an ordinary divergence
    hosted = {**targets, "py-worker": ("py-worker", "pyodide-workerd")}
    assert not divergence.judge("case", replies, hosted, masks=masks, pins=[only_hosted]).failed


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"reason": " "}, "reason"),
        ({"workers": ["nope"]}, "unknown worker"),
        ({"workers": ["py-minimal"]}, "each with a pinned answer"),
        ({"answers": {"js": {"status": 200, "sha256": "0" * 64}, "py": {"status": 200, "sha256": "0" * 64}}}, "same"),
        ({"answers": {"js": {"status": 200, "sha256": "short"}, "py": {"status": 400, "sha256": "0" * 64}}}, "hex"),
        ({"field": "status"}, "exactly the keys"),
    ],
)
def test_malformed_pins_are_rejected(change: dict, message: str) -> None:
    entry = {
        "case": "case",
        "workers": ["py"],
        "reason": "r",
        "answers": {"js": {"status": 200, "sha256": "0" * 64}, "py": {"status": 400, "sha256": "1" * 64}},
        **change,
    }
    with pytest.raises(pins.PinError, match=message):
        pins.parse(entry, project.current())


# --- what the client receives -------------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("X-Twice", "one")
        self.send_header("x-twice", "two")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args) -> None:
        pass


def test_the_client_keeps_every_header_in_order_with_lowercased_names() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        received = client.get(f"http://127.0.0.1:{server.server_address[1]}", "/")
    finally:
        server.shutdown()
        server.server_close()
    assert received.header_values("X-Twice") == ("one", "two")
    assert received.header("x-twice") == "one, two"
    compared = received.compared_headers()
    assert compared["x-twice"] == ("one", "two") and compared["content-type"] == ("text/plain",)
    assert "content-length" not in compared  # a transport header


def test_contract_md_lists_exactly_the_transport_headers() -> None:
    contract = (ROOT / "shared-tests" / "CONTRACT.md").read_text()
    table = contract.split("- **C14.2**", 1)[1].split("\n### ", 1)[0]
    assert re.findall(r"^  \| `([a-z-]+)` +\|", table, re.MULTILINE) == list(client.TRANSPORT_HEADERS)
