"""`auto` picks workerd's own Python only after a start of it succeeded here (servers/workerd_python.py): the real
probe, which offline fails and says why, and faked probes for a success, the cache, its expiry and re-probing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workers_parity import project
from workers_parity.servers import choose, runtimes, workerd_python
from workers_parity.servers.ports import port_is_free
from workers_parity.servers.registry import Runtime

MINIMAL = project.get("py-minimal")


@pytest.fixture
def probes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The probe's cache in a folder of the test's own, and no re-probe or bundle folder asked for."""
    folder = tmp_path / "probes"
    monkeypatch.setattr(workerd_python, "probe_folder", lambda: folder)
    monkeypatch.setattr(workerd_python, "_reprobed", set())
    monkeypatch.delenv(workerd_python.REPROBE_ENV, raising=False)
    monkeypatch.delenv(runtimes.BUNDLE_DIR_ENV, raising=False)
    return folder


class FakeProbe:
    """Stands in for starting the probe worker; counts its starts."""

    def __init__(self, started: bool, reason: str = "made-up reason") -> None:
        self.started, self.reason, self.folders = started, reason, []

    def __call__(self, folder: Path) -> tuple[bool, str]:
        self.folders.append(folder)
        return self.started, self.reason


def faked(monkeypatch: pytest.MonkeyPatch, started: bool, reason: str = "made-up reason") -> FakeProbe:
    probe = FakeProbe(started, reason)
    monkeypatch.setattr(workerd_python, "start_probe_worker", probe)
    return probe


def test_the_real_probe_decides_auto_and_is_asked_once(probes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = workerd_python.outcome()
    choice = choose.select(MINIMAL, "auto")
    log = (probes / workerd_python._key(found.workerd, found.source) / "probe.log").read_text()
    port = int(re.search(r"wrangler\.js dev --port (\d+) ", log)[1])  # it ran under `wrangler dev`
    assert port_is_free(port), "the probe's server is still running"
    if not runtimes.bundle_host_resolves():  # offline, as here: workerd cannot fetch its Pyodide bundle
        assert not found.started
        assert "Request for Pyodide bundle failed" in found.reason and str(probes) in found.reason
        assert choice.runtime == Runtime.PYODIDE_WORKERD
        assert "Request for Pyodide bundle failed" in choice.reason and "no start of it succeeded" in choice.reason
    else:  # online: auto follows whatever the start did
        assert choice.runtime == (Runtime.WORKERD if found.started else Runtime.PYODIDE_WORKERD), found
    faked(monkeypatch, started=not found.started)  # cached: a second look starts nothing
    assert workerd_python.outcome() == found


def test_auto_picks_workerd_only_after_a_start_succeeded(probes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    faked(monkeypatch, started=True, reason="a tiny Python worker started in it and answered")
    choice = choose.select(MINIMAL, "auto")
    assert choice.runtime == Runtime.WORKERD
    assert choice.reason.startswith("auto: a start of it succeeded here (workerd ")
    everywhere = [Runtime.WORKERD, Runtime.PYODIDE_WORKERD, Runtime.PYODIDE_WRANGLER]
    assert [c.runtime for c in choose.select_all(MINIMAL, "all")] == everywhere


def test_a_failed_start_makes_auto_fall_back_saying_why(probes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    faked(monkeypatch, started=False, reason="workerd said no")
    choice = choose.select(MINIMAL, "auto")
    assert choice.runtime == Runtime.PYODIDE_WORKERD
    assert "auto: workerd cannot run py-minimal here (no start of it succeeded here (workerd " in choice.reason
    assert f"): workerd said no; tried again after 6 h, or now with {workerd_python.REPROBE_ENV}=1" in choice.reason
    ours = [Runtime.PYODIDE_WORKERD, Runtime.PYODIDE_WRANGLER]  # our host, served directly and under wrangler dev
    assert [c.runtime for c in choose.select_all(MINIMAL, "all")] == ours


def test_an_outcome_is_cached_per_workerd_version(probes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    probe = faked(monkeypatch, started=True)
    for _ in range(3):
        assert workerd_python.outcome().started
    assert len(probe.folders) == 1
    monkeypatch.setattr(workerd_python, "workerd_version", lambda: "1.29990101.0")
    assert workerd_python.outcome().workerd == "1.29990101.0"
    assert len(probe.folders) == 2 and probe.folders[0] != probe.folders[1]


def test_a_failure_is_tried_again_after_a_while_and_a_success_is_not(probes, monkeypatch) -> None:
    probe = faked(monkeypatch, started=False)
    first = workerd_python.outcome(now=1_000_000.0)
    assert workerd_python.outcome(now=first.at + workerd_python.RETRY_SECONDS - 1) == first
    assert len(probe.folders) == 1
    probe.started = True
    later = workerd_python.outcome(now=first.at + workerd_python.RETRY_SECONDS + 1)
    assert later.started and len(probe.folders) == 2
    assert workerd_python.outcome(now=later.at + 100 * workerd_python.RETRY_SECONDS) == later
    assert len(probe.folders) == 2


def test_the_flag_tries_again_now_once_per_process(probes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    probe = faked(monkeypatch, started=False)
    workerd_python.outcome()
    monkeypatch.setenv(workerd_python.REPROBE_ENV, "1")
    for _ in range(3):
        workerd_python.outcome()
    assert len(probe.folders) == 2


def test_a_supplied_bundle_is_its_own_cache_entry(probes: Path, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    probe = faked(monkeypatch, started=False)
    workerd_python.outcome()
    bundles = tmp_path / "bundles"
    bundles.mkdir()
    monkeypatch.setenv(runtimes.BUNDLE_DIR_ENV, str(bundles))
    empty = choose.workerd_python_availability()
    assert not empty.usable and "holds no bundle (*.bin) file" in empty.reason and len(probe.folders) == 1
    (bundles / "pyodide.capnp.bin").write_bytes(b"a bundle")
    assert workerd_python.outcome().source == f"from {bundles}"
    assert len(probe.folders) == 2


def test_an_unreadable_cache_entry_is_probed_again(probes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    probe = faked(monkeypatch, started=True)
    workerd_python.outcome()
    (entry,) = probes.glob("*.json")
    entry.write_text("{not json")
    assert workerd_python.outcome().started and len(probe.folders) == 2


def test_a_server_given_no_choice_never_probes(probes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`auto` is chosen before a server is made (choose.select, which may start the probe, itself a server); a server's
    own start takes a JavaScript worker's runtime or a forced one, and refuses to resolve `auto` for a Python worker."""
    probe = faked(monkeypatch, started=True)
    assert runtimes.given(project.get("js"), "auto").runtime == Runtime.WORKERD
    assert runtimes.given(MINIMAL, "pyodide-workerd").runtime == Runtime.PYODIDE_WORKERD
    assert runtimes.given(project.get("js"), "direct").runtime == Runtime.DIRECT
    for requested in ("auto", "all"):
        with pytest.raises(ValueError, match="is resolved before a server is made"):
            runtimes.given(MINIMAL, requested)
    with pytest.raises(ValueError, match="is resolved before a server is made"):
        runtimes.given(project.get("js"), js_requested="all")
    assert probe.folders == []
