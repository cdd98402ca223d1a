"""How the demo judges and shows a step, from made-up answers (no servers): the answers are compared as a run
compares them (judge.divergence, the project's masks and the step's), the side-by-side terminal table flags the
worker that differs, the transcript keeps every answer in one table cell and never turns a body into HTML."""

from __future__ import annotations

from demo_story import STORY

from workers_parity import project
from workers_parity.demo import execution, terminal, transcript
from workers_parity.demo.execution import Outcome, Row
from workers_parity.demo.story import Call, Step
from workers_parity.http.client import Reply
from workers_parity.render import terminal as render_terminal

WORKERS = ["js", "py", "py-minimal"]
STEP = Step("Posting a <b> name", "Narration.", Call("POST", "/form", (("name", "<b>"),)))


def an_outcome() -> Outcome:
    body = {"js": ["<h1>&lt;b&gt;</h1>", "a|b"], "py": ["<h1>&lt;b&gt;</h1>", "a|b"], "py-minimal": ["<h1><b></h1>"]}
    rows = [
        Row("status", {key: ["200"] for key in WORKERS}),
        Row("x-worker", {key: [f"{key}-worker"] for key in WORKERS}, quiet=True),
        Row("body", body, differing=frozenset({"py-minimal"})),
    ]
    return Outcome(3, STEP, rows, "differs in: body", False, [STEP.call.curl()])


def test_the_terminal_shows_the_step_and_flags_the_differing_worker() -> None:
    shown = render_terminal.captured(colour=True, width=160)
    terminal.show_step(an_outcome(), WORKERS, shown)
    text = render_terminal.text_of(shown)
    assert "3. Posting a <b> name" in text and "$ curl -i \"$URL/form\" --data-urlencode 'name=<b>'" in text
    assert "✘ differs in: body" in text
    flagged = [line for line in text.splitlines() if "<h1><b></h1>" in line][0]
    assert "\x1b[1;31m<h1><b></h1>" in flagged  # py-minimal's cell in the alarm colour, the others not
    assert "\x1b[1;31m<h1>&lt;b&gt;</h1>" not in flagged


def test_the_transcript_keeps_answers_in_their_cells_as_code() -> None:
    page = transcript.step(an_outcome(), WORKERS)
    assert "## 3. Posting a &lt;b&gt; name" in page
    body = next(line for line in page.splitlines() if line.startswith("| body |"))
    assert body == (
        "| body | `<h1>&lt;b&gt;</h1>`<br>`a\\|b` | `<h1>&lt;b&gt;</h1>`<br>`a\\|b` | **≠** `<h1><b></h1>` |"
    )
    assert "| x-worker | `js-worker` | `py-worker` | `py-minimal-worker` |" in page
    assert "Verdict: ✘ **differs in: body**" in page


def test_the_summary_lists_every_step_with_its_verdict() -> None:
    text = transcript.summary([an_outcome()])
    assert "| 3. Posting a &lt;b&gt; name | ✘ differs in: body |" in text


NAMES = {"js": "js-worker", "py": "py-worker", "py-minimal": "py-worker-minimal"}
HELLO = STORY[0]


def answer(key: str, body: bytes = b"Hello", *headers: tuple[str, str], names_itself: bool = True) -> Reply:
    x_worker = NAMES[key] if names_itself else "js-worker"
    return Reply(200, (("content-type", "text/plain"), *headers, ("x-worker", x_worker)), body)


def judged(step: Step, replies: dict) -> tuple[dict[str, Row], str, bool]:
    masks = (*project.current().config.masks, *step.masks)  # ours: x-worker; the status step's: its values
    rows = execution.reply_rows(step, replies, execution.compare(replies, masks), {"x-worker"})
    verdict, ok = execution.request_verdict(rows, step, [key for key, r in replies.items() if not isinstance(r, Reply)])
    return {row.label: row for row in rows}, verdict, ok


def test_answers_alike_but_for_transport_headers_and_each_workers_name_are_identical() -> None:
    replies = {key: answer(key) for key in WORKERS}
    replies["py"] = answer("py", b"Hello", ("content-length", "5"), ("connection", "close"))
    rows, verdict, ok = judged(HELLO, replies)
    assert (verdict, ok) == ("identical", True)
    assert "content-length" not in rows and not any(row.differing for row in rows.values())


def test_the_demo_compares_as_a_run_every_header_by_its_values_but_a_masked_one() -> None:
    replies = {key: answer(key) for key in WORKERS}
    replies["py"] = answer("py", b"Hello", ("cache-control", "a"), ("cache-control", "b"))
    replies["py-minimal"] = answer("py-minimal", b"Hello", ("cache-control", "a, b"), names_itself=False)
    rows, verdict, ok = judged(HELLO, replies)
    assert not ok and verdict == "differs in: cache-control"
    assert rows["cache-control"].differing == set(WORKERS)  # absent, two lines, one line: no majority
    # x-worker is masked (workers-parity.toml): shown dim and last, not compared; the suite's oracle checks it
    assert rows["x-worker"].quiet and not rows["x-worker"].differing and list(rows)[-2:] == ["x-worker", "body"]


def test_a_differing_body_is_flagged_with_its_first_different_line_and_silence_is_no_answer() -> None:
    bodies = {"js": b"a\nb\n", "py": b"a\nc\n", "py-minimal": b"a\nb\n"}
    replies = {key: answer(key, body) for key, body in bodies.items()}
    rows, verdict, ok = judged(HELLO, replies)
    assert not ok and verdict == "differs in: body"
    assert rows["body"].differing == {"py"} and rows["body"].cells["py"][-1] == "line 2 differs: c"
    rows, verdict, ok = judged(HELLO, {**replies, "py-minimal": OSError("refused")})
    assert not ok and verdict == "no answer from py-minimal; differs in: body"
    assert rows["body"].differing == {"js", "py"}  # one against one: neither is the majority
    assert rows["status"].silent == {"py-minimal"} and rows["status"].cells["py-minimal"] == ["no answer: refused"]


def test_status_keys_are_compared_in_order_and_in_compact_form_values_not() -> None:
    status = next(step for step in STORY if step.json_body)
    bodies = {
        "js": b'{"worker":"js-worker","language":"javascript"}',
        "py": b'{"worker":"py-worker","language":"python"}',
        "py-minimal": b'{"language": "python", "worker": "py-worker-minimal"}',
    }
    rows, verdict, ok = judged(status, {key: answer(key, body) for key, body in bodies.items()})
    assert not ok and verdict == "differs in: json keys"
    assert rows["json keys"].differing == {"py-minimal"}
    assert rows["json keys"].cells["py-minimal"] == ["language, worker", "(not in compact JSON form)"]
    bodies["py-minimal"] = b'{"worker":"py-worker-minimal","language":"python"}'
    assert judged(status, {key: answer(key, body) for key, body in bodies.items()})[1:] == (
        "identical keys, in order; the values describe each worker",
        True,
    )
