"""CPU time per request: the user and system CPU time of every process of a dev server (its guard's session, the
guard left out), read with psutil before and after a load run, split by what each process is.

Process kinds: `workerd` (the one that runs the worker), `proxy workerd` (wrangler dev's proxy worker, in a workerd
of its own: the one listening on the server's port), `node` (the launcher, or wrangler's own process) and `other`."""

from __future__ import annotations

import os
from dataclasses import dataclass

import psutil

from workers_parity.servers import liveservers
from workers_parity.servers.devserver import DevServer, members
from workers_parity.servers.registry import Host

WORKERD, PROXY, NODE, OTHER = "workerd", "proxy workerd", "node", "other"
KINDS = (WORKERD, PROXY, NODE, OTHER)  # in the order tables and plots show them


@dataclass(frozen=True)
class Sample:
    """CPU seconds per process (pid -> (kind, seconds)) at one moment."""

    seconds: dict[int, tuple[str, float]]


def sample(server: DevServer, host: Host) -> Sample:
    # only wrangler dev has a proxy workerd (kind_of): the port's holder is looked up for it alone
    listener = liveservers.port_holder(server.port) if host == Host.WRANGLER_DEV else None
    found = {}
    for _, process in members({server.process.pid}, os.getsid, ["name", "cpu_times"]):
        times = process.info["cpu_times"]
        if times is not None:
            found[process.pid] = (kind_of(process.info["name"], process.pid, listener, host), times.user + times.system)
    return Sample(found)


def kind_of(name: str | None, pid: int, listener: psutil.Process | None, host: Host) -> str:
    if name == "workerd":
        proxy = host == Host.WRANGLER_DEV and listener is not None and listener.pid == pid
        return PROXY if proxy else WORKERD
    return NODE if name in ("node", "MainThread") else OTHER  # Node names its main thread MainThread


PerRequest = tuple[float | None, dict[str, float]]  # milliseconds in all, and by process kind


def per_request(before: Sample, after: Sample, requests: int) -> PerRequest:
    """Milliseconds of CPU per request, in all and by kind; a process that started during the run counts whole."""
    if requests <= 0:
        return None, {}
    by_kind: dict[str, float] = {}
    for pid, (kind, seconds) in after.seconds.items():
        spent = seconds - before.seconds.get(pid, (kind, 0.0))[1]
        by_kind[kind] = by_kind.get(kind, 0.0) + spent * 1000 / requests
    return sum(by_kind.values()), dict(sorted(by_kind.items()))
