"""The benchmark's pure parts: statistics, ratios, targets, start-up phases, CPU per request and formatting. Nothing
here is timed."""

from __future__ import annotations

import pytest

from workers_parity import project
from workers_parity.bench import compare, cpu, machine, phases, scenarios, stats, subjects, units
from workers_parity.bench.results import LoadResult, ParityRun, StartupResult, Summary
from workers_parity.bench.subjects import NO_SNAPSHOT, WARM_SNAPSHOT, Subject
from workers_parity.render import markdown
from workers_parity.servers.registry import Host


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


def subject(worker_id: str, runtime: str, variant: str = "") -> Subject:
    return Subject(project.get(worker_id), runtime, variant)


def test_a_start_up_round_alternates_workers_then_adds_the_probes_and_the_no_snapshot_starts() -> None:
    serving = [subject("js", "workerd"), subject("js", "direct"), subject("py", "pyodide-workerd")]
    probe = subject("py-minimal", "pyodide-workerd", WARM_SNAPSHOT)
    assert [(s.worker.id, s.runtime, s.variant) for s in subjects.startup_subjects(serving, [probe])] == [
        ("js", "workerd", ""),
        ("js", "direct", ""),
        ("py", "pyodide-workerd", WARM_SNAPSHOT),
        ("py-minimal", "pyodide-workerd", WARM_SNAPSHOT),
        ("py", "pyodide-workerd", NO_SNAPSHOT),
    ]


def test_a_subject_names_its_host_and_language() -> None:
    assert (subject("js", "workerd").host, subject("js", "workerd").language) == (Host.WRANGLER_DEV, "javascript")
    assert (subject("js", "direct").host, subject("py", "pyodide-workerd").host) == (Host.DIRECT, Host.DIRECT)
    assert subject("py", "pyodide-workerd").language == "python"


def test_runtime_flags_choose_the_snapshot_and_ask_a_direct_host_for_its_timings(tmp_path) -> None:
    assert subjects.runtime_flags(subject("js", "workerd"), tmp_path) == ()
    assert subjects.runtime_flags(subject("js", "direct"), tmp_path) == ("--timings",)
    cold = subjects.runtime_flags(subject("py", "pyodide-workerd", NO_SNAPSHOT), tmp_path)
    assert cold == ("--timings", "--no-snapshot")
    warm = subjects.runtime_flags(subject("py", "pyodide-workerd", WARM_SNAPSHOT), tmp_path)
    assert warm == ("--timings", "--snapshot-dir", str(tmp_path / "py"))


def test_our_plug_ins_form_bodies_are_valid_forms_of_the_exact_size() -> None:
    curve = scenarios.curves()["form body"]
    assert [s.label for s in curve] == ["POST /form 1 KiB", "POST /form 16 KiB", "POST /form 64 KiB"]
    small = scenarios.endpoints()[1].body
    for kib, point in zip((1, 16, 64), curve, strict=True):
        assert point.body_bytes == kib * 1024 and point.endpoint.body.startswith(small + b"&padding=")


def test_the_scenarios_are_the_endpoints_at_1_and_8_clients_then_the_curves_other_points() -> None:
    hello, counter = scenarios.Endpoint("GET", "/a"), scenarios.Endpoint("GET", "/b")
    big = scenarios.Endpoint("POST", "/a", b"x" * 2048, None, " 2 KiB")
    growth = {
        "clients": [scenarios.Scenario(counter, n, "clients") for n in (1, 8, 32)],
        "body": [scenarios.Scenario(big, 1, "body")],
    }
    found = [(s.label, s.clients, s.curve, s.core) for s in scenarios.scenarios([hello, counter], growth)]
    assert found == [
        ("GET /a", 1, "", True),
        ("GET /a", 8, "", True),
        ("GET /b", 1, "clients", True),  # measured once: a core scenario and a point of the curve
        ("GET /b", 8, "clients", True),
        ("GET /b", 32, "clients", False),
        ("POST /a 2 KiB", 1, "body", False),
    ]


def test_without_a_plug_in_the_bench_loads_the_ready_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scenarios.hooks, "load", lambda paths: scenarios.hooks.Plugins())
    assert [e.label for e in scenarios.endpoints()] == [f"GET {project.workers()[0].ready_path}"]
    assert scenarios.curves() == {}


def test_phases_run_from_spawn_to_the_first_answer_in_the_order_they_end() -> None:
    log = "timing: launcher-up 1000.0\nnoise\ntiming: workerd-starting 1300.0\ntiming: python-boot-begins 1500.0\n"
    log += "timing: python-interpreter-up 1700.0\ntiming: python-ready 1750.0\ntiming: workerd-listening 1800.0\n"
    found = {**phases.marks(log), phases.SPAWN: 0.95, phases.ANSWER: 1.85}
    assert phases.durations(found) == pytest.approx(
        {
            "launcher up": 0.05,
            "config, snapshot, modules": 0.3,
            "workerd start": 0.2,
            "Python boot or restore": 0.2,
            "main module import": 0.05,
            "until listening": 0.05,
            "first answer": 0.05,
        }
    )


def test_javascript_starts_workerd_in_one_phase_and_a_later_mark_does_not_count() -> None:
    log = "timing: launcher-up 1000\ntiming: workerd-starting 1200\ntiming: workerd-listening 1500\n"
    log += "timing: workerd-starting 9000\n"  # a reload
    found = {**phases.marks(log), phases.SPAWN: 0.9, phases.ANSWER: 1.6}
    assert list(phases.durations(found)) == [
        "launcher up",
        "config, snapshot, modules",
        "workerd start",
        "first answer",
    ]
    assert phases.durations(found)["workerd start"] == pytest.approx(0.3)


def test_phase_medians_keep_only_the_phases_every_start_has() -> None:
    assert phases.medians([{"a": 1.0, "b": 5.0}, {"a": 3.0}, {"a": 2.0}]) == {"a": 2.0}
    assert phases.medians([]) == {}


def test_cpu_per_request_splits_by_kind_and_counts_a_new_process_whole() -> None:
    before = cpu.Sample({1: (cpu.WORKERD, 10.0), 2: (cpu.NODE, 5.0)})
    after = cpu.Sample({1: (cpu.WORKERD, 10.5), 2: (cpu.NODE, 5.001), 3: (cpu.OTHER, 0.099)})
    total, by_kind = cpu.per_request(before, after, 1000)
    assert by_kind == pytest.approx({cpu.NODE: 0.001, cpu.OTHER: 0.099, cpu.WORKERD: 0.5})
    assert total == pytest.approx(0.6)
    assert cpu.per_request(before, after, 0) == (None, {})


def test_the_workerd_listening_on_wrangler_devs_port_is_its_proxy() -> None:
    class Listener:
        pid = 7

    assert cpu.kind_of("workerd", 7, Listener(), Host.WRANGLER_DEV) == cpu.PROXY
    assert cpu.kind_of("workerd", 8, Listener(), Host.WRANGLER_DEV) == cpu.WORKERD
    assert cpu.kind_of("workerd", 7, Listener(), Host.DIRECT) == cpu.WORKERD
    assert (cpu.kind_of("MainThread", 9, None, Host.DIRECT), cpu.kind_of("esbuild", 9, None, Host.DIRECT)) == (
        cpu.NODE,
        cpu.OTHER,
    )


def load(worker: str, runtime: str, host: str, language: str, workerd_ms: float, node_ms: float) -> LoadResult:
    by_kind = {cpu.WORKERD: workerd_ms, cpu.NODE: node_ms}
    return LoadResult(
        f"{worker} · {runtime}",
        worker,
        language,
        runtime,
        host,
        "GET /hello",
        1,
        100,
        0,
        1.0,
        "request count",
        workerd_ms + node_ms,
        by_kind,
        0.002,
        0.004,
        500.0,
    )


LOADS = [
    load("js-worker", "workerd", "wrangler-dev", "javascript", 1.0, 0.7),
    load("js-worker", "direct", "direct", "javascript", 0.3, 0.004),
    load("py-worker", "pyodide-workerd", "direct", "python", 0.45, 0.03),
]


def test_language_ratios_stay_in_one_host_and_host_ratios_in_one_worker() -> None:
    ratios = compare.load_ratios(LOADS)
    assert [(r.kind, r.subject, r.baseline) for r in ratios] == [
        ("language", "py-worker · pyodide-workerd", "js-worker · direct"),
        ("host", "js-worker · workerd", "js-worker · direct"),
    ]
    assert ratios[0].workerd_cpu == pytest.approx(1.5) and ratios[0].cpu == pytest.approx(0.48 / 0.304)
    assert ratios[1].cpu == pytest.approx(1.7 / 0.304)


def startup(worker: str, runtime: str, host: str, variant: str, median: float, **fields) -> StartupResult:
    language = "python" if runtime == "pyodide-workerd" else "javascript"
    summary = Summary(median, median, median, median, median)
    return StartupResult(
        f"{worker} · {runtime}", worker, language, runtime, host, variant, [median], None, summary, **fields
    )


def test_targets_on_equal_footing() -> None:
    restore = compare.RESTORE_PHASE
    starts = compare.with_startup_ratios(
        [
            startup("js-worker", "direct", "direct", "", 0.5),
            startup(
                "fastapi-probe",
                "pyodide-workerd",
                "direct",
                WARM_SNAPSHOT,
                2.0,
                snapshot_bytes=40 * 2**20,
                phases={restore: 0.2},
                probe=True,
            ),
            startup(
                "django-probe",
                "pyodide-workerd",
                "direct",
                WARM_SNAPSHOT,
                2.1,
                snapshot_bytes=30 * 2**20,
                phases={restore: 0.15},
                probe=True,
            ),
        ]
    )
    assert [s.median_vs_js for s in starts] == [1.0, 4.0, 4.2]
    parity = ParityRun("./noxw -s parity", 0, 30.5, 50.0, {}, 1564)
    checks = compare.check_targets(starts, LOADS, compare.load_ratios(LOADS), parity)
    assert [(c.target.split()[0], c.subject.split(" · ")[0], c.met) for c in checks] == [
        ("Python's", "py-worker", True),  # workerd 1.5x js's: at the bound
        ("the", "js-worker", True),  # launcher 0.004 ms
        ("the", "py-worker", False),  # launcher 0.03 ms
        ("warm", "fastapi-probe", True),  # 2.0 s: at the bound
        ("warm", "django-probe", False),
        ("snapshot", "every warm snapshot", True),  # 5 ms per MiB both
        ("a", "the whole suite", False),  # 30.5 s
    ]


def test_a_snapshot_restore_growing_faster_than_its_size_misses_the_target() -> None:
    restore = compare.RESTORE_PHASE
    starts = [
        startup("a", "pyodide-workerd", "direct", WARM_SNAPSHOT, 1.0, snapshot_bytes=2**20, phases={restore: 0.1}),
        startup("b", "pyodide-workerd", "direct", WARM_SNAPSHOT, 1.0, snapshot_bytes=2**21, phases={restore: 0.4}),
    ]
    (check,) = compare.restore_growth_targets(starts)
    assert check.met is False and "2.00× per MiB" in check.measured


def test_a_rebuilt_snapshot_is_seen_as_a_new_file(tmp_path) -> None:
    assert subjects.snapshot_files(None) == set()
    assert subjects.snapshot_files(tmp_path / "missing") == set()
    (tmp_path / "snapshot-abc.bin").write_bytes(b"x" * 10)
    (tmp_path / "snapshot-abc.json").write_text("{}")
    assert subjects.snapshot_files(tmp_path) == {"snapshot-abc.bin"}
    assert subjects.snapshot_bytes(tmp_path) == 10


def test_load_rows_name_the_worker_and_runtime_without_the_start_variant() -> None:
    warm = subject("py", "pyodide-workerd", WARM_SNAPSHOT)
    assert warm.label == "py-worker · pyodide-workerd (warm snapshot)"
    assert warm.serving_label == "py-worker · pyodide-workerd"


def test_the_probe_workers_are_the_ones_our_plug_in_names() -> None:
    found, skipped = subjects.probe_subjects()
    assert skipped == {}
    assert [(s.worker.id, s.worker.ready_path, s.runtime, s.variant, s.probe) for s in found] == [
        ("fastapi-probe", "/planets/1", "pyodide-workerd", WARM_SNAPSHOT, True),
        ("django-probe", "/hello/bench", "pyodide-workerd", WARM_SNAPSHOT, True),
    ]
