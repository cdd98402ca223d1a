"""The direct host for JavaScript (`--js-runtime direct`: workerd through miniflare, as pyodide-workerd runs Python,
with no `wrangler dev` in front) end to end: the notes pair of examples/ (KV, D1 with migrations, vars) agrees on
every case with JavaScript there, and the report says which host ran it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the repository
NOTES = ROOT / "examples" / "notes"


def test_the_notes_pair_agrees_with_javascript_in_the_direct_host(tmp_path: Path) -> None:
    shutil.copytree(NOTES, tmp_path, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".wrangler", "python_modules"))
    (tmp_path / "workers-parity.toml").write_text(
        'cases = ["parity-cases.toml"]\n\n[[worker]]\nfolder = "js"\n\n[[worker]]\nfolder = "py"\n'
    )
    env = {key: value for key, value in os.environ.items() if key != "WORKERS_PARITY_CONFIG"}
    argv = [
        sys.executable,
        "-m",
        "workers_parity",
        "run",
        "--js-runtime",
        "direct",
        "--python-runtime",
        "pyodide-workerd",
    ]
    result = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=600, env=env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads((tmp_path / "reports" / "parity.json").read_text())
    runs = {worker["id"]: worker for worker in document["workers"]}
    assert runs["notes-js"]["runtime"] == "direct" and "wrangler" not in runs["notes-js"]["versions"]
    assert runs["notes-py"]["runtime"] == "pyodide-workerd"
    cells = document["cells"]
    assert len(cells) >= 40 and all(cell["outcome"] == "pass" for cell in cells)
