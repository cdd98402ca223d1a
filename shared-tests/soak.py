"""The counter under load: many clients GET /counter while dev servers are stopped and started, every answer counted.

A load runs in phases; between two, the servers change in one of two ways, and the servers of the next phase start
on the same state folder while the clients meet a closed port (those refused connections are retried):
- RESTART: every client waits until no request is in flight, then the servers stop. Nothing is cut off, so the final
  count is exactly the number of 200 answers.
- KILL: once every client is mid-request, every process of the servers is killed with -9 at once. The requests in
  flight are cut off: each may have counted (the statement ran) or not, and is retried. The invariant still holds:
  every count answered 200 is distinct and kept (no count doubled or lost), and the counts never shown are at most
  the requests cut off, so the final count is at most the 200 answers plus those (at most the requests sent).
Anything else that is not the caller's expected answer is an error.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from workers_parity.http import client
from workers_parity.servers import guard
from workers_parity.servers.devserver import DevServer

RESTART, KILL = "restart", "kill -9"
RETRY_PAUSE = 0.5  # seconds a client waits after a refused connection, so it does not spin while a server starts
PROGRESS_SECONDS = 20.0
REQUEST_TIMEOUT = 60.0
ALL_IN_FLIGHT_SECONDS = 30.0  # how long a kill waits for every client to be mid-request (then kills anyway)

# A reply -> the count its page shows, or None for an answer the caller accepts that counts nothing; raises else.
ReadCount = Callable[[client.Reply], "int | None"]


def crash(server: DevServer) -> None:
    """kill -9 every process of the dev server, its guard aside, as a crash would; then let the guard end.

    They are all stopped (SIGSTOP) before any is killed: killed one by one, a proxy (wrangler's) could outlive its
    workerd by a moment and answer a request in flight itself, which no crash of the whole server does."""
    members = guard.tree_members(server.process.pid)
    for signum in (signal.SIGSTOP, signal.SIGKILL):
        for pid in members:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)
    server.wait_stopped()


@dataclass
class Tally:
    """What the clients saw: the counts of 200 answers, retried refusals, requests a kill -9 cut off, accepted non-200
    answers, errors; and for each kill, how many requests were in flight when it came and how many it cut off."""

    counts: list[int] = field(default_factory=list)
    refused: int = 0
    cut_off: int = 0
    kills: list[list[int]] = field(default_factory=list)  # [in flight at the kill, cut off by it]
    accepted: Counter[int] = field(default_factory=Counter)  # status -> how many (answers the caller allows)
    errors: list[str] = field(default_factory=list)
    restarts: int = 0
    elapsed: float = 0.0

    @property
    def ok(self) -> int:
        return len(self.counts)

    @property
    def sent(self) -> int:
        return self.ok + self.refused + self.cut_off + sum(self.accepted.values()) + len(self.errors)


class Load:
    """Clients sending GET /counter until `total` answers 200; `phases` are the servers each phase sends to, and
    `changes` how the servers change between two phases (RESTART or KILL; all RESTART by default).

    Clients are spread over a phase's servers (client i -> server i mod n). The servers of the first phase must be
    running; those of the last phase are left running, for a final look at the count.
    """

    def __init__(
        self,
        phases: list[list[DevServer]],
        total: int,
        read_count: ReadCount,
        clients_per_server: int = 32,
        say: Callable[[str], None] = print,
        label: str = "",
        changes: list[str] | None = None,
    ) -> None:
        self.phases, self.total, self.read_count, self.say = phases, total, read_count, say
        self.changes = changes or [RESTART] * (len(phases) - 1)
        if len(self.changes) != len(phases) - 1 or not set(self.changes) <= {RESTART, KILL}:
            raise ValueError(f"{len(phases)} phases need {len(phases) - 1} changes, each {RESTART!r} or {KILL!r}")
        self.label = label or "+".join(dict.fromkeys(server.worker.id for phase in phases for server in phase))
        self.clients = clients_per_server * max(len(phase) for phase in phases)
        self.tally = Tally()
        self.urls = [server.base_url for server in phases[0]]
        self.changing = False  # servers are stopping or starting: a refused connection is then expected
        self.in_flight = 0
        self.kills_done = 0  # kills whose servers are all dead; len(tally.kills) counts those begun
        self.open = True
        self.done = False
        self.turn = threading.Condition()

    def run(self) -> Tally:
        started = time.monotonic()
        threads = [threading.Thread(target=self._client, args=(index,), daemon=True) for index in range(self.clients)]
        for thread in threads:
            thread.start()
        try:
            for number, phase in enumerate(self.phases, start=1):
                self._run_phase(number)
                if self.done:  # an error: the count can no longer be checked exactly
                    break
                if number < len(self.phases):
                    self._change_servers(phase, self.phases[number], self.changes[number - 1])
        finally:
            with self.turn:
                self.done, self.open = True, True
                self.turn.notify_all()
            for thread in threads:
                thread.join()
            self.tally.elapsed = time.monotonic() - started
        return self.tally

    def _run_phase(self, number: int) -> None:
        goal = self.total * number // len(self.phases)
        phase_start, phase_ok, last_report = time.monotonic(), self.tally.ok, time.monotonic()
        name = f"phase {number}/{len(self.phases)}"
        while self.tally.ok < goal and not self.done:
            time.sleep(0.2)
            if time.monotonic() - last_report >= PROGRESS_SECONDS:
                last_report = time.monotonic()
                self._progress(f"{name}: {self.tally.ok:,}/{self.total:,} answered 200", phase_start, phase_ok)
        self._progress(f"{name} done: {self.tally.ok:,}/{self.total:,} answered 200", phase_start, phase_ok)

    def _progress(self, text: str, since: float, ok_before: int) -> None:
        seconds = time.monotonic() - since
        rate = (self.tally.ok - ok_before) / max(seconds, 1e-9)
        errors = f", {len(self.tally.errors)} errors" if self.tally.errors else ""
        self.say(f"soak {self.label}: {text} ({rate:.0f}/s over {seconds:.1f} s{errors})")

    def _change_servers(self, stopping: list[DevServer], starting: list[DevServer], how: str) -> None:
        """Drain and stop, or kill -9 mid-request; release the clients towards the next servers, start those one by
        one (they may share a state folder, where two migrations at once collide). A server starting again skips
        the migrations, as DevServer.restart does; another worker's server applies them, as `dev` does."""
        began = time.monotonic()
        refused_before, cut_off_before = self.tally.refused, self.tally.cut_off
        if how == KILL:
            self._kill_mid_request(stopping)
        else:
            self._drain_and_stop(stopping)
        with self.turn:
            self.urls = [server.base_url for server in starting]
            self.open = True
            self.turn.notify_all()
        try:
            for server in starting:
                server.start(migrate=not any(server is stopped for stopped in stopping))
        finally:
            with self.turn:
                self.changing = False
        self.tally.restarts += 1
        names = " ".join(server.worker.id for server in starting)
        stopped = "drained, stopped" if how == RESTART else f"killed -9 with {self.tally.kills[-1][0]} in flight"
        self.say(
            f"soak {self.label}: restart {self.tally.restarts}: {stopped}, started {names} on the same state in "
            f"{time.monotonic() - began:.1f} s ({self.tally.refused - refused_before:,} refused connections and "
            f"{self.tally.cut_off - cut_off_before:,} cut-off requests retried)"
        )

    def _drain_and_stop(self, stopping: list[DevServer]) -> None:
        with self.turn:
            self.open = False
            self.turn.wait_for(lambda: self.in_flight == 0)
            self.changing = True
        for server in stopping:
            server.stop()

    def _kill_mid_request(self, stopping: list[DevServer]) -> None:
        """Once every client is mid-request (or after ALL_IN_FLIGHT_SECONDS), kill -9 the servers. A request that
        failed knows it met a kill when a kill had begun (tally.kills) that had not ended (kills_done) when it began."""
        with self.turn:
            self.turn.wait_for(lambda: self.in_flight >= self.clients, ALL_IN_FLIGHT_SECONDS)
            self.changing = True
            self.tally.kills.append([self.in_flight, 0])
        for server in stopping:
            crash(server)
        with self.turn:
            self.kills_done += 1

    def _client(self, index: int) -> None:
        while True:
            with self.turn:
                self.turn.wait_for(lambda: self.open)
                if self.done or self.tally.ok >= self.total:
                    return
                self.in_flight += 1
                self.turn.notify_all()  # a kill waits for every client to be mid-request
                url, changing, kills_done = self.urls[index % len(self.urls)], self.changing, self.kills_done
            try:
                retry = self._one_request(url, changing, kills_done)
            finally:
                with self.turn:
                    self.in_flight -= 1
                    self.turn.notify_all()
            if retry:
                time.sleep(RETRY_PAUSE)

    def _one_request(self, url: str, changing: bool, kills_done: int) -> bool:
        """Send one GET and record its outcome; True when it was refused while servers changed, or cut off by a kill
        that came while it was in flight: to be retried."""
        try:
            reply = client.get(url, "/counter", timeout=REQUEST_TIMEOUT)
        except (OSError, http.client.HTTPException) as error:  # reset, cut off, timed out: the count is unknowable
            return self._failed(url, error, changing, kills_done)
        try:
            count = self.read_count(reply)
        except Exception as error:  # a wrong page: read_count says how (an error in a thread must not get lost)
            return self._error(f"{url}: {type(error).__name__}: {error}")
        with self.turn:
            if count is None:
                self.tally.accepted[reply.status] += 1
            else:
                self.tally.counts.append(count)
        return False

    def _failed(self, url: str, error: BaseException, changing: bool, kills_done: int) -> bool:
        with self.turn:
            killed_meanwhile = len(self.tally.kills) > kills_done
            if client.refused(error) and (changing or killed_meanwhile):
                self.tally.refused += 1
                return True
            if killed_meanwhile:
                self.tally.cut_off += 1
                self.tally.kills[-1][1] += 1
                return True
        if client.refused(error):
            return self._error(f"{url}: connection refused outside a restart")
        return self._error(f"{url}: {type(error).__name__}: {error}")

    def _error(self, text: str) -> bool:
        """Record an error and end the load: after one, the count can no longer be checked exactly."""
        with self.turn:
            self.tally.errors.append(text)
            self.done = True
            self.turn.notify_all()
        return False


@dataclass
class Plan:
    """One load to run: its servers phase by phase (the first phase's are started here), and its answers."""

    label: str
    phases: list[list[DevServer]]
    total: int
    read_count: ReadCount
    clients_per_server: int = 32
    changes: list[str] | None = None  # between phases: RESTART or KILL (default: all RESTART)

    @property
    def servers(self) -> list[DevServer]:
        unique = {id(server): server for phase in self.phases for server in phase}  # DevServer is unhashable
        return list(unique.values())


@dataclass(frozen=True)
class Row:
    label: str
    tally: Tally
    final_count: int | None  # None when an error ended the load
    problems: list[str]


def run_together(plans: list[Plan], say: Callable[[str], None] = print) -> list[Row]:
    """Run every plan at once, each on its own servers; a row per plan, in order."""
    with ThreadPoolExecutor(max_workers=max(len(plans), 1)) as pool:
        return list(pool.map(lambda plan: run_plan(plan, say), plans))


def run_plan(plan: Plan, say: Callable[[str], None] = print) -> Row:
    """Start, load, look at the final count, stop; whatever fails is a problem in the row, never an exception."""
    load = Load(plan.phases, plan.total, plan.read_count, plan.clients_per_server, say, plan.label, plan.changes)
    tally, final = load.tally, None
    try:
        for server in plan.phases[0]:  # one by one: migrations of two servers at once on one state collide
            server.start()
        load.run()
        if not tally.errors:
            final = final_look(plan.phases[-1][0], tally, plan.read_count)
    except Exception as error:  # a server that would not start, a wrong final page: reported with the counts
        tally.errors.append(f"{type(error).__name__}: {error}")
    finally:
        for server in plan.servers:
            server.stop()
    problems = list(tally.errors) if final is None else account(tally, final)
    say(f"soak {plan.label}: {'passed' if not problems else 'FAILED'}")
    return Row(plan.label, tally, final, problems)


def final_look(server: DevServer, tally: Tally, read_count: ReadCount) -> int:
    """One more GET /counter after the load: the count it shows, recorded as one more 200 answer."""
    count = read_count(client.get(server.base_url, "/counter"))
    assert count is not None, f"{server.worker.id}: the final GET /counter was not answered 200"
    tally.counts.append(count)
    return count


def account(tally: Tally, final_count: int) -> list[str]:
    """What breaks the invariant (CONTRACT.md C15.5): every count answered 200 is distinct (none doubled) and kept
    (none above the final count, which would mean one was lost), and the counts never shown are at most the requests
    a kill -9 cut off (so final count <= 200 answers + cut off <= requests sent). Without kills: exactly 1..final."""
    problems = list(tally.errors)
    seen = Counter(tally.counts)
    repeated = sorted(count for count, times in seen.items() if times > 1)
    beyond = sorted(count for count in seen if count > final_count or count < 1)
    missing = sorted(set(range(1, final_count + 1)) - set(seen))
    if repeated:
        problems.append(f"{len(repeated)} counts shown more than once (doubled), e.g. {repeated[:5]}")
    if beyond:
        problems.append(f"{len(beyond)} counts shown outside 1..{final_count:,} (lost since), e.g. {beyond[:5]}")
    if len(missing) > tally.cut_off:
        problems.append(
            f"{len(missing)} counts never shown, but only {tally.cut_off:,} requests were cut off by a kill -9, "
            f"e.g. {missing[:5]}"
        )
    if final_count > tally.sent:
        problems.append(f"final count {final_count:,} > {tally.sent:,} requests sent")
    problems += [f"kill -9 number {n} cut off no request" for n, (_, cut) in enumerate(tally.kills, 1) if not cut]
    return problems


def table(rows: list[Row]) -> list[str]:
    """The soak's summary: one line per load."""
    header = ("load", "requests", "200s", "refused+retried", "cut off+retried", "other", "errors", "final count")
    header += ("restarts (kill -9)", "elapsed")
    lines = [header] + [
        (
            row.label,
            f"{row.tally.sent:,}",
            f"{row.tally.ok:,}",
            f"{row.tally.refused:,}",
            f"{row.tally.cut_off:,}",
            ", ".join(f"{n:,}x{status}" for status, n in sorted(row.tally.accepted.items())) or "0",
            f"{len(row.tally.errors)}",
            "-" if row.final_count is None else f"{row.final_count:,}",
            f"{row.tally.restarts} ({len(row.tally.kills)})",
            f"{row.tally.elapsed:.1f} s",
        )
        for row in rows
    ]
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    return [
        "  ".join(
            cell.ljust(width) if column == 0 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    ]
