"""Fill a Python worker's python_modules/ from its lock (pylock.toml) with hash-checked pure-Python wheels.

This stands in for `pywrangler sync`, which cannot run offline. The lock is checked against pyproject.toml first;
python_modules/ is then filled once and reused until the lock changes, and pip checks every wheel's sha256.

    python -m workers_parity.pymodules.install WORKER_DIR
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from workers_parity.pymodules import lock as pylock
from workers_parity.pymodules.pip import PythonModulesError, canonical_name, check_pip_result, install_args, run_pip
from workers_parity.render import progress

MODULES_DIR_NAME = "python_modules"
STAMP_NAME = ".parity-lock.sha256"
STAMP_FORMAT = "workers_parity.pymodules.install/2"  # bump when the way python_modules is built changes


def stamp_digest(lock_path: Path) -> str:
    return hashlib.sha256(STAMP_FORMAT.encode() + b"\n" + lock_path.read_bytes()).hexdigest()


def is_up_to_date(modules_dir: Path, digest: str) -> bool:
    stamp = modules_dir / STAMP_NAME
    return stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == digest


def requirements_with_hashes(lock: pylock.Lock) -> str:
    return "".join(f"{wheel} --hash=sha256:{wheel.sha256}\n" for wheel in lock.wheels)


def pip_install(lock: pylock.Lock, target: Path, python: str) -> None:
    with tempfile.TemporaryDirectory(prefix="parity-pip-") as scratch:
        requirements = Path(scratch) / "requirements.txt"
        requirements.write_text(requirements_with_hashes(lock), encoding="utf-8")
        # --no-compile: host .pyc files are for the host's Python version and useless to Pyodide.
        args = install_args(target, "--no-deps", "--no-compile", "--require-hashes", "-r", str(requirements))
        result = run_pip(python, args)
    advice = (
        f"If {lock.path.name} was edited by hand, restore it, or write it again with "
        f"`{pylock.refresh_command(lock.path.parent)}`; otherwise the package index served other files than the "
        "locked ones: find out why before trusting it."
    )
    action = f"installing the wheels of {lock.path}"
    check_pip_result(result, action, python, hashes_from=str(lock.path), hash_advice=advice)
    shutil.rmtree(target / "bin", ignore_errors=True)  # console scripts cannot run inside a worker


def swap_in(built: Path, modules_dir: Path) -> None:
    """Replace modules_dir by built with two renames, so readers never see a half-filled folder."""
    retired = built.with_name(built.name + "-old")
    if modules_dir.exists():
        modules_dir.rename(retired)
    built.rename(modules_dir)
    shutil.rmtree(retired, ignore_errors=True)


@contextlib.contextmanager
def exclusive_lock(worker_dir: Path) -> Iterator[None]:
    """Serialise concurrent syncs of one worker (parallel test sessions)."""
    lock_path = worker_dir / ".wrangler" / "python_modules.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def sync_python_modules(worker_dir: Path, *, python: str = sys.executable) -> Path:
    """Make worker_dir/python_modules hold exactly the wheels of its lock; return its path."""
    worker_dir = Path(worker_dir).resolve()
    lock = pylock.load_lock(worker_dir)
    digest = stamp_digest(lock.path)
    modules_dir = worker_dir / MODULES_DIR_NAME
    with exclusive_lock(worker_dir):
        if is_up_to_date(modules_dir, digest):
            print(f"{MODULES_DIR_NAME}: up to date ({worker_dir.name})", flush=True)
            return modules_dir
        why = f"{lock.path.name} changed" if modules_dir.exists() else "first run"
        wheels = f"{len(lock.wheels)} wheel{'' if len(lock.wheels) == 1 else 's'}"
        what = f"installing {worker_dir.name}'s {MODULES_DIR_NAME} from {lock.path.name} ({wheels})"
        with progress.underway(what, why):
            install_into(modules_dir, lock, digest, python)
    return modules_dir


def install_into(modules_dir: Path, lock: pylock.Lock, digest: str, python: str) -> None:
    built = Path(tempfile.mkdtemp(prefix=f".{MODULES_DIR_NAME}-", dir=modules_dir.parent))
    built.chmod(0o755)
    try:
        pip_install(lock, built, python)
        (built / STAMP_NAME).write_text(digest + "\n", encoding="utf-8")
        swap_in(built, modules_dir)
    finally:
        shutil.rmtree(built, ignore_errors=True)


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
    parser.add_argument("worker_dir", type=Path, help="a Python worker folder (holds pyproject.toml and pylock.toml)")
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
