"""Each worker folder stands alone: the Python workers' shared modules stay equal copies, js-worker's scripts work."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from workers_parity import project
from workers_parity.servers import toolchain

ROOT = Path(__file__).resolve().parents[1]  # the repository

PY = project.get("py")
PY_MINIMAL = project.get("py-minimal")
ENTRY_MODULE = "entry.py"  # each worker's own entry point; every other module of the same name is a copy


def shared_module_names() -> list[str]:
    """Modules both Python workers have under src/ (copied, because each folder deploys on its own)."""
    names = {path.name for path in (PY.folder / "src").glob("*.py")}
    return sorted(names & {path.name for path in (PY_MINIMAL.folder / "src").glob("*.py")} - {ENTRY_MODULE})


def test_the_python_workers_share_modules() -> None:
    assert {"pages.py", "submission.py"} <= set(shared_module_names())


@pytest.mark.parametrize("name", shared_module_names())
def test_shared_modules_are_byte_identical(name: str) -> None:
    original, copy = PY.folder / "src" / name, PY_MINIMAL.folder / "src" / name
    assert original.read_bytes() == copy.read_bytes(), (
        f"{original} and {copy} differ; they are one module copied into each worker folder: "
        f"edit one, then `cp {original.relative_to(ROOT)} {copy.relative_to(ROOT)}`"
    )


def npm_run_in(folder: Path, script: str) -> subprocess.CompletedProcess[str]:
    command = [*toolchain.npm_command(), "run", script]
    return subprocess.run(command, cwd=folder, env=toolchain.node_env(), capture_output=True, text=True, timeout=300)


def test_js_worker_check_script_bundles_for_deploy() -> None:
    """`npm run check` (`wrangler deploy --dry-run`, as in Cloudflare's d1 template) builds the worker offline."""
    toolchain.ensure_project_node_modules(project.current().root)  # js-worker's own wrangler (npm workspace)
    result = npm_run_in(project.get("js").folder, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "env.DB (parity-counter)" in result.stdout and "--dry-run: exiting now." in result.stdout
