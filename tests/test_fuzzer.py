"""The fuzzer of shared-tests/fuzzing.py against workers simulated from the contract's oracle (expected.py), no
servers: it passes workers that follow the contract, shrinks a divergence to what it needs and writes it as a case,
and generates no request beyond the header size the contract promises."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import contract_forms
import contract_plugin
import expected
import fuzz_requests
import pytest
from fuzzing import Divergence, Fuzzer, failure_report, run_fuzzer
from hypothesis import HealthCheck, find, settings
from hypothesis.errors import NoSuchExample

from workers_parity.cases import load as case_files
from workers_parity.http.client import Reply
from workers_parity.http.rawrequest import RawRequest


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
