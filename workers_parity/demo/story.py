"""What a demo's story is made of: steps, each with its narration and the request it sends, shown as the curl command
that sends the same bytes. A project tells its own story (its plug-in's `demo_story()`; ours is
shared-tests/demo_story.py)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from workers_parity.http import bodies
from workers_parity.judge.masks import Mask


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
    json_body: bool = False  # show the keys of a JSON object body, and its values quietly
    masks: tuple[Mask, ...] = ()  # what this step's answers may differ in, besides the project's masks
