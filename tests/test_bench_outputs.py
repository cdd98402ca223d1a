"""What the benchmark writes, from made-up results (nothing here is timed): bench.md in the committed report's
format, same-host ratios first, a self-contained bench.html with its plots, the terminal tables; and memory read
through psutil."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from dataclasses import replace

import pytest

from workers_parity.bench import cpu, page, tables
from workers_parity.bench.__main__ import build_report, write_outputs
from workers_parity.bench.load import LoadPhase
from workers_parity.bench.results import LoadResult, Machine, MemoryResult, ParityRun, StartupResult, TargetCheck
from workers_parity.bench.stats import summarize
from workers_parity.render import terminal
from workers_parity.servers.devserver import resident_memory

SUBJECTS = {  # subject -> (worker, language, runtime, host)
    "js-worker · direct": ("js-worker", "javascript", "direct", "direct"),
    "py-worker · pyodide-workerd": ("py-worker", "python", "pyodide-workerd", "direct"),
    "js-worker · workerd": ("js-worker", "javascript", "workerd", "wrangler-dev"),
}


def startup(subject: str, seconds: list[float], **fields) -> StartupResult:
    worker, language, runtime, host = SUBJECTS[subject]
    variant = "warm snapshot" if runtime == "pyodide-workerd" else ""
    label = subject + (f" ({variant})" if variant else "")
    return StartupResult(label, worker, language, runtime, host, variant, seconds, 5.0, summarize(seconds), **fields)


def load(subject: str, scenario: str, clients: int, workerd_ms: float) -> LoadResult:
    worker, language, runtime, host = SUBJECTS[subject]
    kinds = {cpu.WORKERD: workerd_ms, cpu.NODE: 0.004}
    p50 = workerd_ms / 100
    curve = "counter" if scenario == "GET /counter" else "body" if scenario.endswith("KiB") else ""
    body = int(scenario.split()[2]) * 1024 if curve == "body" else 0
    return LoadResult(
        subject, worker, language, runtime, host, scenario, clients, 100, 0, 1.0, "request count",
        workerd_ms + 0.004, kinds, p50, p50 * 3, 100.0 / p50 / 1e3, curve, clients < 32 and curve != "body", body,
    )  # fmt: skip


def a_report():
    per_request = {"js-worker · direct": 0.3, "py-worker · pyodide-workerd": 0.6, "js-worker · workerd": 1.5}
    scenarios = [("GET /hello", 1), ("GET /hello", 8), ("GET /counter", 1), ("GET /counter", 8), ("GET /counter", 32)]
    scenarios += [(f"POST /form {kib} KiB", 1) for kib in (1, 16, 64)]
    loads = [load(subject, name, clients, ms) for name, clients in scenarios for subject, ms in per_request.items()]
    memory_results = [
        MemoryResult(subject, *SUBJECTS[subject], size, 3, 40)
        for subject, size in zip(SUBJECTS, (2**28, 2**29, 2**30), strict=True)
    ]
    phase = LoadPhase(loads, memory_results, {"js-worker · workerd": {"runtime": "workerd"}}, {})
    settings = {"argv": "--starts 3", "starts": 3, "requests": 100, "seconds": 1.0, "workers": [], "probes": []}
    found_machine = Machine(2, 2, 2**33, "Test CPU", "Linux", "3.11", [0.5, 0.5, 0.5])
    phases = {"launcher up": 0.05, "workerd start": 0.3, "Python boot or restore": 0.2, "first answer": 0.05}
    restore = {"Python boot or restore": 0.2}
    starts = [
        startup("js-worker · direct", [0.5, 0.6, 0.55], phases={"launcher up": 0.05, "workerd start": 0.4}),
        startup("py-worker · pyodide-workerd", [1.5, 1.6, 2.5], phases=phases, snapshot_bytes=30 * 2**20),
        startup("js-worker · workerd", [1.0, 1.2, 1.1]),
    ]
    starts.append(replace(starts[1], subject="big · pyodide-workerd", phases=restore, snapshot_bytes=60 * 2**20))
    versions = {"tools": {"wrangler": "4.1"}, "harness python": "3.11"}
    skipped = {"py-worker · workerd": "no workerd Python here"}
    parity = ParityRun("./noxw -s parity", 0, 28.0, 45.0, {"tests": 20.0, "the report": 1.0}, 1564)
    harness = [TargetCheck("harness time <= 2 s", "100 cases, 2 workers", "1.20 s", True)]
    created = "2026-01-01T00:00:00+00:00"
    return build_report(created, settings, found_machine, versions, starts, phase, parity, skipped, harness)


def test_bench_md_keeps_the_committed_report_format() -> None:
    text = tables.render_markdown(a_report())
    assert text.startswith(
        "# Benchmarks\n\nRun 2026-01-01T00:00:00+00:00: `python -m workers_parity.bench --starts 3`\n"
    )
    assert "| GET /hello | 1 | py-worker · pyodide-workerd | js-worker · direct | 1.99× | 2.00× |" in text
    assert "| GET /hello | 1 | js-worker · workerd | js-worker · direct | 4.95× | 5.00× |" in text
    assert "| js-worker · direct | direct | 3 | 550.0 ms | 500.0 ms – 600.0 ms | 5.00 s | 1.00× | – |" in text
    assert "| `./noxw -s parity` | 28.00 s | 45.00 s | 1564 | 0 | tests 20.00 s; the report 1.00 s |" in text
    assert "| harness time <= 2 s | 100 cases, 2 workers | 1.20 s | yes |" in text
    assert "| --- | --- | --- | --- | --- |" in text
    assert "- py-worker · workerd: no workerd Python here" in text
    assert "- machine: Test CPU, 2 cores (2 usable), 8,192 MiB memory, Linux; load average at start" in text


def test_the_language_ratios_come_before_the_host_ratios_and_the_figures() -> None:
    text = tables.render_markdown(a_report())
    titles = [line for line in text.splitlines() if line.startswith("## ")]
    assert titles[:3] == [
        "## The language's cost: Python over JavaScript in the same host",
        "## The tools' cost: wrangler dev over the direct host, same worker",
        "## CPU per request (ms, by process kind), latency and throughput",
    ]


def test_bench_html_is_self_contained_with_every_plot() -> None:
    html = page.render_html(a_report())
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") == 6
    assert not re.search(r"<(script|link|img|iframe)\b|@import|url\((?!#)|\bsrc=|<\?xml|<!DOCTYPE svg", html, re.I)
    assert not re.search(r"""href=["'](?!#)""", html)  # only in-page references
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)) and 'href="#startup-' in html and "url(#latency-" in html
    assert "py-worker · pyodide-workerd (warm snapshot)" in html  # a start-up row label in the plot
    assert '<td class="missed">NO</td>' in html  # Python's workerd at 2x js-worker's


def test_every_output_is_written(tmp_path) -> None:
    written = write_outputs(a_report(), tmp_path)
    assert sorted(path.name for path in written) == ["bench.html", "bench.json", "bench.md"]
    data = json.loads((tmp_path / "bench.json").read_text())
    assert data["ratios"][0]["workerd_cpu"] == pytest.approx(2.0)
    assert {r["host"] for r in data["load"]} == {"direct", "wrangler-dev"}
    assert data["load"][0]["cpu_ms_by_kind"] == {"workerd": 0.3, "node": 0.004}


def test_the_terminal_shows_every_table_and_what_was_not_measured() -> None:
    shown = terminal.render(*tables.terminal_view(a_report()), colour=False, width=250)
    titles = ("language's cost", "tools' cost", "CPU per request", "Start-up", "phases", "Peak memory", "Parity")
    for title in (*titles, "The harness"):
        assert title in shown
    assert "not measured: py-worker · workerd: no workerd Python here" in shown


@pytest.mark.parametrize("membership", [os.getpgid, os.getsid], ids=["process group", "session"])
def test_memory_is_the_rss_of_a_process_group_or_session_without_its_leader(membership) -> None:
    leader = subprocess.Popen(["sh", "-c", "sleep 60 & wait"], start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while resident_memory({leader.pid}, membership)[leader.pid][1] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)  # until sh has started its child
        rss, count = resident_memory({leader.pid}, membership)[leader.pid]
        assert count == 1 and rss > 0  # the sleep, not sh
    finally:
        os.killpg(leader.pid, signal.SIGKILL)
        leader.wait()
