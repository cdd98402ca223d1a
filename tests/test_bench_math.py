"""The benchmark's pure parts: statistics, ratios, targets and formatting. Nothing here is timed."""

from __future__ import annotations

import pytest

from workers_parity.bench import compare, machine, stats, subjects, units
from workers_parity.bench.results import LoadResult, MemoryResult, StartupResult, Summary
from workers_parity.bench.subjects import NO_SNAPSHOT, WARM_SNAPSHOT, Subject
from workers_parity.render import markdown


def test_percentile_interpolates_between_closest_ranks() -> None:
    values = [4.0, 1.0, 3.0, 2.0]
    assert stats.percentile(values, 0.0) == 1.0
    assert stats.percentile(values, 1.0) == 4.0
    assert stats.percentile(values, 0.5) == 2.5
    assert stats.percentile(values, 0.25) == pytest.approx(1.75)


def test_percentile_of_one_value_is_that_value_and_of_none_is_none() -> None:
    assert stats.percentile([7.0], 0.99) == 7.0
    assert stats.percentile([], 0.5) is None


def test_p99_of_a_hundred_values_sits_near_the_top() -> None:
    assert stats.percentile(range(1, 101), 0.99) == pytest.approx(99.01)


def test_percentile_rejects_fractions_outside_0_to_1() -> None:
    with pytest.raises(ValueError):
        stats.percentile([1.0], 99)


def test_summary_gives_median_range_and_quartiles() -> None:
    assert stats.summarize([5.0, 1.0, 3.0, 2.0, 4.0]) == Summary(3.0, 1.0, 5.0, 2.0, 4.0)
    assert stats.summarize([]) == Summary(None, None, None, None, None)


def test_ratio_is_none_without_a_baseline() -> None:
    assert stats.ratio(3.0, 2.0) == 1.5
    assert stats.ratio(3.0, None) is None
    assert stats.ratio(3.0, 0.0) is None
    assert stats.ratio(None, 2.0) is None


def test_throughput_and_what_ended_a_run() -> None:
    assert stats.throughput(500, 2.0) == 250.0
    assert stats.throughput(0, 2.0) is None
    assert stats.throughput(10, 0.0) is None
    assert stats.ended_by(2000, 2000) == "request count"
    assert stats.ended_by(1500, 2000) == "time bound"


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(None, "–"), (2.345, "2.35 s"), (1.0, "1.00 s"), (0.0123, "12.3 ms"), (0.001, "1.0 ms"), (0.00045, "450 µs")],
)
def test_format_seconds_picks_a_readable_unit(seconds: float | None, shown: str) -> None:
    assert units.format_seconds(seconds) == shown


def test_format_rate_ratio_bytes_and_spread() -> None:
    assert units.format_rate(1234.4) == "1,234/s"
    assert units.format_rate(None) == "–"
    assert units.format_ratio(0.456) == "0.46×"
    assert units.format_ratio(None) == "–"
    assert units.format_bytes(512 * 2**20) == "512 MiB"
    assert units.format_bytes(0) == "–"
    assert units.format_spread(0.8, 1.25) == "800.0 ms – 1.25 s"
    assert units.format_spread(None, 1.0) == "–"


def test_markdown_table_escapes_pipes() -> None:
    table = markdown.table(["k", "v"], [["a|b", "1"]])
    assert table.splitlines() == ["| k | v |", "| --- | --- |", "| a\\|b | 1 |"]


def test_cpu_model_from_proc_text() -> None:
    assert machine.parse_cpu_model("processor\t: 0\nmodel name\t: AMD EPYC 7B13\n") == "AMD EPYC 7B13"
    assert machine.parse_cpu_model("") == "unknown"


def test_a_start_up_round_alternates_workers_then_adds_the_no_snapshot_starts() -> None:
    serving = [Subject("js", "workerd"), Subject("py", "pyodide-workerd"), Subject("py-minimal", "pyodide-workerd")]
    assert [(s.worker_id, s.variant) for s in subjects.startup_subjects(serving)] == [
        ("js", ""),
        ("py", WARM_SNAPSHOT),
        ("py-minimal", WARM_SNAPSHOT),
        ("py", NO_SNAPSHOT),
        ("py-minimal", NO_SNAPSHOT),
    ]


def test_runtime_flags_choose_the_snapshot(tmp_path) -> None:
    assert subjects.runtime_flags(Subject("js", "workerd"), tmp_path) == ()
    assert subjects.runtime_flags(Subject("py", "pyodide-workerd", NO_SNAPSHOT), tmp_path) == ("--no-snapshot",)
    warm = subjects.runtime_flags(Subject("py", "pyodide-workerd", WARM_SNAPSHOT), tmp_path)
    assert warm == ("--snapshot-dir", str(tmp_path / "py"))


def load(worker: str, runtime: str, clients: int, p50: float, rps: float) -> LoadResult:
    return LoadResult(
        f"{worker} · {runtime}", worker, runtime, "GET /hello", clients, 100, 0, 1.0, "request count", p50, p50 * 2, rps
    )


def test_load_ratios_compare_with_js_at_the_same_endpoint_and_clients() -> None:
    results = compare.with_load_ratios(
        [
            load("js-worker", "workerd", 1, 0.002, 500.0),
            load("js-worker", "workerd", 8, 0.010, 800.0),
            load("py-worker", "pyodide-workerd", 1, 0.004, 250.0),
            load("py-worker", "pyodide-workerd", 8, 0.010, 1000.0),
        ]
    )
    one, eight = results[2], results[3]
    assert (one.p50_vs_js, one.p99_vs_js, one.throughput_vs_js) == (2.0, 2.0, 0.5)
    assert (eight.p50_vs_js, eight.throughput_vs_js) == (1.0, 1.25)
    assert results[0].throughput_vs_js == 1.0


def test_without_js_there_are_no_ratios() -> None:
    results = compare.with_load_ratios([load("py-worker", "pyodide-workerd", 1, 0.004, 250.0)])
    assert results[0].throughput_vs_js is None


def startup(worker: str, runtime: str, variant: str, median: float) -> StartupResult:
    return StartupResult(
        f"{worker} · {runtime}",
        worker,
        runtime,
        variant,
        [median],
        None,
        Summary(median, median, median, median, median),
    )


def test_targets_are_ratios_to_js_worker_in_the_same_run() -> None:
    starts = compare.with_startup_ratios(
        [
            startup("js-worker", "workerd", "", 2.0),
            startup("py-worker", "pyodide-workerd", WARM_SNAPSHOT, 2.6),
            startup("py-worker-minimal", "pyodide-workerd", WARM_SNAPSHOT, 2.7),
            startup("py-worker", "pyodide-workerd", NO_SNAPSHOT, 8.0),
        ]
    )
    assert [s.median_vs_js for s in starts] == [1.0, 1.3, 1.35, 4.0]
    loads = compare.with_load_ratios(
        [load("js-worker", "workerd", 1, 0.002, 500.0), load("py-worker", "pyodide-workerd", 1, 0.004, 400.0)]
    )
    memory = compare.with_memory_ratios(
        [
            MemoryResult("js-worker · workerd", "js-worker", "workerd", 1000, 3, 10),
            MemoryResult("py-worker · pyodide-workerd", "py-worker", "pyodide-workerd", 1001, 2, 10),
        ]
    )
    checks = compare.check_targets(starts, loads, memory)
    assert [(c.subject.split(" · ")[0], c.met) for c in checks] == [
        ("py-worker", True),  # 1.3x js: at the bound
        ("py-worker-minimal", False),
        ("py-worker", True),  # 0.8x js throughput: at the bound
        ("py-worker", False),  # one byte more than js
    ]
    assert "0.80×" in checks[2].measured


def test_a_rebuilt_snapshot_is_seen_as_a_new_file(tmp_path) -> None:
    assert subjects.snapshot_files(None) == set()
    assert subjects.snapshot_files(tmp_path / "missing") == set()
    (tmp_path / "snapshot-abc.bin").write_bytes(b"")
    (tmp_path / "snapshot-abc.json").write_text("{}")
    assert subjects.snapshot_files(tmp_path) == {"snapshot-abc.bin"}


def test_load_rows_name_the_worker_and_runtime_without_the_start_variant() -> None:
    subject = Subject("py", "pyodide-workerd", WARM_SNAPSHOT)
    assert subject.label == "py-worker · pyodide-workerd (warm snapshot)"
    assert subject.serving_label == "py-worker · pyodide-workerd"
