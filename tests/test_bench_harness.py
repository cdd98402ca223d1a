"""The bench's harness scenario without workers: its cases load, its HAR file imports into loadable cases, its
checks compare each figure with its target, and the replay against an instant server measures the harness alone."""

from __future__ import annotations

from pathlib import Path

from workers_parity.bench import harness
from workers_parity.cases import har, load


def test_the_added_cases_load_and_use_d1_and_kv_in_turn(tmp_path: Path) -> None:
    path = tmp_path / "more.toml"
    path.write_text(harness.more_cases(8))
    cases = load.load([path])
    assert [(c.method, c.path) for c in cases[:4]] == [
        ("POST", "/notes"),
        ("GET", "/notes/1"),
        ("PUT", "/prefs/key-2"),
        ("GET", "/prefs/key-3"),
    ]


def test_the_big_har_imports_into_cases_that_load(tmp_path: Path) -> None:
    document = harness.big_har(30)
    source = tmp_path / "big.har"
    source.write_text(__import__("json").dumps(document))
    assert har.import_file(source, tmp_path / "big.toml") == 30
    cases = load.load([tmp_path / "big.toml"])
    assert cases[0].method == "POST" and "Cookie" not in cases[0].headers and "Host" not in cases[0].headers
    assert cases[1].path == "/api/notes/1?view=full"


def test_each_figure_is_checked_against_its_target() -> None:
    timings = [(1.5, {"js": 250.0, "py": 150.0}), (2.5, {"js": 260.0, "py": 140.0}), (1.9, {"js": 240.0, "py": 160.0})]
    found = {(c.target, c.subject): c for c in harness.checks(timings, 6.0, 900.0)}
    assert found[("harness time <= 2 s", "100 cases, 2 workers")].met  # median 1.9 s
    assert found[("replay >= 200 cases/s per worker", "js")].met
    assert not found[("replay >= 200 cases/s per worker", "py")].met
    assert found[("replay >= 200 cases/s per worker", "the harness alone (instant server)")].met is None
    assert not found[("HAR import <= 5 s", "10,000 requests")].met


def test_runs_in_which_no_worker_replayed_still_give_every_check() -> None:
    """The harness alone and the HAR import are checked even when no worker has a replay rate (it once crashed)."""
    found = [(c.target, c.subject) for c in harness.checks([(1.0, {})], 1.0, 900.0)]
    assert found == [
        ("harness time <= 2 s", "100 cases, 2 workers"),
        ("replay >= 200 cases/s per worker", "the harness alone (instant server)"),
        ("HAR import <= 5 s", "10,000 requests"),
    ]


def test_the_harness_alone_replays_faster_than_the_target(tmp_path: Path) -> None:
    (tmp_path / "parity-cases.toml").write_text(harness.more_cases(20))
    assert harness.harness_capacity(tmp_path, rounds=5) > harness.REPLAY_PER_SECOND
