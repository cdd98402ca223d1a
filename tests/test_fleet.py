"""servers.fleet: servers start together, stop together however the block ends, and signals unwind the block."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from workers_parity.servers import fleet, toolchain


class FakeServer:
    """What the fleet uses of a DevServer, with a start that can wait for the others or fail."""

    def __init__(self, events: list[str], name: str, barrier: threading.Barrier | None = None, error: str = ""):
        self.events, self.name, self.barrier, self.error = events, name, barrier, error
        self.process = None
        self.running = False

    def start(self) -> None:
        self.process = object()
        if self.barrier is not None:
            self.barrier.wait(timeout=10)  # breaks unless every server is being started at the same time
        if self.error:
            raise RuntimeError(self.error)
        self.running = True
        self.events.append(f"started {self.name}")

    def request_stop(self) -> None:
        self.events.append(f"asked {self.name}")

    def wait_stopped(self) -> None:
        self.running = False
        self.events.append(f"stopped {self.name}")


@pytest.fixture(autouse=True)
def no_installs(monkeypatch):
    monkeypatch.setattr(toolchain, "ensure_node_modules", lambda: None)


def test_servers_start_at_the_same_time_and_each_is_told_ready():
    events: list[str] = []
    barrier = threading.Barrier(3)
    servers = {name: FakeServer(events, name, barrier) for name in ("js", "py", "py-minimal")}
    ready = []
    with fleet.Fleet(servers) as running:
        assert running.start(on_ready=lambda server: ready.append(server.name)) == {}
    assert sorted(ready) == ["js", "py", "py-minimal"]


def test_a_failed_start_is_reported_by_name_and_the_others_still_start():
    events: list[str] = []
    servers = {"js": FakeServer(events, "js"), "py": FakeServer(events, "py", error="port taken")}
    with fleet.Fleet(servers) as running:
        failures = running.start()
        assert {name: str(error) for name, error in failures.items()} == {"py": "port taken"}
        assert list(running.started()) == ["js"]
    assert "started js" in events


def test_every_server_is_asked_to_stop_before_any_is_waited_for_even_after_an_error():
    events: list[str] = []
    servers = {"js": FakeServer(events, "js"), "py": FakeServer(events, "py")}
    with pytest.raises(LookupError), fleet.Fleet(servers) as running:
        running.start()
        raise LookupError("a test failed")
    assert events[-4:] == ["asked js", "asked py", "stopped js", "stopped py"]


def test_servers_added_later_are_stopped_too():
    events: list[str] = []
    with fleet.Fleet() as running:
        running.add("late", FakeServer(events, "late")).start()
    assert events == ["started late", "asked late", "stopped late"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["INT", "TERM", "HUP"])
def test_a_stop_signal_unwinds_the_block_and_the_handlers_come_back(signum):
    events: list[str] = []
    before = signal.getsignal(signum)
    with pytest.raises(KeyboardInterrupt), fleet.Fleet({"js": FakeServer(events, "js")}) as running:
        running.start()
        os.kill(os.getpid(), signum)
        running.wait(poll=0.05)  # the signal arrives while we wait
    assert events[-1] == "stopped js"
    assert signal.getsignal(signum) is before


def test_a_signal_while_stopping_does_not_interrupt_the_stop():
    events: list[str] = []

    class SignalledWhileStopping(FakeServer):
        def request_stop(self) -> None:
            os.kill(os.getpid(), signal.SIGTERM)  # a second Ctrl-C or kill while the servers go down
            super().request_stop()

    with fleet.Fleet({"js": SignalledWhileStopping(events, "js"), "py": FakeServer(events, "py")}) as running:
        running.start()
    assert events[-4:] == ["asked js", "asked py", "stopped js", "stopped py"]


def test_start_leaves_servers_already_started_alone():
    events: list[str] = []
    with fleet.Fleet({"js": FakeServer(events, "js")}) as running:
        running.start()
        running.add("py", FakeServer(events, "py"))
        running.start()
    assert events.count("started js") == 1 and "started py" in events
