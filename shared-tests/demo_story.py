"""The story our demo tells (`nox -s demo`): hello, the form, a <script> name sent back escaped, the counter three
times, a restart, the counter again, /status. contract_plugin.py hands it to workers-parity's demo."""

from __future__ import annotations

import contract_plugin

from workers_parity.demo.story import Call, Step

SCRIPT_NAME = '<script>alert("x")</script>'
MESSAGE = '5 > 3 & "quotes" stay text'


def counter_step(visit: int) -> Step:
    story = (
        "Each visit adds one to a row in D1 with a single `upsert ... returning` statement. Every worker "
        "started on an empty database, so all must show the same number."
        if visit == 1
        else "Once more."
    )
    return Step(f"Counter, visit {visit}", story, Call("GET", "/counter"), ('id="count"',))


STORY: tuple[Step, ...] = (
    Step("Hello", "The plain-text greeting.", Call("GET", "/hello")),
    Step(
        "The form page",
        "A complete HTML5 page; the browser enforces `required` and `maxlength` itself.",
        Call("GET", "/form"),
        ("<form ", "<input ", "<textarea "),
    ),
    Step(
        "Posting the form with a <script> name",
        "The name is a script tag and the message holds `>`, `&` and quotes: every worker must send them back "
        "HTML-escaped, so a browser shows the text and never runs it.",
        Call("POST", "/form", (("name", SCRIPT_NAME), ("message", MESSAGE))),
        ("<h1>", 'class="message"'),
    ),
    counter_step(1),
    counter_step(2),
    counter_step(3),
    Step(
        "Restarting the dev servers",
        "Every dev server is stopped (its whole process group) and started again on "
        "the same port and the same state folder, all at once.",
    ),
    Step(
        "Counter after the restart",
        "The count lives in D1 on disk, so it continues where it stopped.",
        Call("GET", "/counter"),
        ('id="count"',),
    ),
    Step(
        "Status",
        "What each worker is and what executes it. The values differ by design; the keys may not.",
        Call("GET", "/status"),
        json_body=True,
        masks=tuple(contract_plugin.answer_masks("status")),
    ),
)
