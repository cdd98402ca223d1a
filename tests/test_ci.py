"""A green CI run means it ran: in CI a test that cannot run for want of a tool fails (workers_parity/ci.py), and a
session in which no test ran fails with the skip reasons (.ci/tally.py, which also prints each session's counts)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]  # the repository
TALLY = ROOT / ".ci" / "tally.py"

NEEDS_A_TOOL = """
from workers_parity.ci import missing_tool


def test_needs_a_tool():
    missing_tool("frobnicate is not installed here")


def test_plain():
    pass
"""

MODULE_NEEDS_A_TOOL = """
from workers_parity.ci import missing_tool

missing_tool("no frobnicate, no tests", module_level=True)


def test_never_collected():
    pass
"""


def run_pytest(tmp_path: Path, source: str, ci: str | None, *paths: str) -> tuple[int, str, Path]:
    """Run pytest on one test file (or the given paths) with CI set to `ci` (None: unset); exit code, output, JUnit."""
    (tmp_path / "test_it.py").write_text(source)
    env = {name: value for name, value in os.environ.items() if name not in ("CI", "PYTEST_ADDOPTS")}
    env |= {"CI": ci} if ci is not None else {}
    env["PYTHONPATH"] = str(ROOT)
    junit = tmp_path / "session.xml"
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={junit}", "-rs", "-q"]
    where = ROOT if paths else tmp_path
    command += [*paths] if paths else ["-c", os.devnull, "--rootdir", str(tmp_path), str(tmp_path / "test_it.py")]
    finished = subprocess.run(command, cwd=where, env=env, capture_output=True, text=True, timeout=300)
    return finished.returncode, finished.stdout + finished.stderr, junit


def tally(*args: str) -> tuple[int, str]:
    finished = subprocess.run([sys.executable, str(TALLY), *args], capture_output=True, text=True, timeout=60)
    return finished.returncode, finished.stdout


@pytest.mark.parametrize("ci", [None, "", "0", "false"])
def test_a_missing_tool_skips_outside_ci(tmp_path: Path, ci: str | None) -> None:
    code, output, _ = run_pytest(tmp_path, NEEDS_A_TOOL, ci)
    assert code == 0 and "1 passed, 1 skipped" in output
    assert "frobnicate is not installed here" in output


@pytest.mark.parametrize("ci", ["true", "1"])
def test_a_missing_tool_fails_in_ci(tmp_path: Path, ci: str) -> None:
    code, output, _ = run_pytest(tmp_path, NEEDS_A_TOOL, ci)
    assert code == 1 and "1 failed, 1 passed" in output
    assert "frobnicate is not installed here (in CI a test that cannot run for want of a tool fails" in output


def test_a_module_missing_a_tool_fails_to_collect_in_ci(tmp_path: Path) -> None:
    code, output, _ = run_pytest(tmp_path, MODULE_NEEDS_A_TOOL, "true")
    assert code == 2 and "no frobnicate, no tests (in CI a test that cannot run" in output
    assert "test_never_collected" not in output


def test_the_tally_counts_what_ran_and_what_was_skipped(tmp_path: Path) -> None:
    _, _, junit = run_pytest(tmp_path, NEEDS_A_TOOL, None)
    assert tally("--require-a-run", str(junit)) == (0, "session: 1 tests ran of 2 (1 passed, 1 skipped)\n")


def test_a_session_that_ran_no_test_fails_in_ci_naming_why(tmp_path: Path) -> None:
    _, _, junit = run_pytest(tmp_path, MODULE_NEEDS_A_TOOL, None)  # skipped whole: green for pytest
    assert tally(str(junit)) == (0, "session: 0 tests ran of 1 (0 passed, 1 skipped)\n")
    code, output = tally("--require-a-run", str(junit))
    assert code == 1
    assert "session: FAILED: in CI a session that ran no test fails: no frobnicate, no tests (1)" in output


def test_a_session_without_results_fails(tmp_path: Path) -> None:
    code, output = tally(str(tmp_path / "lint.xml"))
    assert code == 1 and output.startswith("lint: no test results (")


def test_the_browser_test_without_a_browser_skips_here_and_fails_in_ci(tmp_path: Path, monkeypatch) -> None:
    """The browser session's own file: without chromium (or Playwright) it is skipped whole; in CI it fails."""
    browser = "shared-tests/browser/test_form_browser.py"
    monkeypatch.setenv("PARITY_CHROMIUM", str(tmp_path / "no-chromium"))  # whatever is installed here
    code, output, junit = run_pytest(tmp_path, "", None, browser)
    assert code == pytest.ExitCode.NO_TESTS_COLLECTED and "1 skipped" in output, output
    assert tally("--require-a-run", str(junit))[0] == 1
    code, output, _ = run_pytest(tmp_path, "", "true", browser)
    assert code != 0
    assert "(in CI a test that cannot run for want of a tool fails" in output
    assert "Playwright" in output or f"PARITY_CHROMIUM={tmp_path / 'no-chromium'} does not exist" in output
