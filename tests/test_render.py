"""The one rendering module: Markdown cells stay one cell, HTML is escaped, the terminal is coloured only when asked,
and progress shows a line per step in a log and a bar besides on a terminal."""

from __future__ import annotations

import re

from rich.text import Text

from workers_parity.render import html_page, markdown, progress, terminal


def test_a_plain_markdown_cell_keeps_backslashes_pipes_and_line_breaks_in_one_cell() -> None:
    table = markdown.table(["k", "v"], [["a\\b|c", "two\nlines"]])
    assert table.splitlines() == ["| k | v |", "| --- | --- |", "| a\\\\b\\|c | two lines |"]


def test_inline_markdown_keeps_its_code_spans_and_escapes_only_pipes() -> None:
    cell = markdown.Inline("**≠** " + markdown.code("a|b\\n") + "<br>" + markdown.code("x`y"))
    assert markdown.table(["", "js"], [["body", cell]]).splitlines()[2] == "| body | **≠** `a\\|b\\n`<br>`` x`y `` |"


def test_markdown_text_is_never_read_as_html() -> None:
    assert markdown.text("a <script> & more") == "a &lt;script&gt; &amp; more"


def test_html_tables_escape_plain_cells_and_keep_classed_html() -> None:
    table = html_page.table(["a<b"], [["<i>", ("fail", "<b>bold</b>")]])
    assert "<th>a&lt;b</th>" in table and "<td>&lt;i&gt;</td>" in table
    assert '<td class="fail"><b>bold</b></td>' in table


def test_an_html_page_is_one_self_contained_document() -> None:
    page = html_page.page("A <title>", ["<p>body</p>"], "p { color: red; }")
    assert page.startswith("<!DOCTYPE html>") and "<title>A &lt;title&gt;</title>" in page
    assert "p { color: red; }" in page and "<p>body</p>" in page
    assert html_page.bullets([]) == "" and html_page.bullets(["x"]) == "<ul><li>x</li></ul>"


def test_terminal_tables_align_and_colour_only_when_asked() -> None:
    rows = [["wide cell", Text("NO", terminal.BAD)]]
    plain = terminal.render(terminal.table(["a", "long header"], rows), colour=False)
    assert "\x1b[" not in plain
    header, _, row = plain.splitlines()
    assert header.index("long header") == row.index("NO")
    assert "\x1b[" in terminal.render(terminal.table(["a", "b"], rows), colour=True)


def test_a_console_for_a_log_is_plain_and_wide(tmp_path) -> None:
    with (tmp_path / "log").open("w") as log:
        shown = terminal.console(log)
        assert not shown.is_terminal and shown.width == terminal.PLAIN_WIDTH
        assert shown.color_system is None


def test_progress_in_a_log_is_one_numbered_timestamped_line_per_step() -> None:
    shown = terminal.captured(colour=False)
    with progress.steps("start-up", 2, shown) as steps:
        steps.doing("js")  # on a bar only
        steps.done("js: 1.20 s")
        steps.say("a note")
        steps.done("py: FAILED", terminal.BAD)
    lines = terminal.text_of(shown).splitlines()
    assert [re.sub(r"^\[\s*\d+\.\ds\] ", "", line) for line in lines] == [
        "[1/2] js: 1.20 s",
        "a note",
        "[2/2] py: FAILED",
    ]


def test_progress_on_a_terminal_keeps_the_step_lines_and_clears_its_bar() -> None:
    shown = terminal.captured(colour=True)
    with progress.steps("load", 1, shown) as steps:
        steps.done("GET /hello x1: 100 ok")
    assert shown.is_terminal
    assert "[1/1] GET /hello x1: 100 ok" in terminal.text_of(shown)
