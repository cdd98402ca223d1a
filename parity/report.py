"""The parity report, generated from a test run's own results: pytest's JUnit XML and the run-info JSON.

    python -m parity.report --junit reports/junit.xml --run-info reports/run-info.json --out reports

Writes parity.md and a self-contained parity.html into --out, prints a coloured summary, and exits non-zero when
parity fails (any failed or erroring test, or a worker that did not start). The rule ids come from `contract`
properties (parity/pytest_contract_plugin.py), the per-worker cells from `worker`, `workers` and `outcome:<id>`.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from parity import ROOT, pymodules, registry, runinfo, runtimes

CONTRACT_PATH = ROOT / "shared-tests" / "CONTRACT.md"
DIFFERENTIAL_MODULE = "test_differential"
CASE_TEST = "test_corpus_case"
GENERATED_TEST = "test_generated_submission"
GENERATED_ROW = "generated submissions (hypothesis)"
FAILED = ("fail", "error")
SYMBOLS = {"pass": "✓", "fail": "✗", "error": "✗", "xfail": "≠", "skip": "–", "none": "·"}
LABELS = {
    "pass": "pass",
    "fail": "FAIL",
    "error": "ERROR",
    "xfail": "expected difference",
    "skip": "skip",
    "none": "no tests",
}
EXIT_OK, EXIT_PARITY_FAILED, EXIT_NO_RESULTS = 0, 1, 2


# --- reading the run's results -------------------------------------------------------------------------------


@dataclass
class TestResult:
    module: str  # the JUnit classname, e.g. shared-tests.test_differential
    name: str  # e.g. test_corpus_case[hello]
    outcome: str  # pass | fail | error | skip | xfail
    message: str = ""  # skip or xfail reason, failure summary
    details: str = ""  # the full failure text
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.module.rpartition('.')[2]}::{self.name}" if self.module else self.name

    @property
    def param(self) -> str | None:
        match = re.search(r"\[(.*)\]$", self.name)
        return match.group(1) if match else None

    @property
    def is_differential(self) -> bool:
        return self.module.rpartition(".")[2] == DIFFERENTIAL_MODULE and (
            self.name.startswith(CASE_TEST + "[") or self.name == GENERATED_TEST
        )

    @property
    def row(self) -> str:
        """The row of the corpus matrix: the case id, or the generated-submissions row."""
        return self.param if self.name.startswith(CASE_TEST + "[") else GENERATED_ROW

    @property
    def rules(self) -> list[str]:
        return self.properties.get("contract", "").split()


def read_junit(path: Path) -> list[TestResult]:
    root = ET.parse(path).getroot()
    return [_test_result(case) for case in root.iter("testcase")]


def _test_result(case: ET.Element) -> TestResult:
    properties = {prop.get("name", ""): prop.get("value", "") for prop in case.iter("property")}
    result = TestResult(case.get("classname", ""), case.get("name", ""), "pass", properties=properties)
    for child in case:
        if child.tag in ("failure", "error"):
            kind = "fail" if child.tag == "failure" and result.outcome != "error" else "error"
            result.outcome, result.message = kind, child.get("message", "")
            result.details = (result.details + "\n" + (child.text or "")).strip()
        elif child.tag == "skipped" and result.outcome == "pass":
            _read_skipped(result, child)
    return result


def _read_skipped(result: TestResult, element: ET.Element) -> None:
    message = element.get("message", "")
    if element.get("type") == "pytest.xfail":
        result.outcome, result.message = "xfail", message
    elif message == "xfail-marked test passes unexpectedly":
        result.outcome, result.message = "fail", "XPASS: " + message
    else:
        result.outcome, result.message = "skip", message


# --- what the run says about each worker ---------------------------------------------------------------------


@dataclass
class WorkerInfo:
    id: str
    name: str
    runtime: str
    reason: str
    startup_seconds: float | None
    requests: int | None
    error: str | None
    versions: dict[str, str]


REPORTED_PACKAGES = {"workers-runtime-sdk": "workers SDK", "starlette": "starlette"}


def python_packages(folder: Path) -> dict[str, str]:
    """Versions of the SDK and Starlette installed in a worker's python_modules/."""
    installed = pymodules.installed_versions(folder)
    return {label: installed[name] for name, label in REPORTED_PACKAGES.items() if name in installed}


def tool_versions() -> dict[str, str | None]:
    try:
        from parity import toolchain

        return toolchain.versions()
    except Exception as error:  # a report must still be written when the toolchain is missing
        return {"toolchain": f"unavailable ({error})"}


def worker_infos(runs: list[runinfo.WorkerRun], tools: dict[str, str | None]) -> list[WorkerInfo]:
    infos = []
    for run in runs:
        versions = runtimes.versions(run.runtime, tools)
        try:
            spec = registry.get(run.name)
            if spec.is_python:
                versions.update(python_packages(spec.folder))
        except KeyError:
            pass
        infos.append(
            WorkerInfo(
                run.id,
                run.name,
                run.runtime or "external",
                run.runtime_reason,
                run.startup_seconds,
                run.requests,
                run.error,
                versions,
            )
        )
    return infos


def ordered_workers(results: list[TestResult], infos: list[WorkerInfo]) -> list[str]:
    """Columns: the workers of the run, in registry order, plus any others the results name."""
    named = {info.id for info in infos}
    for result in results:
        named.update(_worker_ids_of(result))
    known = [worker_id for worker_id in registry.worker_ids() if worker_id in named]
    return known + sorted(named - set(known))


def _worker_ids_of(result: TestResult) -> list[str]:
    if "worker" in result.properties:
        return [result.properties["worker"]]
    if "workers" in result.properties:
        return result.properties["workers"].split()
    param = result.param
    if param is None:
        return []
    for worker_id in sorted(registry.worker_ids(), key=len, reverse=True):
        if param == worker_id or param.endswith("-" + worker_id) or param.startswith(worker_id + "-"):
            return [worker_id]
    return []


def per_worker(result: TestResult, columns: list[str]) -> dict[str, tuple[str, str]]:
    """The outcome and reason of one test for each worker it concerns (all workers when it names none)."""
    ids = _worker_ids_of(result) or columns
    outcomes = {}
    for worker_id in ids:
        outcome = result.properties.get(f"outcome:{worker_id}", result.outcome)
        if result.outcome in ("error", "skip"):
            outcome = result.outcome
        reason = result.properties.get(f"reason:{worker_id}", result.message)
        outcomes[worker_id] = (outcome, reason if outcome == result.outcome else "")
    return outcomes


# --- the matrices ------------------------------------------------------------------------------------------


class Notes:
    """Numbered footnotes for skip and expected-difference reasons, so matrix cells stay short."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}

    def number(self, reason: str) -> int:
        return self.numbers.setdefault(reason or "(no reason given)", len(self.numbers) + 1)


@dataclass
class Cell:
    counts: Counter = field(default_factory=Counter)
    reasons: dict[str, list[str]] = field(default_factory=dict)  # outcome -> distinct reasons

    def add(self, outcome: str, reason: str) -> None:
        self.counts[outcome] += 1
        if outcome in ("skip", "xfail") and reason not in self.reasons.setdefault(outcome, []):
            self.reasons[outcome].append(reason)

    @property
    def state(self) -> str:
        for outcome in ("error", "fail", "xfail", "pass", "skip"):
            if self.counts[outcome]:
                return "fail" if outcome == "error" else outcome
        return "none"

    def text(self, notes: Notes, with_counts: bool) -> str:
        state, total = self.state, sum(self.counts.values())
        failed = self.counts["fail"] + self.counts["error"]
        if state == "fail":
            return f"✗ {failed}/{total} failed" if with_counts else "✗ FAIL"
        if state == "none":
            return "·"
        refs = "".join(f"[{notes.number(reason)}]" for reason in self.reasons.get(state, []))
        if state == "xfail":
            rest = f" + ✓ {self.counts['pass']}" if with_counts and self.counts["pass"] else ""
            return f"≠ expected{refs}{rest}"
        if state == "skip":
            return f"– skip{refs}"
        skip_refs = "".join(f"[{notes.number(reason)}]" for reason in self.reasons.get("skip", []))
        skipped = f" (– {self.counts['skip']}{skip_refs})" if with_counts and self.counts["skip"] else ""
        return f"✓ {self.counts['pass']}{skipped}" if with_counts else "✓"


@dataclass
class Matrix:
    title: str
    rows: dict[str, dict[str, Cell]]  # row label -> worker id -> cell
    row_notes: dict[str, str]  # row label -> a short description (rule title, case rules)
    with_counts: bool
    header: tuple[str, str]


def rule_group(rule: str) -> str:
    return rule.split(".")[0]


def _natural(rule: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", rule))


def contract_titles(path: Path = CONTRACT_PATH) -> dict[str, str]:
    """`### C4 form post: success` -> {"C4": "form post: success"}."""
    if not path.exists():
        return {}
    return dict(re.findall(r"^###\s+(C\d+)\s+(.+?)\s*$", path.read_text(), flags=re.MULTILINE))


def rule_matrix(results: list[TestResult], columns: list[str], titles: dict[str, str]) -> Matrix:
    rows: dict[str, dict[str, Cell]] = {group: {} for group in titles}
    covered: dict[str, set[str]] = {}
    for result in results:
        for group in sorted({rule_group(rule) for rule in result.rules}):
            covered.setdefault(group, set()).update(r for r in result.rules if rule_group(r) == group)
            for worker_id, (outcome, reason) in per_worker(result, columns).items():
                rows.setdefault(group, {}).setdefault(worker_id, Cell()).add(outcome, reason)
    ordered = dict(sorted(rows.items(), key=lambda item: _natural(item[0])))
    notes = {
        group: " ".join(filter(None, [titles.get(group, ""), _covered_list(covered.get(group, set()))]))
        for group in ordered
    }
    return Matrix("Contract rules × workers", ordered, notes, True, ("rule", "title (rules tested)"))


def _covered_list(rules: set[str]) -> str:
    return f"({', '.join(sorted(rules, key=_natural))})" if rules else "(no tests)"


def case_matrix(results: list[TestResult], columns: list[str]) -> Matrix:
    rows: dict[str, dict[str, Cell]] = {}
    notes = {}
    for result in (r for r in results if r.is_differential):
        notes[result.row] = " ".join(result.rules)
        for worker_id, (outcome, reason) in per_worker(result, columns).items():
            rows.setdefault(result.row, {}).setdefault(worker_id, Cell()).add(outcome, reason)
    return Matrix("Corpus cases × workers (differential)", rows, notes, False, ("case", "rules"))


# --- the report as data --------------------------------------------------------------------------------------


@dataclass
class Finding:
    """A failed or expected-failing test, with what to show for it."""

    result: TestResult
    same_failure: list[TestResult] = field(default_factory=list)  # more tests that failed with the same text

    @property
    def anchor(self) -> str:
        return "t-" + re.sub(r"[^A-Za-z0-9_-]+", "-", self.result.label).strip("-")

    @property
    def title(self) -> str:
        if self.result.outcome != "error" and self.result.is_differential:
            return f"{self.result.row} ({' '.join(self.result.rules)})"
        more = f" and {len(self.same_failure)} more tests with the same failure" if self.same_failure else ""
        return self.result.label + more

    @property
    def body(self) -> str:
        text = self.result.properties.get("divergence") or self.result.details or self.result.message
        example = falsifying_example(self.result.details)
        if example and example not in text:
            text = example + "\n\n" + text
        return _limit_lines(text, 80)


def falsifying_example(details: str) -> str:
    """Hypothesis's shrunk example, as it appears in the failure text."""
    match = re.search(
        r"^.*(?:Falsifying example|Failing test case):.*?(?:\n\s*\n|\Z)", details, re.MULTILINE | re.DOTALL
    )
    return match.group(0).strip() if match else ""


def _limit_lines(text: str, limit: int) -> str:
    lines = text.splitlines()
    if len(lines) <= limit:
        return text
    return "\n".join(lines[:limit] + [f"... ({len(lines) - limit} more lines in the JUnit XML)"])


@dataclass
class Report:
    results: list[TestResult]
    workers: list[WorkerInfo]
    columns: list[str]
    matrices: list[Matrix]
    notes: Notes
    problems: list[str]  # why there is nothing to judge, or workers that did not start
    generated: str

    @property
    def totals(self) -> Counter:
        return Counter(result.outcome for result in self.results)

    @property
    def divergences(self) -> list[Finding]:
        """Differential tests that found workers disagreeing (an error is not a divergence)."""
        return [Finding(r) for r in self.results if r.outcome == "fail" and r.is_differential]

    @property
    def expected_differences(self) -> list[Finding]:
        return [Finding(r) for r in self.results if r.outcome == "xfail"]

    @property
    def other_failures(self) -> list[Finding]:
        """Every other failure or error, those with the same text (a worker that did not start) shown once."""
        groups: dict[str, Finding] = {}
        for result in self.results:
            if result.outcome == "error" or (result.outcome == "fail" and not result.is_differential):
                text = result.details or result.message
                if text in groups:
                    groups[text].same_failure.append(result)
                else:
                    groups[text] = Finding(result)
        return list(groups.values())

    @property
    def passed(self) -> bool:
        return bool(self.results) and not self.problems and not any(r.outcome in FAILED for r in self.results)

    @property
    def exit_code(self) -> int:
        if not self.results:
            return EXIT_NO_RESULTS
        return EXIT_OK if self.passed else EXIT_PARITY_FAILED


def build(junit: Path, run_info: Path | None, contract: Path = CONTRACT_PATH) -> Report:
    problems = []
    try:
        results = read_junit(junit)
    except (OSError, ET.ParseError) as error:
        results, problems = [], [f"no test results: cannot read JUnit XML {junit} ({error})"]
    runs = []
    if run_info is not None:
        try:
            runs = runinfo.read(run_info)
        except (OSError, ValueError, TypeError) as error:
            problems.append(f"cannot read run info {run_info} ({error})")
    if results == [] and not problems:
        problems.append(f"no tests ran ({junit} has no test cases)")
    infos = worker_infos(runs, tool_versions())
    problems += [f"{info.id} did not start: {info.error.splitlines()[0]}" for info in infos if info.error]
    columns = ordered_workers(results, infos)
    notes = Notes()
    matrices = [rule_matrix(results, columns, contract_titles(contract)), case_matrix(results, columns)]
    generated = datetime.now().astimezone().isoformat("T", "seconds")
    return Report(results, infos, columns, matrices, notes, problems, generated)


# --- Markdown ----------------------------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(map(_md_cell, header)) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(map(_md_cell, row)) + " |" for row in rows]


def _verdict(report: Report) -> str:
    totals = report.totals
    counts = ", ".join(
        f"{totals[o]} {LABELS[o] if o != 'xfail' else 'expected differences'}"
        for o in ("pass", "fail", "error", "skip", "xfail")
        if totals[o]
    )
    return f"{'PASS' if report.passed else 'FAIL'}: {len(report.results)} tests ({counts or 'none'})"


def _worker_rows(report: Report) -> list[list[str]]:
    return [
        [
            info.id,
            info.name,
            info.runtime,
            info.reason,
            ", ".join(f"{name} {version}" for name, version in info.versions.items()) or "—",
            f"{info.startup_seconds:.2f} s" if info.startup_seconds is not None else "—",
            str(info.requests) if info.requests is not None else "—",
            (info.error or "").splitlines()[0] if info.error else "",
        ]
        for info in report.workers
    ]


WORKER_HEADER = ["worker", "name", "runtime", "why this runtime", "versions", "start-up", "requests", "start error"]


def _matrix_rows(matrix: Matrix, columns: list[str], notes: Notes) -> list[list[str]]:
    return [
        [label, matrix.row_notes.get(label, "")]
        + [cells[w].text(notes, matrix.with_counts) if w in cells else "·" for w in columns]
        for label, cells in matrix.rows.items()
    ]


def markdown(report: Report) -> str:
    lines = [
        f"# Parity report — {_verdict(report)}",
        "",
        f"Generated {report.generated} from the run's JUnit XML and run info. "
        "Legend: ✓ pass, ✗ fail, ≠ expected difference (listed in shared-tests/expected-differences.toml), "
        "– skip, · no test; [n] refers to the notes.",
        "",
    ]
    lines += [f"- **{problem}**" for problem in report.problems] + ([""] if report.problems else [])
    lines += ["## Workers", "", *_md_table(WORKER_HEADER, _worker_rows(report)), ""]
    for matrix in report.matrices:
        header = [*matrix.header, *report.columns]
        lines += [f"## {matrix.title}", "", *_md_table(header, _matrix_rows(matrix, report.columns, report.notes)), ""]
    lines += _md_findings("Divergences", report.divergences, "none: every worker gave the same answer to every case")
    lines += _md_findings("Expected differences", report.expected_differences, "none")
    lines += _md_findings("Other failures", report.other_failures, "none")
    if report.notes.numbers:
        lines += ["## Notes", ""] + [f"{n}. {_md_cell(reason)}" for reason, n in report.notes.numbers.items()] + [""]
    return "\n".join(lines)


def _md_findings(title: str, findings: list[Finding], empty: str) -> list[str]:
    lines = [f"## {title}", ""]
    if not findings:
        return lines + [empty, ""]
    for finding in findings:
        reason = f"Reason: {finding.result.message}\n\n" if finding.result.outcome == "xfail" else ""
        lines += [f"### {finding.title}", "", reason + "```diff", finding.body.replace("```", "`\u200b``"), "```", ""]
    return lines


# --- HTML --------------------------------------------------------------------------------------------------

CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #1b1f24; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #d0d7de; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #d0d7de; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.pass { background: #dafbe1; } td.fail { background: #ffd7d5; font-weight: bold; }
td.xfail { background: #fff8c5; } td.skip, td.none { background: #f6f8fa; color: #57606a; }
td.note { color: #57606a; font-size: .9em; }
.verdict { padding: .5em 1em; border-radius: 6px; font-weight: bold; display: inline-block; }
.verdict.pass { background: #dafbe1; } .verdict.fail { background: #ffd7d5; }
pre { background: #f6f8fa; padding: .8em; overflow-x: auto; font-size: 12.5px; }
pre .add { color: #116329; } pre .del { color: #82071e; } pre .hunk { color: #8250df; }
a { color: #0969da; }
"""


def _h(text: object) -> str:
    return html.escape(str(text), quote=True)


def _html_table(header: list[str], rows: list[list[tuple[str, str]]]) -> str:
    head = "".join(f"<th>{_h(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f'<td class="{cls}">{content}</td>' for cls, content in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_matrix(matrix: Matrix, report: Report, anchors: dict[str, str]) -> str:
    rows = []
    for label, cells in matrix.rows.items():
        row = [("", _h(label)), ("note", _h(matrix.row_notes.get(label, "")))]
        for worker_id in report.columns:
            cell = cells.get(worker_id, Cell())
            text = _h(cell.text(report.notes, matrix.with_counts))
            if cell.state == "fail" and label in anchors:
                text = f'<a href="#{anchors[label]}">{text}</a>'
            row.append((cell.state, text))
        rows.append(row)
    header = [*matrix.header, *report.columns]
    return f"<h2>{_h(matrix.title)}</h2>" + _html_table(header, rows)


def _html_diff(text: str) -> str:
    def line(raw: str) -> str:
        cls = {"+": "add", "-": "del", "@": "hunk"}.get(raw[:1], "")
        if raw.startswith(("+++", "---")):
            cls = "hunk"
        return f'<span class="{cls}">{_h(raw)}</span>' if cls else _h(raw)

    return "<pre>" + "\n".join(map(line, text.splitlines())) + "</pre>"


def _html_findings(title: str, findings: list[Finding], empty: str) -> str:
    if not findings:
        return f"<h2>{_h(title)}</h2><p>{_h(empty)}</p>"
    parts = [f"<h2>{_h(title)}</h2>"]
    for finding in findings:
        reason = f"<p>Reason: {_h(finding.result.message)}</p>" if finding.result.outcome == "xfail" else ""
        parts.append(f'<h3 id="{finding.anchor}">{_h(finding.title)}</h3>{reason}{_html_diff(finding.body)}')
    return "".join(parts)


def html_page(report: Report) -> str:
    anchors = {f.result.row: f.anchor for f in report.divergences}
    verdict_class = "pass" if report.passed else "fail"
    worker_rows = [[("", _h(value)) for value in row] for row in _worker_rows(report)]
    parts = [
        f'<h1>Parity report</h1><p class="verdict {verdict_class}">{_h(_verdict(report))}</p>',
        f"<p>Generated {_h(report.generated)} from the run's JUnit XML and run info. Legend: ✓ pass, ✗ fail, "
        "≠ expected difference (listed in shared-tests/expected-differences.toml), – skip, · no test; "
        "[n] refers to the notes.</p>",
        "".join(f"<p><strong>{_h(problem)}</strong></p>" for problem in report.problems),
        "<h2>Workers</h2>" + _html_table(WORKER_HEADER, worker_rows),
        *(_html_matrix(matrix, report, anchors) for matrix in report.matrices),
        _html_findings("Divergences", report.divergences, "none: every worker gave the same answer to every case"),
        _html_findings("Expected differences", report.expected_differences, "none"),
        _html_findings("Other failures", report.other_failures, "none"),
    ]
    if report.notes.numbers:
        items = "".join(f'<li value="{n}">{_h(reason)}</li>' for reason, n in report.notes.numbers.items())
        parts.append(f"<h2>Notes</h2><ol>{items}</ol>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Parity report — {_h(_verdict(report))}</title><style>{CSS}</style></head>"
        f"<body>{''.join(parts)}</body></html>\n"
    )


# --- terminal ----------------------------------------------------------------------------------------------

TERMINAL_LINE = 160
HEADLINE = re.compile(r"^(status|content-type|allow|cache-control|body) differs|^expected difference not observed")
ANSI = {"pass": "32", "fail": "1;31", "xfail": "33", "skip": "2", "none": "2", "bold": "1"}


def use_colour(stream) -> bool:
    return not os.environ.get("NO_COLOR") and hasattr(stream, "isatty") and stream.isatty()


def _paint(text: str, style: str, colour: bool) -> str:
    return f"\x1b[{ANSI[style]}m{text}\x1b[0m" if colour else text


def terminal_summary(report: Report, colour: bool, written: list[Path]) -> str:
    matrix = report.matrices[0]
    cell_texts = {label: {w: cells.get(w, Cell()) for w in report.columns} for label, cells in matrix.rows.items()}
    width = {
        w: max([len(w)] + [len(c[w].text(report.notes, True)) for c in cell_texts.values()]) for w in report.columns
    }
    lines = [_paint(f"Parity report: {_verdict(report)}", "pass" if report.passed else "fail", colour), ""]
    lines.append(f"{'rule':<6}" + "".join(f"  {w:<{width[w]}}" for w in report.columns))
    for label, cells in cell_texts.items():
        row = "".join(
            "  " + _paint(f"{cells[w].text(report.notes, True):<{width[w]}}", cells[w].state, colour)
            for w in report.columns
        )
        lines.append(f"{label:<6}{row}")
    lines += [""] + _terminal_cases(report, colour) + _terminal_workers(report)
    lines += [_paint(problem, "fail", colour) for problem in report.problems]
    lines += [f"report: {', '.join(map(str, written))}"]
    return "\n".join(lines)


def _terminal_cases(report: Report, colour: bool) -> list[str]:
    rows = report.matrices[1].rows
    if not rows:
        return []
    states = Counter(cell.state for cells in rows.values() for cell in cells.values())
    summary = ", ".join(
        _paint(f"{SYMBOLS[s]} {states[s]} {LABELS[s]}{'s' if s == 'xfail' and states[s] > 1 else ''}", s, colour)
        for s in ("pass", "fail", "xfail", "skip")
        if states[s]
    )
    workers = f"{len(report.columns)} worker{'s' if len(report.columns) != 1 else ''}"
    lines = [f"corpus: {len(rows)} cases x {workers}: {summary}"]
    for finding in report.divergences:
        fields = [line.rstrip(":") for line in finding.body.splitlines() if HEADLINE.match(line)][:3]
        lines.append(_paint(f"  ✗ {finding.title}: {'; '.join(fields) or finding.result.message}", "fail", colour))
    for finding in report.expected_differences:
        workers = [
            key.partition(":")[2]
            for key, value in finding.result.properties.items()
            if key.startswith("outcome:") and value == "xfail"
        ]
        text = f"  ≠ {finding.title}: {', '.join(workers)}: {finding.result.message}"
        lines.append(_paint(_shorten(text, TERMINAL_LINE), "xfail", colour))
    return lines + [""]


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _terminal_workers(report: Report) -> list[str]:
    lines = []
    for info in report.workers:
        startup = f"{info.startup_seconds:.2f} s" if info.startup_seconds is not None else "—"
        versions = ", ".join(f"{k} {v}" for k, v in info.versions.items())
        lines.append(f"{info.id:<11} {info.runtime:<13} start-up {startup:<8} requests {info.requests}  {versions}")
    return lines + ([""] if lines else [])


# --- command line ------------------------------------------------------------------------------------------


def write(report: Report, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    md, page = out / "parity.md", out / "parity.html"
    md.write_text(markdown(report), encoding="utf-8")
    page.write_text(html_page(report), encoding="utf-8")
    return [md, page]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m parity.report", description=__doc__.splitlines()[0])
    parser.add_argument("--junit", type=Path, required=True, help="pytest's --junitxml output")
    parser.add_argument("--run-info", type=Path, default=None, help="the suite's --run-info output")
    parser.add_argument("--out", type=Path, default=ROOT / "reports", help="folder for parity.md and parity.html")
    parser.add_argument("--contract", type=Path, default=CONTRACT_PATH, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    report = build(args.junit, args.run_info, args.contract)
    written = write(report, args.out)
    print(terminal_summary(report, use_colour(sys.stdout), written))
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
