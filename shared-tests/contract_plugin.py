"""Our plug-in to workers-parity (workers-parity.toml `plugins`): what the tool's generic core does not know of our
app. Cases get two keys — `rules` (the CONTRACT.md rules a case exercises) and `answer` (the contract's answer, when
the case states it) — every case is checked against the contract's exact answer (the oracle of expected.py, so
workers that agree on a wrong answer fail together), and the report gets its contract rules × workers table.

The masks our cases need (the counter's count, /status's values, x-worker) are data: in corpus.toml and
workers-parity.toml. ANSWER_MASKS holds the same two for the fuzzer, which derives its answers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import expected

from workers_parity.http import bodies, client
from workers_parity.judge.masks import mask_from
from workers_parity.report import matrices

CASE_KEYS = {"rules", "answer"}
FOUND_CASE_KEYS = {"rules"}  # a request `workers-parity fuzz` mutated from a case exercises its rules still
RULE_ID = re.compile(r"^C\d+(\.\d+)?$")
PARITY_RULE = "C14.1"  # every case checks byte parity itself
ANSWER_NAMES = (*expected.NAMED_ANSWERS, *expected.PLATFORM_ANSWERS)
FIELD_NAMES = ("name", "message")
CONTRACT = Path(__file__).with_name("CONTRACT.md")
# The differences C14.2 allows, as corpus.toml writes them for its counter and /status cases.
ANSWER_MASKS = {
    "counter": {
        "body": r'<span id="count">\d+</span>',
        "replacement": '<span id="count">(count masked)</span>',
        "reason": "C14.2: the count depends on the state (the contract plug-in checks the page)",
    },
    "status": {
        "body": r'":(?:"(?:[^"\\]|\\.)*"|null|true|false|-?\d[\d.eE+-]*)',
        "replacement": '":(value masked)',
        "reason": "C14.2: /status values are each worker's own; keys, order and compact form are compared",
    },
}


def check_case(case) -> None:
    rules = case.extra.get("rules")
    if not isinstance(rules, list) or not rules or not all(isinstance(r, str) and RULE_ID.match(r) for r in rules):
        raise ValueError(f"rules must be contract ids such as C4 or C4.3 (CONTRACT.md), got {rules!r}")
    answer = case.extra.get("answer")
    if answer is None and case.raw is not None:
        raise ValueError("a raw request states the contract's answer with `answer` (the oracle reads parsed ones)")
    if answer is not None and answer not in ANSWER_NAMES and not _fields(answer):
        raise ValueError(f"answer must be one of {', '.join(ANSWER_NAMES)}, or a table of {FIELD_NAMES}")


def _fields(answer: object) -> bool:
    return (
        isinstance(answer, dict)
        and set(answer) <= set(FIELD_NAMES)
        and all(isinstance(v, str) for v in answer.values())
    )


def contract_answer(case) -> str | dict[str, str]:
    """The answer the case states, else the one the oracle derives from the request."""
    stated = case.extra.get("answer")
    if stated is not None:
        return stated
    return expected.outcome(case.method, case.path, case.headers, case.sent_body())


def expectation(case, worker):
    return expected.expectation(contract_answer(case), case.method, case.path, worker.name)


def rules(case) -> list[str]:
    return list(dict.fromkeys([*case.extra.get("rules", []), PARITY_RULE]))


def demo_story() -> tuple:
    """The steps of our demo (`nox -s demo`)."""
    import demo_story

    return demo_story.STORY


def answer_masks(answer: str | dict[str, str]) -> list:
    """The masks a case with this contract answer needs (none, but for the counter and /status)."""
    written = ANSWER_MASKS.get(answer) if isinstance(answer, str) else None
    return [mask_from(written, "shared-tests/contract_plugin.py")] if written else []


# --- the report's table: contract rules × workers ------------------------------------------------------------


def report_tables(results) -> list[matrices.Matrix]:
    return [rule_matrix(results.tests, _columns(results), contract_titles())]


def _columns(results) -> list[str]:
    order = {worker_id: n for n, worker_id in enumerate(results.run.workers)}
    named = dict(results.run.targets)
    for test in results.tests:
        named.update({cell.target: (cell.worker, cell.runtime) for cell in test.cells if cell.target is not None})
    return sorted(named, key=lambda target: (order.get(named[target][0], len(order)), target))


def rule_group(rule: str) -> str:
    return rule.split(".")[0]


def natural(rule: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", rule))


def contract_titles(path: Path = CONTRACT) -> dict[str, str]:
    """`### C4 form post: success` -> {"C4": "form post: success"}."""
    if not path.exists():
        return {}
    return dict(re.findall(r"^###\s+(C\d+)\s+(.+?)\s*$", path.read_text(encoding="utf-8"), flags=re.MULTILINE))


def rule_matrix(tests, columns: list[str], titles: dict[str, str]) -> matrices.Matrix:
    rows: dict[str, dict[str, matrices.Cell]] = {group: {} for group in titles}
    covered: dict[str, set[str]] = {}
    for test in tests:
        for group in sorted({rule_group(rule) for rule in test.rules}):
            covered.setdefault(group, set()).update(r for r in test.rules if rule_group(r) == group)
            for target, (outcome, reason) in matrices.per_target(test, columns).items():
                rows.setdefault(group, {}).setdefault(target, matrices.Cell()).add(outcome, reason)
    ordered = dict(sorted(rows.items(), key=lambda item: natural(item[0])))
    notes = {
        group: " ".join(filter(None, [titles.get(group, ""), _covered_list(covered.get(group, set()))]))
        for group in ordered
    }
    return matrices.Matrix("Contract rules × workers", ordered, notes, True, ("rule", "title (rules tested)"))


def _covered_list(rules: set[str]) -> str:
    return f"({', '.join(sorted(rules, key=natural))})" if rules else "(no tests)"


# --- the bench: our endpoints, growth curves, probes and suite, and what each worker says of itself ------------------

ROOT = Path(__file__).resolve().parents[1]  # this repository
FORM_FIELDS = [("name", "Ada Lovelace"), ("message", "Benchmarks & <notes>")]
FORM_PADDING = ("padding", "x")  # the field that pads a form body to its size, and its character
FORM_BODY_KIB = (1, 16, 64)  # 64 KiB is the largest body the contract accepts (C7.1)
COUNTER_CLIENTS = (1, 8, 32)
# Our own large Python workers (tests/python_workers/), for the start-up of big ones, and the path each answers 200 on.
PROBES = {"fastapi": "/planets/1", "django": "/hello/bench"}


def form_body(size: int | None = None) -> bytes:
    """A valid form (C4.1); with a size, padded to exactly that many bytes by a field the worker ignores."""
    if size is None:
        return bodies.urlencoded(FORM_FIELDS)
    body, _ = bodies.sized_form("urlencoded", FORM_FIELDS, size, "", FORM_PADDING)  # a boundary serves multipart only
    return body


def bench_endpoints() -> list[tuple]:
    """(method, path, body, content type) of the load runs: the greeting, a form post, the counter (a D1 write)."""
    return [("GET", "/hello"), ("POST", "/form", form_body(), bodies.URLENCODED), ("GET", "/counter")]


def bench_curves() -> dict[str, list[tuple]]:
    """The form post with its body padded to 1, 16 and 64 KiB (1 client); the counter at 1, 8 and 32 clients."""
    forms = [(("POST", "/form", form_body(kib * 1024), bodies.URLENCODED, f" {kib} KiB"), 1) for kib in FORM_BODY_KIB]
    return {"form body": forms, "counter clients": [(("GET", "/counter"), n) for n in COUNTER_CLIENTS]}


def bench_probes() -> list[tuple]:
    """Our FastAPI and Django probe workers, for the warm start of large Python workers."""
    folder = ROOT / "tests" / "python_workers"
    return [(f"{name}-probe", folder / name, path) for name, path in PROBES.items()]


def bench_suite() -> list[str]:
    """Parity's own speed: our whole parity run, as a developer types it."""
    return ["./noxw", "-s", "parity"]


def describe_worker(base_url: str) -> dict:
    """What our worker says on /status (C9): the runtime it runs in, its Python."""
    said = json.loads(client.get(base_url, "/status").body)
    return {"runtime": said.get("runtime"), "python": said.get("python_version")}
