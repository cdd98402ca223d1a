"""The README's performance figures are quoted from the committed benchmark run (docs/bench), which names the
command that wrote it, the machine and the date. Each figure is checked against the same subject, scenario and column
of that run's bench.json — a table cell by its row and column, a figure of the prose by the sentence that quotes it,
each one written as the report writes it — and a number no check covers fails too, so a swap, a figure on the wrong
row, a target met or missed said the other way, or a new unchecked number is caught."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from workers_parity.bench import compare
from workers_parity.bench.units import format_bytes, format_cpu, format_ratio, format_seconds

ROOT = Path(__file__).resolve().parents[1]  # the repository

README = ROOT / "README.md"
BENCH_MD = ROOT / "docs" / "bench" / "bench.md"
BENCH_JSON = ROOT / "docs" / "bench" / "bench.json"
NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")  # not the 1 of D1, nor the 2 of v2
# A figure as the report writes it: digits with decimal or thousands marks, and its unit if it has one.
FIGURE = r"\d(?:[\d.,]*\d)?(?:\s?(?:ms|µs|s|MiB|GiB|×|/s)(?!\w))?"
PLACEHOLDER = re.compile(r"\{(\w+)(?::(word|text))?\}")
KINDS = {None: FIGURE, "word": r"\w+", "text": r".+?"}

JS, MIN, PY = "js-worker", "py-worker-minimal", "py-worker"
DIRECT = {JS: "js-worker · direct", MIN: "py-worker-minimal · pyodide-workerd", PY: "py-worker · pyodide-workerd"}
WRANGLER = {JS: "js-worker · workerd", MIN: "py-worker-minimal · pyodide-wrangler"}
WARM, COLD = " (warm snapshot)", " (no snapshot)"
HELLO, COUNTER = "GET /hello", "GET /counter"
RESTORE = compare.RESTORE_PHASE


# --- bench.json, looked up ----------------------------------------------------------------------------------------


def one(records: list[dict], **where) -> dict:
    found = [r for r in records if all(r.get(key) == value for key, value in where.items())]
    if len(found) != 1:
        raise LookupError(f"bench.json has {len(found)} records where {where}, not one")
    return found[0]


def load(d: dict, subject: str, scenario: str, clients: int = 1) -> dict:
    return one(d["load"], subject=subject, scenario=scenario, clients=clients)


def workerd(d: dict, subject: str, scenario: str, clients: int = 1) -> str:
    return format_cpu(load(d, subject, scenario, clients)["cpu_ms_by_kind"]["workerd"])


def by_kind(d: dict, subject: str, scenario: str, kind: str) -> str:
    return format_cpu(load(d, subject, scenario)["cpu_ms_by_kind"][kind])


def total(d: dict, subject: str, scenario: str) -> str:
    return format_cpu(load(d, subject, scenario)["cpu_ms_per_request"])


def ratio(d: dict, kind: str, subject: str, scenario: str, field: str, clients: int = 1) -> str:
    return format_ratio(one(d["ratios"], kind=kind, subject=subject, scenario=scenario, clients=clients)[field])


def start(d: dict, subject: str) -> dict:
    return one(d["startup"], subject=subject)


def median(d: dict, subject: str) -> str:
    return format_seconds(start(d, subject)["summary"]["median"])


def phase(d: dict, subject: str, name: str) -> str:
    return format_seconds(start(d, subject)["phases"][name])


def memory(d: dict, subject: str) -> str:
    return format_bytes(one(d["memory"], subject=subject)["peak_rss_bytes"])


def targets(d: dict, prefix: str, key: str = "targets") -> list[dict]:
    found = [t for t in d[key] if t["target"].startswith(prefix)]
    if not found:
        raise LookupError(f"bench.json has no {key} record whose target starts with {prefix!r}")
    return found


def bound(d: dict, prefix: str, key: str = "targets", unit: str = "") -> str:
    """The bound of a target, as the README writes it: `<= 1.5x` -> 1.5×, `<= 0.02 ms` -> 0.02 ms."""
    text = targets(d, prefix, key)[0]["target"]
    number, written = re.search(r"[<>]= ([\d.]+)\s?(x|ms|s|cases/s)?\b", text).groups()
    units = {"x": "×", "ms": " ms", "s": " s", "cases/s": "/s", None: ""}
    return number + (unit or units[written])


def met(d: dict, prefix: str, key: str = "targets") -> str:
    return "met" if all(t["met"] for t in targets(d, prefix, key)) else "missed"


def measured(d: dict, prefix: str, subject: str, key: str = "harness") -> str:
    return one(targets(d, prefix, key), subject=subject)["measured"]


def curve(d: dict, subject: str, name: str) -> list[dict]:
    """A growth curve's points for one subject, in the order they grow."""
    points = [r for r in d["load"] if r["subject"] == subject and r["curve"] == name]
    return sorted(points, key=lambda r: (r["clients"], r["body_bytes"]))


def restore_points(d: dict) -> list[tuple[int, float, str]]:
    return compare.restore_points([SimpleNamespace(**r) for r in d["startup"]])


def python_version(d: dict) -> str:
    return d["runtimes_seen"][DIRECT[MIN]]["python"]


# --- the claims: a sentence of the README, and the figures bench.json gives each placeholder ------------------


def headline(d: dict) -> dict[str, str]:
    return {
        "hello_min": ratio(d, "language", DIRECT[MIN], HELLO, "workerd_cpu"),
        "hello_py": ratio(d, "language", DIRECT[PY], HELLO, "workerd_cpu"),
        "counter_min": ratio(d, "language", DIRECT[MIN], COUNTER, "workerd_cpu"),
        "counter_py": ratio(d, "language", DIRECT[PY], COUNTER, "workerd_cpu"),
        "warm_min": median(d, DIRECT[MIN] + WARM),
        "warm_js": median(d, DIRECT[JS]),
        "launcher_min": by_kind(d, DIRECT[MIN], HELLO, "node"),
    }


def provenance(d: dict) -> dict[str, str]:
    tools, packages = d["versions"]["tools"], d["versions"][PY]
    return {
        "argv": d["settings"]["argv"],
        "date": d["created"][:10],
        "cpu": d["machine"]["cpu_model"],
        "cores": str(d["machine"]["cores"]),
        "memory": format_bytes(d["machine"]["memory_bytes"]),
        "load": f"{d['machine']['load_average'][0]:.2f}",
        **{name: tools[name] for name in ("wrangler", "workerd", "miniflare", "pyodide")},
        "python": python_version(d),
        "sdk": packages["workers-runtime-sdk"],
        "starlette": packages["starlette"],
    }


def growth(d: dict) -> dict[str, str]:
    forms = {name: curve(d, DIRECT[name], "form body") for name in (JS, MIN)}
    counters = {name: curve(d, DIRECT[name], "counter clients") for name in (JS, MIN)}
    found = {}
    for n in range(3):
        found[f"k{n}"] = str(forms[JS][n]["body_bytes"] // 1024)
        found[f"js{n}"] = format_cpu(forms[JS][n]["cpu_ms_by_kind"]["workerd"])
        found[f"m{n}"] = format_cpu(forms[MIN][n]["cpu_ms_by_kind"]["workerd"])
        found[f"c{n}"] = str(counters[JS][n]["clients"])
        found[f"jc{n}"] = format_cpu(counters[JS][n]["cpu_ms_by_kind"]["workerd"])
        found[f"mc{n}"] = format_cpu(counters[MIN][n]["cpu_ms_by_kind"]["workerd"])
    return found


def startup(d: dict) -> dict[str, str]:
    warm_min = DIRECT[MIN] + WARM
    return {
        "js": median(d, DIRECT[JS]),
        "min": median(d, warm_min),
        "py": median(d, DIRECT[PY] + WARM),
        "min_ratio": format_ratio(start(d, warm_min)["median_vs_js"]),
        "py_ratio": format_ratio(start(d, DIRECT[PY] + WARM)["median_vs_js"]),
        "min_cold": median(d, DIRECT[MIN] + COLD),
        "py_cold": median(d, DIRECT[PY] + COLD),
        "workerd": phase(d, warm_min, "workerd start"),
        "js_workerd": phase(d, DIRECT[JS], "workerd start"),
        "restore": phase(d, warm_min, RESTORE),
        "main": phase(d, warm_min, "main module import"),
        "listen": phase(d, warm_min, "until listening"),
    }


def probes(d: dict) -> dict[str, str]:
    fastapi, django = "fastapi-probe · pyodide-workerd" + WARM, "django-probe · pyodide-workerd" + WARM
    (small_b, small_s, _), (big_b, big_s, _) = restore_points(d)[0], restore_points(d)[-1]
    return {
        "fastapi": median(d, fastapi),
        "django": median(d, django),
        "target": bound(d, "warm start of the probe workers"),
        "met": met(d, "warm start of the probe workers"),
        "fastapi_main": phase(d, fastapi, "main module import"),
        "django_workerd": phase(d, django, "workerd start"),
        "small_s": format_seconds(small_s),
        "small_b": format_bytes(small_b),
        "big_s": format_seconds(big_s),
        "big_b": format_bytes(big_b),
        "per_mib": format_ratio((big_s / big_b) / (small_s / small_b)),
        "restore_target": bound(d, "snapshot restore"),
        "restore_met": met(d, "snapshot restore"),
    }


def tools_cost(d: dict) -> dict[str, str]:
    return {
        "js_total": total(d, WRANGLER[JS], HELLO),
        "js_host": ratio(d, "host", WRANGLER[JS], HELLO, "cpu"),
        "proxy": by_kind(d, WRANGLER[JS], HELLO, "proxy workerd"),
        "node": by_kind(d, WRANGLER[JS], HELLO, "node"),
        "workerd": by_kind(d, WRANGLER[JS], HELLO, "workerd"),
        "workerd_host": ratio(d, "host", WRANGLER[JS], HELLO, "workerd_cpu"),
        "min_total": total(d, WRANGLER[MIN], HELLO),
        "min_host": ratio(d, "host", WRANGLER[MIN], HELLO, "cpu"),
        "lang_w": ratio(d, "language", WRANGLER[MIN], HELLO, "cpu"),
        "lang_d": ratio(d, "language", DIRECT[MIN], HELLO, "cpu"),
    }


def parity(d: dict) -> dict[str, str]:
    run = d["parity"]
    return {
        "command": run["command"],
        "tests": str(run["tests"]),
        "wall": format_seconds(run["wall_seconds"]),
        "target": bound(d, "a warm `", unit=" s"),
        "met": met(d, "a warm `"),
        "workers": format_seconds(run["phases"]["workers' start (in parallel)"]),
        "pytest": format_seconds(run["phases"]["pytest: collection, tests, teardown"]),
        "nox": format_seconds(run["phases"]["nox and pip, before pytest and after"]),
        "report": format_seconds(run["phases"]["the report"]),
    }


def harness(d: dict) -> dict[str, str]:
    (time_check,) = targets(d, "harness time", "harness")
    (har_check,) = targets(d, "HAR import", "harness")
    return {
        "cases": time_check["subject"].split()[0],
        "harness": time_check["measured"],
        "h_target": bound(d, "harness time", "harness"),
        "h_met": met(d, "harness time", "harness"),
        "js_rate": measured(d, "replay", "notes-js"),
        "py_rate": measured(d, "replay", "notes-py"),
        "r_target": bound(d, "replay", "harness"),
        "r_met": "met" if all(t["met"] for t in targets(d, "replay", "harness") if t["met"] is not None) else "missed",
        "alone": measured(d, "replay", "the harness alone (instant server)"),
        "har_n": har_check["subject"].split()[0],
        "har": har_check["measured"],
        "har_target": bound(d, "HAR import", "harness"),
        "har_met": met(d, "HAR import", "harness"),
    }


CLAIMS: list[tuple[str, Callable[[dict], dict[str, str]]]] = [
    (
        "Python costs {hello_min} (the Workers SDK alone) to {hello_py} (Starlette) JavaScript's workerd CPU per "
        "request for `GET /hello`, {counter_min} to {counter_py} for `GET /counter` (a D1 query); a warm start takes "
        "{warm_min} against {warm_js}; and our runtime adds {launcher_min} of CPU a request outside workerd.",
        headline,
    ),
    (
        "written by `./noxw -s bench -- {argv:text}` on {date:text} on an {cpu:text}, {cores} cores, {memory} "
        "memory, shared with other jobs (load average {load} at its start), with wrangler {wrangler:text}, workerd "
        "{workerd:text}, miniflare {miniflare:text}, Pyodide {pyodide:text} (Python {python:text}), workers SDK "
        "{sdk:text} and Starlette {starlette:text};",
        provenance,
    ),
    (
        "CPU of the workerd that runs the worker, per request, {clients} client:",
        lambda d: {"clients": str(d["settings"]["clients"][0])},
    ),
    (
        "Our target of {target} JavaScript's workerd CPU for `GET /hello` is {met:word} (see the report's Targets)",
        lambda d: {"target": bound(d, "Python's workerd CPU"), "met": met(d, "Python's workerd CPU")},
    ),
    (
        "**Our runtime adds** {min} (py-worker-minimal) to {py} (py-worker) of the launcher's CPU per request "
        "(target {target}: {met:word}), request lines still shown (written by workerd in batches); JavaScript's "
        "launcher in the same host adds {js}.",
        lambda d: {
            "min": by_kind(d, DIRECT[MIN], HELLO, "node"),
            "py": by_kind(d, DIRECT[PY], HELLO, "node"),
            "target": bound(d, "the launcher's CPU"),
            "met": met(d, "the launcher's CPU"),
            "js": by_kind(d, DIRECT[JS], HELLO, "node"),
        },
    ),
    (
        "with the form's body at {k0}, {k1} and {k2} KiB, JavaScript's workerd spends {js0}, {js1} and {js2} a "
        "request, py-worker-minimal's {m0}, {m1} and {m2}; `GET /counter` at {c0}, {c1} and {c2} clients costs "
        "js-worker {jc0}, {jc1} and {jc2}, py-worker-minimal {mc0}, {mc1} and {mc2}",
        growth,
    ),
    (
        "**Start-up**, spawn to ready: js-worker {js}, py-worker-minimal {min} and py-worker {py} from a warm snapshot "
        "({min_ratio} and {py_ratio}), {min_cold} and {py_cold} without one. Split by phase (medians), "
        "py-worker-minimal's warm start spends {workerd} starting workerd (JavaScript: {js_workerd}), {restore} "
        "restoring the snapshot, {main} importing the worker's main module and {listen} more until workerd listens.",
        startup,
    ),
    (
        "starts warm in {fastapi}, Django in {django} (target {target}: {met:word}; FastAPI spends {fastapi_main} "
        "importing its main module, Django {django_workerd} starting workerd with its thousands of files). Restoring "
        "a snapshot takes {small_s} for {small_b} and {big_s} for {big_b}: {per_mib} the time per MiB (target: no "
        "worse than linear, at most {restore_target}: {restore_met:word}).",
        probes,
    ),
    (
        "**Memory** (peak RSS of the server's processes over the load runs): js-worker {js}, py-worker {py}, "
        "py-worker-minimal {min}.",
        lambda d: {"js": memory(d, DIRECT[JS]), "py": memory(d, DIRECT[PY]), "min": memory(d, DIRECT[MIN])},
    ),
    (
        "The same js-worker's `GET /hello` costs {js_total} there, {js_host} the direct host's: {proxy} in the "
        "proxy's workerd, {node} in Node, and {workerd} in the worker's own workerd ({workerd_host} the direct "
        "host's, for the middleware and miniflare's request log). Python served the same way (`pyodide-wrangler`) "
        "costs {min_total} for py-worker-minimal, {min_host} its direct host. So compare languages within one host: "
        "behind `wrangler dev` py-worker-minimal costs {lang_w} js-worker's CPU per request, in the direct host "
        "{lang_d};",
        tools_cost,
    ),
    (
        "Start-up under `wrangler dev`: js-worker {js}, py-worker-minimal {min}.",
        lambda d: {"js": median(d, WRANGLER[JS]), "min": median(d, WRANGLER[MIN])},
    ),
    (
        "A warm `{command:text}` ({tests} tests, three workers) took {wall}, so its target of {target} is "
        "{met:word}: {workers} for the workers' start (in parallel), {pytest} of pytest, {nox} of nox and {report} "
        "for the report.",
        parity,
    ),
    (
        "`workers-parity run` on a copy of `examples/notes` with {cases} cases, its two workers warm: the harness "
        "takes {harness} of its wall time beside the workers' start (target {h_target}: {h_met:word}); the cases are "
        "replayed at {js_rate} by notes-js and {py_rate} by notes-py (target {r_target}: {r_met:word}), and at "
        "{alone} against an instant local server (the harness alone); a {har_n}-request HAR file imports in {har} "
        "(target {har_target}: {har_met:word}).",
        harness,
    ),
]


def claim_pattern(template: str) -> re.Pattern:
    """A claim's template as a regular expression: its text literal, each {name} a named group of its kind."""
    parts, end = [], 0
    for found in PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[end : found.start()]))
        parts.append(f"(?P<{found[1]}>{KINDS[found[2]]})")
        end = found.end()
    parts.append(re.escape(template[end:]))
    return re.compile("".join(parts))


# --- the table ----------------------------------------------------------------------------------------------------

# A row of the README's same-host table -> the scenario it quotes (at the table's clients, in the direct host).
ROWS = {
    "`GET /hello`": HELLO,
    "`POST /form`": "POST /form",
    "`GET /counter` (one D1 query)": COUNTER,
    "`POST /form`, 64 KiB body": "POST /form 64 KiB",
}


def table_problems(lines: list[str], d: dict) -> list[str]:
    """Each cell: the workerd CPU per request of its column's worker in its row's scenario, in the direct host, and
    for a Python worker its ratio to JavaScript's."""
    header, _, *rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]
    problems = []
    for row in rows:
        scenario = ROWS.get(row[0])
        if scenario is None:
            problems.append(f"table row {row[0]!r} is not in ROWS: say which scenario of bench.json it quotes")
            continue
        for column, cell in zip(header[1:], row[1:], strict=True):
            subject = DIRECT[column.split()[0]]
            wanted = workerd(d, subject, scenario)
            if load(d, subject, scenario)["language"] == "python":
                wanted += f" = {ratio(d, 'language', subject, scenario, 'workerd_cpu')}"
            if cell != wanted:
                problems.append(f"{row[0]} · {column}: the README says {cell!r}, bench.json {wanted!r}")
    return problems


# --- the prose ----------------------------------------------------------------------------------------------------


def prose_problems(prose: str, d: dict, claims: list | None = None) -> list[str]:
    """Each claim's figures against bench.json, and every number of the prose inside a checked figure."""
    problems, checked = [], []
    for template, figures in CLAIMS if claims is None else claims:
        found = claim_pattern(template).search(prose)
        if found is None:
            problems.append(f"no sentence of the README matches {template[:60]!r}...: reword the check with it")
            continue
        try:
            wanted = figures(d)
        except (KeyError, LookupError, IndexError) as error:
            problems.append(f"{template[:60]!r}...: {error}")
            continue
        checked += [found.span(name) for name in wanted]
        problems += [
            f"{name}: the README says {found[name]!r}, bench.json {wanted[name]!r} (in {found[0][:80]!r}...)"
            for name in wanted
            if found[name] != wanted[name]
        ]
    for number in NUMBER.finditer(prose):
        if not any(start <= number.start() and number.end() <= end for start, end in checked):
            context = prose[max(0, number.start() - 50) : number.end() + 20]
            problems.append(f"{number[0]} is quoted but no check covers it: ...{context}... (add it to CLAIMS)")
    return problems


def section(text: str, title: str) -> str:
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def problems(readme: str, d: dict) -> list[str]:
    """Every way the README's Performance section strays from the committed run."""
    lines = section(readme, "Performance").splitlines()
    table = [line for line in lines if line.startswith("|")]
    prose = " ".join(" ".join(line for line in lines if not line.startswith("|")).split())
    return table_problems(table, d) + prose_problems(prose, d)


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
    cells = "| 0.640 ms = 2.23×             | 1.177 ms = 4.10× "
    swapped = "| 1.177 ms = 4.10×             | 0.640 ms = 2.23× "
    found = problems(mutated((cells, swapped)), bench())
    assert found == [
        "`GET /hello` · py-worker-minimal (SDK only): the README says '1.177 ms = 4.10×', "
        "bench.json '0.640 ms = 2.23×'",
        "`GET /hello` · py-worker (Starlette): the README says '0.640 ms = 2.23×', bench.json '1.177 ms = 4.10×'",
    ]


def test_a_figure_on_the_wrong_row_fails() -> None:
    """js-worker's GET /counter figure quoted on the POST /form row: it is in the report, but not on that row."""
    row = "| `POST /form`                  | "
    found = problems(mutated((row + "0.420 ms ", row + "0.993 ms ")), bench())
    assert found == ["`POST /form` · js-worker: the README says '0.993 ms', bench.json '0.420 ms'"]


def test_a_row_nobody_mapped_fails() -> None:
    row = "| `POST /form`, 16 KiB body     | 0.583 ms  | 1.347 ms = 2.31×             | 1.965 ms = 3.37×      |\n"
    found = problems(mutated(("| `POST /form`, 64 KiB", row + "| `POST /form`, 64 KiB")), bench())
    assert found == ["table row '`POST /form`, 16 KiB body' is not in ROWS: say which scenario of bench.json it quotes"]


def test_figures_swapped_in_the_prose_fail() -> None:
    swap = ("js-worker 354.2 ms, py-worker-minimal 797.1 ms", "js-worker 797.1 ms, py-worker-minimal 354.2 ms")
    found = problems(mutated(swap), bench())
    assert [problem.split(" (in ")[0] for problem in found] == [
        "js: the README says '797.1 ms', bench.json '354.2 ms'",
        "min: the README says '354.2 ms', bench.json '797.1 ms'",
    ]


def test_a_launcher_figure_of_the_wrong_worker_fails() -> None:
    swap = (
        "0.007 ms (py-worker-minimal) to 0.010 ms (py-worker)",
        "0.010 ms (py-worker-minimal) to 0.007 ms (py-worker)",
    )
    found = problems(mutated(swap), bench())
    assert len(found) == 2 and found[0].startswith("min: the README says '0.010 ms', bench.json '0.007 ms'")


def test_a_missed_target_said_to_be_met_fails() -> None:
    found = problems(mutated(("`GET /hello` is missed (see", "`GET /hello` is met (see")), bench())
    assert [problem.split(" (in ")[0] for problem in found] == ["met: the README says 'met', bench.json 'missed'"]


def test_a_target_changed_fails() -> None:
    found = problems(mutated(("(target 0.02 ms: met)", "(target 0.05 ms: met)")), bench())
    assert [problem.split(" (in ")[0] for problem in found] == [
        "target: the README says '0.05 ms', bench.json '0.02 ms'"
    ]


def test_the_harness_figures_of_two_workers_swapped_fail() -> None:
    found = problems(
        mutated(("at 221/s by notes-js", "at 285/s by notes-js"), ("285/s by notes-py", "221/s by notes-py")), bench()
    )
    assert [problem.split(" (in ")[0] for problem in found] == [
        "js_rate: the README says '285/s', bench.json '221/s'",
        "py_rate: the README says '221/s', bench.json '285/s'",
    ]


def test_a_new_figure_no_check_covers_fails() -> None:
    found = problems(mutated(("Compare the ratios, which", "Compare the ratios (about 7× steadier), which")), bench())
    assert len(found) == 1 and found[0].startswith("7 is quoted but no check covers it")


def test_a_number_in_a_claims_own_words_is_not_taken_as_checked() -> None:
    """Only the figures a claim looks up cover a number: one written into the claim's text would not be checked."""
    claims = [("took {wall}, target 30 s", lambda d: {"wall": "39.72 s"})]
    found = prose_problems("A warm run took 39.72 s, target 30 s.", {}, claims)
    assert len(found) == 1 and found[0].startswith("30 is quoted but no check covers it"), found


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        ("on 2026-12-06 on", "on 2026-12-05 on", "date: the README says '2026-12-05', bench.json '2026-12-06'"),
        ("wrangler 4.164.0,", "wrangler 4.165.0,", "wrangler: the README says '4.165.0', bench.json '4.164.0'"),
        ("load average 1.83 at", "load average 1.58 at", "load: the README says '1.58', bench.json '1.83'"),
        ("24,105 MiB memory", "24,106 MiB memory", "memory: the README says '24,106 MiB', bench.json '24,105 MiB'"),
        ("(2102 tests,", "(1564 tests,", "tests: the README says '1564', bench.json '2102'"),
        ("and 64 KiB, JavaScript", "and 32 KiB, JavaScript", "k2: the README says '32', bench.json '64'"),
        ("(Python 3.14.2)", "(Python 3.13.2)", "python: the README says '3.13.2', bench.json '3.14.2'"),
    ],
)
def test_the_prose_figures_are_each_checked(old: str, new: str, named: str) -> None:
    found = problems(mutated((old, new)), bench())
    assert len(found) == 1 and found[0].startswith(named), found


def test_the_committed_report_names_its_command_machine_and_date() -> None:
    data, report = bench(), BENCH_MD.read_text()
    created, argv, machine = data["created"], data["settings"]["argv"], data["machine"]
    assert f"Run {created}: `python -m workers_parity.bench {argv}`" in report
    assert f"- machine: {machine['cpu_model']}, {machine['cores']} cores" in report


def test_the_report_tables_hold_the_json_figures() -> None:
    """bench.md and bench.json are one run's two outputs: every ratio of the JSON is in the Markdown's tables."""
    data, report = bench(), BENCH_MD.read_text()
    ratios = [result["median_vs_js"] for result in data["startup"]]
    ratios += [ratio[key] for ratio in data["ratios"] for key in ("cpu", "workerd_cpu", "p50", "requests_per_second")]
    absent = [format_ratio(ratio) for ratio in ratios if format_ratio(ratio) not in report]
    assert ratios and not absent, absent
    assert all(f"| {check['measured']} |" in report for check in data["harness"])


def test_every_subject_names_its_host_and_language() -> None:
    data = bench()
    results = data["startup"] + data["load"] + data["memory"]
    assert {result["host"] for result in results} >= {"direct", "wrangler-dev"}
    assert {result["language"] for result in results} == {"javascript", "python"}
