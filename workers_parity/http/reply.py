"""A worker's answer as the suite compares it (status, headers as received, body bytes), and which headers are
transport rather than answer."""

from __future__ import annotations

from dataclasses import dataclass, field

# Response headers about the connection or the message framing rather than the answer. They are the only headers
# byte parity does not compare (a project masks any other it lets differ); every other header is compared by name and
# exact values.
TRANSPORT_HEADERS = {
    # Seen under wrangler dev: workerd sends one body with a content-length and an equal one chunked (the same
    # 525-byte page from a JavaScript worker chunked, from a Python one with content-length: 525). The body bytes are
    # compared instead; an oracle may still check content-length on HEAD.
    "content-length": "framing chosen by the runtime; the body bytes are compared instead",
    "transfer-encoding": "framing chosen by the runtime: chunked or not, for the same body",
    # Seen: `connection: close` answers a request that asked for it, from every worker alike. Hop-by-hop headers
    # (RFC 9110 section 7.6.1) describe one connection, not the answer, and proxies rewrite them.
    "connection": "hop-by-hop (RFC 9110 7.6.1): describes the connection, not the answer",
    "keep-alive": "hop-by-hop (RFC 9110 7.6.1): describes the connection, not the answer",
    # Not sent by workerd under wrangler dev; added in front of a deployed worker (--base-url), different on every
    # response, so no two workers could ever agree on them.
    "date": "the moment of sending, added in front of deployed workers; differs on every response",
    "cf-ray": "the id Cloudflare's edge gives each request to a deployed worker; differs on every response",
}


@dataclass(frozen=True)
class Reply:
    status: int
    # As received, names lowercased; each name's values in the order received (a requests answer groups the lines of a
    # repeated header together, at its first place; a raw one keeps the wire order).
    headers: tuple[tuple[str, str], ...] = field(repr=False)
    body: bytes = field(repr=False)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def header_values(self, name: str) -> tuple[str, ...]:
        """Every value of a header, in the order received (a repeated header has several)."""
        return tuple(value for key, value in self.headers if key == name.lower())

    def header(self, name: str) -> str | None:
        """The header's value; a repeated header's values joined with ", " as HTTP combines them."""
        values = self.header_values(name)
        return ", ".join(values) if values else None

    def compared_headers(self) -> dict[str, tuple[str, ...]]:
        """Every header but the transport ones, name -> values: what byte parity compares besides status and body."""
        names = dict.fromkeys(key for key, _ in self.headers if key not in TRANSPORT_HEADERS)
        return {name: self.header_values(name) for name in names}

    def parity_view(self) -> dict[str, object]:
        """What byte parity compares: status, body bytes and every header but the transport ones."""
        return {"status": self.status, "headers": self.compared_headers(), "body": self.body}
