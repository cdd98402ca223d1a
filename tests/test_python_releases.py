"""The Python a worker runs follows its compatibility date and flags as Cloudflare's runtime picks it (the bundle
workerd 1.20261117.1 asks for, measured: pymodules/releases.py); where npm lacks that Pyodide, the stand-in is named."""

import json
from pathlib import Path

import pytest

from workers_parity import project
from workers_parity.pymodules import for_worker, releases
from workers_parity.run import record
from workers_parity.servers import toolchain


@pytest.mark.parametrize(
    ("date", "flags", "pyodide"),
    [
        ("2026-12-01", [], "314.0.6"),
        ("2026-09-08", ["python_workers"], "314.0.6"),
        ("2026-09-07", ["python_workers"], "0.28.2"),
        ("2026-09-07", ["python_workers", "python_workers_20260610"], "314.0.4"),
        ("2026-09-08", ["python_workers_20260610"], "314.0.6"),  # the date wins, as in workerd
        ("2025-09-29", [], "0.28.2"),
        ("2025-09-28", ["python_workers_20250116"], "0.28.2"),
        ("2025-11-02", ["no_python_workers_20250116"], "0.28.2"),  # 3.12 on Cloudflare: the stand-in
    ],
)
def test_release_follows_date_and_flags(date: str, flags: list[str], pyodide: str) -> None:
    assert releases.release_for(date, flags).release.pyodide == pyodide


def test_python_3_12_dates_name_the_release_that_runs_instead() -> None:
    choice = releases.release_for("2025-09-28", ["python_workers"])
    assert choice.release.describe() == "Python 3.13 (Pyodide 0.28.2)"
    assert choice.reason.startswith("instead of Python 3.12 (Pyodide 0.26.0a2), which Cloudflare runs for")


def test_packages_without_wheels_move_a_worker_to_the_newest_python() -> None:
    choice = releases.instead_for_packages(releases.release_for("2025-11-02", []), ["pydantic-core"])
    assert choice.release == releases.NEWEST
    assert choice.reason == (
        "instead of Python 3.13 (Pyodide 0.28.2) (as Cloudflare runs compatibility date 2025-11-02): "
        "pydantic-core has no wheel for it on PyPI"
    )


def test_the_modules_a_release_lacks_are_those_its_npm_package_leaves_to_its_cdn() -> None:
    for release in releases.KNOWN:
        lock = json.loads((toolchain.ensure_node_modules() / release.npm_package / "pyodide-lock.json").read_text())
        apart = {
            name
            for package in lock["packages"].values()
            if package.get("package_type") == "cpython_module"
            for name in package.get("imports", [])
        }
        assert set(release.modules_not_here) == apart - IMPORTED_BY_NO_WORKER, release.npm_package


IMPORTED_BY_NO_WORKER = {"test", "pydoc_data", "_pydecimal"}  # a worker never imports these itself


def python_worker(folder: Path, date: str, source: str) -> Path:
    (folder / "src").mkdir(parents=True)
    config = {"name": folder.name, "main": "src/entry.py", "compatibility_date": date, "compatibility_flags": []}
    (folder / "wrangler.json").write_text(json.dumps(config))
    (folder / "pyproject.toml").write_text(f'[project]\nname = "{folder.name}"\nversion = "0"\ndependencies = []\n')
    (folder / "src" / "entry.py").write_text(source)
    return folder


def test_a_worker_importing_a_module_its_python_lacks_here_runs_the_newest(tmp_path: Path, monkeypatch) -> None:
    folder = python_worker(tmp_path / "uses-sqlite", "2025-11-02", "import sqlite3\n")
    choice = for_worker.sync(folder)
    assert choice.release == releases.NEWEST
    assert "the worker imports sqlite3 (src/entry.py), which Pyodide 0.28.2 ships apart" in choice.reason
    monkeypatch.setattr(for_worker, "imported_modules", lambda *args: pytest.fail("read the worker again"))
    assert for_worker.sync(folder) == choice  # remembered
    (folder / "src" / "entry.py").write_text("import json\n")
    monkeypatch.undo()
    assert for_worker.sync(folder).release.pyodide == "0.28.2"  # its code changed: decided again


def test_a_worker_that_needs_nothing_apart_keeps_the_python_of_its_date(tmp_path: Path) -> None:
    folder = python_worker(tmp_path / "plain", "2025-11-02", "import json\n")
    assert for_worker.sync(folder).release.describe() == "Python 3.13 (Pyodide 0.28.2)"


@pytest.mark.parametrize("release", releases.KNOWN, ids=lambda release: release.pyodide)
def test_the_run_records_the_pyodide_a_worker_ran_in(release: releases.PythonRelease) -> None:
    """A report names the npm Pyodide the launcher was given for the worker, not the default package's."""
    toolchain.ensure_node_modules()
    choice = releases.Choice(release, "as a test asks")
    found = record.versions_of(project.get("py-minimal"), "pyodide-workerd", choice)
    assert found["pyodide"] == release.pyodide
