"""Each host end to end, whatever the language: JavaScript in the direct host (`--js-runtime direct`: workerd through
miniflare, as pyodide-workerd runs Python, nothing in front) and Python behind `wrangler dev` (`pyodide-wrangler`).
The notes pair of examples/ (KV, D1 with migrations, vars) agrees on every case in each, and the report names the
runtime that ran each worker and the tools that make it up."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]  # the repository
NOTES = ROOT / "examples" / "notes"
CONFIG = 'cases = ["parity-cases.toml"]\n\n[[worker]]\nfolder = "js"\n\n[[worker]]\nfolder = "py"\n'


@pytest.mark.parametrize(
    ("js_runtime", "python_runtime", "wrangler_in"),
    [("direct", "pyodide-workerd", set()), ("workerd", "pyodide-wrangler", {"notes-js", "notes-py"})],
)
def test_the_notes_pair_agrees_in_each_host(
    tmp_path: Path, js_runtime: str, python_runtime: str, wrangler_in: set[str]
) -> None:
    shutil.copytree(NOTES, tmp_path, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".wrangler", "python_modules"))
    (tmp_path / "workers-parity.toml").write_text(CONFIG)
    env = {key: value for key, value in os.environ.items() if key != "WORKERS_PARITY_CONFIG"}
    runtimes = ["--js-runtime", js_runtime, "--python-runtime", python_runtime]
    argv = [sys.executable, "-m", "workers_parity", "run", *runtimes]
    result = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=600, env=env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads((tmp_path / "reports" / "parity.json").read_text())
    runs = {worker["id"]: worker for worker in document["workers"]}
    assert (runs["notes-js"]["runtime"], runs["notes-py"]["runtime"]) == (js_runtime, python_runtime)
    assert {worker for worker, run in runs.items() if "wrangler" in run["versions"]} == wrangler_in
    cells = document["cells"]
    assert len(cells) >= 40 and all(cell["outcome"] == "pass" for cell in cells)
