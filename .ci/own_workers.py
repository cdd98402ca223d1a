#!/usr/bin/env python3
"""CI for README's "Use it on your own workers": its five commands, exactly as written there, in a temporary folder
outside the repository with a fresh venv (beside a link to this checkout, as `workers-parity`). The example pair must
PASS; a copy with one answer changed must FAIL, naming the case and the field. Standard library only."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SECTION = "## Use it on your own workers"
CHANGE = ("py/src/entry.py", '"text is required"', '"text is missing"')  # one answer of the Python worker
EXPECTED_FAILURE = ("text-missing", "body differs")


def readme_commands() -> list[str]:
    """The first ```sh block of the README's section, one command a line."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split(SECTION, 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    return [line for line in block.group(1).splitlines() if line.strip()]


def bash(script: str, cwd: Path) -> int:
    print(f"$ {script}", flush=True)
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd).returncode


def failing_cells(folder: Path) -> list[tuple[str, str, str]]:
    document = json.loads((folder / "reports" / "parity.json").read_text(encoding="utf-8"))
    return [(c["case"], c["worker"], c["diff"]) for c in document["cells"] if c["outcome"] != "pass"]


def main() -> int:
    commands = readme_commands()
    assert len(commands) == 5, f"the README's section has {len(commands)} commands, not five: {commands}"
    with tempfile.TemporaryDirectory(prefix="workers-parity-own-") as scratch:
        root = Path(scratch)
        (root / "workers-parity").symlink_to(REPO)
        if bash("\n".join(commands), root) != 0:
            print("FAIL: the README's commands did not end in PASS", file=sys.stderr)
            return 1
        # A changed copy of the pair as a user makes one: from the example, with the config init wrote (not a copy
        # of notes/, whose .wrangler/ caches would come along).
        changed = root / "changed"
        subprocess.run(["cp", "-r", str(REPO / "examples" / "notes"), str(changed)], check=True)
        (changed / "workers-parity.toml").write_bytes((root / "notes" / "workers-parity.toml").read_bytes())
        path, before, after = CHANGE
        source = changed / path
        source.write_text(source.read_text(encoding="utf-8").replace(before, after), encoding="utf-8")
        code = bash(f". .venv/bin/activate && cd changed && {commands[-1]}", root)
        cells = failing_cells(changed)
        print(f"changed copy: exit {code}, failing cells: {[(case, worker) for case, worker, _ in cells]}")
        case, field = EXPECTED_FAILURE
        if code != 1 or not cells or any(c != case or field not in diff for c, _, diff in cells):
            print(f"FAIL: the changed copy should fail case {case} only, with '{field}'", file=sys.stderr)
            return 1
    print("own workers: PASS on the example pair, FAIL with the right case and field on a changed copy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
