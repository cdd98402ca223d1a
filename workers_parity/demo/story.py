"""The story the demo tells: each step's narration and the request it sends, shown as the curl command that sends
the same bytes."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from workers_parity.http import bodies

SCRIPT_NAME = '<script>alert("x")</script>'
MESSAGE = '5 > 3 & "quotes" stay text'


@dataclass(frozen=True)
class Call:
    """One HTTP request of the story, sent byte for byte as the `curl` command shown for it would send it."""

    method: str
    path: str
    form: tuple[tuple[str, str], ...] = ()

    def body(self) -> bytes | None:
        return bodies.data_urlencode(self.form) if self.form else None

    def headers(self) -> dict[str, str]:
        return {"content-type": bodies.URLENCODED} if self.form else {}

    def curl(self) -> str:
        fields = [f"--data-urlencode {shlex.quote(f'{name}={value}')}" for name, value in self.form]
        return " ".join(["curl -i", f'"$URL{self.path}"', *fields])


@dataclass(frozen=True)
class Step:
    title: str
    story: str  # one or two sentences of narration
    call: Call | None = None  # None: restart the dev servers
    lines_of_interest: tuple[str, ...] = ()  # body lines containing one of these are shown
    json_body: bool = False  # compare the set of keys; the values describe each worker


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
    ),
)
