"""pytest plugin: the harness's progress lines reach the terminal while a session fixture starts the workers.

The first run's installs and snapshots happen inside session fixtures (`started_workers`), where pytest captures stdout
and shows it only if the test fails: minutes without a word. While a session-scoped fixture is set up, progress lines
go to pytest's terminal reporter with capture suspended, as pytest's own live logging does; elsewhere (a test's body,
capsys) capture stays as it is.
"""

from __future__ import annotations

import contextlib
import threading

import pytest

from workers_parity.render import progress


@pytest.hookimpl(trylast=True)  # after pytest's own terminal reporter is registered
def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(ProgressLines(config), "parity-progress-lines")


class ProgressLines:
    def __init__(self, config: pytest.Config) -> None:
        self.capture = config.pluginmanager.getplugin("capturemanager")
        self.reporter = config.pluginmanager.getplugin("terminalreporter")
        self.one_at_a_time = threading.Lock()  # servers start on several threads; capture is suspended per line
        self.test: tuple[str, tuple] | None = None  # the test whose set-up is running, as logstart names it
        self.wrote = False

    def pytest_runtest_logstart(self, nodeid: str, location: tuple) -> None:
        self.test = (nodeid, location)

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef: pytest.FixtureDef, request: pytest.FixtureRequest):
        if fixturedef.scope != "session" or self.reporter is None:  # no reporter: -p no:terminal
            return (yield)
        self.wrote = False
        try:
            with progress.routed(self.write):
                return (yield)
        finally:
            if self.wrote and self.test is not None:
                with self._uncaptured():  # name the test again, so that its result is not a dot on a line of its own
                    self.reporter.pytest_runtest_logstart(*self.test)

    def write(self, line: str) -> None:
        with self.one_at_a_time, self._uncaptured():
            self.reporter.write_line(line)
            self.reporter.flush()
            self.wrote = True

    def _uncaptured(self):
        return self.capture.global_and_fixture_disabled() if self.capture else contextlib.nullcontext()
