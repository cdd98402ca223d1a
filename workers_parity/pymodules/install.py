"""Fill a Python worker's python_modules/ as `pywrangler sync` does, offline-capable and hash-checked: from its lock
(pylock.toml, written first when missing or out of date), with the target Pyodide's wheels and pure-Python ones.

python_modules/ is filled once and reused until the lock changes. It is built beside the folder and swapped in with
renames, under a lock on the worker folder, so neither a second sync at once nor a killed one leaves it half-filled.

    python -m workers_parity.pymodules.install WORKER_DIR
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
from pathlib import Path

from workers_parity.pymodules import lock as pylock
from workers_parity.pymodules import sdist
from workers_parity.pymodules.errors import PythonModulesError
from workers_parity.pymodules.lock import LOCK_NAME, Lock
from workers_parity.pymodules.pip import Unavailable, canonical_name, check_pip_result, install_args, run_pip
from workers_parity.pymodules.resolve import Locked
from workers_parity.pymodules.target import DEFAULT_TARGET, PythonTarget
from workers_parity.render import progress

MODULES_DIR_NAME = "python_modules"
BUILDING_PREFIX = f".{MODULES_DIR_NAME}-"  # python_modules/ being built, beside it
STAMP_NAME = ".parity-lock.sha256"
STAMP_FORMAT = "workers_parity.pymodules.install/3"  # bump when the way python_modules is built changes


def sync_python_modules(folder: Path, *, target: PythonTarget = DEFAULT_TARGET, python: str = sys.executable) -> Path:
    """Make folder/python_modules hold exactly the packages of its lock for the target; return its path."""
    folder = Path(folder).resolve()
    modules_dir = folder / MODULES_DIR_NAME
    with pylock.serialized(folder):
        remove_leftovers(folder)
        lock = pylock.ensure_lock(folder, target=target, python=python)
        digest = stamp_digest(lock.path)
        if is_up_to_date(modules_dir, digest):
            print(f"{MODULES_DIR_NAME}: up to date ({folder.name})", flush=True)
            return modules_dir
        why = f"{LOCK_NAME} changed" if modules_dir.exists() else "first run"
        count = f"{len(lock.packages)} package{'' if len(lock.packages) == 1 else 's'}"
        with progress.underway(f"installing {folder.name}'s {MODULES_DIR_NAME} from {LOCK_NAME} ({count})", why):
            install_into(modules_dir, lock, digest, target, python)
    return modules_dir


def remove_leftovers(folder: Path) -> None:
    """What a killed sync left: a python_modules/ being built or retired, a lock being written."""
    for leftover in [*folder.glob(BUILDING_PREFIX + "*"), *folder.glob(f".{LOCK_NAME}-*")]:
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


def stamp_digest(lock_path: Path) -> str:
    return hashlib.sha256(STAMP_FORMAT.encode() + b"\n" + lock_path.read_bytes()).hexdigest()


def is_up_to_date(modules_dir: Path, digest: str) -> bool:
    stamp = modules_dir / STAMP_NAME
    return stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == digest


def install_into(modules_dir: Path, lock: Lock, digest: str, target: PythonTarget, python: str) -> None:
    built = Path(tempfile.mkdtemp(prefix=BUILDING_PREFIX, dir=modules_dir.parent))
    built.chmod(0o755)
    try:
        pip_install(lock, built, target, python)
        (built / STAMP_NAME).write_text(digest + "\n", encoding="utf-8")
        swap_in(built, modules_dir)
    finally:
        shutil.rmtree(built, ignore_errors=True)


def pip_install(lock: Lock, directory: Path, target: PythonTarget, python: str) -> None:
    with tempfile.TemporaryDirectory(prefix="parity-pip-") as scratch:
        requirements = Path(scratch) / "requirements.txt"
        requirements.write_text(requirements_with_hashes(lock, Path(scratch), target, python), encoding="utf-8")
        # --no-compile: host .pyc files are for the host's Python version and useless to Pyodide.
        args = install_args(directory, target, "--no-deps", "--no-compile", "--require-hashes", "-r", str(requirements))
        result = run_pip(python, args)
    refresh = pylock.refresh_command(lock.path.parent)
    advice = (
        f"If {lock.path.name} was edited by hand, restore it, or write it again with `{refresh}`; otherwise the "
        "package index served other files than the locked ones: find out why before trusting it."
    )
    try:
        check_pip_result(result, f"installing the packages of {lock.path}", hashes_from=str(lock.path), advice=advice)
    except Unavailable as unavailable:
        raise PythonModulesError(
            f"the package index has no file for {', '.join(unavailable.requirements.values())} that {lock.path} "
            f"names (removed from the index, or the lock was edited): write the lock again with `{refresh}`"
        ) from None
    shutil.rmtree(directory / "bin", ignore_errors=True)  # console scripts cannot run inside a worker


def requirements_with_hashes(lock: Lock, scratch: Path, target: PythonTarget, python: str) -> str:
    """Locked wheels by name and version (a mirror pip is configured with may serve them); packages locked as a
    source distribution as the pure wheel built from it here."""
    lines = [f"{package} --hash=sha256:{package.sha256}" for package in lock.packages if not package.from_source]
    for package in lock.packages:
        if package.from_source:
            wheel = sdist.build_pure_wheel(source_of(package), scratch / "built", target, python)
            lines.append(f"{wheel} --hash=sha256:{hashlib.sha256(wheel.read_bytes()).hexdigest()}")
    return "".join(line + "\n" for line in lines)


def source_of(package: Locked) -> sdist.Source:
    return sdist.Source(package.name, package.version, package.filename, package.url, package.sha256)


def swap_in(built: Path, modules_dir: Path) -> None:
    """Replace modules_dir by built with two renames, so readers never see a half-filled folder."""
    retired = built.with_name(built.name + "-old")
    if modules_dir.exists():
        modules_dir.rename(retired)
    built.rename(modules_dir)
    shutil.rmtree(retired, ignore_errors=True)


def installed_versions(worker_dir: Path) -> dict[str, str]:
    """What python_modules/ holds, read from its .dist-info folders: {"starlette": "1.10.0", ...}."""
    infos = sorted((worker_dir / MODULES_DIR_NAME).glob("*.dist-info"))
    return dict(parse_dist_info_name(info.name) for info in infos)


def parse_dist_info_name(directory_name: str) -> tuple[str, str]:
    """`workers_runtime_sdk-1.9.5.dist-info` -> ("workers-runtime-sdk", "1.9.5")."""
    name, _, version = directory_name.removesuffix(".dist-info").rpartition("-")
    return canonical_name(name), version


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m workers_parity.pymodules.install", description=__doc__.splitlines()[0]
    )
    parser.add_argument("worker_dir", type=Path, help="a Python worker folder (pyproject.toml and pylock.toml)")
    parser.add_argument("--python", default=sys.executable, help="interpreter whose pip is used (default: this one)")
    args = parser.parse_args(argv)
    try:
        sync_python_modules(args.worker_dir, python=args.python)
    except PythonModulesError as error:
        print(f"{MODULES_DIR_NAME}: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
