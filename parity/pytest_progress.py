"""pytest plugin: the harness's progress lines reach the terminal while a session fixture starts the workers.

The first run's installs and snapshots happen inside session fixtures (`workers_fleet`), where pytest captures stdout
and shows it only if the test fails: minutes without a word. While a session-scoped fixture is set up, progress lines
go to pytest's terminal reporter with capture suspended, as pytest's own live logging does; elsewhere (a test's body,
capsys) capture stays as it is.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

import pytest

from parity.render import progress


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef, request: pytest.FixtureRequest):
    if fixturedef.scope != "session":
        return (yield)
    with progress.routed(terminal_writer(request.config)):
        return (yield)


def terminal_writer(config: pytest.Config) -> Callable[[str], None]:
    capture = config.pluginmanager.getplugin("capturemanager")
    reporter = config.pluginmanager.getplugin("terminalreporter")
    one_at_a_time = threading.Lock()  # servers start on several threads; capture is suspended and resumed per line

    def write(line: str) -> None:
        if reporter is None:  # -p no:terminal
            return
        with one_at_a_time, capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            reporter.write_line(line)  # a line of its own: pytest names the test file again before its next dots
            reporter.flush()

    return write
