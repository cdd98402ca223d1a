"""The README's performance figures are quoted from the committed benchmark run (docs/bench), which names the
command that wrote it, the machine and the date. Each figure is checked against the same subject, scenario and column
of that run's bench.json — a table cell by its row and worker, a figure in the prose by the sentence that quotes it —
and a figure no check covers fails too, so a swap, a figure on the wrong row or a new unchecked number is caught."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from workers_parity.bench.units import format_ratio

ROOT = Path(__file__).resolve().parents[1]  # the repository

README = ROOT / "README.md"
BENCH_MD = ROOT / "docs" / "bench" / "bench.md"
BENCH_JSON = ROOT / "docs" / "bench" / "bench.json"
NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")  # not the 1 of D1
JS = "js-worker"


@dataclass(frozen=True)
class Place:
    """Where a table row's figures are in bench.json: the records of `kind` matching `where`, the field `column`."""

    kind: str
    where: dict
    column: str
    target: str | None = None  # the bench target (its text in bench.json) the row's target column quotes


ROWS = {
    "warm start, spawn → first 200 on `/hello`": Place(
        "startup", {"variant": "warm snapshot"}, "median_vs_js", "warm start (median) <= 1.3x js-worker's"
    ),
    "start without a snapshot (`--no-snapshot`)": Place("startup", {"variant": "no snapshot"}, "median_vs_js"),
    "`GET /hello` throughput, 1 client": Place(
        "load",
        {"endpoint": "GET /hello", "clients": 1},
        "throughput_vs_js",
        "Python GET /hello throughput >= 0.8x js-worker's (1 client)",
    ),
    "`GET /hello` throughput, 8 clients": Place(
        "load",
        {"endpoint": "GET /hello", "clients": 8},
        "throughput_vs_js",
        "Python GET /hello throughput >= 0.8x js-worker's (8 clients)",
    ),
    "`GET /counter` throughput, 8 clients": Place(
        "load", {"endpoint": "GET /counter", "clients": 8}, "throughput_vs_js"
    ),
    "peak RSS of the dev server's process group": Place(
        "memory", {}, "peak_vs_js", "peak RSS of the dev server <= js-worker's"
    ),
}


def section(text: str, title: str) -> str:
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def record(data: dict, kind: str, worker: str, **where) -> dict:
    found = [r for r in data[kind] if r["worker"] == worker and all(r.get(k) == v for k, v in where.items())]
    assert len(found) == 1, f"bench.json has {len(found)} {kind} records for {worker} {where}, not one"
    return found[0]


def ratio(value: float) -> str:
    return format_ratio(value).removesuffix("×")


# --- the table ----------------------------------------------------------------------------------------------------


def table_problems(lines: list[str], data: dict) -> list[str]:
    """Each cell of the README's ratio table against its row's place in bench.json and its column's worker."""
    header, _, *rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]
    problems = []
    for row in rows:
        place = ROWS.get(row[0])
        if place is None:
            problems.append(f"table row {row[0]!r} is not in ROWS: say where bench.json has its figures")
            continue
        for worker, cell in zip(header[1:-1], row[1:-1], strict=True):
            wanted = f"{ratio(record(data, place.kind, worker, **place.where)[place.column])}× js"
            if cell != wanted:
                problems.append(f"{row[0]} · {worker}: the README says {cell!r}, bench.json {wanted!r}")
        problems += target_problems(row[0], row[-1], place, data)
    return problems


def target_problems(row: str, cell: str, place: Place, data: dict) -> list[str]:
    """The target column: `–` for none, else the bench target's bound, written `≤ 1.3× js` for `<= 1.3x js-worker's`."""
    if place.target is None:
        return [] if cell == "–" else [f"{row}: the README names target {cell!r}, the bench has none"]
    if place.target not in {target["target"] for target in data["targets"]}:
        return [f"{row}: bench.json has no target {place.target!r}"]
    bound = re.search(r"([<>]=) (?:([\d.]+)x )?js-worker's", place.target)
    wanted = f"{'≤' if bound[1] == '<=' else '≥'} {f'{bound[2]}× ' if bound[2] else ''}js"
    return [] if cell == wanted else [f"{row}: the README's target {cell!r} is not the bench's {wanted!r}"]


# --- the prose ----------------------------------------------------------------------------------------------------


def python_throughputs(data: dict) -> list[float]:
    return [r["throughput_vs_js"] for r in data["load"] if r["worker"] != JS]


def processes_of_python_workers(data: dict) -> str:
    counts = {r["processes_at_peak"] for r in data["memory"] if r["worker"] != JS}
    return str(counts.pop()) if len(counts) == 1 else f"different: {sorted(counts)}"


def tools(data: dict) -> dict:
    found = data["versions"]["tools"]
    packages = data["versions"]["py-worker"]
    return {
        **{name: found[name] for name in ("wrangler", "workerd", "miniflare", "pyodide")},
        **{"sdk": packages["workers-runtime-sdk"], "starlette": packages["starlette"]},
    }


# A sentence of the prose (a regular expression, whitespace as in the README after joining its lines) and the
# figures bench.json gives its named groups.
CLAIMS: list[tuple[str, Callable[[dict], dict[str, str]]]] = [
    (
        r"`\./noxw -s bench -- (?P<argv>[^`]+)` on (?P<date>\d{4}-\d{2}-\d{2}) on an (?P<cpu>.+?), "
        r"(?P<cores>\d+) cores, (?P<mib>[\d,]+) MiB memory",
        lambda d: {
            "argv": d["settings"]["argv"],
            "date": d["created"][:10],
            "cpu": d["machine"]["cpu_model"],
            "cores": str(d["machine"]["cores"]),
            "mib": f"{d['machine']['memory_bytes'] / 2**20:,.0f}",
        },
    ),
    (
        r"\(wrangler (?P<wrangler>\S+), workerd (?P<workerd>\S+), miniflare (?P<miniflare>\S+), "
        r"Pyodide (?P<pyodide>\S+), workers SDK (?P<sdk>\S+), Starlette (?P<starlette>[^)\s]+)\)",
        tools,
    ),
    (
        r"load average (?P<one>[\d.]+), (?P<five>[\d.]+), (?P<fifteen>[\d.]+) at its start",
        lambda d: dict(
            zip(("one", "five", "fifteen"), (f"{x:.2f}" for x in d["machine"]["load_average"]), strict=True)
        ),
    ),
    (
        r"`GET /hello`, `POST /form` and `GET /counter`, 1 and 8 clients: (?P<low>[\d.]+)× to (?P<high>[\d.]+)× js",
        lambda d: {"low": ratio(min(python_throughputs(d))), "high": ratio(max(python_throughputs(d)))},
    ),
    (
        r"`GET /counter` is the closest \((?P<py>[\d.]+)× and (?P<minimal>[\d.]+)× js at 8 clients\)",
        lambda d: {
            "py": ratio(record(d, "load", "py-worker", endpoint="GET /counter", clients=8)["throughput_vs_js"]),
            "minimal": ratio(
                record(d, "load", "py-worker-minimal", endpoint="GET /counter", clients=8)["throughput_vs_js"]
            ),
        },
    ),
    (
        r"beside workerd \((?P<js>\d+) processes at its peak\)",
        lambda d: {"js": str(record(d, "memory", JS)["processes_at_peak"])},
    ),
    (r"and the snapshot \((?P<python>\d+) processes\)", lambda d: {"python": processes_of_python_workers(d)}),
]


def prose_problems(prose: str, data: dict) -> list[str]:
    """Each claim's figures against bench.json, and every number of the prose inside some claim."""
    problems, covered = [], []
    for pattern, figures in CLAIMS:
        found = re.search(pattern, prose)
        if found is None:
            problems.append(f"no sentence of the README matches {pattern!r}: reword the check with the README")
            continue
        covered.append(found.span())
        wanted = figures(data)
        problems += [
            f"{name}: the README says {found[name]!r}, bench.json {wanted[name]!r} (in {found[0]!r})"
            for name in wanted
            if found[name] != wanted[name]
        ]
    for number in NUMBER.finditer(prose):
        if not any(start <= number.start() and number.end() <= end for start, end in covered):
            context = prose[max(0, number.start() - 50) : number.end() + 20]
            problems.append(f"{number[0]} is quoted but no check covers it: ...{context}... (add it to CLAIMS)")
    return problems


def problems(readme: str, data: dict) -> list[str]:
    """Every way the README's Performance section strays from the committed run."""
    lines = section(readme, "Performance").splitlines()
    table = [line for line in lines if line.startswith("|")]
    prose = " ".join(" ".join(line for line in lines if not line.startswith("|")).split())
    return table_problems(table, data) + prose_problems(prose, data)


# --- the tests ----------------------------------------------------------------------------------------------------


def bench() -> dict:
    return json.loads(BENCH_JSON.read_text())


def test_every_figure_of_the_performance_section_is_the_committed_runs() -> None:
    assert problems(README.read_text(), bench()) == []


def mutated(*changes: tuple[str, str]) -> str:
    """A copy of the README with changes (old, new) in its Performance section."""
    readme = README.read_text()
    performance = section(readme, "Performance")
    changed = performance
    for old, new in changes:
        assert changed.count(old) == 1, f"{old!r} is not once in the Performance section"
        changed = changed.replace(old, new)
    return readme.replace(performance, changed)


def test_two_workers_figures_swapped_in_a_row_fail() -> None:
    found = problems(
        mutated(("| 1.85× js        | 2.55× js          |", "| 2.55× js        | 1.85× js          |")), bench()
    )
    assert found == [
        "`GET /hello` throughput, 1 client · py-worker: the README says '2.55× js', bench.json '1.85× js'",
        "`GET /hello` throughput, 1 client · py-worker-minimal: the README says '1.85× js', bench.json '2.55× js'",
    ]


def test_a_figure_on_the_wrong_row_fails() -> None:
    """The no-snapshot ratio quoted as the memory ratio: it is in the report, but not on that row."""
    found = problems(
        mutated(("| 0.75× js        | 0.73× js          | ≤ js", "| 3.42× js        | 0.73× js          | ≤ js")),
        bench(),
    )
    assert found == [
        "peak RSS of the dev server's process group · py-worker: the README says '3.42× js', bench.json '0.75× js'"
    ]


def test_a_target_changed_fails() -> None:
    found = problems(mutated(("| ≤ 1.3× js      |", "| ≤ 1.5× js      |")), bench())
    assert found == [
        "warm start, spawn → first 200 on `/hello`: the README's target '≤ 1.5× js' is not the bench's '≤ 1.3× js'"
    ]


def test_figures_swapped_in_the_prose_fail() -> None:
    found = problems(mutated(("closest (1.33× and", "closest (1.49× and"), ("1.49× js at 8", "1.33× js at 8")), bench())
    assert len(found) == 2 and found[0].startswith("py: the README says '1.49', bench.json '1.33'")


def test_a_process_count_of_the_wrong_worker_fails() -> None:
    found = problems(mutated(("(5 processes at its peak)", "(2 processes at its peak)")), bench())
    assert [problem.split(" (in ")[0] for problem in found] == ["js: the README says '2', bench.json '5'"]


def test_a_new_figure_no_check_covers_fails() -> None:
    found = problems(
        mutated(("shared and busy during that run", "shared and busy (about 7× slower) during that run")), bench()
    )
    assert len(found) == 1 and found[0].startswith("7 is quoted but no check covers it")


def test_a_row_nobody_mapped_fails() -> None:
    row = "| `POST /form` throughput, 8 clients             | 1.45× js        | 1.48× js          | –              |\n"
    found = problems(mutated(("| peak RSS", row + "| peak RSS")), bench())
    assert found == [
        "table row '`POST /form` throughput, 8 clients' is not in ROWS: say where bench.json has its figures"
    ]


def test_the_committed_report_names_its_command_machine_and_date() -> None:
    data, report = bench(), BENCH_MD.read_text()
    created, argv, machine = data["created"], data["settings"]["argv"], data["machine"]
    assert f"Run {created}: `python -m workers_parity.bench {argv}`" in report
    assert f"- machine: {machine['cpu_model']}, {machine['cores']} cores" in report


def test_the_report_tables_hold_the_json_figures() -> None:
    """bench.md and bench.json are one run's two outputs: every ratio of the JSON is in the Markdown's tables."""
    data, report = bench(), BENCH_MD.read_text()
    ratios = [result["median_vs_js"] for result in data["startup"]]
    ratios += [result["throughput_vs_js"] for result in data["load"]]
    ratios += [result["peak_vs_js"] for result in data["memory"]]
    absent = [format_ratio(ratio) for ratio in ratios if format_ratio(ratio) not in report]
    assert ratios and not absent, absent


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        ("on 2026-11-28 on", "on 2026-11-27 on", "date: the README says '2026-11-27', bench.json '2026-11-28'"),
        ("wrangler 4.164.0,", "wrangler 4.165.0,", "wrangler: the README says '4.165.0', bench.json '4.164.0'"),
        ("2.85, 1.61, 1.53", "1.61, 2.85, 1.53", "one: the README says '1.61', bench.json '2.85'"),
        ("clients: 1.33× to 2.55× js", "clients: 1.34× to 2.55× js", "low: the README says '1.34', bench.json '1.33'"),
        ("24,106 MiB", "24,107 MiB", "mib: the README says '24,107', bench.json '24,106'"),
    ],
)
def test_the_prose_figures_are_each_checked(old: str, new: str, named: str) -> None:
    found = problems(mutated((old, new)), bench())
    assert len(found) >= 1 and found[0].startswith(named), found
