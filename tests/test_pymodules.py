"""python_modules/ as `pywrangler sync` fills it, for any Python worker folder: locked in pylock.toml (written when
missing or out of date, said in one line), hash-checked, swapped in whole, one sync at a time. Real PyPI, small
packages; tests/test_pymodules_packages.py has the real-world dependency sets."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from workers_parity import project
from workers_parity.pymodules import install as pymodules
from workers_parity.pymodules import lock as pylock
from workers_parity.pymodules.errors import HashMismatch, IndexUnreachable, LockError, PyprojectError
from workers_parity.pymodules.requirements import DEFAULT_SDK, read_requirements
from workers_parity.pymodules.target import DEFAULT_TARGET, PY312, PY313, PythonTarget, target_for
from workers_parity.render import progress

UNREACHABLE_INDEX = "http://127.0.0.1:9/simple"  # the discard port: nothing listens there
STAMP = re.compile(r"^\[\s*\d+\.\ds\] ")
LOCKING = "locking worker's packages for Python 3.14 on Pyodide (pyemscripten_2026_0_wasm32) into pylock.toml"


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


def said_while(action) -> list[str]:
    """The progress lines an action says, without their timestamps and durations."""
    lines: list[str] = []
    with progress.routed(lines.append):
        action()
    return [re.sub(r"done in [\d.]+ s$", "done in N s", STAMP.sub("", line)) for line in lines]


def locked_versions(folder: Path) -> dict[str, str]:
    return {package.name: package.version for package in pylock.load_lock(folder).packages}


def lock_table(folder: Path) -> dict:
    return tomllib.loads((folder / "pylock.toml").read_text())


def test_the_first_sync_writes_the_missing_lock_says_so_and_installs_it(tmp_path: Path, capsys) -> None:
    folder = worker_folder(tmp_path, ["sniffio"])
    lines = said_while(lambda: pymodules.sync_python_modules(folder))
    assert lines[:2] == [f"{LOCKING} (no pylock.toml yet) ...", f"{LOCKING}: done in N s"]
    assert lines[2].startswith("installing worker's python_modules from pylock.toml (2 packages) (first run)")
    modules = folder / "python_modules"
    assert (modules / "workers" / "__init__.py").exists() and (modules / "sniffio" / "__init__.py").exists()
    assert pymodules.installed_versions(folder) == locked_versions(folder)
    assert not list(modules.rglob("*.pyc")), "host bytecode is useless to Pyodide"
    assert said_while(lambda: pymodules.sync_python_modules(folder)) == []
    assert "python_modules: up to date (worker)" in capsys.readouterr().out


def test_the_lock_is_pep_751_hash_checked_deterministic_and_names_no_machine_path(tmp_path: Path) -> None:
    folder = worker_folder(tmp_path, ["sniffio", "idna"])
    first = pylock.write_lock(folder).read_bytes()
    assert pylock.write_lock(folder).read_bytes() == first, "same inputs, same bytes"
    text = first.decode()
    assert str(tmp_path) not in text and str(Path.home()) not in text
    data = tomllib.loads(text)
    assert data["lock-version"] == "1.0" and data["requires-python"] == "==3.14.*"
    for package in data["packages"]:
        (wheel,) = package["wheels"]
        assert wheel["url"].startswith("https://") and re.fullmatch(r"[0-9a-f]{64}", wheel["hashes"]["sha256"])
    recorded = data["tool"]["workers-parity"]
    assert (recorded["python"], recorded["platforms"]) == ("3.14", ["pyemscripten_2026_0_wasm32"])
    assert recorded["requirements"] == ["sniffio", "idna", DEFAULT_SDK]


def test_a_changed_pyproject_is_locked_again_keeping_the_versions_that_still_fit(tmp_path: Path) -> None:
    """As `uv run` updates uv.lock: sniffio stays at the locked 1.3.0 though 1.3.1 is out; `lock` takes the newest."""
    folder = worker_folder(tmp_path, ["sniffio==1.3.0"])
    pymodules.sync_python_modules(folder)
    worker_folder(tmp_path, ["sniffio>=1.3", "idna"])
    lines = said_while(lambda: pymodules.sync_python_modules(folder))
    change = "now asks for sniffio>=1.3, idna; no longer for sniffio==1.3.0"
    assert lines[0] == f"{LOCKING} (pyproject.toml changed since pylock.toml was written: {change}) ..."
    assert lines[2].startswith("installing worker's python_modules from pylock.toml (3 packages) (pylock.toml changed)")
    installed = pymodules.installed_versions(folder)
    assert installed["sniffio"] == "1.3.0" and "idna" in installed
    pylock.write_lock(folder)
    assert locked_versions(folder)["sniffio"] != "1.3.0"


def test_a_lock_for_another_python_is_resolved_again_with_its_own_pyodide_wheels(tmp_path: Path) -> None:
    folder = worker_folder(tmp_path, ["msgpack==1.2.4"])
    pylock.write_lock(folder, target=PY313)
    assert "msgpack-1.2.4-cp313-cp313-pyemscripten_2025_0_wasm32.whl" in (folder / "pylock.toml").read_text()
    with pytest.raises(LockError, match=r"out of date \(it was resolved for Python 3.13 on Pyodide"):
        pylock.load_lock(folder, DEFAULT_TARGET)
    lines = said_while(lambda: pymodules.sync_python_modules(folder))
    assert lines[0] == (
        f"{LOCKING} (it was resolved for Python 3.13 on Pyodide (pyemscripten_2025_0_wasm32, "
        "pyodide_2025_0_wasm32)) ..."
    )
    assert lock_table(folder)["tool"]["workers-parity"]["python"] == "3.14"
    assert "msgpack-1.2.4-cp314-cp314-pyemscripten_2026_0_wasm32.whl" in (folder / "pylock.toml").read_text()
    assert list((folder / "python_modules" / "msgpack").glob("*.cpython-314-wasm32-emscripten.so"))


def test_a_lock_written_by_another_tool_is_not_rewritten(tmp_path: Path) -> None:
    folder = worker_folder(tmp_path, ["sniffio"])
    theirs = 'lock-version = "1.0"\ncreated-by = "someone-else"\n'
    (folder / "pylock.toml").write_text(theirs)
    with pytest.raises(LockError, match="was not written by workers-parity") as failure:
        pymodules.sync_python_modules(folder)
    assert f"`workers-parity lock {folder}`" in str(failure.value)
    assert (folder / "pylock.toml").read_text() == theirs
    pylock.write_lock(folder)  # asked for by name: now it is ours
    assert "sniffio" in locked_versions(folder)


def test_an_unreadable_lock_is_named_with_the_command(tmp_path: Path) -> None:
    folder = worker_folder(tmp_path, ["sniffio"])
    (folder / "pylock.toml").write_text("<<<<<<< HEAD\nlock-version = 1\n")
    with pytest.raises(LockError, match=re.escape(f"{folder / 'pylock.toml'} cannot be read")):
        pymodules.sync_python_modules(folder)


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


def python_worker_without_pyproject(tmp_path: Path, main: str = "src/entry.py") -> Path:
    folder = tmp_path / "bare"
    (folder / "src").mkdir(parents=True)
    (folder / "wrangler.jsonc").write_text(f'{{"name": "bare", "main": "{main}", "compatibility_date": "2026-01-01"}}')
    return folder


def test_a_python_worker_without_pyproject_gets_the_sdk_only_said_once(tmp_path: Path) -> None:
    folder = python_worker_without_pyproject(tmp_path)
    lines = said_while(lambda: pymodules.sync_python_modules(folder))
    assert "no pyproject.toml either, so no dependencies: the workers SDK only" in lines[0]
    assert pymodules.installed_versions(folder) == {"workers-runtime-sdk": DEFAULT_SDK.split("==")[1]}
    assert said_while(lambda: pymodules.sync_python_modules(folder)) == []


def test_a_folder_without_pyproject_that_is_no_python_worker_is_refused(tmp_path: Path) -> None:
    javascript = python_worker_without_pyproject(tmp_path, main="src/index.js")
    with pytest.raises(PyprojectError, match="is a javascript worker"):
        pymodules.sync_python_modules(javascript)
    (tmp_path / "empty").mkdir()
    with pytest.raises(PyprojectError, match=r"no pyproject.toml in .*empty, and .*no wrangler config"):
        pymodules.sync_python_modules(tmp_path / "empty")
    assert not (javascript / "pylock.toml").exists()


@pytest.mark.parametrize(
    ("pyproject", "message"),
    [
        ('[project\nname = "w"\n', "is not valid TOML"),
        ('project = "w"\n', r"\[project\] must be a table"),
        ('[project]\ndependencies = "sniffio"\n', "must be a list of requirement strings"),
        ('[project]\ndependencies = ["sniffio>>1"]\n', "invalid requirement 'sniffio>>1'"),
        ('[project]\ndynamic = ["dependencies"]\n', "dependencies are dynamic"),
        ('[project]\ndependencies = ["x @ https://example.com/x-1-py3-none-any.whl"]\n', "is a direct reference"),
    ],
)
def test_a_malformed_pyproject_is_a_clear_error_and_writes_nothing(tmp_path: Path, pyproject: str, message: str):
    folder = tmp_path / "worker"
    folder.mkdir()
    (folder / "pyproject.toml").write_text(pyproject)
    with pytest.raises(PyprojectError, match=message) as failure:
        pymodules.sync_python_modules(folder)
    assert str(folder / "pyproject.toml") in str(failure.value)
    assert not (folder / "pylock.toml").exists() and not (folder / "python_modules").exists()


def test_the_sdk_pin_comes_from_the_dependency_group_unless_the_dependencies_name_it(tmp_path: Path) -> None:
    folder = worker_folder(tmp_path, ["sniffio"], dev=["workers-py", "workers-runtime-sdk==1.9.4"])
    assert read_requirements(folder).items == ["sniffio", "workers-runtime-sdk==1.9.4"]
    assert read_requirements(worker_folder(tmp_path, [])).items == [DEFAULT_SDK]
    folder = worker_folder(tmp_path, ["workers-runtime-sdk>=1.1.1"], dev=["workers-runtime-sdk==1.9.4"])
    assert read_requirements(folder).items == ["workers-runtime-sdk>=1.1.1"]


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
    assert "no wheel" not in str(failure.value)
    assert not lock.exists()


SYNC = "import sys; from workers_parity.pymodules import install; install.sync_python_modules(sys.argv[1])"


def test_two_syncs_at_once_take_turns(tmp_path: Path) -> None:
    folder = worker_folder(tmp_path, ["sniffio", "idna"])
    runs = [subprocess.Popen([sys.executable, "-c", SYNC, str(folder)], stdout=subprocess.PIPE, text=True)]
    runs.append(subprocess.Popen([sys.executable, "-c", SYNC, str(folder)], stdout=subprocess.PIPE, text=True))
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0]
    joined = "".join(outputs)
    assert joined.count("(no pylock.toml yet) ...") == 1, joined
    assert joined.count("(first run) ...") == 1 and joined.count("up to date") == 1, joined
    assert pymodules.installed_versions(folder) == locked_versions(folder)


# Installs python_modules/ in full, then waits to be killed before swapping it in.
KILLED_BEFORE_SWAP = """
import sys, time
from pathlib import Path
from workers_parity.pymodules import install
def swap_in(built, modules_dir):
    Path(sys.argv[2]).write_text(str(built))
    time.sleep(600)
install.swap_in = swap_in
install.sync_python_modules(sys.argv[1])
"""


def test_a_killed_sync_leaves_the_previous_python_modules_whole(tmp_path: Path) -> None:
    folder = worker_folder(tmp_path, ["sniffio"])
    pymodules.sync_python_modules(folder)
    before = pymodules.installed_versions(folder)
    worker_folder(tmp_path, ["sniffio", "idna"])
    ready = tmp_path / "ready"
    run = subprocess.Popen([sys.executable, "-c", KILLED_BEFORE_SWAP, str(folder), str(ready)], start_new_session=True)
    try:
        wait_for(ready, run)
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    leftover = Path(ready.read_text())
    assert leftover.is_dir() and (leftover / "idna").is_dir(), "it was killed with the new folder built beside"
    assert pymodules.installed_versions(folder) == before, "python_modules/ is still the previous one, whole"
    pymodules.sync_python_modules(folder)
    assert "idna" in pymodules.installed_versions(folder)
    assert not leftover.exists() and not list(folder.glob(".python_modules-*")), "the next sync removes what was left"


def wait_for(path: Path, run: subprocess.Popen, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert run.poll() is None, f"the sync ended with {run.returncode} before it was killed"
        assert time.monotonic() < deadline, f"no {path} after {seconds} s"
        time.sleep(0.1)


@pytest.mark.parametrize("worker_id", [worker.id for worker in project.workers() if worker.is_python])
def test_each_python_workers_committed_lock_is_current_and_as_lock_writes_it(worker_id: str) -> None:
    worker = project.get(worker_id)
    text = (worker.folder / "pylock.toml").read_text()
    lock = pylock.load_lock(worker.folder)  # raises when pyproject.toml changed without a new lock
    assert all(len(package.sha256) == 64 and package.url.startswith("https://") for package in lock.packages)
    assert "workers-runtime-sdk" in {package.name for package in lock.packages}
    rendered = pylock.render_lock(lock.packages, read_requirements(worker.folder).items, DEFAULT_TARGET)
    assert rendered == text, f"`workers-parity lock {worker_id}` would write {worker_id}/pylock.toml otherwise"
    assert "/" not in text.split("\n[[packages]]")[0].replace("python_modules/", ""), "no path in the header"


def test_a_target_takes_its_pyodides_own_wheels_abi3_ones_and_pure_ones_only() -> None:
    assert PythonTarget(python="3.14", pyodide="314.0.6", platforms=("pyemscripten_2026_0_wasm32",)) == DEFAULT_TARGET
    fits = DEFAULT_TARGET.fits
    assert fits("pydantic_core-2.50.5-cp314-cp314-pyemscripten_2026_0_wasm32.whl")
    assert fits("x-1-cp310-abi3-pyemscripten_2026_0_wasm32.whl") and fits("x-1-py3-none-any.whl")
    assert fits("x-1-py2.py3-none-any.whl")
    assert not fits("x-1-cp313-cp313-pyemscripten_2025_0_wasm32.whl") and not fits(
        "x-1-cp314-cp314-manylinux_2_17_x86_64.whl"
    )
    assert not fits("x-1-cp315-abi3-pyemscripten_2026_0_wasm32.whl"), "abi3 of a later Python"
    assert PY313.fits("x-1-cp313-cp313-pyodide_2025_0_wasm32.whl") and PY313.fits(
        "x-1-cp313-cp313-pyemscripten_2025_0_wasm32.whl"
    )
    assert PY312.fits("pandas-3.1.1-cp312-cp312-pyemscripten_2024_0_wasm32.whl")
    flags = DEFAULT_TARGET.pip_wheel_flags()
    assert {"--only-binary=:all:", "--platform=pyemscripten_2026_0_wasm32", "--python-version=3.14"} <= set(flags)
    assert {"--abi=cp314", "--abi=abi3", "--abi=none", "--implementation=cp"} <= set(flags)
    assert DEFAULT_TARGET.markers()["sys_platform"] == "emscripten"
    assert PY312.markers()["python_full_version"] == "3.12.1"
    assert target_for("3.13") is PY313
    with pytest.raises(ValueError, match=r"no Pyodide target for Python 3.11 \(known: 3.14, 3.13, 3.12\)"):
        target_for("3.11")


def test_dist_info_name_gives_package_and_version() -> None:
    assert pymodules.parse_dist_info_name("starlette-1.10.0.dist-info") == ("starlette", "1.10.0")
    assert pymodules.parse_dist_info_name("workers_runtime_sdk-1.9.5.dist-info") == ("workers-runtime-sdk", "1.9.5")


SHARED_MODULES = ("forms.py", "pages.py", "submission.py")  # each Python worker deploys alone, so each has a copy


@pytest.mark.parametrize("module", SHARED_MODULES)
def test_shared_modules_are_byte_identical_in_every_python_worker(module: str) -> None:
    python_workers = [worker for worker in project.workers() if worker.is_python]
    copies = {worker.id: (worker.folder / "src" / module).read_bytes() for worker in python_workers}
    assert len(copies) == 2 and len(set(copies.values())) == 1, f"src/{module} differs between {', '.join(copies)}"
