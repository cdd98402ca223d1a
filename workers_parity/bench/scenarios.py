"""The load scenarios: each endpoint at 1 and 8 keep-alive clients, and the growth curves — POST /form with larger
bodies (1, 16 and 64 KiB, at 1 client) and GET /counter with more clients (up to 32)."""

from __future__ import annotations

from dataclasses import dataclass

from workers_parity.http import bodies

FORM_FIELDS = [("name", "Ada Lovelace"), ("message", "Benchmarks & <notes>")]
KIB = 1024
FORM_BODY_KIB = (1, 16, 64)  # 64 KiB is the largest body the contract accepts (C7.1)
COUNTER_CLIENTS = (1, 8, 32)
CLIENT_COUNTS = (1, 8)


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    body: bytes | None = None
    content_type: str | None = None
    label_suffix: str = ""

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
    curve: str = ""  # the growth curve it is a point of: "form body" or "counter clients"

    @property
    def label(self) -> str:
        return self.endpoint.label

    @property
    def body_bytes(self) -> int:
        return len(self.endpoint.body or b"")


def form_body(size: int | None = None) -> bytes:
    """A valid form (C4.1); with a size, padded to exactly that many bytes by a field the worker ignores."""
    small = bodies.urlencoded(FORM_FIELDS)
    if size is None:
        return small
    padding = b"&padding="
    return small + padding + b"x" * (size - len(small) - len(padding))


HELLO = Endpoint("GET", "/hello")
FORM = Endpoint("POST", "/form", form_body(), bodies.URLENCODED)
COUNTER = Endpoint("GET", "/counter")


def sized_form(kib: int) -> Endpoint:
    return Endpoint("POST", "/form", form_body(kib * KIB), bodies.URLENCODED, f" {kib} KiB")


def scenarios() -> list[Scenario]:
    core = [Scenario(endpoint, clients) for endpoint in (HELLO, FORM) for clients in CLIENT_COUNTS]
    counter = [Scenario(COUNTER, clients, "counter clients") for clients in COUNTER_CLIENTS]
    forms = [Scenario(sized_form(kib), 1, "form body") for kib in FORM_BODY_KIB]
    return core + counter + forms
