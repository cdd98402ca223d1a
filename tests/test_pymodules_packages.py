"""Real dependency sets, locked against real PyPI and installed as Pyodide loads them: the dependencies of
Cloudflare's python-workers-examples (FastAPI with Jinja2, Django, synchronous HTTP clients), a native package with a
Pyodide wheel, a pure package that ships only its source, and packages that cannot be had, each named with what to
do. The folders are our own, written here."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from workers_parity.pymodules import install as pymodules
from workers_parity.pymodules import lock as pylock
from workers_parity.pymodules.errors import NoUsableDistribution
from workers_parity.pymodules.index import Version
from workers_parity.pymodules.target import PY313, PY314

PYODIDE = r"Python 3\.14 on Pyodide \(pyemscripten_2026_0_wasm32\)"


def worker_folder(tmp_path: Path, dependencies: list[str], dev: list[str] | None = None) -> Path:
    folder = tmp_path / "worker"
    folder.mkdir(exist_ok=True)
    listed = ", ".join(f'"{item}"' for item in dependencies)
    groups = "\n[dependency-groups]\ndev = [" + ", ".join(f'"{item}"' for item in dev) + "]\n" if dev else ""
    (folder / "pyproject.toml").write_text(f'[project]\nname = "w"\nversion = "0"\ndependencies = [{listed}]\n{groups}')
    return folder


def locked_files(folder: Path) -> dict[str, str]:
    """Package -> the file name its lock installs it from."""
    data = tomllib.loads((folder / "pylock.toml").read_text())
    return {entry["name"]: (entry.get("sdist") or entry["wheels"][0])["name"] for entry in data["packages"]}


def compiled_files(folder: Path) -> list[str]:
    return sorted(
        str(path.relative_to(folder / "python_modules")) for path in (folder / "python_modules").rglob("*.so")
    )


def test_fastapi_with_jinja2_gets_pydantic_cores_pyodide_wheel_and_markupsafe_built_pure(tmp_path: Path) -> None:
    """03-fastapi's dependencies: pydantic-core has a wasm wheel on PyPI; markupsafe only a source distribution, whose
    C speedups are optional, so it is built without a compiler into a pure wheel and locked by its sdist hash."""
    folder = worker_folder(tmp_path, ["fastapi", "markupsafe", "jinja2"], dev=["workers-py", "workers-runtime-sdk"])
    pymodules.sync_python_modules(folder)
    files = locked_files(folder)
    assert {"fastapi", "pydantic", "starlette", "jinja2", "workers-runtime-sdk"} <= set(files)
    assert files["pydantic-core"].endswith("-cp314-cp314-pyemscripten_2026_0_wasm32.whl")
    assert re.fullmatch(r"markupsafe-[\d.]+\.tar\.gz", files["markupsafe"])
    assert compiled_files(folder) == ["pydantic_core/_pydantic_core.cpython-314-wasm32-emscripten.so"], (
        "only Pyodide's own compiled code"
    )
    assert (folder / "python_modules" / "markupsafe" / "__init__.py").exists()
    assert pymodules.installed_versions(folder) == {p.name: p.version for p in pylock.load_lock(folder).packages}
    before = (folder / "pylock.toml").read_bytes()
    assert pylock.write_lock(folder).read_bytes() == before, "a lock with a built package is deterministic too"


def test_django_is_locked_for_pyodides_python_not_the_one_running_pip(tmp_path: Path) -> None:
    """Django 6 requires Python >= 3.12: locked by a 3.11 (or older pip), Django 5 would be chosen instead."""
    folder = worker_folder(tmp_path, ["django"])
    pymodules.sync_python_modules(folder)
    versions = pymodules.installed_versions(folder)
    assert Version(versions["django"]) >= Version("6")
    assert {"django", "asgiref", "sqlparse", "workers-runtime-sdk"} == set(versions), "no tzdata: that is for Windows"
    assert (folder / "python_modules" / "django" / "__init__.py").exists()


def test_sync_http_clients_keep_their_own_sdk_pin_and_get_charset_normalizers_pyodide_wheel(tmp_path: Path) -> None:
    """16-sync-http-clients' dependencies: they list workers-runtime-sdk themselves, so no default SDK is added."""
    dependencies = ["httpx>=0.28.0", "requests>=2.32.0", "urllib3>=2.5.0", "workers-runtime-sdk>=1.1.1"]
    folder = worker_folder(tmp_path, dependencies, dev=["workers-py", "workers-runtime-sdk"])
    pymodules.sync_python_modules(folder)
    recorded = tomllib.loads((folder / "pylock.toml").read_text())["tool"]["workers-parity"]
    assert recorded["requirements"] == dependencies
    files = locked_files(folder)
    assert {"httpx", "httpcore", "h11", "anyio", "requests", "urllib3", "certifi", "idna"} <= set(files)
    assert files["charset-normalizer"].endswith("-cp314-cp314-pyemscripten_2026_0_wasm32.whl"), "wasm over pure"
    assert all(name.endswith("wasm32-emscripten.so") for name in compiled_files(folder))


def test_markers_and_extras_are_judged_as_pyodide_judges_them(tmp_path: Path) -> None:
    """Pyodide is Python 3.14 on emscripten: tomli (< 3.11) and pywin32 are left out, exceptiongroup (>= 3.13, which
    the Python running pip may not be) is in, and so are h2 and its own dependencies, for httpx's http2 extra."""
    dependencies = [
        "httpx[http2]",
        "tomli; python_version < '3.11'",
        "exceptiongroup; python_version >= '3.13'",
        "pywin32; sys_platform == 'win32'",
    ]
    folder = worker_folder(tmp_path, dependencies)
    pylock.write_lock(folder)
    files = locked_files(folder)
    assert {"httpx", "h2", "hpack", "hyperframe", "exceptiongroup"} <= set(files)
    assert not {"tomli", "pywin32"} & set(files)


def test_a_native_package_lands_with_its_wasm_shared_library(tmp_path: Path) -> None:
    folder = worker_folder(tmp_path, ["pydantic-core"])
    pymodules.sync_python_modules(folder)
    assert compiled_files(folder) == ["pydantic_core/_pydantic_core.cpython-314-wasm32-emscripten.so"]
    assert not (folder / "python_modules" / "bin").exists()


def test_a_pure_package_that_ships_only_its_source_is_built_and_locked_by_its_sdist(tmp_path: Path) -> None:
    folder = worker_folder(tmp_path, ["docopt"])
    pymodules.sync_python_modules(folder)
    data = tomllib.loads((folder / "pylock.toml").read_text())
    (docopt,) = [entry for entry in data["packages"] if entry["name"] == "docopt"]
    assert "wheels" not in docopt and docopt["sdist"]["url"].startswith("https://files.pythonhosted.org/")
    assert re.fullmatch(r"[0-9a-f]{64}", docopt["sdist"]["hashes"]["sha256"])
    assert (folder / "python_modules" / "docopt.py").exists() and compiled_files(folder) == []


def test_a_package_with_only_linux_mac_and_windows_wheels_is_named_with_what_to_do(tmp_path: Path) -> None:
    """orjson: manylinux, macOS and Windows wheels, no wasm one, and a Rust source (checked on PyPI when written)."""
    folder = worker_folder(tmp_path, ["orjson"])
    with pytest.raises(NoUsableDistribution) as failure:
        pymodules.sync_python_modules(folder)
    assert failure.value.packages == ["orjson"]
    assert re.fullmatch(
        rf"no wheel of orjson \S+ for {PYODIDE} on PyPI, nor a pure-Python one, and its source distribution needs a "
        r"native build \(maturin\): remove it from pyproject.toml, or use a pure-Python alternative",
        str(failure.value),
    )
    assert not (folder / "pylock.toml").exists() and not (folder / "python_modules").exists()


def test_a_package_with_pyodide_wheels_for_another_python_says_which(tmp_path: Path) -> None:
    folder = worker_folder(tmp_path, ["pandas"])
    with pytest.raises(NoUsableDistribution, match=r"its Pyodide wheels are for pyemscripten_2024_0_wasm32 only: "):
        pylock.write_lock(folder)


def test_a_dependency_without_a_wheel_names_the_requirement_that_pulls_it_in(tmp_path: Path) -> None:
    """pydantic 2.9.2 pins pydantic-core 2.23.4, which has no wasm wheel; later pydantic-core releases have one."""
    folder = worker_folder(tmp_path, ["sniffio", "pydantic==2.9.2"])
    with pytest.raises(NoUsableDistribution) as failure:
        pylock.write_lock(folder)
    assert failure.value.packages == ["pydantic-core"]
    message = str(failure.value)
    assert message.startswith(f"no wheel of pydantic-core 2.23.4 for {PYODIDE.replace(chr(92), '')} on PyPI")
    assert "(needed by pydantic==2.9.2): remove pydantic (which needs it) from pyproject.toml" in message
    assert re.search(r"pin a version that has one \(pydantic-core [\d.]+ is the newest\)", message)


def test_every_package_that_cannot_be_had_is_named_one_line_each(tmp_path: Path) -> None:
    folder = worker_folder(tmp_path, ["orjson", "sniffio==99", "no-such-project-workers-parity-test", "idna"])
    with pytest.raises(NoUsableDistribution) as failure:
        pylock.write_lock(folder)
    assert failure.value.packages == ["orjson", "sniffio", "no-such-project-workers-parity-test"]
    lines = str(failure.value).splitlines()
    assert len(lines) == 3 and lines[0].startswith("no wheel of orjson ")
    assert re.fullmatch(
        r"no release of sniffio on PyPI matches sniffio==99 \(the newest is \S+\): fix the requirement in .*", lines[1]
    )
    assert lines[2].startswith("no release of no-such-project-workers-parity-test on PyPI matches ")
    assert "(no such project)" in lines[2]


def test_the_commands_lock_and_sync_a_folder_and_fail_in_one_clear_line(tmp_path: Path) -> None:
    folder = worker_folder(tmp_path, ["sniffio"])
    command = [sys.executable, "-m", "workers_parity"]
    locked = subprocess.run([*command, "lock", str(folder)], capture_output=True, text=True, check=False)
    assert locked.returncode == 0 and f"locked {folder / 'pylock.toml'}" in locked.stdout
    synced = subprocess.run([*command, "sync", str(folder)], capture_output=True, text=True, check=False)
    assert synced.returncode == 0 and (folder / "python_modules" / "sniffio").is_dir()
    worker_folder(tmp_path, ["orjson"])
    failed = subprocess.run([*command, "sync", str(folder)], capture_output=True, text=True, check=False)
    assert failed.returncode == 1
    assert failed.stderr.startswith("workers-parity: error: no wheel of orjson ") and "Traceback" not in failed.stderr
    assert (folder / "python_modules" / "sniffio").is_dir(), "a failed re-lock leaves the last python_modules/"


def test_a_pure_release_far_behind_a_native_package_is_not_taken_for_it(tmp_path: Path) -> None:
    """For Python 3.13 pip would take pydantic-core 0.0.1, a pure-Python placeholder, since 2.x has Pyodide wheels only
    for 3.14: that is named as missing (so a worker moves to the newest Python) instead of locked."""
    folder = worker_folder(tmp_path, ["pydantic-core"])
    with pytest.raises(NoUsableDistribution) as missing:
        pylock.write_lock(folder, target=PY313)
    assert missing.value.packages == ["pydantic-core"]
    assert "the release pip would take instead, 0.0.1, is a pure-Python one without its native code" in str(
        missing.value
    )
    assert "pin a version" not in str(missing.value), "no release of it with a Pyodide wheel loads on 3.13"
    pylock.write_lock(folder, target=PY314)
    assert locked_files(folder)["pydantic-core"].endswith("pyemscripten_2026_0_wasm32.whl")
