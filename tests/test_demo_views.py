"""How the demo shows a step, from a made-up outcome (no servers): the side-by-side terminal table flags the worker
that differs, the transcript keeps every answer in one table cell and never turns a body into HTML."""

from __future__ import annotations

from parity.demo import terminal, transcript
from parity.demo.execution import Outcome, Row
from parity.demo.story import Call, Step
from parity.render import terminal as render_terminal

WORKERS = ["js", "py", "py-minimal"]
STEP = Step("Posting a <b> name", "Narration.", Call("POST", "/form", (("name", "<b>"),)))


def an_outcome() -> Outcome:
    body = {"js": ["<h1>&lt;b&gt;</h1>", "a|b"], "py": ["<h1>&lt;b&gt;</h1>", "a|b"], "py-minimal": ["<h1><b></h1>"]}
    rows = [
        Row("status", {key: ["200"] for key in WORKERS}),
        Row("x-worker", {key: [f"{key}-worker"] for key in WORKERS}, compared=False),
        Row("body", body),
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
