"""The soak's judge (shared-tests/soak.py) without workers: its invariant on made-up tallies, and its load
against a tiny counter server of our own, killed with -9 mid-request — one that keeps its count in SQLite, which
must pass, and one that keeps it in memory, which loses counts on a kill and must fail."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import soak

from workers_parity import project
from workers_parity.http import client
from workers_parity.servers.devserver import DevServer, spawn_guarded
from workers_parity.servers.liveservers import wait_until
from workers_parity.servers.ports import free_port, port_is_free


def tally(counts: list[int], cut_off: int = 0, kills: list[list[int]] | None = None) -> soak.Tally:
    return soak.Tally(counts=counts, cut_off=cut_off, kills=kills or [])


def test_drained_restarts_need_every_count_from_one_to_the_final_shown_once() -> None:
    assert soak.account(tally([3, 1, 2, 4]), 4) == []
    assert soak.account(tally([1, 2, 4]), 4) == [
        "1 counts never shown, but only 0 requests were cut off by a kill -9, e.g. [3]",
        "final count 4 > 3 requests sent",
    ]


def test_a_doubled_count_fails() -> None:
    problems = soak.account(tally([1, 2, 2, 3], cut_off=1, kills=[[32, 1]]), 3)
    assert problems == ["1 counts shown more than once (doubled), e.g. [2]"]


def test_a_count_answered_and_then_lost_fails() -> None:
    """A 200 showed 5, and after the kill the state says 4: the count answered was lost."""
    problems = soak.account(tally([1, 2, 3, 5], cut_off=2, kills=[[32, 2]]), 4)
    assert "1 counts shown outside 1..4 (lost since), e.g. [5]" in problems


def test_counts_never_shown_are_allowed_up_to_the_requests_cut_off() -> None:
    kills = [[32, 2], [32, 1]]
    assert soak.account(tally([1, 3, 5, 6], cut_off=3, kills=kills), 6) == []  # 2 and 4 counted, answer cut off
    assert soak.account(tally([1, 6], cut_off=3, kills=kills), 6) == [
        "4 counts never shown, but only 3 requests were cut off by a kill -9, e.g. [2, 3, 4, 5]",
        "final count 6 > 5 requests sent",
    ]


def test_a_kill_that_cut_off_no_request_fails() -> None:
    """The soak promises kills mid-request: a kill that met no request in flight tested nothing."""
    problems = soak.account(tally([1, 2], cut_off=1, kills=[[32, 1], [32, 0]]), 2)
    assert problems == ["kill -9 number 2 cut off no request"]


def test_phases_and_changes_must_match() -> None:
    with pytest.raises(ValueError, match="3 phases need 2 changes"):
        soak.Load([[], [], []], 10, int, changes=[soak.KILL])
    with pytest.raises(ValueError, match="each 'restart' or 'kill -9'"):
        soak.Load([[], []], 10, int, changes=["reboot"])


# --- the load against a counter server of our own, killed mid-request -------------------------------------------

COUNTER_SERVER = r"""
import http.server, sqlite3, sys, threading, time

port, database, keep = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lock, memory = threading.Lock(), [0]
if keep == "sqlite":
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE IF NOT EXISTS views (count INTEGER NOT NULL)")
        if db.execute("SELECT count(*) FROM views").fetchone()[0] == 0:
            db.execute("INSERT INTO views VALUES (0)")


def increment():
    with lock:
        if keep == "memory":
            memory[0] += 1
            return memory[0]
        with sqlite3.connect(database) as db:  # commits before the answer, as D1 does
            return db.execute("UPDATE views SET count = count + 1 RETURNING count").fetchone()[0]


class Counter(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        count = increment()
        time.sleep(0.02)  # the answer takes a while after the count: kills find requests in flight
        body = f"<span id=count>{count}</span>".encode()
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Counter)
server.daemon_threads = True
server.serve_forever()
"""


class CounterServer(DevServer):
    """A DevServer whose process is the counter above, under the same guard, so soak.crash and stop treat it alike."""

    keep: str = "sqlite"

    def start(self, timeout: float = 30.0, migrate: bool = True, prepare: bool = True) -> CounterServer:
        argv = [sys.executable, "-c", COUNTER_SERVER, str(self.port), str(self.state_dir / "views.db"), self.keep]
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.process = spawn_guarded(argv, cwd=self.state_dir, env={}, log=subprocess.DEVNULL)
        assert wait_until(lambda: not port_is_free(self.port), timeout), "the counter server did not listen"
        return self


def read_count(reply: client.Reply) -> int:
    assert reply.status == 200, reply.status
    return int(re.fullmatch(rb"<span id=count>(\d+)</span>", reply.body)[1])


def run_load(tmp_path: Path, keep: str, changes: list[str], total: int = 1500) -> tuple[soak.Row, int]:
    server = CounterServer(project.get("js"), port=free_port(), state_dir=tmp_path / keep, log_path=tmp_path / "log")
    server.keep = keep
    plan = soak.Plan(keep, [[server]] * (len(changes) + 1), total, read_count, 32, changes)
    row = soak.run_plan(plan, say=lambda text: None)
    return row, server.port


def test_kills_mid_request_keep_the_invariant_of_a_counter_that_commits_before_answering(tmp_path: Path) -> None:
    row, port = run_load(tmp_path, "sqlite", [soak.KILL, soak.RESTART, soak.KILL])
    assert row.problems == []
    assert [in_flight for in_flight, _ in row.tally.kills] == [32, 32]
    assert row.tally.cut_off == sum(cut for _, cut in row.tally.kills) > 0
    assert row.tally.ok <= row.final_count <= row.tally.ok + row.tally.cut_off
    assert row.tally.restarts == 3 and port_is_free(port)


def test_kills_mid_request_catch_a_counter_that_loses_its_count(tmp_path: Path) -> None:
    row, _ = run_load(tmp_path, "memory", [soak.KILL], total=600)
    assert any("shown more than once (doubled)" in problem for problem in row.problems), row.problems
