"""The Python a worker runs follows its compatibility date and flags as Cloudflare's runtime picks it (the bundle
workerd 1.20261117.1 asks for, measured: pymodules/releases.py); where npm lacks that Pyodide, the stand-in is named."""

import pytest

from workers_parity.pymodules import releases


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
