"""Which runtime a worker gets, chosen before its server is made (servers/choose.py): JavaScript under wrangler dev
unless --js-runtime / PARITY_JS_RUNTIME asks for the direct host (or both), Python in the one forced; what each
runtime can run; and the targets a run covers with both JavaScript hosts."""

from __future__ import annotations

import pytest

from workers_parity import project
from workers_parity.project.config import ConfigError
from workers_parity.run import targets
from workers_parity.servers import choose, runtimes
from workers_parity.servers.registry import Host, Runtime

JS, MINIMAL = project.get("js"), project.get("py-minimal")


@pytest.fixture(autouse=True)
def no_runtime_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(runtimes.JS_RUNTIME_ENV, raising=False)
    monkeypatch.delenv(runtimes.RUNTIME_ENV, raising=False)


def test_javascript_runs_under_wrangler_dev_unless_asked_otherwise() -> None:
    assert choose.select(JS).runtime == Runtime.WORKERD
    assert choose.select(JS, js_requested="direct").runtime == Runtime.DIRECT
    assert choose.select(JS, "direct").runtime == Runtime.DIRECT  # a server made for one runtime, as the bench does
    assert choose.select(JS, "pyodide-workerd").runtime == Runtime.WORKERD  # a Python runtime leaves JavaScript be
    assert [c.runtime for c in choose.select_all(JS, js_requested="all")] == [Runtime.WORKERD, Runtime.DIRECT]


def test_the_environment_chooses_the_javascript_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(runtimes.JS_RUNTIME_ENV, "direct")
    assert choose.select(JS).runtime == Runtime.DIRECT
    assert choose.select(JS).reason == f"forced by {runtimes.JS_RUNTIME_ENV} / --js-runtime"
    monkeypatch.setenv(runtimes.JS_RUNTIME_ENV, "nonsense")
    with pytest.raises(ValueError, match="unknown JavaScript runtime 'nonsense'"):
        choose.select(JS)


def test_a_forced_python_runtime_is_taken_as_asked() -> None:
    assert choose.select(MINIMAL, "pyodide-wrangler").runtime == Runtime.PYODIDE_WRANGLER
    assert choose.select(MINIMAL, "pyodide-workerd", js_requested="direct").runtime == Runtime.PYODIDE_WORKERD
    with pytest.raises(ValueError, match="unknown Python runtime 'direct'"):
        choose.select(MINIMAL, "direct")


def test_each_runtime_runs_one_language_and_names_its_host() -> None:
    assert not choose.availability(MINIMAL, Runtime.DIRECT).usable
    assert not choose.availability(JS, Runtime.PYODIDE_WRANGLER).usable
    assert not choose.availability(JS, Runtime.PYODIDE_WORKERD).usable
    assert choose.availability(JS, Runtime.DIRECT).usable
    assert set(runtimes.RECORDS) == set(Runtime)  # every runtime has its record
    assert {runtimes.record(r).host for r in (Runtime.DIRECT, Runtime.PYODIDE_WORKERD)} == {Host.DIRECT}
    assert {runtimes.record(r).host for r in (Runtime.WORKERD, Runtime.PYODIDE_WRANGLER)} == {Host.WRANGLER_DEV}


def test_a_run_covers_javascript_in_both_hosts_with_all() -> None:
    selection = targets.select(project.current(), ["js", "py-minimal"], python_runtime="pyodide-workerd",
                               js_runtime="all")  # fmt: skip
    assert [(t.id, t.choice.runtime) for t in selection.targets] == [
        ("js@workerd", Runtime.WORKERD),
        ("js@direct", Runtime.DIRECT),
        ("py-minimal", Runtime.PYODIDE_WORKERD),
    ]
    assert [t.label for t in selection.targets][:2] == ["js-worker@workerd", "js-worker@direct"]
    with pytest.raises(ConfigError, match="unknown JavaScript runtime"):
        targets.select(project.current(), ["js"], js_runtime="nonsense")
