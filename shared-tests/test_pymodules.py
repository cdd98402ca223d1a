"""Filling a Python worker's python_modules/ from PyPI when `pywrangler sync` cannot run (pure-Python wheels only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from parity import pymodules


def worker_folder(tmp_path: Path, dependencies: list[str]) -> Path:
    folder = tmp_path / "worker"
    folder.mkdir()
    listed = ", ".join(f'"{dependency}"' for dependency in dependencies)
    (folder / "pyproject.toml").write_text(f'[project]\nname = "w"\nversion = "0"\ndependencies = [{listed}]\n')
    return folder


def test_installs_the_sdk_and_pure_python_dependencies_once(tmp_path: Path, capsys) -> None:
    folder = worker_folder(tmp_path, ["sniffio"])
    modules = pymodules.sync_python_modules(folder)
    assert (modules / "workers" / "__init__.py").exists()
    assert (modules / "sniffio" / "__init__.py").exists()
    assert "installing" in capsys.readouterr().out
    pymodules.sync_python_modules(folder)
    assert "up to date" in capsys.readouterr().out


def test_a_package_without_a_pure_python_wheel_is_named(tmp_path: Path) -> None:
    folder = worker_folder(tmp_path, ["sniffio", "pydantic-core>=2"])
    with pytest.raises(pymodules.NoPureWheelError, match="pydantic-core") as failure:
        pymodules.sync_python_modules(folder)
    assert failure.value.packages == ["pydantic-core"]
    assert not (folder / "python_modules").exists(), "a failed install must not leave a half-filled folder"


def test_a_missing_pyproject_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(pymodules.PyprojectError, match="pyproject.toml not found"):
        pymodules.sync_python_modules(tmp_path)


def test_dist_info_name_gives_package_and_version() -> None:
    assert pymodules.parse_dist_info_name("starlette-1.10.0.dist-info") == ("starlette", "1.10.0")
    assert pymodules.parse_dist_info_name("workers_runtime_sdk-1.9.5.dist-info") == ("workers-runtime-sdk", "1.9.5")
