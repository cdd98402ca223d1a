"""`dev` echoes every server's log to the terminal, prefixed and coloured by worker; `--quiet` does not."""

from __future__ import annotations

import errno
import io
import os
import re
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pexpect
import pytest

from workers_parity import project
from workers_parity.ci import missing_tool
from workers_parity.servers import liveservers, logstream, registry
from workers_parity.servers.liveservers import wait_until
from workers_parity.servers.ports import free_port, port_is_free

ROOT = Path(__file__).resolve().parents[1]  # the repository

JS = project.get("js")
DEV_START_SECONDS = 300  # a fresh checkout fills python_modules and node_modules first
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def stream_of(tmp_path: Path, terminal, *names: str) -> logstream.LogStream:
    sources = [logstream.Source(name, tmp_path / f"{name}.log", logstream.colour(i)) for i, name in enumerate(names)]
    return logstream.LogStream(sources, terminal)


def append(path: Path, data: str) -> None:
    with path.open("a") as log:
        log.write(data)


# ---------------------------------------------------------------------------------------------------------------------
# The stream, on files
# ---------------------------------------------------------------------------------------------------------------------


def test_only_lines_written_after_the_start_are_echoed_with_the_workers_prefix(tmp_path: Path) -> None:
    (tmp_path / "js.log").write_text("from an earlier run\n")
    out = io.StringIO()
    stream = stream_of(tmp_path, logstream.console(out), "js", "py-minimal").start()
    try:
        append(tmp_path / "js.log", "GET /hello 200\n")
        append(tmp_path / "py-minimal.log", "GET /counter 200\nunfinished")  # created after the start
        assert wait_until(lambda: "GET /counter" in out.getvalue()), out.getvalue()
        assert "unfinished" not in out.getvalue(), "a line is echoed once it is complete"
    finally:
        stream.stop()
    lines = out.getvalue().splitlines()
    assert sorted(lines[:2]) == ["js         | GET /hello 200", "py-minimal | GET /counter 200"]
    assert lines[2:] == ["py-minimal | unfinished"], "stopping echoes what is left"


def test_escapes_and_carriage_returns_are_stripped_boxes_kept(tmp_path: Path) -> None:
    out = io.StringIO()
    with stream_of(tmp_path, logstream.console(out), "js"):
        append(tmp_path / "js.log", "\x1b[32m[wrangler:info]\x1b[0m GET / 200\r\n")
        append(tmp_path / "js.log", "⎔ Starting 1\r⎔ Starting 2\x1b[K\n")
        append(tmp_path / "js.log", "\x1b]8;;http://x/\x07link\x1b]8;;\x07 │ name │ [bold]x[/bold]\n")
    assert out.getvalue().splitlines() == [
        "js | [wrangler:info] GET / 200",
        "js | ⎔ Starting 2",
        "js | link │ name │ [bold]x[/bold]",  # no rich markup either
    ]


def test_the_prefix_is_coloured_on_a_terminal_unless_no_color(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    for env, coloured in (({}, True), ({"NO_COLOR": "1"}, False)):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        out = io.StringIO()
        with stream_of(tmp_path, logstream.console(out, force_terminal=True), "js"):
            append(tmp_path / "js.log", "GET / 200\n")
        assert bool(ANSI.search(out.getvalue())) is coloured, repr(out.getvalue())
        assert ANSI.sub("", out.getvalue()) == "js | GET / 200\n"


class GoneTerminal(io.StringIO):
    """A closed terminal window (EIO on every write) or a closed pipe (EPIPE)."""

    def __init__(self, error: OSError) -> None:
        super().__init__()
        self.error, self.writes = error, 0

    def write(self, text: str) -> int:
        self.writes += 1
        raise self.error


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
@pytest.mark.parametrize("error", [OSError(errno.EIO, "Input/output error"), BrokenPipeError(errno.EPIPE, "pipe")])
def test_a_terminal_that_is_gone_ends_the_echo_without_an_error(tmp_path: Path, error: OSError) -> None:
    gone = GoneTerminal(error)
    stream = stream_of(tmp_path, logstream.console(gone), "js").start()
    append(tmp_path / "js.log", "one\n")
    assert wait_until(lambda: not stream._thread.is_alive()), "the thread ends once the terminal is gone"
    append(tmp_path / "js.log", "two\n")
    stream.stop()
    assert gone.writes == 1


# ---------------------------------------------------------------------------------------------------------------------
# `workers-parity dev` in a terminal, as a person runs it (on a free port: a default one may be busy)
# ---------------------------------------------------------------------------------------------------------------------


def a_terminal() -> None:
    try:
        for fd in os.openpty():
            os.close(fd)
    except OSError as error:
        missing_tool(f"no pseudo-terminal here: {error}")


def run_dev_and_request(worker: registry.Worker, *options: str) -> tuple[str, str]:
    """Start a worker in a terminal, request a path no other run uses, stop with Ctrl-C; the terminal's text, path."""
    a_terminal()
    port = free_port()
    env = {name: value for name, value in os.environ.items() if name not in ("NO_COLOR", "PARITY_EXIT_WITH_PARENT")}
    command = [sys.executable, "-m", "workers_parity", "dev", "--worker", worker.id, "--port", str(port), *options]
    terminal = pexpect.spawn(
        command[0],
        command[1:],
        cwd=ROOT,
        env={**env, "TERM": "xterm-256color"},
        encoding="utf-8",
        codec_errors="replace",
        timeout=DEV_START_SECONDS,
    )
    shown = io.StringIO()
    terminal.logfile_read = shown
    path = f"/logstream-{uuid.uuid4().hex}"
    try:
        terminal.expect_exact("Press Ctrl-C to stop.")
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30)
        assert wait_until(lambda: path in (worker.folder / ".wrangler" / "dev.log").read_text(), 60)
        terminal.sendintr()
        terminal.expect_exact("stopped", timeout=60)
        terminal.expect(pexpect.EOF, timeout=30)
    finally:
        terminal.close(force=True)
    assert port_is_free(port), f"port {port} is still taken {liveservers.who_holds(port)}"
    return shown.getvalue(), path


@pytest.mark.parametrize("worker_id", ["js", "py-minimal"])  # wrangler dev, and pyodide-workerd where offline
def test_dev_shows_each_request_prefixed_and_coloured(worker_id: str) -> None:
    shown, path = run_dev_and_request(project.get(worker_id))
    (line,) = [line for line in shown.splitlines() if path in line]
    prefix = rf"\x1b\[[0-9;]*m{worker_id} \| \x1b\[0m"
    assert re.match(rf"{prefix}\[(wrangler|pyodide-workerd):info\] GET {path} 404 Not Found \(\d+ms\)", line), line


def test_dev_quiet_shows_no_server_lines() -> None:
    shown, path = run_dev_and_request(JS, "--quiet")
    assert path not in shown
    assert "js | " not in ANSI.sub("", shown)
