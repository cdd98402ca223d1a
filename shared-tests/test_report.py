"""The parity report generator, on small hand-made JUnit XML and run-info inputs (no workers needed)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest

from parity import report

CONTRACT = """# The contract
### C2 hello
### C4 form post: success
### C12 method not allowed
"""

BARE_LF_DIFF = "case multipart-bare-lf\nstatus differs:\n  js-worker: 200\n  py-worker: 400"
XSS_DIFF = """case xss-name: POST /form
body differs (js-worker/py-worker-minimal 10 bytes, py-worker 12 bytes):
--- js-worker/py-worker-minimal (body)
+++ py-worker (body)
@@ -1 +1 @@
-&lt;b&gt;
+<b>"""

PASSING = f"""<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="5">
  <testcase classname="shared-tests.test_contract" name="test_hello[js]">
    <properties><property name="contract" value="C2.1"/><property name="worker" value="js"/></properties>
  </testcase>
  <testcase classname="shared-tests.test_contract" name="test_hello[py]">
    <properties><property name="contract" value="C2.1"/><property name="worker" value="py"/></properties>
  </testcase>
  <testcase classname="shared-tests.test_contract" name="test_restart[py]">
    <properties><property name="contract" value="C4.1"/><property name="worker" value="py"/></properties>
    <skipped type="pytest.skip" message="py is an external --base-url worker">test_contract.py:9: skipped</skipped>
  </testcase>
  <testcase classname="shared-tests.test_differential" name="test_corpus_case[hello]">
    <properties><property name="contract" value="C2.1 C14.1"/><property name="workers" value="js py"/>
      <property name="outcome:js" value="pass"/><property name="outcome:py" value="pass"/></properties>
  </testcase>
  <testcase classname="shared-tests.test_differential" name="test_corpus_case[multipart-bare-lf]">
    <properties><property name="contract" value="C5.4 C14.1"/><property name="workers" value="js py"/>
      <property name="outcome:js" value="pass"/><property name="outcome:py" value="xfail"/>
      <property name="reason:py" value="python-multipart requires CRLF"/>
      <property name="divergence" value={quoteattr(BARE_LF_DIFF)}/>
    </properties>
    <skipped type="pytest.xfail" message="C5.4 leaves bare LF framing unspecified"/>
  </testcase>
</testsuite></testsuites>
"""

DIVERGING = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="3">
  <testcase classname="shared-tests.test_differential" name="test_corpus_case[xss-name]">
    <properties><property name="contract" value="C4.9 C14.1"/><property name="workers" value="js py py-minimal"/>
      <property name="outcome:js" value="pass"/><property name="outcome:py" value="fail"/>
      <property name="outcome:py-minimal" value="pass"/>
      <property name="divergence" value={xss_diff}/>
    </properties>
    <failure message="case xss-name: POST /form">case xss-name: POST /form ...</failure>
  </testcase>
  <testcase classname="shared-tests.test_differential" name="test_generated_submission">
    <properties><property name="contract" value="C4.8 C14.1"/>
      <property name="workers" value="js py py-minimal"/></properties>
    <failure message="AssertionError">Falsifying example: test_generated_submission(
    encoding='urlencoded',
    name='😀',
    message='',
)

E   AssertionError: generated submission: name='😀'</failure>
  </testcase>
  <testcase classname="shared-tests.test_contract" name="test_counter[py-minimal]">
    <properties><property name="contract" value="C8.1"/><property name="worker" value="py-minimal"/></properties>
    <error message="failed on setup with &quot;dev server did not start&quot;">dev server did not start</error>
  </testcase>
</testsuite></testsuites>
""".replace("{xss_diff}", quoteattr(XSS_DIFF))

SKIPPED_ONE_WORKER = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="1">
  <testcase classname="shared-tests.test_differential" name="test_corpus_case[hello]">
    <properties><property name="contract" value="C2.1 C14.1"/></properties>
    <skipped type="pytest.skip" message="differential testing compares workers, and only js is selected">x</skipped>
  </testcase>
</testsuite></testsuites>
"""


def run_info(*ids: str, error: str | None = None) -> list[dict]:
    names = {"js": "js-worker", "py": "py-worker", "py-minimal": "py-worker-minimal"}
    return [
        {
            "id": worker_id,
            "name": names[worker_id],
            "base_url": f"http://127.0.0.1:{9000 + n}",
            "runtime": "workerd" if worker_id == "js" else "pyodide-workerd",
            "runtime_reason": "test",
            "startup_seconds": 1.5 + n,
            "error": error if n == len(ids) - 1 else None,
            "requests": 10 * (n + 1),
        }
        for n, worker_id in enumerate(ids)
    ]


def generate(tmp_path: Path, junit: str, runs: list[dict], *extra: str) -> tuple[int, Path]:
    (tmp_path / "junit.xml").write_text(junit)
    (tmp_path / "run-info.json").write_text(json.dumps(runs))
    (tmp_path / "CONTRACT.md").write_text(CONTRACT)
    out = tmp_path / "out"
    code = report.main(
        [
            "--junit",
            str(tmp_path / "junit.xml"),
            "--run-info",
            str(tmp_path / "run-info.json"),
            "--out",
            str(out),
            "--contract",
            str(tmp_path / "CONTRACT.md"),
            *extra,
        ]
    )
    return code, out


def md_row(markdown: str, first_cell: str) -> list[str]:
    line = next(line for line in markdown.splitlines() if line.startswith(f"| {first_cell} |"))
    return [cell.strip() for cell in line.strip("|").split(" | ")]


def test_passing_run_with_skip_and_expected_difference(tmp_path: Path) -> None:
    code, out = generate(tmp_path, PASSING, run_info("js", "py"))
    assert code == 0
    markdown = (out / "parity.md").read_text()
    assert markdown.startswith("# Parity report — PASS")
    assert md_row(markdown, "C2")[2:] == ["✓ 2", "✓ 2"]  # one contract test and the corpus case per worker
    assert md_row(markdown, "C4")[2:] == ["·", "– skip[1]"]
    assert md_row(markdown, "hello")[2:] == ["✓", "✓"]
    assert md_row(markdown, "multipart-bare-lf")[2:] == ["✓", "≠ expected[2]"]
    assert "1. py is an external --base-url worker" in markdown
    assert "2. python-multipart requires CRLF" in markdown  # the worker's own reason
    assert "Reason: C5.4 leaves bare LF framing unspecified" in markdown
    assert "## Expected differences" in markdown and "py-worker: 400" in markdown


def test_worker_table_has_runtime_start_up_and_requests(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(
        report, "tool_versions", lambda: {"wrangler": "4.1", "workerd": "1.2", "pyodide": "314.0", "node": "v24"}
    )
    monkeypatch.setattr(report, "python_packages", lambda folder: {"workers SDK": "1.9.5"})
    _, out = generate(tmp_path, PASSING, run_info("js", "py"))
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
    code, out = generate(tmp_path, DIVERGING, run_info("js", "py", "py-minimal"))
    assert code == report.EXIT_PARITY_FAILED
    markdown = (out / "parity.md").read_text()
    assert markdown.startswith("# Parity report — FAIL")
    assert md_row(markdown, "xss-name")[2:] == ["✓", "✗ FAIL", "✓"]
    assert md_row(markdown, "C8")[2:] == ["·", "·", "✗ 1/1 failed"]
    assert "+++ py-worker (body)" in markdown
    assert "name='😀'," in markdown  # hypothesis's shrunk example reaches the report
    assert "## Other failures" in markdown and "dev server did not start" in markdown


def test_one_worker_run_skips_with_the_reason(tmp_path: Path) -> None:
    code, out = generate(tmp_path, SKIPPED_ONE_WORKER, run_info("js"))
    assert code == 0
    markdown = (out / "parity.md").read_text()
    assert md_row(markdown, "hello")[2:] == ["– skip[1]"]
    assert "1. differential testing compares workers, and only js is selected" in markdown


def test_worker_that_did_not_start_fails_parity(tmp_path: Path) -> None:
    code, out = generate(tmp_path, PASSING, run_info("js", "py", error="StartFailed: no HTTP 200\nlog tail"))
    assert code == report.EXIT_PARITY_FAILED
    assert "**py did not start: StartFailed: no HTTP 200**" in (out / "parity.md").read_text()


def test_missing_junit_still_writes_a_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = report.main(["--junit", str(tmp_path / "absent.xml"), "--out", str(out)])
    assert code == report.EXIT_NO_RESULTS
    assert "cannot read JUnit XML" in (out / "parity.md").read_text()
    assert (out / "parity.html").exists()


def test_html_is_self_contained_and_escaped(tmp_path: Path) -> None:
    _, out = generate(tmp_path, DIVERGING, run_info("js", "py", "py-minimal"))
    page = (out / "parity.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert not re.search(r"<(script|link|img|iframe)\b|@import|url\(|\bsrc=", page, re.IGNORECASE)
    assert not re.search(r"""href=["'](?!#)""", page)  # only in-page anchors
    assert "&lt;b&gt;" in page and "<b>" not in page  # diff text is escaped, never markup
    assert 'class="fail"' in page and 'href="#t-test_differential-test_corpus_case-xss-name"' in page


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

    assert report.use_colour(Stream()) is coloured
    (tmp_path / "junit.xml").write_text(DIVERGING)
    summary = report.terminal_summary(report.build(tmp_path / "junit.xml", None), coloured, [])
    assert ("\x1b[" in summary) is coloured
    assert "xss-name" in summary and "body differs" in summary


def test_the_same_error_in_many_tests_is_shown_once(tmp_path: Path) -> None:
    error = '<error message="failed on setup">Failed: dev server did not start: py-worker exited</error>'
    cases = "".join(
        f'<testcase classname="shared-tests.test_differential" name="test_corpus_case[{case}]">{error}</testcase>'
        for case in ("hello", "root", "form-page")
    )
    code, out = generate(tmp_path, f"<testsuites><testsuite>{cases}</testsuite></testsuites>", run_info("js", "py"))
    markdown = (out / "parity.md").read_text()
    assert code == report.EXIT_PARITY_FAILED
    assert markdown.count("dev server did not start") == 1
    assert "test_corpus_case[hello] and 2 more tests with the same failure" in markdown
    assert md_row(markdown, "root")[2:] == ["✗ FAIL", "✗ FAIL"]
