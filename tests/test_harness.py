"""The harness itself: port conflicts, start failures with the log tail, teardown that leaves no process."""

from __future__ import annotations

import http.server
import socket
import threading
from pathlib import Path

import psutil
import pytest

from workers_parity import project
from workers_parity.servers import devserver, ports
from workers_parity.servers.devserver import DevServer, PortInUse, StartFailed, group_alive
from workers_parity.servers.ports import free_port
from workers_parity.servers.registry import Worker

JS = project.get("js")


def js_server(tmp_path: Path, port: int | None = None) -> DevServer:
    return DevServer(JS, port=port or free_port(), state_dir=tmp_path / "state", log_path=tmp_path / "js.log")


def test_port_taken_fails_with_a_clear_message(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        with pytest.raises(PortInUse, match=f"port {port} is already in use"):
            js_server(tmp_path, port).start()


def broken_worker(tmp_path: Path) -> Worker:
    folder = tmp_path / "broken-worker"
    (folder / "migrations").mkdir(parents=True)
    (folder / "wrangler.jsonc").write_text((JS.folder / "wrangler.jsonc").read_text())
    (folder / "migrations" / "0001_create_page_views.sql").write_text("select 1;\n")
    (folder / "src").mkdir()
    (folder / "src" / "index.js").write_text("export default { fetch() { return new Response(\n")  # syntax error
    return project.worker_from_folder(folder, port=0, worker_id="broken")


def test_start_failure_shows_the_log_tail(tmp_path: Path) -> None:
    server = DevServer(
        broken_worker(tmp_path), port=free_port(), state_dir=tmp_path / "state", log_path=tmp_path / "broken.log"
    )
    with pytest.raises(StartFailed) as failure:
        server.start(timeout=90)
    message = str(failure.value)
    assert "exited with code" in message
    assert f"lines of {tmp_path / 'broken.log'}" in message
    assert "index.js" in message  # the tail names the file wrangler could not build
    assert not group_alive(server.process.pid)


def test_stop_leaves_no_process_behind(tmp_path: Path) -> None:
    server = js_server(tmp_path).start()
    group = server.process.pid
    members = processes_in_group(group)
    assert len(members) > 1, "wrangler should have started workerd children"
    server.stop()
    assert processes_in_group(group) == []


def processes_in_group(group: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def test_a_port_offered_again_is_not_handed_out_twice(monkeypatch) -> None:
    """Two servers made one after the other must not share a port, though a port may be offered twice."""
    monkeypatch.setattr(ports, "_candidates", lambda: iter([41001, 41001, 41002]))
    monkeypatch.setattr(ports, "port_is_free", lambda port: True)
    monkeypatch.setattr(ports, "_handed_out", set())
    assert (ports.free_port(), ports.free_port()) == (41001, 41002)


def test_free_ports_are_free_and_outside_the_ephemeral_range() -> None:
    """No bind to port 0 (a server's own helper sockets) and no outgoing connection can be given them meanwhile."""
    first_ephemeral = int(ports.EPHEMERAL_RANGE.read_text().split()[0])
    handed_out = [ports.free_port() for _ in range(50)]
    assert len(set(handed_out)) == 50
    assert all(ports.LOWEST <= port < first_ephemeral and ports.port_is_free(port) for port in handed_out)


def test_without_room_below_the_ephemeral_range_the_kernel_chooses(monkeypatch, tmp_path: Path) -> None:
    first_ephemeral = int(ports.EPHEMERAL_RANGE.read_text().split()[0])
    (tmp_path / "range").write_text("10500\t60999\n")  # 500 ports below it: too few to pick from at random
    monkeypatch.setattr(ports, "EPHEMERAL_RANGE", tmp_path / "range")
    assert ports.free_port() >= first_ephemeral


def test_an_answer_from_another_process_on_the_port_is_not_readiness(tmp_path: Path, monkeypatch) -> None:
    """A port taken between the free-port check and the server's bind: the squatter's 200 must not count."""
    squatter = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answers200)
    threading.Thread(target=squatter.serve_forever, daemon=True).start()
    monkeypatch.setattr(devserver, "port_is_free", lambda port, host: True)  # as if taken just after the check
    server = js_server(tmp_path, squatter.server_address[1])
    try:
        with pytest.raises(PortInUse, match="was taken by another process while the server started"):
            server.start()
        assert not group_alive(server.process.pid)
    finally:
        squatter.shutdown()
        squatter.server_close()


def denied() -> None:
    raise psutil.AccessDenied()


@pytest.mark.parametrize(
    ("hidden", "why"),
    [
        (lambda port: None, "psutil names no process listening on port"),
        (lambda port: denied(), "psutil cannot list the listening sockets"),
    ],
    ids=["no holder named", "access denied"],
)
def test_an_answer_no_process_can_be_named_for_is_not_readiness(tmp_path: Path, monkeypatch, hidden, why) -> None:
    """Readiness fails closed: a real server answering, when psutil cannot name the port's holder, is not ready."""
    monkeypatch.setattr(devserver.liveservers, "port_holder", hidden)
    server = js_server(tmp_path)
    with pytest.raises(StartFailed) as failure:
        server.start()
    message = str(failure.value)
    assert f"{server.base_url} answered, but the answer cannot be shown to be this server's" in message
    assert why in message
    assert not group_alive(server.process.pid)


class Answers200(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass
