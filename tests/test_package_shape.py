"""The package's shape, read from its source: no module imports one that imports it back (however indirectly, at
the top or inside a function), and the tool's core names nothing of this repository's app — no worker id, route,
table or contract rule (those live in shared-tests/: our cases, masks and plug-in)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "workers_parity"
HOST = PACKAGE / "pyodide_workerd"  # the offline runtime's own files, documented with examples of ours
OUR_APP = re.compile(
    r"js-worker|py-worker|py-minimal|page_views|x-worker|/counter|/status|/hello|\"/form|CONTRACT\.md|\bC1?[0-9]\.[0-9]"
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(tree: ast.AST, known: set[str]) -> set[str]:
    """Every package module this source imports, anywhere in it (TYPE_CHECKING blocks and functions too)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name in known}


def graph() -> dict[str, set[str]]:
    sources = {module_name(path): path for path in PACKAGE.rglob("*.py") if HOST not in path.parents}
    known = set(sources)
    return {name: imported(ast.parse(path.read_text()), known) - {name} for name, path in sources.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in edges:
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_one_that_imports_it_back() -> None:
    edges = graph()
    assert len(edges) > 80
    assert cycles(edges) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize(
    "path", sorted(p for p in PACKAGE.rglob("*.py") if HOST not in p.parents), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_the_core_names_nothing_of_our_app(path: Path) -> None:
    named = [
        f"{number}: {line.strip()}"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if OUR_APP.search(line)
    ]
    assert not named, f"{path} names our app (move it to shared-tests/): {named}"
