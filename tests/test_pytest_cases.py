"""workers-parity's pytest plugin, as a team would use it in its own suite: registered by the pytest11 entry point,
a project's cases become tests, one per case and worker, judged as `workers-parity run` judges them (made-up
workers of tests/fake_workers.py, reached by base_url); and in any other pytest run the plugin stays out of the way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fake_workers import FakeWorker, project, serving

from workers_parity.report import model


def pytest_in(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("WORKERS_PARITY_CONFIG", "PYTEST_ADDOPTS")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_the_cases_become_one_test_per_case_and_worker(tmp_path: Path) -> None:
    with serving(FakeWorker(), FakeWorker()) as (js, py):
        project(tmp_path, {"js": js.url, "py": py.url})
        collected = pytest_in(tmp_path, "--workers-parity", "--collect-only")
        result = pytest_in(tmp_path, "--workers-parity", "--parity-results=results.json")
    names = [line for line in collected.stdout.splitlines() if "::" in line]
    assert names == [f"cases.toml::{case}[{worker}]" for case in ("empty", "create", "list") for worker in ("js", "py")]
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout
    assert js.seen == ["GET /items", "POST /items", "GET /items"]  # each case sent once, in file order
    recorded = json.loads((tmp_path / "results.json").read_text())
    assert recorded["run"]["cases"] == {"cases.toml": ["empty", "create", "list"]}
    assert recorded["run"]["workers"] == ["js", "py"]
    assert {(test["case"], len(test["cells"])) for test in recorded["tests"]} == {
        ("empty", 1),
        ("create", 1),
        ("list", 1),
    }


def test_a_divergence_fails_each_workers_test_with_the_diff(tmp_path: Path) -> None:
    with serving(FakeWorker(), FakeWorker(lambda m, p, h: {"x-extra": "1"} if m == "POST" else None)) as (js, py):
        project(tmp_path, {"js": js.url, "py": py.url})
        result = pytest_in(tmp_path, "--workers-parity", "-rN")
    assert result.returncode == 1
    assert "2 failed, 4 passed" in result.stdout
    assert "header x-extra differs:\n  js: (absent)\n  py: '1'" in result.stdout
    assert "Traceback" not in result.stdout  # the judgement's report, not pytest's traceback


def test_a_case_file_left_out_by_ignore_is_reported_as_not_run(tmp_path: Path) -> None:
    """--workers-parity adds the case files pytest's arguments do not reach, but not one an --ignore leaves out: the
    run records every case file's cases, so the report lists that file as not run (PARTIAL), never PASS."""
    with serving(FakeWorker(), FakeWorker()) as (js, py):
        project(tmp_path, {"js": js.url, "py": py.url})
        (tmp_path / "test_unit.py").write_text("def test_unit():\n    pass\n")
        args = ("test_unit.py", "--workers-parity", "--ignore=cases.toml", "--parity-results=results.json")
        result = pytest_in(tmp_path, *args)
    assert "1 passed" in result.stdout and js.seen == [], result.stdout + result.stderr
    report = model.build(tmp_path / "results.json")
    assert report.verdict == "PARTIAL"
    (gap,) = report.gaps
    assert gap.what == "case file cases.toml did not run: none of its 3 cases has a result"
    assert gap.items == ["empty", "create", "list"]


def test_the_config_alone_collects_the_cases_where_pytest_meets_them(tmp_path: Path) -> None:
    with serving(FakeWorker(), FakeWorker()) as (js, py):
        project(tmp_path, {"js": js.url, "py": py.url})
        (tmp_path / "test_unit.py").write_text("def test_unit():\n    pass\n")
        everything = pytest_in(tmp_path)
        unit_only = pytest_in(tmp_path, "test_unit.py")
    assert "7 passed" in everything.stdout, everything.stdout + everything.stderr
    assert "1 passed" in unit_only.stdout and js.seen == ["GET /items", "POST /items", "GET /items"]


def test_another_pytest_run_is_left_alone(tmp_path: Path) -> None:
    """No config here: a suite with its own `worker` fixture, and pytest-base-url's --base-url (a stand-in for the
    plugin here), runs as if we were not installed."""
    (tmp_path / "pytest_base_url.py").write_text("")  # what makes us leave --base-url to it
    (tmp_path / "conftest.py").write_text(
        "import pytest\n\n"
        "def pytest_addoption(parser):\n    parser.addoption('--base-url', default='http://x')\n\n"
        "@pytest.fixture\ndef worker():\n    return 'mine'\n"
    )
    (tmp_path / "test_theirs.py").write_text("def test_theirs(worker):\n    assert worker == 'mine'\n")
    result = pytest_in(tmp_path)
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout + result.stderr
    assert "worker " not in pytest_in(tmp_path, "--co").stdout  # no header lines about workers
