"""python_modules/ from a committed lock (pylock.toml): pure-Python wheels for Pyodide, pinned and hash-checked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workers_parity import project
from workers_parity.pymodules import install as pymodules
from workers_parity.pymodules import lock as pylock
from workers_parity.pymodules.lock import LockError, PyprojectError
from workers_parity.pymodules.pip import HashMismatch, IndexUnreachable, NoPureWheelError

UNREACHABLE_INDEX = "http://127.0.0.1:9/simple"  # the discard port: nothing listens there


def worker_folder(tmp_path: Path, dependencies: list[str], dev: list[str] | None = None) -> Path:
    folder = tmp_path / "worker"
    folder.mkdir(exist_ok=True)
    (folder / "pyproject.toml").write_text(
        '[project]\nname = "w"\nversion = "0"\n'
        f"dependencies = [{quoted(dependencies)}]\n"
        + (f"\n[dependency-groups]\ndev = [{quoted(dev)}]\n" if dev is not None else "")
    )
    return folder


def quoted(items: list[str]) -> str:
    return ", ".join(f'"{item}"' for item in items)


def locked_versions(folder: Path) -> dict[str, str]:
    return {wheel.name: wheel.version for wheel in pylock.load_lock(folder).wheels}


def test_installs_exactly_the_locked_wheels_once(tmp_path: Path, capsys) -> None:
    folder = worker_folder(tmp_path, ["sniffio"])
    lock_text = pylock.write_lock(folder).read_text()
    assert re.search(r'name = "sniffio"\nversion = "[^"]+"', lock_text)
    assert re.search(r'hashes = \{ sha256 = "[0-9a-f]{64}" \}', lock_text)
    assert all(wheel.url.startswith("https://") for wheel in pylock.load_lock(folder).wheels), "a URL anyone can use"
    modules = pymodules.sync_python_modules(folder)
    assert (modules / "workers" / "__init__.py").exists()
    assert (modules / "sniffio" / "__init__.py").exists()
    assert pymodules.installed_versions(folder) == locked_versions(folder)
    assert "installing" in capsys.readouterr().out
    pymodules.sync_python_modules(folder)
    assert "up to date" in capsys.readouterr().out


def test_the_lock_wins_over_newer_releases(tmp_path: Path) -> None:
    """A lock written when sniffio 1.3.0 was the newest keeps installing 1.3.0 though pyproject allows 1.3.1."""
    folder = worker_folder(tmp_path, ["sniffio==1.3.0"])
    lock = pylock.write_lock(folder)
    worker_folder(tmp_path, ["sniffio>=1.3"])
    lock.write_text(restamped(lock.read_text(), pylock.read_requirements(folder)))
    pymodules.sync_python_modules(folder)
    assert pymodules.installed_versions(folder)["sniffio"] == "1.3.0"
    assert pymodules.installed_versions(folder) == locked_versions(folder)


def restamped(lock_text: str, requirements: list[str]) -> str:
    """The lock as `lock` would have written it from these requirements when it resolved the same versions."""
    text = re.sub(r"^requirements = .*$", f"requirements = [{quoted(requirements)}]", lock_text, flags=re.MULTILINE)
    digest = pylock.inputs_digest(requirements)
    return re.sub(r'^inputs-sha256 = ".*"$', f'inputs-sha256 = "{digest}"', text, flags=re.MULTILINE)


def test_a_tampered_hash_fails_the_install_and_names_the_package(tmp_path: Path) -> None:
    folder = worker_folder(tmp_path, ["sniffio"])
    lock = pylock.write_lock(folder)
    text = lock.read_text()
    genuine = re.search(r'sniffio-[^"]+\.whl"\nurl = "[^"]+"\nhashes = \{ sha256 = "([0-9a-f]{64})"', text).group(1)
    forged = genuine[:-1] + ("0" if genuine[-1] != "0" else "1")
    lock.write_text(text.replace(genuine, forged))
    with pytest.raises(HashMismatch, match=r"sniffio==\S+: expected " + forged) as failure:
        pymodules.sync_python_modules(folder)
    assert str(lock) in str(failure.value)
    assert not (folder / "python_modules").exists(), "a failed install must not leave a half-filled folder"


def test_a_pyproject_changed_after_locking_names_the_lock_and_the_command(tmp_path: Path) -> None:
    folder = worker_folder(tmp_path, ["sniffio"])
    pylock.write_lock(folder)
    worker_folder(tmp_path, ["sniffio", "idna"])
    with pytest.raises(LockError) as failure:
        pymodules.sync_python_modules(folder)
    message = str(failure.value)
    assert f"{folder / 'pyproject.toml'} has changed since {folder / 'pylock.toml'}" in message
    assert "now asks for idna" in message
    assert f"`workers-parity lock {folder}`" in message


def test_a_missing_lock_names_the_command(tmp_path: Path) -> None:
    folder = worker_folder(tmp_path, [])
    with pytest.raises(LockError, match=re.escape(f"{folder / 'pylock.toml'} not found")):
        pymodules.sync_python_modules(folder)


@pytest.mark.parametrize("worker_id", [worker.id for worker in project.workers() if worker.is_python])
def test_each_python_workers_committed_lock_matches_its_pyproject(worker_id: str) -> None:
    worker = project.get(worker_id)
    header = (worker.folder / "pylock.toml").read_text().splitlines()[1]
    assert header.startswith("# Written by `workers-parity lock` (in this folder)"), "no machine's path in the lock"
    lock = pylock.load_lock(worker.folder)  # raises when pyproject.toml changed without a new lock
    assert all(len(wheel.sha256) == 64 and wheel.url.startswith("https://") for wheel in lock.wheels)
    assert "workers-runtime-sdk" in {wheel.name for wheel in lock.wheels}


def test_the_sdk_pin_comes_from_the_dependency_group(tmp_path: Path) -> None:
    folder = worker_folder(tmp_path, ["sniffio"], dev=["workers-py", "workers-runtime-sdk==1.9.4"])
    assert pylock.read_requirements(folder) == ["sniffio", "workers-runtime-sdk==1.9.4"]
    assert pylock.read_requirements(worker_folder(tmp_path, [])) == [pylock.DEFAULT_SDK]


def test_an_unreachable_index_is_not_reported_as_a_missing_wheel(tmp_path: Path, monkeypatch) -> None:
    folder = worker_folder(tmp_path, ["sniffio"])
    lock = pylock.write_lock(folder)
    monkeypatch.setenv("PIP_INDEX_URL", UNREACHABLE_INDEX)
    monkeypatch.setenv("PIP_RETRIES", "0")
    with pytest.raises(IndexUnreachable, match=f"cannot reach the Python package index: {UNREACHABLE_INDEX} "):
        pymodules.sync_python_modules(folder)
    lock.unlink()
    with pytest.raises(IndexUnreachable, match=re.escape(UNREACHABLE_INDEX)) as failure:
        pylock.write_lock(folder)
    assert "no pure-Python wheel" not in str(failure.value)
    assert not lock.exists()


def test_a_package_without_a_pure_python_wheel_is_named(tmp_path: Path) -> None:
    folder = worker_folder(tmp_path, ["sniffio", "pydantic-core>=2"])
    with pytest.raises(NoPureWheelError, match="pydantic-core") as failure:
        pylock.write_lock(folder)
    assert failure.value.packages == ["pydantic-core"]
    assert not (folder / "pylock.toml").exists()


def test_a_missing_pyproject_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PyprojectError, match="pyproject.toml not found"):
        pymodules.sync_python_modules(tmp_path)


def test_dist_info_name_gives_package_and_version() -> None:
    assert pymodules.parse_dist_info_name("starlette-1.10.0.dist-info") == ("starlette", "1.10.0")
    assert pymodules.parse_dist_info_name("workers_runtime_sdk-1.9.5.dist-info") == ("workers-runtime-sdk", "1.9.5")


SHARED_MODULES = ("forms.py", "pages.py", "submission.py")  # each Python worker deploys alone, so each has a copy


@pytest.mark.parametrize("module", SHARED_MODULES)
def test_shared_modules_are_byte_identical_in_every_python_worker(module: str) -> None:
    python_workers = [worker for worker in project.workers() if worker.is_python]
    copies = {worker.id: (worker.folder / "src" / module).read_bytes() for worker in python_workers}
    assert len(copies) == 2 and len(set(copies.values())) == 1, f"src/{module} differs between {', '.join(copies)}"
