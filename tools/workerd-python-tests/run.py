"""Runs workerd's own Python tests (src/workerd/server/tests/python/ of a workerd checkout) in pyodide-workerd.

    python tools/workerd-python-tests/run.py WORKERD_CHECKOUT [TEST ...]

Each test is a workerd config (`*.wd-test`) with Python modules whose `test` handler `workerd test` runs. Those that
fit one module worker — one worker, its modules, and bindings a wrangler config can say (text, a service binding to
itself, Durable Objects) — are turned into a worker folder in a temporary directory (nothing of workerd is copied
into this repository), served by pyodide-workerd with `--test-handler`, and their `test` handler is run once on
Python 3.13 and once on 3.14, at the oldest compatibility date with the Python's flag, as workerd's test rules run
them. The others are listed with the reason they do not fit. Needs workers-parity installed (`pip install .`).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from workers_parity import project
from workers_parity.http import client
from workers_parity.servers.devserver import DevServerError
from workers_parity.servers.fleet import fresh_server
from workers_parity.servers.registry import Runtime

TESTS_DIR = "src/workerd/server/tests/python"
# As workerd's own test rules run them: the oldest compatibility date, the Python chosen by its flag.
COMPATIBILITY_DATE = "2000-01-01"
PYTHON_FLAGS = {"3.13": "python_workers_20250116", "3.14": "python_workers_20260610"}
MODULE = re.compile(r'\(\s*name\s*=\s*"([^"]+)"\s*,\s*(\w+)\s*=\s*embed\s*"([^"]+)"\s*\)')
FLAGS = re.compile(r"compatibilityFlags\s*=\s*\[([^\]]*)\]")
SDK_ONLY = '[project]\nname = "workerd-python-test"\nversion = "0"\ndependencies = []\n'


class DoesNotFit(Exception):
    """The test needs more than one module worker can be given through a wrangler config."""


@dataclass
class WorkerTest:
    name: str
    modules: list[tuple[str, str, str]]  # (module name, kind, file)
    flags: list[str]
    config: dict = field(default_factory=dict)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=Path, help="a workerd checkout or bare clone")
    parser.add_argument("tests", nargs="*", help="test folders to run (default: all)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="workerd-python-tests-") as scratch:
        tests_dir = export_tests(args.checkout, Path(scratch))
        names = args.tests or sorted(path.name for path in tests_dir.iterdir() if path.is_dir())
        rows = [run_one(tests_dir / name, Path(scratch) / "workers") for name in names]
    print_table(rows)
    return 0 if all(verdict != "failed" for _, verdict, _ in rows) else 1


def export_tests(checkout: Path, scratch: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(checkout), "archive", "HEAD", TESTS_DIR], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(scratch, filter="data")
    return scratch / TESTS_DIR


def run_one(test_dir: Path, workers: Path) -> tuple[str, str, str]:
    try:
        test = read_test(test_dir)
    except DoesNotFit as reason:
        return (test_dir.name, "does not fit", str(reason))
    outcomes = {
        python: run_on(test, test_dir, workers / f"{test.name}-{python}", flag) for python, flag in PYTHON_FLAGS.items()
    }
    verdict = "passed" if all(ok for ok, _ in outcomes.values()) else "failed"
    detail = "; ".join(f"{python}: {'passed' if ok else why}" for python, (ok, why) in outcomes.items())
    return (test_dir.name, verdict, detail)


def read_test(test_dir: Path) -> WorkerTest:
    configs = sorted(test_dir.glob("*.wd-test"))
    if len(configs) != 1:
        raise DoesNotFit(f"{len(configs)} workerd configs")
    text = re.sub(r"#.*", "", configs[0].read_text())
    if text.count("worker = (") + text.count(":Workerd.Worker = (") != 1:
        raise DoesNotFit("several workers")
    modules = MODULE.findall(text)
    kinds = {kind for _, kind, _ in modules}
    if not modules or modules[0][1] != "pythonModule" or kinds - {"pythonModule", "esModule", "text", "data"}:
        raise DoesNotFit(f"modules of kinds {sorted(kinds)}")
    if any(name.startswith("python_modules/") for name, _, _ in modules):
        raise DoesNotFit("its own files in python_modules/, which a worker folder's pyproject.toml fills here")
    flags_text = FLAGS.search(text)
    flags = re.findall(r'"([^"]+)"', flags_text.group(1)) if flags_text else []
    test = WorkerTest(name=test_dir.name, modules=modules, flags=["python_workers", *flags])
    test.config = bindings_config(text, f"workerd-test-{test_dir.name}")
    return test


def bindings_config(text: str, worker_name: str) -> dict:
    config: dict = {}
    block = re.search(r"bindings\s*=\s*\[(.*?)\n\s*\]", text, re.S)
    entries = (
        re.findall(r"\(\s*name\s*=\s*\"([^\"]+)\"\s*,\s*(\w+)\s*=\s*(.*?)\)\s*,?\s*(?=\(|$)", block.group(1), re.S)
        if block
        else []
    )
    for name, kind, value in entries:
        value = value.strip().rstrip(",").strip()
        if kind == "text":
            config.setdefault("vars", {})[name] = json.loads(value)
        elif kind == "service":
            entrypoint = re.search(r'entrypoint\s*=\s*"([^"]+)"', value)
            binding = {"binding": name, "service": worker_name}
            config.setdefault("services", []).append(binding | ({"entrypoint": entrypoint[1]} if entrypoint else {}))
        elif kind == "durableObjectNamespace":
            class_name = json.loads(value)
            config.setdefault("durable_objects", {"bindings": []})["bindings"].append(
                {"name": name, "class_name": class_name}
            )
            config.setdefault("migrations", [{"tag": "v1", "new_sqlite_classes": []}])[0]["new_sqlite_classes"].append(
                class_name
            )
        else:
            raise DoesNotFit(f"a {kind} binding")
    return config


def run_on(test: WorkerTest, test_dir: Path, folder: Path, python_flag: str) -> tuple[bool, str]:
    write_worker(test, test_dir, folder, python_flag)
    worker = project.worker_from_folder(folder, port=0, worker_id=test.name)
    server = fresh_server(worker, folder, Runtime.PYODIDE_WORKERD, extra_args=("--test-handler",))
    try:
        with server:
            reply = client.get(server.base_url, "/__test", timeout=120)
    except DevServerError as error:
        return False, f"did not start ({str(error).splitlines()[0]})"
    if reply.status == 200:
        return True, "passed"
    return False, last_error_line(reply.text)


def write_worker(test: WorkerTest, test_dir: Path, folder: Path, python_flag: str) -> None:
    (folder / "src").mkdir(parents=True)
    for module, _, file in test.modules:
        target = folder / "src" / module
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((test_dir / file).read_bytes())
    main = test.modules[0][0]
    config = {"name": f"workerd-test-{test.name}", "main": f"src/{main}", "compatibility_date": COMPATIBILITY_DATE}
    config |= {"compatibility_flags": [*test.flags, python_flag], **test.config}
    (folder / "wrangler.json").write_text(json.dumps(config, indent=2))
    (folder / "pyproject.toml").write_text(SDK_ONLY)


def last_error_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"^[\w.]*(Error|Exception)\b", line)]
    return (errors or lines or ["no answer"])[-1][:160]


def print_table(rows: list[tuple[str, str, str]]) -> None:
    width = max(len(name) for name, _, _ in rows)
    for name, verdict, detail in rows:
        print(f"{name:<{width}}  {verdict:<12}  {detail}")


if __name__ == "__main__":
    sys.exit(main())
