"""The parity report, on small hand-made results (plugins/results.py records, no workers needed); the rules table is
our plug-in's (shared-tests/contract_plugin.py), which the results name."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from workers_parity.plugins import results
from workers_parity.render.terminal import use_colour
from workers_parity.report import model, terminal
from workers_parity.report.__main__ import main

ROOT = Path(__file__).resolve().parents[1]  # the repository
PLUGIN = ROOT / "shared-tests" / "contract_plugin.py"
TARGETS = {"js": ("js", "workerd"), "py": ("py", "pyodide-workerd"), "py-minimal": ("py-minimal", "pyodide-workerd")}
BARE_LF_DIFF = "case multipart-bare-lf\nstatus differs:\n  js-worker: 200\n  py-worker: 400"
XSS_DIFF = """case xss-name: POST /form
body differs (js-worker/py-worker-minimal 10 bytes, py-worker 12 bytes):
--- js-worker/py-worker-minimal (body)
+++ py-worker (body)
@@ -1 +1 @@
-&lt;b&gt;
+<b>"""
HYPOTHESIS_FAILURE = """Falsifying example: test_generated_submission(
    encoding='urlencoded',
    name='😀',
    message='',
)

E   AssertionError: generated submission: name='😀'"""


def cell(target: str | None, outcome: str = "pass", reason: str = "", divergence: str = "") -> results.Cell:
    worker, runtime = TARGETS[target] if target else (None, None)
    return results.Cell(target, worker, runtime, outcome, reason, divergence)


def per_worker(name: str, rules: list[str], targets=tuple(TARGETS), outcome: str = "pass", message: str = "", **kw):
    """One test per target, as a test parametrized over workers records it."""
    return [
        results.TestRecord(f"shared-tests/test_contract.py::{name}[{t}]", rules, None, outcome, message, **kw)
        for t in targets
    ]


def with_cells(tests: list[results.TestRecord]) -> list[results.TestRecord]:
    for test in tests:
        target = re.search(r"\[(.*)\]$", test.id).group(1)
        test.cells = [cell(target, test.outcome, test.message)]
    return tests


def compared(case: str, rules: list[str], outcomes: dict, divergence: str = "", outcome: str = "pass", message=""):
    """A test that sends one request to every worker and records each one's outcome."""
    cells = [cell(t, o, r, divergence if o != "pass" else "") for t, (o, r) in outcomes.items()]
    return results.TestRecord(
        f"shared-tests/test_differential.py::test_corpus_case[{case}]", rules, case, outcome, message, "", cells
    )


def everyone(outcome: str = "pass", **overrides: tuple[str, str]) -> dict[str, tuple[str, str]]:
    return {target: overrides.get(target.replace("-", "_"), (outcome, "")) for target in TARGETS}


VERSIONS = {
    "js": {"wrangler": "4.1", "workerd": "1.2"},
    "py": {"pyodide": "314.0", "workerd": "1.2", "workers-runtime-sdk": "1.9.5"},
    "py-minimal": {"pyodide": "314.0", "workerd": "1.2"},
}


def worker_runs(*ids: str, error: str | None = None) -> list[results.WorkerRun]:
    names = {"js": "js-worker", "py": "py-worker", "py-minimal": "py-worker-minimal"}
    return [
        results.WorkerRun(
            worker_id,
            names[worker_id],
            f"http://127.0.0.1:{9000 + n}",
            TARGETS[worker_id][1],
            "test",
            1.5 + n,
            error if n == len(ids) - 1 else None,
            10 * (n + 1),
            VERSIONS[worker_id],
        )
        for n, worker_id in enumerate(ids)
    ]


def a_run(**changes) -> results.Run:
    run = results.Run("run-1", "0123456789abcdef", False, "nox -s parity", [], "2026-01-01T10:00:00+00:00")
    run.finished, run.exit_status, run.targets = "2026-01-01T10:05:00+00:00", 0, dict(TARGETS)
    run.workers, run.plugins = list(TARGETS), [str(PLUGIN)]
    for name, value in changes.items():
        setattr(run, name, value)
    return run


def passing_tests() -> list[results.TestRecord]:
    bare_lf = everyone(py=("xfail", "python-multipart requires CRLF"))
    return [
        *with_cells(per_worker("test_hello", ["C2.1"])),
        compared("hello", ["C2.1", "C14.1"], everyone()),
        compared("multipart-bare-lf", ["C5.4", "C14.1"], bare_lf, BARE_LF_DIFF, "xfail", "C5.4 leaves LF open"),
    ]


def diverging_tests() -> list[results.TestRecord]:
    generated = compared("generated submissions (hypothesis)", ["C4.8", "C14.1"], everyone())
    generated.id, generated.outcome, generated.details = "x.py::test_generated", "fail", HYPOTHESIS_FAILURE
    counter = with_cells(per_worker("test_counter", ["C8.1"], ["py-minimal"], "error", "dev server did not start"))
    counter[0].details = "dev server did not start"
    return [compared("xss-name", ["C4.9", "C14.1"], everyone(py=("fail", "")), XSS_DIFF, "fail"), generated, *counter]


def generate(tmp_path: Path, tests, runs=None, run=None, out: Path | None = None) -> tuple[int, Path]:
    found = results.Results(run or a_run(), worker_runs(*TARGETS) if runs is None else runs, tests)
    results.write(found, tmp_path / "results.json")
    out = out or tmp_path / "out"
    return main(["--results", str(tmp_path / "results.json"), "--out", str(out)]), out


def md_row(markdown: str, first_cell: str) -> list[str]:
    line = next(line for line in markdown.splitlines() if line.startswith(f"| {first_cell} |"))
    return [cell.strip() for cell in line.strip("|").split(" | ")]


def test_a_complete_passing_run_is_pass_and_names_its_run(tmp_path: Path) -> None:
    code, out = generate(tmp_path, passing_tests())
    assert code == model.EXIT_OK
    markdown = (out / "parity.md").read_text()
    assert markdown.startswith("# Parity report — PASS: 5 tests (4 pass, 1 expected differences)")
    assert "Run run-1 of commit 0123456789ab, 2026-01-01T10:00:00+00:00 to" in markdown
    assert "`nox -s parity`" in markdown
    assert md_row(markdown, "C2")[2:] == ["✓ 2", "✓ 2", "✓ 2"]  # one contract test and the corpus case per worker
    assert md_row(markdown, "multipart-bare-lf")[2:] == ["✓", "≠ expected[1]", "✓"]
    assert "1. python-multipart requires CRLF" in markdown  # the worker's own reason
    assert "Reason: C5.4 leaves LF open" in markdown and "py-worker: 400" in markdown
    assert "What did not run" not in markdown


def test_a_skip_makes_the_run_partial_and_is_listed(tmp_path: Path) -> None:
    skipped = with_cells(per_worker("test_restart", ["C4.1"], ["py"], "skip", "py is an external --base-url worker"))
    code, out = generate(tmp_path, passing_tests() + skipped)
    assert code == model.EXIT_PARTIAL
    markdown = (out / "parity.md").read_text()
    assert markdown.startswith("# Parity report — PARTIAL: 6 tests (4 pass, 1 skip, 1 expected differences)")
    assert md_row(markdown, "C4")[2:] == ["·", "– skip[1]", "·"]
    assert "- 1 skipped test: py is an external --base-url worker" in markdown
    assert "`shared-tests/test_contract.py::test_restart[py] · py`" in markdown


def test_deselected_tests_unselected_workers_and_an_early_stop_are_partial(tmp_path: Path) -> None:
    run = a_run(
        narrowed_by=["-k 'hello'"],
        deselected=["t.py::test_other[js]"],
        targets={"js": TARGETS["js"]},
        stopped_early="stopping after 1 failures",
        not_run=["t.py::test_last[js]"],
    )
    code, out = generate(tmp_path, with_cells(per_worker("test_hello", ["C2.1"], ["js"])), worker_runs("js"), run)
    assert code == model.EXIT_PARTIAL
    markdown = (out / "parity.md").read_text()
    assert markdown.startswith("# Parity report — PARTIAL: 1 tests (1 pass)")
    assert "- 1 test deselected by -k 'hello'\n  - `t.py::test_other[js]`" in markdown
    assert "- workers not selected for this run (--worker/--base-url): py, py-minimal" in markdown
    assert "- 1 selected test did not run: stopping after 1 failures\n  - `t.py::test_last[js]`" in markdown


def test_case_files_and_cases_without_a_result_are_partial(tmp_path: Path) -> None:
    cases = {"corpus.toml": ["hello", "multipart-bare-lf", "root", "form-page"], "found.toml": ["found-1", "found-2"]}
    code, out = generate(tmp_path, passing_tests(), run=a_run(cases=cases))
    assert code == model.EXIT_PARTIAL
    markdown = (out / "parity.md").read_text()
    assert "- case file corpus.toml: 2 of 4 cases have no result in this run\n  - `root`\n  - `form-page`" in markdown
    assert "- case file found.toml did not run: none of its 2 cases has a result\n  - `found-1`" in markdown


def test_a_test_file_of_the_full_run_not_collected_is_partial(tmp_path: Path) -> None:
    suite = ["shared-tests/test_contract.py", "shared-tests/test_contract_form.py", "shared-tests/test_fuzz.py"]
    run = a_run(suite_files=suite, collected_files=suite[:1])
    code, out = generate(tmp_path, passing_tests(), run=run)
    assert code == model.EXIT_PARTIAL
    markdown = (out / "parity.md").read_text()
    assert markdown.startswith("# Parity report — PARTIAL")
    assert (
        "- 2 test files of the full run did not run (not collected: not named, or --ignore'd)\n"
        "  - `shared-tests/test_contract_form.py`\n  - `shared-tests/test_fuzz.py`"
    ) in markdown


def test_worker_table_has_runtime_start_up_and_requests_and_the_versions_the_run_recorded(tmp_path: Path) -> None:
    _, out = generate(tmp_path, passing_tests())
    markdown = (out / "parity.md").read_text()
    assert md_row(markdown, "js") == [
        "js",
        "js-worker",
        "workerd",
        "test",
        "wrangler 4.1, workerd 1.2",
        "1.50 s",
        "10",
        "",
    ]
    assert md_row(markdown, "py")[2:7] == [
        "pyodide-workerd",
        "test",
        "pyodide 314.0, workerd 1.2, workers SDK 1.9.5",
        "2.50 s",
        "20",
    ]


def test_divergences_fail_the_run_and_show_their_diffs(tmp_path: Path) -> None:
    code, out = generate(tmp_path, diverging_tests())
    assert code == model.EXIT_PARITY_FAILED
    markdown = (out / "parity.md").read_text()
    assert markdown.startswith("# Parity report — FAIL")
    assert md_row(markdown, "xss-name")[2:] == ["✓", "✗ FAIL", "✓"]
    assert md_row(markdown, "C8")[2:] == ["·", "·", "✗ 1/1 failed"]
    assert "+++ py-worker (body)" in markdown
    assert "name='😀'," in markdown  # hypothesis's shrunk example reaches the report
    assert "## Other failures" in markdown and "dev server did not start" in markdown


def test_a_worker_that_did_not_start_fails_parity(tmp_path: Path) -> None:
    runs = worker_runs(*TARGETS, error="StartFailed: no HTTP 200\nlog tail")
    code, out = generate(tmp_path, passing_tests(), runs)
    assert code == model.EXIT_PARITY_FAILED
    assert "**py-minimal did not start: StartFailed: no HTTP 200**" in (out / "parity.md").read_text()


def test_missing_results_still_write_a_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["--results", str(tmp_path / "absent.json"), "--out", str(out)]) == model.EXIT_NO_RESULTS
    assert "cannot read" in (out / "parity.md").read_text()
    assert (out / "parity.html").exists() and json.loads((out / "parity.json").read_text())["verdict"] == "FAIL"


def test_parity_json_has_every_cell_with_its_outcome_and_diff(tmp_path: Path) -> None:
    _, out = generate(tmp_path, diverging_tests(), run=a_run(deselected=["t.py::test_x[js]"], narrowed_by=["-k x"]))
    document = json.loads((out / "parity.json").read_text())
    assert document["verdict"] == "FAIL" and document["run"]["id"] == "run-1"
    assert document["run"]["commit"] == "0123456789abcdef" and document["run"]["command"] == "nox -s parity"
    assert document["not_run"] == [{"what": "1 test deselected by -k x", "items": ["t.py::test_x[js]"]}]
    cells = {(row["test"], row["target"]): row for row in document["cells"]}
    assert len(cells) == 3 + 3 + 1
    xss_py = cells[("shared-tests/test_differential.py::test_corpus_case[xss-name]", "py")]
    assert (xss_py["worker"], xss_py["runtime"], xss_py["outcome"]) == ("py", "pyodide-workerd", "fail")
    assert xss_py["diff"] == XSS_DIFF
    counter = cells[("shared-tests/test_contract.py::test_counter[py-minimal]", "py-minimal")]
    assert (counter["outcome"], counter["diff"]) == ("error", "dev server did not start")


def test_since_the_last_run_lists_newly_failing_and_newly_passing_cells(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = [
        compared("xss-name", ["C4.9"], everyone(py=("fail", "")), XSS_DIFF, "fail"),
        compared("root", [], everyone()),
    ]
    generate(tmp_path, first, out=out)
    assert "Since the last run" not in (out / "parity.md").read_text()
    second = [compared("xss-name", ["C4.9"], everyone()), compared("root", [], everyone(js=("fail", "")), "d", "fail")]
    generate(tmp_path, second, run=a_run(id="run-2"), out=out)
    markdown = (out / "parity.md").read_text()
    since = markdown[markdown.index("## Since the last run") :]
    assert "Compared with run run-1 of commit 0123456789ab: `nox -s parity`." in since
    assert "Newly failing:\n\n- `shared-tests/test_differential.py::test_corpus_case[root] · js: pass → fail`" in since
    assert (
        "Newly passing:\n\n- `shared-tests/test_differential.py::test_corpus_case[xss-name] · py: fail → pass`" in since
    )
    document = json.loads((out / "parity.json").read_text())
    assert [change["target"] for change in document["since_last_run"]["newly_failing"]] == ["js"]
    summary = terminal.terminal_summary(model.build(tmp_path / "results.json", previous=document), False, [])
    assert "since the last run (run-2):\n  newly failing: 0\n  newly passing: 0" in summary  # same run twice


def test_html_is_self_contained_and_escaped(tmp_path: Path) -> None:
    _, out = generate(tmp_path, diverging_tests())
    page = (out / "parity.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert not re.search(r"<(script|link|img|iframe)\b|@import|url\(|\bsrc=", page, re.IGNORECASE)
    assert not re.search(r"""href=["'](?!#)""", page)  # only in-page anchors
    assert "&lt;b&gt;" in page and "<b>" not in page  # diff text is escaped, never markup
    assert 'class="fail"' in page and 'href="#t-test_differential-py-test_corpus_case-xss-name"' in page


@pytest.mark.parametrize(
    ("environment", "tty", "coloured"), [({}, True, True), ({"NO_COLOR": "1"}, True, False), ({}, False, False)]
)
def test_terminal_colours_only_on_a_tty_without_no_color(environment, tty, coloured, monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    class Stream:
        def isatty(self) -> bool:
            return tty

    assert use_colour(Stream()) is coloured
    generate(tmp_path, diverging_tests())
    summary = terminal.terminal_summary(model.build(tmp_path / "results.json"), coloured, [])
    assert ("\x1b[" in summary) is coloured
    assert "xss-name" in summary and "body differs" in summary and "Parity report: FAIL" in summary


def test_the_same_error_in_many_tests_is_shown_once(tmp_path: Path) -> None:
    error = "Failed: dev server did not start: py-worker exited"
    tests = [compared(case, [], everyone("error"), outcome="error", message=error) for case in ("hello", "root", "f")]
    for test in tests:
        test.details = error
    code, out = generate(tmp_path, tests)
    markdown = (out / "parity.md").read_text()
    assert code == model.EXIT_PARITY_FAILED
    assert markdown.count("dev server did not start") == 1
    assert "test_corpus_case[hello] and 2 more tests with the same failure" in markdown
    assert md_row(markdown, "root")[2:] == ["✗ FAIL", "✗ FAIL", "✗ FAIL"]


def test_the_report_knows_no_test_by_name() -> None:
    """The results protocol is the plugin's: no test name, module or id suffix may steer the report."""
    modules = list((ROOT / "workers_parity" / "report").glob("*.py"))
    assert len(modules) >= 8
    for module in modules:
        source = module.read_text()
        assert not re.search(r"""["']test_\w+""", source), module
        assert "callspec" not in source and r"\[(.*)\]" not in source, module  # no parameter read from an id


def test_masks_are_listed_with_the_answers_each_changed(tmp_path: Path) -> None:
    mask = {"mask": "header x-worker", "where": "workers-parity.toml:10", "reason": "each names itself"}
    run = a_run(masks=[{**mask, "answers_seen": 804, "answers_changed": 804}])
    _, out = generate(tmp_path, passing_tests(), run=run)
    assert md_row((out / "parity.md").read_text(), "header x-worker") == [
        "header x-worker",
        "workers-parity.toml:10",
        "each names itself",
        "804 of 804",
    ]
    assert json.loads((out / "parity.json").read_text())["masks"][0]["answers_changed"] == 804
    summary = terminal.terminal_summary(model.build(tmp_path / "results.json"), False, [])
    assert "mask header x-worker (workers-parity.toml:10): changed 804 of 804 answers" in summary


def test_the_report_reads_its_results_file_and_nothing_else(tmp_path: Path, monkeypatch) -> None:
    """No project, no toolchain, no python_modules where the report is drawn: what it shows was recorded."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WORKERS_PARITY_CONFIG", str(tmp_path / "no-such-config.toml"))
    monkeypatch.setattr("workers_parity.servers.toolchain.versions", lambda: pytest.fail("the report asked Node"))
    code, out = generate(tmp_path, passing_tests())
    assert code == model.EXIT_OK
    assert md_row((out / "parity.md").read_text(), "py")[4] == "pyodide 314.0, workerd 1.2, workers SDK 1.9.5"
