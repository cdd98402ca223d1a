"""The README's performance figures are quoted from the committed benchmark run (docs/bench), which names the
command that wrote it, the machine and the date: a number the report does not contain fails here."""

from __future__ import annotations

import json
import re
from pathlib import Path

from workers_parity.bench.units import format_ratio

ROOT = Path(__file__).resolve().parents[1]  # the repository

README = ROOT / "README.md"
BENCH_MD = ROOT / "docs" / "bench" / "bench.md"
BENCH_JSON = ROOT / "docs" / "bench" / "bench.json"
# a date, or digits with decimal or thousands marks, with the unit that follows (a figure in seconds must be found in
# seconds: "1 s" is not in a report that has "1.50 s" and "1 client")
NUMBER = re.compile(r"(\d{4}-\d{2}-\d{2}|\d+(?:[.,]\d+)*)(?:\s?(x\b|ms\b|s\b|MiB|GiB|/s|%|minutes?\b))?")


def section(text: str, title: str) -> str:
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def numbers(text: str) -> set[tuple[str, str]]:
    """(number, unit) pairs; × and x are one unit (the report writes both)."""
    return set(NUMBER.findall(text.replace("×", "x")))


def not_in(quoted: set[tuple[str, str]], reported: set[tuple[str, str]]) -> list[str]:
    """The quoted figures the report lacks: with their unit when they have one, else the number in any unit."""
    reported_numbers = {number for number, _ in reported}
    lacking = [(n, u) for n, u in quoted if ((n, u) not in reported if u else n not in reported_numbers)]
    return sorted(f"{number} {unit}".strip() for number, unit in lacking)


def test_not_in_needs_the_unit_of_a_figure_that_has_one() -> None:
    reported = numbers("took 1.50 s for 1 client, 0.70× js")
    assert not_in(numbers("0.70x js, 1 client, 1.50 s"), reported) == []
    assert not_in(numbers("about 1 s, 5 ms, 24 GiB"), reported) == ["1 s", "24 GiB", "5 ms"]


def test_every_number_in_the_performance_section_is_in_the_committed_report() -> None:
    quoted = numbers(section(README.read_text(), "Performance"))
    missing = not_in(quoted, numbers(BENCH_MD.read_text()))
    assert quoted, "the README's performance section quotes no figures: is the section still called Performance?"
    assert not missing, f"README's performance section quotes numbers that docs/bench/bench.md does not: {missing}"


def test_the_committed_report_names_its_command_machine_and_date_and_the_readme_quotes_them() -> None:
    data, report = json.loads(BENCH_JSON.read_text()), BENCH_MD.read_text()
    created, argv, machine = data["created"], data["settings"]["argv"], data["machine"]
    assert f"Run {created}: `python -m workers_parity.bench {argv}`" in report
    assert f"- machine: {machine['cpu_model']}, {machine['cores']} cores" in report
    performance = " ".join(section(README.read_text(), "Performance").split())  # the README wraps its lines
    assert f"./noxw -s bench -- {argv}" in performance
    assert created[:10] in performance and f"{machine['cores']} cores" in performance


def test_the_report_tables_hold_the_json_figures() -> None:
    """bench.md and bench.json are one run's two outputs: every ratio of the JSON is in the Markdown's tables."""
    data, report = json.loads(BENCH_JSON.read_text()), BENCH_MD.read_text()
    ratios = [result["median_vs_js"] for result in data["startup"]]
    ratios += [ratio[key] for ratio in data["ratios"] for key in ("cpu", "workerd_cpu", "p50", "requests_per_second")]
    absent = [format_ratio(ratio) for ratio in ratios if format_ratio(ratio) not in report]
    assert ratios and not absent, absent


def test_every_subject_names_its_host_and_language() -> None:
    data = json.loads(BENCH_JSON.read_text())
    results = data["startup"] + data["load"] + data["memory"]
    assert {result["host"] for result in results} >= {"direct", "wrangler-dev"}
    assert {result["language"] for result in results} == {"javascript", "python"}
