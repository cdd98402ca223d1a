"""The counter and its storage, each worker against CONTRACT.md: C8, C10.2, C13, C15.

Counts are compared relative to the value before each test, so the tests also hold for a deployed worker whose
count is not fresh (as long as nobody else visits its counter meanwhile).
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import expected
import pytest
from together import outcome, with_every

from workers_parity import project
from workers_parity.http import client
from workers_parity.servers import fleet
from workers_parity.servers.devserver import DevServer

CONCURRENT_VISITS = 50
MIGRATION = "migrations/0001_create_page_views.sql"


def visit(worker) -> int:
    """GET /counter, checked against the counter page; returns the count it shows."""
    reply = worker.get("/counter")
    assert (reply.status, reply.header("content-type")) == (200, expected.HTML)
    assert reply.header("cache-control") == "no-store"
    match = re.search(rb'<span id="count">(\d+)</span>', reply.body)
    assert match, reply.body
    count = int(match[1])
    assert reply.body == expected.counter_page(count)
    return count


@pytest.mark.contract("C8")
def test_each_visit_counts_one(worker):
    first = visit(worker)
    assert [visit(worker) for _ in range(3)] == [first + 1, first + 2, first + 3]


@pytest.mark.contract("C8")
def test_concurrent_visits_get_distinct_consecutive_counts(worker):
    before = visit(worker)
    with ThreadPoolExecutor(max_workers=CONCURRENT_VISITS) as pool:
        counts = list(pool.map(lambda _: visit(worker), range(CONCURRENT_VISITS)))
    assert sorted(counts) == list(range(before + 1, before + 1 + CONCURRENT_VISITS))
    assert visit(worker) == before + CONCURRENT_VISITS + 1


@pytest.mark.contract("C8", "C11")
def test_query_string_on_the_counter_still_counts_one(worker):
    before = visit(worker)
    reply = worker.get("/counter?reset=1&count=0")
    assert reply.body == expected.counter_page(before + 1)
    assert visit(worker) == before + 2


@pytest.mark.contract("C10")
def test_head_counter_does_not_count(worker):
    before = visit(worker)
    for _ in range(3):
        worker.request("HEAD", "/counter")
    assert visit(worker) == before + 1


@pytest.mark.contract("C12")
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_refused_methods_do_not_count(worker, method):
    before = visit(worker)
    assert worker.request(method, "/counter").status == 405
    assert visit(worker) == before + 1


@pytest.fixture(scope="session")
def counts_around_a_restart(started_workers) -> dict[str, tuple[int, int] | Exception]:
    """Every dev server's count before and after its restart, the servers restarted all at once (a restart takes
    seconds, mostly waiting)."""
    ours = {key: member for key, member in started_workers.members.items() if member.server is not None}
    before = with_every(ours, visit)
    restarted = with_every(ours, lambda member: member.restart())
    after = with_every(ours, visit)
    return {key: restarted[key] if restarted[key] else (before[key], after[key]) for key in ours}


@pytest.mark.contract("C15")
def test_count_survives_a_dev_server_restart(worker, counts_around_a_restart):
    if worker.server is None:
        pytest.skip(f"{worker.name} is an external --base-url worker; the suite cannot restart it")
    before, after = outcome(counts_around_a_restart[worker.id])
    assert outcome(before) + 1 == outcome(after)


@pytest.mark.contract("C15")
def test_migration_is_the_same_sql_in_every_worker(worker):
    sql = (worker.spec.folder / MIGRATION).read_bytes()
    assert sql == (project.get("js").folder / MIGRATION).read_bytes()
    with sqlite3.connect(":memory:") as db:
        db.executescript(sql.decode())
        columns = [
            (name, kind, notnull, pk) for _, name, kind, notnull, _, pk in db.execute("PRAGMA table_info(page_views)")
        ]
    assert columns == [("page", "TEXT", 0, 1), ("count", "INTEGER", 1, 0)]


@pytest.fixture(scope="session")
def unmigrated_servers(selection, tmp_path_factory) -> Iterator[dict[str, DevServer | Exception]]:
    """Every worker's dev server on state whose migrations were never applied (C13.2's trigger), started all at once
    (a start takes seconds, mostly waiting); each a failure of its own when it did not start."""
    folder = tmp_path_factory.mktemp("unmigrated")
    servers = {
        target.id: fleet.fresh_server(
            target.worker, folder, target.choice.runtime, target.id.replace("@", "-"), choice=target.choice
        )
        for target in selection.targets
        if target.choice is not None
    }
    with fleet.Fleet(servers):
        yield with_every(servers, lambda server: server.start(migrate=False))


@pytest.fixture
def unmigrated_server(worker, unmigrated_servers) -> DevServer:
    if not worker.fresh_state:
        pytest.skip(f"{worker.name} is an external --base-url worker; the suite cannot start it on broken state")
    return outcome(unmigrated_servers[worker.id])


def log_mentions(server: DevServer, detail: bytes, timeout: float = 10.0) -> bool:
    """Whether the server's log mentions `detail` within `timeout` (dev servers write their logs lazily)."""
    deadline = time.monotonic() + timeout
    while detail not in server.log_path.read_bytes():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.mark.contract("C13")
def test_internal_error_is_a_bare_500(worker, unmigrated_server):
    reply = client.get(unmigrated_server.base_url, "/counter")
    assert (reply.status, reply.header("content-type")) == (500, expected.TEXT)
    assert reply.body == expected.INTERNAL_SERVER_ERROR  # no detail reaches the client
    assert reply.compared_headers() == {"content-type": (expected.TEXT,), "x-worker": (worker.name,)}  # C14.1
    assert log_mentions(unmigrated_server, b"page_views")  # the detail goes to the server log only


@pytest.mark.contract("C13")
def test_status_and_head_still_answer_when_the_counter_fails(unmigrated_server):
    assert b'"d1":true' in client.get(unmigrated_server.base_url, "/status").body
    head = client.request(unmigrated_server.base_url, "HEAD", "/counter")
    assert (head.status, head.header("cache-control")) == (200, "no-store")
