"""`workers-parity run` end to end on made-up workers (tests/fake_workers.py: HTTP servers in this process, reached
by base_url), so no Node is needed: exit codes, the report files and their JSON shape, file order on shared state,
masks, expect, baseline, --worker and --base-url; and every error a user can make, one line naming file and line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fake_workers import CASES, FakeWorker, project, serving, worker_folder


def run(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "WORKERS_PARITY_CONFIG"}
    return subprocess.run(
        [sys.executable, "-m", "workers_parity", "run", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "NO_COLOR": "1"},
    )


def report(folder: Path) -> dict:
    return json.loads((folder / "reports" / "parity.json").read_text())


def failing_cells(folder: Path) -> list[tuple[str, str]]:
    return [(cell["case"], cell["worker"]) for cell in report(folder)["cells"] if cell["outcome"] != "pass"]


def test_workers_that_agree_pass_and_the_report_is_written_beside_the_config(tmp_path: Path) -> None:
    with serving(FakeWorker(), FakeWorker()) as (js, py):
        result = run(project(tmp_path, {"js": js.url, "py": py.url}))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Parity report: PASS: 3 tests (3 pass)" in result.stdout
    assert {path.name for path in (tmp_path / "reports").iterdir()} >= {"parity.md", "parity.html", "parity.json"}
    document = report(tmp_path)
    assert document["verdict"] == "PASS"
    assert {(c["case"], c["worker"], c["outcome"], c["diff"]) for c in document["cells"]} == {
        (case, worker, "pass", "") for case in ("empty", "create", "list") for worker in ("js", "py")
    }
    assert (
        js.seen[1:] == py.seen[1:] == ["GET /items", "POST /items", "GET /items"]
    )  # after a readiness probe: in file order


def test_a_header_one_worker_adds_fails_the_case_naming_the_field(tmp_path: Path) -> None:
    def stray_header(method, path, headers):
        return {"x-powered-by": "py"} if method == "POST" else None

    with serving(FakeWorker(), FakeWorker(stray_header)) as (js, py):
        result = run(project(tmp_path, {"js": js.url, "py": py.url}))
    assert result.returncode == 1, result.stdout + result.stderr
    assert failing_cells(tmp_path) == [("create", "js"), ("create", "py")]  # two workers: neither is right
    diff = next(c["diff"] for c in report(tmp_path)["cells"] if c["outcome"] == "fail")
    assert "header x-powered-by differs:\n  js: (absent)\n  py: 'py'" in diff
    assert "✗ create: header x-powered-by differs" in result.stdout


def test_a_mask_lets_a_header_differ_and_the_report_counts_what_it_changed(tmp_path: Path) -> None:
    def request_id(worker: str):
        return lambda method, path, headers: None if method == "POST" else {"x-request-id": f"{worker}-{len(path)}"}

    mask = '[[mask]]\nheader = "x-request-id"\nreason = "each answer has its own"\n'
    with serving(FakeWorker(request_id("js")), FakeWorker(request_id("py"))) as (js, py):
        result = run(project(tmp_path, {"js": js.url, "py": py.url}, mask))
    assert result.returncode == 0, result.stdout + result.stderr
    (row,) = report(tmp_path)["masks"]
    assert (row["mask"], row["answers_seen"], row["answers_changed"]) == ("header x-request-id", 6, 4)
    assert row["where"] == "workers-parity.toml:2"
    assert "mask header x-request-id (workers-parity.toml:2): changed 4 of 6 answers" in result.stdout


def test_expect_fails_workers_that_agree(tmp_path: Path) -> None:
    cases = CASES.replace("expect = { status = 201 }", "expect = { status = 200 }")
    with serving(FakeWorker(), FakeWorker()) as (js, py):
        result = run(project(tmp_path, {"js": js.url, "py": py.url}, cases=cases))
    assert result.returncode == 1
    assert failing_cells(tmp_path) == [("create", "js"), ("create", "py")]
    assert "status: the case says 200, got 201" in (tmp_path / "reports" / "parity.md").read_text()


def test_with_a_baseline_only_the_worker_apart_from_it_fails(tmp_path: Path) -> None:
    def other_body(method, path, headers):
        return (404, {}, b'{"error":"gone"}') if path == "/missing" else None

    cases = '[[case]]\nid = "missing"\npath = "/missing"\n'
    with serving(FakeWorker(), FakeWorker(other_body), FakeWorker(other_body)) as (js, py, rs):
        urls = {"js": js.url, "py": py.url, "rs": rs.url}
        result = run(project(tmp_path, urls, 'baseline = "js"', cases))
    assert result.returncode == 1
    assert failing_cells(tmp_path) == [("missing", "py"), ("missing", "rs")]  # the majority does not win


def test_worker_narrows_the_run_to_partial(tmp_path: Path) -> None:
    with serving(FakeWorker(), FakeWorker()) as (js, py):
        result = run(project(tmp_path, {"js": js.url, "py": py.url}), "--worker", "js")
    assert result.returncode == 3, result.stdout + result.stderr
    assert report(tmp_path)["verdict"] == "PARTIAL"
    assert "workers not selected for this run (--worker/--base-url): py" in result.stdout


def test_base_url_reaches_a_worker_elsewhere_and_a_silent_one_fails_in_one_line(tmp_path: Path) -> None:
    with serving(FakeWorker(), FakeWorker()) as (js, py):
        project(tmp_path, {"js": "http://127.0.0.1:9", "py": py.url})  # port 9: nothing listens
        moved = run(tmp_path, "--base-url", f"js={js.url}")
        silent = run(tmp_path)
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert silent.returncode == 1
    assert "workers-parity: js: nothing answers at http://127.0.0.1:9; start it there, or drop its --base-url" in (
        silent.stderr
    )


def test_a_pyproject_table_is_a_config_too(tmp_path: Path) -> None:
    with serving(FakeWorker(), FakeWorker()) as (js, py):
        project(tmp_path, {"js": js.url, "py": py.url})
        text = (tmp_path / "workers-parity.toml").read_text()
        (tmp_path / "workers-parity.toml").unlink()
        table = text.replace("[[worker]]", "[[tool.workers-parity.worker]]")
        (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.workers-parity]\n' + table)
        result = run(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


# --- errors: exit 2, one line naming the file (and line) and what to do -----------------------------------------


def error_of(folder: Path, *args: str) -> str:
    result = run(folder, *args)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("workers-parity: error: "), result.stderr
    return lines[0].removeprefix("workers-parity: error: ")


def broken_project(tmp_path: Path, extra: str = "", cases: str = CASES) -> Path:
    return project(tmp_path, {"js": "http://127.0.0.1:9", "py": "http://127.0.0.1:9"}, extra, cases)


def test_an_unknown_config_key_is_named_with_its_line(tmp_path: Path) -> None:
    broken_project(tmp_path, "basline = 'js'")
    assert error_of(tmp_path).startswith(f"{tmp_path}/workers-parity.toml:2: unknown key 'basline' in the config")


def test_an_unknown_worker_key_is_named_with_its_line(tmp_path: Path) -> None:
    broken_project(tmp_path)
    config = tmp_path / "workers-parity.toml"
    config.write_text(config.read_text().replace('folder = "py"', 'folder = "py"\nreadypath = "/"'))
    assert error_of(tmp_path).startswith(f"{config}:10: unknown key 'readypath' in [[worker]] number 2")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda root: (root / "py" / "wrangler.toml").unlink(), "py: no wrangler config (looked for wrangler.jsonc"),
        (lambda root: __import__("shutil").rmtree(root / "py"), "py: no such folder"),
        (lambda root: worker_folder(root, "py", "src/main.go"), "main 'src/main.go' is in no language"),
        (lambda root: (root / "py" / "wrangler.toml").write_text("name = [\n"), "wrangler.toml: cannot be read"),
    ],
)
def test_a_worker_folder_that_cannot_be_used_is_named(tmp_path: Path, change, expected: str) -> None:
    broken_project(tmp_path)
    change(tmp_path)
    assert expected in error_of(tmp_path)


@pytest.mark.parametrize(
    ("cases", "expected"),
    [
        ('[[case]]\nid = "a"\npath = "/"\nexpext = { status = 200 }\n', "cases.toml:4: case 'a': unknown key 'expext'"),
        (
            '[[case]]\nid = "a"\n\n[[case]]\nid = "b"\nmask = [{ body = "(" }]\n',
            "cases.toml:6: case 'b': bad mask regex",
        ),
        ('[[case]]\nid = "a"\nexpect = { body_regex = "[" }\n', "cases.toml:3: case 'a': bad expect.body_regex"),
        ('[[case]]\nid = "a"\n\n[[case]]\nid = "a"\n', "cases.toml:4: case id 'a' is used twice (first at"),
        ('[[case]]\npath = "/"\n', "cases.toml:1: case '?': every case needs an id"),
        ('[[case]]\nid = "a"\nbody = "x"\nhex = "00"\n', "cases.toml:4: case 'a': give the body one way only"),
        ('[[case]]\nid = "a"\nmethod = "GET /"\n', "cases.toml:3: case 'a': method 'GET /' is not an HTTP method"),
        ('[[case]]\nid = "a"\npath = "x"\n', "cases.toml:3: case 'a': path 'x' must start with /"),
        ("[[case]]\nid = 'a'\nexpect = { status = 'ok' }\n", "cases.toml:3: case 'a': expect.status must be an HTTP"),
        ("cases = 3\n", "cases.toml:1: unknown key 'cases': a case file holds [[case]] tables only"),
        ('[[case]]\nid = "a"\npath = "/\n', "cases.toml: not valid TOML"),
    ],
)
def test_a_case_file_that_cannot_be_used_is_named_with_its_line(tmp_path: Path, cases: str, expected: str) -> None:
    broken_project(tmp_path, cases=cases)
    assert error_of(tmp_path).startswith(f"{tmp_path}/{expected}")


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("[[mask]]\nbody = '(x'\n", "workers-parity.toml:2: [[mask]]: bad mask regex"),
        ("[[mask]]\nheader = 'a'\nbody = 'b'\n", "workers-parity.toml:2: [[mask]]: a mask names either"),
        ('baseline = "go"', "workers-parity.toml: baseline 'go' names no configured worker"),
        ("found_cases = 3", "workers-parity.toml:2: found_cases must be a string, not 3"),
        ("plugins = ['nowhere.py']", "nowhere.py: no such plug-in file; fix the path in the config's `plugins`"),
        ("plugins = ['cases.toml']", "cases.toml: a plug-in is a Python file"),
    ],
)
def test_a_config_that_cannot_be_used_is_named(tmp_path: Path, extra: str, expected: str) -> None:
    broken_project(tmp_path, extra)
    assert expected in error_of(tmp_path)


def test_a_missing_case_file_and_a_bad_base_url_are_named(tmp_path: Path) -> None:
    broken_project(tmp_path)
    (tmp_path / "cases.toml").unlink()
    assert (
        error_of(tmp_path)
        == f"{tmp_path}/cases.toml: no such case file; create it, or fix the path in the config's `cases`"
    )
    broken_project(tmp_path)
    assert "--base-url takes NAME=URL" in error_of(tmp_path, "--base-url", "js")
    assert "unknown worker 'go'" in error_of(tmp_path, "--worker", "go")


def test_no_config_is_named_with_what_to_do(tmp_path: Path) -> None:
    assert "`workers-parity init` writes one" in error_of(tmp_path)


def test_a_plugin_that_fails_to_import_is_named(tmp_path: Path) -> None:
    (tmp_path / "oops_plugin.py").write_text("raise RuntimeError('half written')\n")
    broken_project(tmp_path, "plugins = ['oops_plugin.py']")
    assert error_of(tmp_path).endswith("oops_plugin.py: the plug-in failed to import (RuntimeError: half written)")


def test_a_worker_that_fails_to_start_is_one_line_then_its_log_and_fails_the_run(tmp_path: Path) -> None:
    """A real start under wrangler dev: a JavaScript worker with a syntax error."""
    with serving(FakeWorker()) as (py,):
        project(tmp_path, {"py": py.url})
        worker_folder(tmp_path, "js")
        (tmp_path / "js" / "src" / "index.js").write_text("export default { fetch( {\n")
        config = tmp_path / "workers-parity.toml"
        config.write_text(config.read_text() + '\n[[worker]]\nfolder = "js"\n')
        result = run(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    line, *tail = result.stderr.strip().splitlines()
    assert line.startswith("workers-parity: js: did not start: js: dev server exited with code 1 before answering")
    assert line.endswith(f"(full log: {tmp_path}/reports/logs/js.log)")
    assert tail and all(text.startswith("  | ") for text in tail) and "index.js" in "\n".join(tail)
    assert report(tmp_path)["verdict"] == "FAIL"
    assert {cell["outcome"] for cell in report(tmp_path)["cells"] if cell["worker"] == "js"} == {"error"}
