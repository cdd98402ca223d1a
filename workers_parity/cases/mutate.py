"""Requests mutated from a project's own cases, for `workers-parity fuzz` (hypothesis strategies): each one starts
from a case and changes its method, its path and query, its headers, its content type, its body (JSON-aware when the
body is JSON) or its framing. Every choice's first option is "as the case has it", so hypothesis shrinks a request
that made the workers disagree back toward the case it came from.

The requests stay inside what a worker, not the platform, decides: targets are printable, their bytes beyond ASCII
valid UTF-8; header names are tokens, values hold no NUL, CR or LF; no header that frames the message or describes
the connection (the request frames itself), no `accept-encoding` (the answer's compression is the runtime's), no
`mf-*` (miniflare's own); heads stay within 256 KiB, where workerd answers 431 from one try to the next.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import cycle, islice

from hypothesis import strategies as st

from workers_parity.cases.model import Case
from workers_parity.http.rawrequest import RawRequest

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
EXCLUDED_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "te", "trailer"}
EXCLUDED_HEADERS |= {"upgrade", "proxy-connection", "expect", "accept-encoding"}
HEAD_LIMIT = 262_144
MEDIA_TYPES = ("application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b")
MEDIA_TYPES += ("application/json; charset=utf-8", "", "application/octet-stream", "APPLICATION/JSON")
ODD_TEXT = ("", " ", "0", "-1", "1e309", "true", "null", "é", "😀", "<b>", "a" * 300, "%", "%zz", "\\", '"', "\t")
PATH_PIECES = ("", "/", "x", "..", ".", "%2e", "%2F", "%00", "%zz", "é", "😀", "A", "?", "&", "=", "#", ";", "~")
CHUNK_SIZES = (1, 7, 100, 4096)


def seed_of(case: Case) -> RawRequest | None:
    """A case as a request to mutate; None for a raw case (its bytes are the point: nothing to mutate)."""
    if case.raw is not None:
        return None
    if case.exact is not None:
        return case.exact
    headers = tuple((name, value.encode("utf-8").decode("latin-1")) for name, value in case.headers.items())
    headers = tuple((name, value) for name, value in headers if name.lower() not in EXCLUDED_HEADERS)
    target = case.path.encode("utf-8").decode("latin-1")
    chunk = case.chunk_size if case.chunked or case.pieces is not None else None
    return RawRequest(case.method, target, headers, case.sent_body(), chunk)


def text_bytes(text: str) -> str:
    """Text as the byte string of its UTF-8 (what RawRequest sends: one code point per byte)."""
    return text.encode("utf-8").decode("latin-1")


def first_or(draw, usual, others: Sequence, rarity: int = 3):
    """`usual` most of the time (and what hypothesis shrinks toward); one of `others` one time in `rarity`."""
    if not others or draw(st.integers(0, rarity - 1)) != rarity - 1:
        return usual
    return draw(st.sampled_from(list(others)))


@st.composite
def targets(draw, seed: str, others: Sequence[str]) -> str:
    kind = draw(st.integers(0, 5))
    path, _, query = seed.partition("?")
    if kind == 0 or kind == 1 and not others:
        return seed
    if kind == 1:
        return draw(st.sampled_from(list(others)))
    if kind == 2:  # a piece added to the path
        piece = text_bytes(draw(st.sampled_from(PATH_PIECES))).replace("?", "%3F").replace("#", "%23")
        path = path.rstrip("/") + "/" + piece if draw(st.booleans()) else path + piece
        return path + (f"?{query}" if query else "")
    if kind == 3:  # the query: a parameter added, repeated or dropped
        pairs = [pair for pair in query.split("&") if pair]
        value = text_bytes(draw(st.sampled_from(ODD_TEXT))).replace("#", "%23").replace(" ", "%20")
        pairs = [*pairs, f"{draw(st.sampled_from(['x', 'id', *[p.split('=')[0] for p in pairs]]))}={value}"]
        if len(pairs) > 1 and draw(st.booleans()):
            del pairs[draw(st.integers(0, len(pairs) - 1))]
        return path + "?" + "&".join(pairs)
    if kind == 4:  # letters' case, a doubled slash, a trailing slash
        change = draw(st.sampled_from(["upper", "double", "trailing"]))
        changed = {"upper": path.upper(), "double": "/" + path, "trailing": path.rstrip("/") + "/"}[change]
        return changed + (f"?{query}" if query else "")
    return path  # the query dropped


@st.composite
def header_lists(draw, seed: tuple[tuple[str, str], ...], others: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    headers = list(seed)
    for _ in range(draw(st.integers(0, 2))):
        action = draw(st.integers(0, 5))
        if action == 0 and headers:  # one dropped
            del headers[draw(st.integers(0, len(headers) - 1))]
        elif action == 1 and headers:  # one repeated, maybe in another letter case
            name, value = draw(st.sampled_from(headers))
            headers.append((draw(st.sampled_from([name, name.upper(), name.lower()])), value))
        elif action == 2 and headers:  # one given an odd value
            index = draw(st.integers(0, len(headers) - 1))
            headers[index] = (headers[index][0], text_bytes(draw(st.sampled_from(ODD_TEXT))))
        elif action == 3 and others:  # one of another case
            headers.append(draw(st.sampled_from(list(others))))
        elif action == 4:  # the content type
            headers = [h for h in headers if h[0].lower() != "content-type"]
            media = draw(st.sampled_from(MEDIA_TYPES))
            headers += [("Content-Type", media)] if media else []
        elif action == 5:
            headers.append(("X-Fuzz", text_bytes(draw(st.sampled_from(ODD_TEXT)))))
    return headers


@st.composite
def bodies(draw, seed: bytes | None, others: Sequence[bytes]) -> bytes | None:
    kind = draw(st.integers(0, 6))
    if kind <= 1:
        return seed
    if kind == 2:
        return draw(st.sampled_from([None, b"", *others]))
    data = seed or b""
    document = _json(data)
    if kind == 3 and document is not None:
        return json.dumps(draw(json_mutations(document)), ensure_ascii=False).encode()
    if kind == 4 and data:  # truncated
        return data[: draw(st.integers(0, len(data) - 1))]
    if kind == 5:  # bytes added
        return data + draw(st.sampled_from([b"x", b"\xff", b"\x00", b"}", b"&a=1", text_bytes("é").encode("latin-1")]))
    return bytes(islice(cycle(data or b"a"), draw(st.sampled_from([1_000, 65_536, 65_537]))))  # long


@st.composite
def json_mutations(draw, document: object) -> object:
    """A key dropped, added or given another type; an array emptied or grown; a value replaced."""
    if isinstance(document, dict) and document:
        key = draw(st.sampled_from(sorted(document)))
        action = draw(st.integers(0, 2))
        if action == 0:
            return {k: v for k, v in document.items() if k != key}
        if action == 1:
            return {**document, key: draw(json_mutations(document[key]))}
        return {**document, draw(st.sampled_from(["extra", key.upper(), ""])): draw(st.sampled_from([1, "x", None]))}
    if isinstance(document, list):
        return draw(st.sampled_from([[], document * 2, [*document, None]]))
    return draw(st.sampled_from([None, True, 0, -1, 1.5, 2**53 + 1, "", "é", "a" * 1000, [], {}]))


def _json(data: bytes) -> object | None:
    try:
        return json.loads(data)
    except ValueError:
        return None


@st.composite
def requests(draw, seeds: Sequence[RawRequest]) -> RawRequest:
    """One request mutated from one of the seeds."""
    return draw(mutations(draw(st.sampled_from(list(seeds))), seeds))


@st.composite
def mutations(draw, seed: RawRequest, seeds: Sequence[RawRequest]) -> RawRequest:
    """The seed with some of its parts changed, maybe by what other seeds have."""
    others_methods = [m for m in dict.fromkeys([*(s.method for s in seeds), *METHODS]) if m != seed.method]
    method = first_or(draw, seed.method, others_methods)
    target = draw(targets(seed.target, [s.target for s in seeds if s.target != seed.target]))
    all_headers = list(dict.fromkeys(h for s in seeds for h in s.headers))
    headers = draw(header_lists(seed.headers, [h for h in all_headers if h not in seed.headers]))
    body = draw(bodies(seed.body, [s.body for s in seeds if s.body and s.body != seed.body]))
    chunk = first_or(draw, seed.chunk_size, [size for size in (None, *CHUNK_SIZES) if size != seed.chunk_size], 5)
    return RawRequest(method, target, tuple(_allowed(headers)), body, chunk if body is not None else None)


def _allowed(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [
        (name, value)
        for name, value in headers
        if name.lower() not in EXCLUDED_HEADERS and not name.lower().startswith("mf-")
    ]


def within_limits(request: RawRequest) -> bool:
    """Printable target of valid UTF-8, header values without NUL/CR/LF, a head within 256 KiB."""
    target = request.target
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in target) or not target.startswith("/"):
        return False
    try:
        target.encode("latin-1").decode("utf-8")
    except UnicodeDecodeError:
        return False
    if any(c in value for _, value in request.headers for c in "\0\r\n"):
        return False
    return len(request.head("255.255.255.255:65535")) <= HEAD_LIMIT
