"""The results plugin and the report together, on a small made-up suite run by a real pytest (no workers needed):
what tests record, and a run narrowed by -k, stopped by -x or interrupted is PARTIAL or FAIL, never PASS."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from workers_parity.plugins import results
from workers_parity.report import model

CONFTEST = """
import pytest
from workers_parity.plugins import pytest_results as recorded, results

TARGETS = {"js": ("js", "workerd"), "py": ("py", "pyodide-workerd"), "py-minimal": ("py-minimal", "pyodide-workerd")}


def pytest_configure(config):
    config.addinivalue_line("markers", "contract(*rules): rules")
    config.addinivalue_line("markers", "case(id): a row")
    recorded.declare_targets(config, TARGETS)


def pytest_workers_parity_rules(item):
    return [rule for marker in item.iter_markers("contract") for rule in marker.args] or None


def pytest_workers_parity_case(item):
    marker = item.get_closest_marker("case")
    return marker.args[0] if marker else None


@pytest.fixture(scope="session")
def fleet(request):
    yield
    runs = [results.WorkerRun(t, t, None, runtime, "made up", 1.0, None, 7) for t, (_, runtime) in TARGETS.items()]
    recorded.record_workers(request.config, runs)


@pytest.fixture(params=list(TARGETS))
def worker(request, fleet):
    return request.param
"""

PASSING = """
import pytest
from workers_parity.plugins import pytest_results as recorded

pytestmark = pytest.mark.contract("C1")


@pytest.mark.contract("C2.1")
def test_alpha(worker):
    assert worker


@pytest.mark.case("row-1")
@pytest.mark.contract("C14.1")
def test_compares_everyone(request, fleet):
    outcomes = {"js": ("pass", ""), "py": ("xfail", "a known difference"), "py-minimal": ("pass", "")}
    recorded.record_cells(request.node, outcomes, "status differs")
    pytest.xfail("a known difference")
"""

STOPPING = """
import pytest


def test_first(worker):
    assert worker != "py", "py answered 500"


def test_second(worker):
    pass
"""

INTERRUPTED = """
def test_first():
    pass


def test_interrupted():
    raise KeyboardInterrupt


def test_never_reached():
    pass
"""

SETUP_AND_SKIP = """
import pytest


@pytest.fixture
def broken():
    raise RuntimeError("setup broke")


def test_setup_error(broken):
    pass


def test_skipped(worker):
    if worker == "py":
        pytest.skip("nothing to check on py")
"""


def run_suite(
    tmp_path: Path, suite: str, *args: str, ini: str = "", more: dict[str, str] | None = None, where: str = ""
) -> tuple[results.Results, model.Report]:
    """Run the suite (and `more` test files) from tmp_path, or only the file `where` names."""
    (tmp_path / "pytest.ini").write_text(f"[pytest]\n{ini}")
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_suite.py").write_text(suite)
    for name, text in (more or {}).items():
        (tmp_path / name).write_text(text)
    path = tmp_path / "results.json"
    command = [sys.executable, "-m", "pytest", f"--parity-results={path}"]  # the plugin: its pytest11 entry point
    command += ["-p", "no:cacheprovider", "-q", "-c", str(tmp_path / "pytest.ini"), str(tmp_path / where), *args]
    subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    return results.read(path), model.build(path)


def test_a_whole_run_records_rules_cases_workers_and_runtimes(tmp_path: Path) -> None:
    found, report = run_suite(tmp_path, PASSING)
    tests = {test.id.partition("::")[2]: test for test in found.tests}
    alpha = tests["test_alpha[py]"]
    assert (alpha.rules, alpha.case, alpha.outcome) == (["C2.1", "C1"], None, "pass")
    assert [(c.target, c.worker, c.runtime) for c in alpha.cells] == [("py", "py", "pyodide-workerd")]
    compared = tests["test_compares_everyone"]
    assert (compared.case, compared.outcome, compared.message) == ("row-1", "xfail", "a known difference")
    assert [(c.target, c.outcome, c.divergence) for c in compared.cells] == [
        ("js", "pass", ""),
        ("py", "xfail", "status differs"),
        ("py-minimal", "pass", ""),
    ]
    assert [(w.id, w.requests) for w in found.workers] == [("js", 7), ("py", 7), ("py-minimal", 7)]
    assert found.run.command.startswith("python -m pytest") and len(found.run.id) > 8
    assert report.verdict == "PASS" and not report.gaps


def test_a_k_limited_run_is_partial(tmp_path: Path) -> None:
    found, report = run_suite(tmp_path, PASSING, "-k", "alpha")
    assert found.run.narrowed_by == ["-k 'alpha'"]
    assert [test_id.partition("::")[2] for test_id in found.run.deselected] == ["test_compares_everyone"]
    assert report.verdict == "PARTIAL" and report.exit_code == model.EXIT_PARTIAL
    assert [gap.what for gap in report.gaps] == ["1 test deselected by -k 'alpha'"]


def test_a_run_stopped_by_x_lists_what_did_not_run(tmp_path: Path) -> None:
    found, report = run_suite(tmp_path, STOPPING, "-x")
    assert found.run.stopped_early == "stopping after 1 failures"
    assert len(found.run.not_run) == 4  # test_first[py-minimal] and test_second for every worker
    assert report.verdict == "FAIL"  # py failed; the gap is listed too
    assert report.gaps[0].what == "4 selected tests did not run: stopping after 1 failures"


def test_an_interrupted_run_is_partial_and_the_interrupted_test_has_no_result(tmp_path: Path) -> None:
    found, report = run_suite(tmp_path, INTERRUPTED)
    assert found.run.stopped_early == "interrupted (KeyboardInterrupt)"
    assert [test.id.partition("::")[2] for test in found.tests] == ["test_first"]
    assert [test_id.partition("::")[2] for test_id in found.run.not_run] == ["test_interrupted", "test_never_reached"]
    assert report.verdict == "PARTIAL"


def test_setup_errors_and_skips(tmp_path: Path) -> None:
    found, report = run_suite(tmp_path, SETUP_AND_SKIP)
    outcomes = {test.id.partition("::")[2]: (test.outcome, test.message) for test in found.tests}
    assert outcomes["test_setup_error"] == ("error", "error in setup: RuntimeError: setup broke")
    assert outcomes["test_skipped[py]"] == ("skip", "nothing to check on py")
    assert outcomes["test_skipped[js]"] == ("pass", "")
    assert report.verdict == "FAIL"
    assert "1 skipped test: nothing to check on py" in [gap.what for gap in report.gaps]


FULL_RUN = "parity_suite =\n    test_suite.py\n    test_more_*.py\n"
MORE = {"test_more_one.py": "def test_one(worker):\n    pass\n", "test_more_two.py": "def test_two():\n    pass\n"}


def test_a_test_file_of_the_full_run_left_out_is_partial(tmp_path: Path) -> None:
    found, report = run_suite(tmp_path, PASSING, ini=FULL_RUN, more=MORE)
    assert found.run.suite_files == ["test_more_one.py", "test_more_two.py", "test_suite.py"]
    assert report.verdict == "PASS" and found.run.collected_files == found.run.suite_files

    found, report = run_suite(tmp_path, PASSING, "--ignore", str(tmp_path / "test_more_two.py"), ini=FULL_RUN)
    assert found.run.narrowed_by == [] and found.run.deselected == []  # nothing else tells it
    assert report.verdict == "PARTIAL" and report.exit_code == model.EXIT_PARTIAL
    (gap,) = report.gaps
    assert gap.what == "1 test file of the full run did not run (not collected: not named, or --ignore'd)"
    assert gap.items == ["test_more_two.py"]


def test_a_file_named_alone_is_partial_too(tmp_path: Path) -> None:
    """The full run is the ini's, not the command line's: naming one file does not make it the whole suite."""
    found, report = run_suite(tmp_path, PASSING, ini=FULL_RUN, more=MORE, where="test_suite.py")
    assert report.verdict == "PARTIAL"
    assert [gap.items for gap in report.gaps] == [["test_more_one.py", "test_more_two.py"]]


def test_a_module_skipped_whole_is_listed_with_its_reason(tmp_path: Path) -> None:
    skipped = 'import pytest\n\npytest.skip("no browser here", allow_module_level=True)\n'
    found, report = run_suite(tmp_path, PASSING, ini=FULL_RUN, more={**MORE, "test_more_two.py": skipped})
    assert report.verdict == "PARTIAL"
    assert [gap.what for gap in report.gaps] == ["1 skipped test: no browser here"]
    assert [(test.id, test.outcome) for test in found.tests if test.outcome == "skip"] == [("test_more_two.py", "skip")]
