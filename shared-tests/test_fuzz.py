"""Deep differential fuzzing: generated raw requests (fuzz_requests.py) sent to every selected worker, the answers
compared with each other and with the contract's (expected.py), as the corpus cases are (CONTRACT.md C14).

Without options it runs a fixed budget from a derandomized seed (CI, `nox -s tests`); `nox -s fuzz` runs 2,000
examples from a random seed (`-- --examples N` to change it). A failing request is shrunk by hypothesis, printed as
a shell command that reproduces it, and added to shared-tests/corpus-found.toml, whose cases every run replays.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import contract_forms
import contract_plugin
import expected
import fuzz_requests
import pytest
from differential import judge_replies, send_to_all
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis.errors import NoSuchExample

from workers_parity import project
from workers_parity.cases import load as case_files
from workers_parity.cases import write
from workers_parity.http import bodies
from workers_parity.http.client import Reply
from workers_parity.http.rawrequest import RawRequest
from workers_parity.run import suite
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


@pytest.mark.contract("C2", "C3", "C4", "C5", "C6", "C7", "C10", "C11", "C12", "C14.1")
@pytest.mark.case("fuzzed requests (hypothesis)")
def test_fuzzed_requests(compared_workers: list, fuzz_budget: tuple[int, bool]) -> None:
    examples, derandomize = fuzz_budget
    fuzzer = Fuzzer(compared_workers)
    started = time.monotonic()
    with contextlib.suppress(Divergence):  # reported below, outside the handler, so that pytest prints it once
        run_fuzzer(fuzzer, examples, derandomize)
    if fuzzer.failures:
        pytest.fail(failure_report(fuzzer, suite.found_path(project.current())), pytrace=False)
    seconds = time.monotonic() - started
    answers = ", ".join(f"{answer} {count}" for answer, count in fuzzer.answers.most_common())
    print(
        f"\nfuzz: {fuzzer.answers.total()} requests x {len(compared_workers)} workers in {seconds:.0f} s, no divergence"
    )
    print(f"fuzz: the contract's answers: {answers}")


# --- the fuzzer itself, against workers simulated from the oracle (no servers) ---------------------------------


@dataclass
class SimulatedWorker:
    """A worker that answers what the contract says (expected.py), but for the requests `broken` picks."""

    name: str
    broken: Callable[[RawRequest], bool] = lambda raw: False
    runtime = None
    label = property(lambda self: self.name)
    base_url = property(lambda self: f"http://{self.name}.invalid")

    def call(self, send: Callable[[str], Reply]) -> Reply:
        return send(self.base_url)

    def answer(self, raw: RawRequest) -> Reply:
        answer = expected.outcome(raw.method, raw.target_text(), raw.seen_headers(), raw.body)
        wanted = expected.expectation(answer, raw.method, raw.target_text(), self.name)
        body = wanted.body
        if body is None:  # judged by a check: the counter and /status
            body = expected.counter_page(1) if answer == "counter" else self.status_body()
        headers = tuple((name, value) for name, values in wanted.headers.items() for value in values)
        if self.broken(raw):
            headers += (("x-stray", "1"),)
        return Reply(wanted.status, headers, b"" if raw.method == "HEAD" else body)

    def status_body(self) -> bytes:
        python = self.name != "js-worker"
        report = {"worker": self.name, "language": "python" if python else "javascript", "runtime": "x"}
        report |= {"python_version": "3.14.0" if python else None, "d1": True}
        return json.dumps(report, separators=(",", ":")).encode()


def simulated_fuzzer(broken: Callable[[RawRequest], bool]) -> Fuzzer:
    workers = [SimulatedWorker("js-worker"), SimulatedWorker("py-worker", broken), SimulatedWorker("py-worker-minimal")]
    by_url = {worker.base_url: worker for worker in workers}
    return Fuzzer(workers, exchange=lambda raw, base_url: by_url[base_url].answer(raw))


def test_simulated_workers_that_follow_the_contract_pass() -> None:
    fuzzer = simulated_fuzzer(lambda raw: False)
    run_fuzzer(fuzzer, 60, derandomize=True)
    assert fuzzer.answers.total() >= 60 and not fuzzer.failures
    assert len(fuzzer.answers) >= 5, fuzzer.answers  # many kinds of answer, not one


def test_a_divergence_is_shrunk_reproduced_and_written_as_a_corpus_case(tmp_path: Path) -> None:
    def broken(raw: RawRequest) -> bool:  # a stray header on py-worker when the boundary holds a space
        return " " in (contract_forms.boundary(raw.seen_headers().get("content-type", "")) or "")

    fuzzer = simulated_fuzzer(broken)
    with pytest.raises(Divergence):
        run_fuzzer(fuzzer, 600, derandomize=True)
    found = tmp_path / "found.toml"
    report = failure_report(fuzzer, found)

    shrunk = fuzzer.failures[-1][0]
    assert broken(shrunk)
    # Only what the divergence needs is left: one header, a short body if any, a plain target.
    assert shrunk.target in ("/", "/form") and shrunk.chunk_size is None, shrunk
    assert len(shrunk.headers) == 1 and len(shrunk.body or b"") < 20, shrunk
    assert "header x-stray differs" in report and "py-worker" in report
    assert "curl --raw " in report and "-H 'Content-Type: " in report and "boundary=" in report
    (case,) = load_found(found)
    assert case.exact == shrunk and case.id in report and case.extra["rules"][-1] == "C14.1"
    failure_report(fuzzer, found)
    assert "already in" in failure_report(fuzzer, found) and len(load_found(found)) == 1


def load_found(path: Path) -> list:
    return case_files.load([path], frozenset(contract_plugin.CASE_KEYS), contract_plugin.check_case)


def test_no_generated_head_goes_beyond_the_promised_256_kib() -> None:
    """Between 256 KiB and workerd's limit near 492,000 bytes, workerd answers 200 or 431 from one try to the next
    (C16.2): a request there would make the fuzzer flaky, so none is generated."""
    rest = len(RawRequest("GET", "/", (("X-Long", "a"),)).head(fuzz_requests.WIDEST_AUTHORITY)) - 1
    at_the_promise = RawRequest("GET", "/", (("X-Long", "a" * (fuzz_requests.HEAD_PROMISE - rest)),))
    beyond = RawRequest("GET", "/", (("X-Long", "a" * (fuzz_requests.HEAD_PROMISE - rest + 1)),))
    assert fuzz_requests.head_promised(at_the_promise) and not fuzz_requests.head_promised(beyond)
    built = itertools.cycle((beyond, at_the_promise))  # every other request built is beyond the promise
    with pytest.raises(NoSuchExample):  # requests are yielded, but never one beyond
        find(
            fuzz_requests.requests(lambda *parts: next(built)),
            lambda raw: raw is beyond,
            settings=settings(max_examples=10, database=None, suppress_health_check=list(HealthCheck)),
        )
