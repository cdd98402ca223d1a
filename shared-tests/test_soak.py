"""The counter under abuse (C8, C10.2, C15): restarts, kill -9, thousands of concurrent visits, a shared state folder.

Marked `soak`: `./noxw -s soak` runs them (`pytest -m soak`), the default `-m "not soak"` leaves them out. Every
test starts its own dev servers on fresh state, so its invariant is exact: the count a page shows is the number of
GET /counter answered 200 since that state was fresh, give or take only the requests a kill -9 cut off in flight
(C15.5). PARITY_SOAK_REQUESTS (default 10,000) sizes the soaks.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import expected
import pytest
import soak
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from workers_parity.http import client
from workers_parity.servers.devserver import DevServer
from workers_parity.servers.ports import free_port

pytestmark = pytest.mark.soak

SOAK_REQUESTS = int(os.environ.get("PARITY_SOAK_REQUESTS", "10000"))
CLIENTS = 32  # per worker
AT_ONCE_REQUESTS = 1000  # two live servers on one state: a probe, not a soak
# Between the phases of a worker's soak: one drained restart, then kill -9 with every client mid-request, thrice.
CHANGES = [soak.RESTART, soak.KILL, soak.KILL, soak.KILL]
TURNS_CHANGES = [soak.RESTART, soak.KILL]  # workers taking turns: handed over drained, then after a kill -9
COUNT = re.compile(rb'<span id="count">(\d+)</span>')
MACHINE_SETTINGS = settings(
    max_examples=3,
    stateful_step_count=6,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),  # shrinking would restart servers for minutes
    suppress_health_check=[HealthCheck.too_slow],
)


def read_count(reply: client.Reply) -> int:
    """The count of a 200 counter page (P3, C8.1), checked byte for byte."""
    assert reply.status == 200, f"status {reply.status}: {reply.body[:200]!r}"
    assert reply.header("content-type") == expected.HTML, reply.header("content-type")
    assert reply.header("cache-control") == "no-store", reply.header("cache-control")
    match = COUNT.search(reply.body)
    assert match and reply.body == expected.counter_page(int(match[1])), f"not the counter page: {reply.body[:300]!r}"
    return int(match[1])


def read_count_or_busy(reply: client.Reply) -> int | None:
    """As read_count, but C13's exact 500 is accepted (None): what a locked D1 gives two live servers (C15.4)."""
    if reply.status == 500:
        assert (reply.header("content-type"), reply.body) == (expected.TEXT, expected.INTERNAL_SERVER_ERROR)
        return None
    return read_count(reply)


def fresh_server(target, folder: Path, state: Path | None = None) -> DevServer:
    server = DevServer(
        target.worker,
        port=free_port(),
        state_dir=state or folder / f"{target.id}-state",
        log_path=folder / f"{target.id}.log",
        runtime=target.choice.runtime,
    )
    server.choice = target.choice
    return server


class Ledger:
    """One dev server and what was answered since its state was fresh; it outlives hypothesis's examples."""

    def __init__(self, server: DevServer) -> None:
        self.server = server
        self.answered = 0  # GET /counter answered 200
        self.restarts = self.crashes = self.since_start = 0

    def describe(self, seen: str) -> str:
        return (
            f"{self.server.worker.id}: {seen}, expected {self.answered + 1} ({self.answered} GETs answered 200 since "
            f"fresh state, {self.restarts} restarts, {self.crashes} kill -9)"
        )

    def get(self, query: str = "") -> None:
        count = read_count(client.get(self.server.base_url, "/counter" + query))
        assert count == self.answered + 1, self.describe(f"GET /counter{query} showed {count}")
        self.answered, self.since_start = self.answered + 1, self.since_start + 1

    def get_at_once(self, visits: int) -> None:
        with ThreadPoolExecutor(max_workers=visits) as pool:
            replies = list(pool.map(lambda _: client.get(self.server.base_url, "/counter"), range(visits)))
        counts = sorted(read_count(reply) for reply in replies)
        wanted = list(range(self.answered + 1, self.answered + visits + 1))
        assert counts == wanted, self.describe(f"{visits} GETs at once showed {counts}")
        self.answered, self.since_start = self.answered + visits, self.since_start + visits

    def head(self) -> None:
        reply = client.request(self.server.base_url, "HEAD", "/counter")
        assert (reply.status, reply.header("content-type"), reply.body) == (200, expected.HTML, b"")
        assert reply.header("cache-control") == "no-store"
        self.since_start += 1

    def restart(self) -> None:
        self.server.restart()
        self.restarts, self.since_start = self.restarts + 1, 0

    def kill_and_start_again(self) -> None:
        soak.crash(self.server)
        self.server.start()  # on the same state folder, as a person starting it again would
        self.crashes, self.since_start = self.crashes + 1, 0


class CounterMachine(RuleBasedStateMachine):
    ledger: Ledger  # set on a subclass per test

    @rule(query=st.sampled_from(["", "?reset=1", "?count=0&page=x"]))
    def get(self, query: str) -> None:
        self.ledger.get(query)

    @rule(visits=st.integers(min_value=2, max_value=12))
    def get_at_once(self, visits: int) -> None:
        self.ledger.get_at_once(visits)

    @rule(heads=st.integers(min_value=1, max_value=3))
    def head(self, heads: int) -> None:
        for _ in range(heads):
            self.ledger.head()

    @precondition(lambda self: self.ledger.since_start > 0)  # back-to-back restarts would only cost time
    @rule(how=st.sampled_from(["restart", "kill -9"]))
    def stop_and_start(self, how: str) -> None:
        if how == "restart":
            self.ledger.restart()
        else:
            self.ledger.kill_and_start_again()

    def teardown(self) -> None:
        self.ledger.get()  # whatever the last step was, the count goes on from the GETs answered


def test_counter_state_machine(local_target, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """GET adds exactly one, HEAD none, a restart and a kill -9 of the server none: count = GETs answered 200."""
    server = fresh_server(local_target, tmp_path)
    with server:
        machine = type("Machine", (CounterMachine,), {"ledger": Ledger(server)})
        run_state_machine_as_test(machine, settings=MACHINE_SETTINGS)
        ledger = machine.ledger
        for step in (ledger.restart, ledger.get, ledger.kill_and_start_again, ledger.get):
            step()  # whatever hypothesis drew, a restart and a kill -9 at least once each
    with capsys.disabled():
        print(
            f"\nstate machine {local_target.id}: {ledger.answered} GETs answered 200, "
            f"{ledger.restarts} restarts, {ledger.crashes} kill -9, the count right after every step"
        )


def local_targets(selection) -> list:
    """The targets this run starts servers for (not --base-url ones)."""
    return [target for target in selection.targets if target.choice is not None]


def soak_plans(selection, folder: Path) -> dict[str, soak.Plan]:
    """A soak per worker with a restart and three kills -9; with two workers or more, the workers taking turns on one
    state folder (handed over once drained, once killed), and a short probe of two servers at once on one folder."""
    plans = {}
    for target in local_targets(selection):
        server = fresh_server(target, folder / target.id)
        phases = [[server]] * (len(CHANGES) + 1)
        plans[target.id] = soak.Plan(target.id, phases, SOAK_REQUESTS, read_count, CLIENTS, CHANGES)
    if len(plans) >= 2:
        turns = [
            fresh_server(target, folder / "turns", folder / "turns-state") for target in local_targets(selection)[:3]
        ]
        phases = [[turns[number % len(turns)]] for number in range(len(TURNS_CHANGES) + 1)]
        label = " -> ".join(phase[0].worker.id for phase in phases)
        plans["turns"] = soak.Plan(label, phases, SOAK_REQUESTS, read_count, CLIENTS, TURNS_CHANGES)
        both = [
            fresh_server(target, folder / "at-once", folder / "at-once-state")
            for target in local_targets(selection)[:2]
        ]
        label = " + ".join(server.worker.id for server in both) + " at once"
        plans["at once"] = soak.Plan(label, [both], AT_ONCE_REQUESTS, read_count_or_busy, CLIENTS)
    return plans


@pytest.fixture(scope="session")
def soaks(request, selection, tmp_path_factory, soak_rows) -> dict[str, tuple[soak.Plan, soak.Row]]:
    """Every soak at once, each on servers and state of its own: together they take less time than in turn."""
    plans = soak_plans(selection, tmp_path_factory.mktemp("soak"))
    with request.config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
        print(f"\nsoak: {len(plans)} loads at once: {', '.join(plan.label for plan in plans.values())}")
        rows = soak.run_together(list(plans.values()))
    soak_rows.extend(rows)
    return {key: (plan, row) for (key, plan), row in zip(plans.items(), rows, strict=True)}


def outcome(soaks, key: str) -> tuple[soak.Plan, soak.Row]:
    if key not in soaks:
        pytest.skip("sharing a state folder needs two workers this run starts (see --worker)")
    plan, row = soaks[key]
    assert not row.problems, "\n".join(row.problems)
    return plan, row


def killed_mid_request(row: soak.Row) -> list[int]:
    """How many requests were in flight at each kill -9 (account() already failed a kill that cut off none)."""
    return [in_flight for in_flight, _ in row.tally.kills]


def test_soak_with_a_restart_and_kills_mid_request(local_target, soaks) -> None:
    """C15.5: 10,000 GETs at 32 clients; a drained restart, then three kills -9 with all 32 clients mid-request:
    every count answered 200 shown once and kept, the counts never shown no more than the requests cut off."""
    _, row = outcome(soaks, local_target.id)
    assert (row.tally.restarts, row.tally.ok >= SOAK_REQUESTS) == (len(CHANGES), True)
    assert killed_mid_request(row) == [CLIENTS] * CHANGES.count(soak.KILL)


def test_soak_with_workers_taking_turns_on_one_state_folder(soaks) -> None:
    """C15.4, C15.5: the same, each restart handing the state folder to the next worker, the second after a kill -9
    mid-request: one count across them."""
    _, row = outcome(soaks, "turns")
    assert (row.tally.restarts, row.tally.ok >= SOAK_REQUESTS) == (len(TURNS_CHANGES), True)
    assert killed_mid_request(row) == [CLIENTS]


def test_two_live_servers_on_one_state_folder_lose_no_count(soaks) -> None:
    """C15.4: two servers at once on one STATE may answer 500 (D1 is locked), but no count is lost or doubled."""
    plan, row = outcome(soaks, "at once")
    if row.tally.accepted:
        logs = b"".join(server.log_path.read_bytes() for server in plan.servers)
        assert b"SQLITE_BUSY" in logs, "500 answers, but no locked database in the servers' logs"
