"""The differential fuzzer test_fuzz.py runs: each generated raw request (fuzz_requests.py) sent to every worker and
judged against the others and the contract's answer (expected.py); a divergence shrunk by hypothesis becomes a shell
command that reproduces it and a case in the found-cases file. Its own tests, against workers simulated from the
oracle, are tests/test_fuzzer.py."""

from __future__ import annotations

import http.client
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import contract_forms
import contract_plugin
import expected
import fuzz_requests
from differential import judge_replies, send_to_all
from hypothesis import HealthCheck, Phase, given, settings

from workers_parity.cases import write
from workers_parity.http import bodies
from workers_parity.http.client import Reply
from workers_parity.http.rawrequest import RawRequest
from workers_parity.run.judging import first_lines

# The rule the contract's answer exercises, for the case written for a failing request (besides C14.1).
ANSWER_RULES = {
    "hello": "C2.1",
    "form-page": "C3.1",
    "not-found": "C11.1",
    "method-not-allowed": "C12.1",
    "unsupported-media-type": "C6.1",
    "payload-too-large": "C7.1",
    "malformed": "C5.4",
    "counter": "C8.1",
    "status": "C9.1",
}


class Divergence(AssertionError):
    """A request the workers answered differently, or not as the contract says."""


@dataclass
class Fuzzer:
    workers: list
    exchange: Callable[[RawRequest, str], Reply] = RawRequest.send  # (request, base URL) -> reply
    failures: list[tuple[RawRequest, str, str | dict[str, str], str]] = field(default_factory=list)
    answers: Counter = field(default_factory=Counter)  # how often each contract answer was asked for

    def check(self, raw: RawRequest) -> None:
        """Send one request to every worker and judge the answers; raise Divergence with the details."""
        answer = expected.outcome(raw.method, raw.target_text(), raw.seen_headers(), raw.body)
        self.answers[summary(answer)] += 1
        replies, errors = self.send(raw)
        heading = f"request: {raw.describe()}"
        if errors:
            detail = "\n\n".join([heading, *(f"{label} gave no answer: {error}" for label, error in errors.items())])
        else:
            judgement = judge_replies(self.workers, replies, "fuzz", answer, raw.method, raw.target_text())
            if not judgement.failed:
                return
            detail = judgement.report(heading)
        self.failures.append((raw, detail, answer, first_lines(detail)))
        raise Divergence(detail)

    def send(self, raw: RawRequest) -> tuple[dict[str, Reply], dict[str, str]]:
        """Every worker's reply, and the workers that gave none (a closed connection, a timeout)."""

        def attempt(base_url: str, _session) -> Reply | str:  # raw bytes: the worker's requests session is not used
            try:
                return self.exchange(raw, base_url)
            except (OSError, http.client.HTTPException) as error:
                return f"{type(error).__name__}: {error}"

        outcomes = send_to_all(self.workers, attempt)
        errors = {label: outcome for label, outcome in outcomes.items() if isinstance(outcome, str)}
        return outcomes, errors


def summary(answer: str | dict[str, str]) -> str:
    if isinstance(answer, str):
        return answer
    status, _ = expected.submission_answer(answer)
    return f"form fields, {status}"


def written_case(raw: RawRequest, answer: str | dict[str, str], what: str, path: Path) -> tuple[str, bool]:
    """Add the request to the found cases; (its case id, whether it was new)."""
    if isinstance(answer, str):
        rule = ANSWER_RULES[answer]
    else:  # the fields of a form post: how they were parsed
        multipart = contract_forms.media_type(raw.seen_headers().get("content-type")) == bodies.MULTIPART
        rule = "C4.4" if multipart else "C4.3"
    note = f"found by test_fuzz.py on {time.strftime('%Y-%m-%d')}: {what}"[:300]
    extra: dict[str, object] = {"rules": [rule, "C14.1"]}
    masks = contract_plugin.ANSWER_MASKS.get(answer) if isinstance(answer, str) else None
    if masks:
        extra["mask"] = [masks]
    added = write.append(path, write.exact_case(raw, note, extra))
    return write.case_id(raw), added


def failure_report(fuzzer: Fuzzer, found_path: Path) -> str:
    """The shrunk request (hypothesis checks it last): what diverged, a command that reproduces it against the first
    worker, and the corpus case it became."""
    raw, detail, answer, what = fuzzer.failures[-1]
    case, added = written_case(raw, answer, what, found_path)
    first = fuzzer.workers[0]
    return (
        f"{detail}\n\nreproduce ({first.label}):\n{raw.reproduction(first.base_url)}\n\n"
        f"case {case} {'added to' if added else 'already in'} {found_path}: commit it with the fix"
    )


def run_fuzzer(fuzzer: Fuzzer, examples: int, derandomize: bool) -> None:
    @settings(
        max_examples=examples,
        derandomize=derandomize,
        database=None if derandomize else settings.default.database,
        deadline=None,
        report_multiple_bugs=False,  # one shrunk request, the last one checked
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],  # no explain: it re-sends a lot
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(fuzz_requests.requests(RawRequest))
    def fuzzed_request(raw: RawRequest) -> None:
        fuzzer.check(raw)

    fuzzed_request()
