"""The load scenarios, from the project's plug-in: each of its `bench_endpoints()` at 1 and 8 keep-alive clients (else
GET of the first worker's ready path), and the points of its growth curves, `bench_curves()` (ours: a form post with
larger bodies, the counter with more clients). A curve's point that is also a core scenario is measured once."""

from __future__ import annotations

from dataclasses import dataclass, replace

from workers_parity import project
from workers_parity.plugins import hooks

CLIENT_COUNTS = (1, 8)
KIB = 1024


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    body: bytes | None = None
    content_type: str | None = None
    label_suffix: str = ""  # what tells apart two scenarios of one route: a curve's body size (" 16 KiB")

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}{self.label_suffix}"

    @property
    def headers(self) -> dict[str, str]:
        return {"content-type": self.content_type} if self.content_type else {}


@dataclass(frozen=True)
class Scenario:
    endpoint: Endpoint
    clients: int
    curve: str = ""  # the growth curve it is a point of (the plug-in's name for it), if any
    core: bool = False  # one of the endpoints at one of CLIENT_COUNTS (drawn in the CPU and latency plots)

    @property
    def label(self) -> str:
        return self.endpoint.label

    @property
    def body_bytes(self) -> int:
        return len(self.endpoint.body or b"")


def endpoints() -> list[Endpoint]:
    """The project's plug-in's `bench_endpoints()`, else GET of the first worker's ready path."""
    named = hooks.load(project.current().config.plugins).bench_endpoints()
    if named:
        return [Endpoint(*endpoint) for endpoint in named]
    return [Endpoint("GET", project.workers()[0].ready_path or "/")]


def curves() -> dict[str, list[Scenario]]:
    """The plug-in's `bench_curves()`: curve name -> its points, each (endpoint tuple, clients)."""
    named = hooks.load(project.current().config.plugins).bench_curves()
    return {
        curve: [Scenario(Endpoint(*endpoint), clients, curve) for endpoint, clients in points]
        for curve, points in named.items()
    }


def scenarios(core: list[Endpoint] | None = None, growth: dict[str, list[Scenario]] | None = None) -> list[Scenario]:
    """Every core endpoint at each of CLIENT_COUNTS, then the curves' other points; a point that is a core scenario
    too is measured once, as the curve's."""
    core = endpoints() if core is None else core
    growth = curves() if growth is None else growth
    points = {(p.label, p.clients): p for curve in growth.values() for p in curve}
    found = [
        replace(points.pop((e.label, clients), Scenario(e, clients)), core=True)
        for e in core
        for clients in CLIENT_COUNTS
    ]
    return found + list(points.values())
