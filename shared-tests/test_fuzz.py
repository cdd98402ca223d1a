"""Deep differential fuzzing: generated raw requests (fuzz_requests.py) sent to every selected worker, the answers
compared with each other and with the contract's (expected.py), as the corpus cases are (CONTRACT.md C14), by the
fuzzer of fuzzing.py.

Without options it runs a fixed budget from a derandomized seed (CI, `nox -s tests`); `nox -s fuzz` runs 2,000
examples from a random seed (`-- --examples N` to change it). A failing request is shrunk by hypothesis, printed as
a shell command that reproduces it, and added to shared-tests/corpus-found.toml, whose cases every run replays.
"""

from __future__ import annotations

import contextlib
import time

import pytest
from fuzzing import Divergence, Fuzzer, failure_report, run_fuzzer

from workers_parity import project
from workers_parity.run import suite


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
