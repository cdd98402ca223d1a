"""Every case sent to every target in file order: one thread per target, so each worker answers at its own pace and
sees the cases in the same order as every other worker (a POST, then the GET that checks it)."""

from __future__ import annotations

import http.client
from collections.abc import Sequence

import requests

from workers_parity.cases.model import Case
from workers_parity.http import client, everywhere
from workers_parity.run.judging import Answer

NOT_STARTED = "its dev server did not start"


def replay(cases: Sequence[Case], base_urls: dict[str, str | None]) -> dict[str, list[Answer]]:
    """Each target's answers (keyed by target id) to the cases, in order; a target without a URL answers none."""
    return everywhere.at_once(base_urls, lambda base_url: send_all(cases, base_url))


def send_all(cases: Sequence[Case], base_url: str | None) -> list[Answer]:
    if base_url is None:
        return [NOT_STARTED] * len(cases)
    with client.new_session() as session:
        return [send(case, base_url, session) for case in cases]


def send(case: Case, base_url: str, session: requests.Session | None = None) -> Answer:
    """The reply, or why there is none (the case's own failure, kept as this target's answer)."""
    try:
        return case.send(base_url, session)
    except (OSError, http.client.HTTPException, requests.RequestException) as error:
        return f"{type(error).__name__}: {error}"
