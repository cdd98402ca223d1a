"""Every case sent to every target in file order: one thread per target, so each worker answers at its own pace and
sees the cases in the same order as every other worker (a POST, then the GET that checks it)."""

from __future__ import annotations

import http.client
import time
from collections.abc import Sequence
from dataclasses import dataclass

import requests

from workers_parity.cases.model import Case
from workers_parity.http import client, everywhere
from workers_parity.run.judging import Answer

NOT_STARTED = "its dev server did not start"


@dataclass(frozen=True)
class Replayed:
    answers: list[Answer]  # one per case, in order
    seconds: float | None  # from the first request to the last answer; None when nothing was sent


def replay(cases: Sequence[Case], base_urls: dict[str, str | None]) -> dict[str, Replayed]:
    """Each target's answers (keyed by target id) to the cases, in order; a target without a URL answers none."""
    return everywhere.at_once(base_urls, lambda base_url: send_all(cases, base_url))


def send_all(cases: Sequence[Case], base_url: str | None) -> Replayed:
    if base_url is None:
        return Replayed([NOT_STARTED] * len(cases), None)
    began = time.perf_counter()
    with client.new_session() as session:
        answers = [send(case, base_url, session) for case in cases]
    return Replayed(answers, time.perf_counter() - began)


def send(case: Case, base_url: str, session: requests.Session | None = None) -> Answer:
    """The reply, or why there is none (the case's own failure, kept as this target's answer)."""
    try:
        return case.send(base_url, session)
    except (OSError, http.client.HTTPException, requests.RequestException) as error:
        return f"{type(error).__name__}: {error}"
