"""What the benchmark writes, from made-up results (nothing here is timed): bench.md in the committed report's
format, a self-contained bench.html with its two plots, the terminal tables; and memory read through psutil."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time

import pytest

from workers_parity.bench import page, tables
from workers_parity.bench.__main__ import build_report, write_outputs
from workers_parity.bench.load import LoadPhase
from workers_parity.bench.results import LoadResult, Machine, MemoryResult, StartupResult
from workers_parity.bench.stats import summarize
from workers_parity.render import terminal
from workers_parity.servers.devserver import resident_memory

SUBJECTS = {"js-worker": "workerd", "py-worker": "pyodide-workerd"}


def startup(worker: str, seconds: list[float]) -> StartupResult:
    runtime = SUBJECTS[worker]
    variant = "warm snapshot" if runtime == "pyodide-workerd" else ""
    label = f"{worker} · {runtime}" + (f" ({variant})" if variant else "")
    return StartupResult(label, worker, runtime, variant, seconds, 5.0, summarize(seconds))


def load(worker: str, endpoint: str, clients: int, p50: float) -> LoadResult:
    subject = f"{worker} · {SUBJECTS[worker]}"
    return LoadResult(
        subject,
        worker,
        SUBJECTS[worker],
        endpoint,
        clients,
        100,
        0,
        1.0,
        "request count",
        p50,
        p50 * 3,
        100.0 / p50 / 1e3,
    )


def a_report():
    loads = [
        load(worker, endpoint, clients, p50)
        for endpoint in ("GET /hello", "POST /form")
        for clients in (1, 8)
        for worker, p50 in (("js-worker", 0.004), ("py-worker", 0.006))
    ]
    memory_results = [
        MemoryResult(f"{w} · {r}", w, r, size, 3, 40)
        for (w, r), size in zip(SUBJECTS.items(), (2**28, 2**29), strict=True)
    ]
    phase = LoadPhase(loads, memory_results, {"js-worker · workerd": {"runtime": "workerd"}}, {})
    settings = {"argv": "--starts 3", "starts": 3, "requests": 100, "seconds": 1.0, "clients": [1, 8], "workers": []}
    found_machine = Machine(2, 2, 2**33, "Test CPU", "Linux", "3.11", [0.5, 0.5, 0.5])
    starts = [startup("js-worker", [1.0, 1.2, 1.1]), startup("py-worker", [1.5, 1.6, 2.5])]
    versions = {"tools": {"wrangler": "4.1"}, "harness python": "3.11"}
    skipped = {"py-worker · workerd": "no workerd Python here"}
    return build_report("2026-01-01T00:00:00+00:00", settings, found_machine, versions, starts, phase, skipped)


def test_bench_md_keeps_the_committed_report_format() -> None:
    text = tables.render_markdown(a_report())
    assert text.startswith(
        "# Benchmarks\n\nRun 2026-01-01T00:00:00+00:00: `python -m workers_parity.bench --starts 3`\n"
    )
    assert "| js-worker · workerd | 3 | 1.10 s | 1.00 s – 1.20 s | 1.05 s – 1.15 s | 5.00 s | 1.00× |" in text
    assert "| --- | --- | --- | --- | --- |" in text
    assert "- py-worker · workerd: no workerd Python here" in text
    assert "- machine: Test CPU, 2 cores (2 usable), 8,192 MiB memory, Linux; load average at start" in text


def test_bench_html_is_self_contained_with_two_plots() -> None:
    html = page.render_html(a_report())
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") == 2
    assert not re.search(r"<(script|link|img|iframe)\b|@import|url\((?!#)|\bsrc=|<\?xml|<!DOCTYPE svg", html, re.I)
    assert not re.search(r"""href=["'](?!#)""", html)  # only in-page references
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)) and 'href="#startup-' in html and "url(#latency-" in html
    assert "py-worker · pyodide-workerd (warm snapshot)" in html  # a start-up row label in the plot
    assert '<td class="missed">NO</td>' in html  # py-worker's memory is above js-worker's


def test_every_output_is_written(tmp_path) -> None:
    written = write_outputs(a_report(), tmp_path)
    assert sorted(path.name for path in written) == ["bench.html", "bench.json", "bench.md"]
    assert json.loads((tmp_path / "bench.json").read_text())["load"][1]["p50_vs_js"] == pytest.approx(1.5)


def test_the_terminal_shows_every_table_and_what_was_not_measured() -> None:
    shown = terminal.render(*tables.terminal_view(a_report()), colour=False, width=200)
    for title in ("Start-up", "Latency and throughput", "Peak memory", "Targets"):
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
