"""The differential test's request corpus, kept as data in shared-tests/corpus.toml (format described there), and
the cases the fuzzer found, in shared-tests/corpus-found.toml (same format)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import requests

from workers_parity import project
from workers_parity.http import bodies, client, rawhttp
from workers_parity.http.rawrequest import RawRequest

DEFAULT_BOUNDARY = "parity-boundary-7d3f"
DEFAULT_CHUNK_SIZE = 4096
SIZED_FIELDS = (("name", "Ada"), ("message", "sized"))  # a `size` case: a valid submission, padded
COMPARE_MODES = ("bytes", "counter-value", "status-values")
# The answers a case can state by name in `expect` (shared-tests/expected.py renders them); or a table of fields.
ANSWER_NAMES = (
    "hello",
    "not-found",
    "method-not-allowed",
    "unsupported-media-type",
    "payload-too-large",
    "form-page",
    "malformed",
    "counter",
    "status",
    # workerd's own answers to requests that never reach a worker (CONTRACT.md C16), for raw cases
    "uri-too-long",
    "head-too-large",
    "no-host",
    "host-unusable",
    "bad-version",
    "not-http",
    "bad-content-length",
)
FIELD_NAMES = ("name", "message")
BODY_SOURCES = ("body", "hex", "form", "multipart", "chunks", "size")
CASE_KEYS = {
    "id",
    "rules",
    "method",
    "path",
    "headers",
    "compare",
    "note",
    "boundary",
    "chunked",
    "chunk_size",
    "fill",
    "expect",
    "raw",
    *BODY_SOURCES,
}
RAW_EXCLUDES = CASE_KEYS - {"id", "rules", "compare", "note", "raw", "expect"}  # a raw request is given whole
PART_KEYS = {"name", "value", "value_hex", "filename", "content_type", "headers"}
RULE_ID = re.compile(r"^C\d+(\.\d+)?$")


class CorpusError(ValueError):
    """The corpus file is not what its header comment describes."""


@dataclass(frozen=True)
class Case:
    id: str
    rules: tuple[str, ...]
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    chunked: bool = False
    chunk_size: int = DEFAULT_CHUNK_SIZE
    compare: str = "bytes"
    note: str = ""
    pieces: tuple[bytes, ...] | None = field(default=None, repr=False)  # explicit chunks, when given
    expect: str | dict[str, str] | None = None  # the contract's answer as the case states it (None: derived)
    raw: bytes | None = field(default=None, repr=False)  # the whole request as sent, `{host}` filled in
    exact: RawRequest | None = field(default=None, repr=False)  # headers given as pairs: sent exactly, parsed

    def send(self, base_url: str, session: requests.Session | None = None) -> client.Reply:
        """Send the case (in `session`, the worker's, if given); a raw case is sent as written, which requests
        cannot do (malformed framing, HTTP/1.0, repeated headers)."""
        if self.exact is not None:  # headers given as pairs (repeated, in order): requests would merge them
            return self.exact.send(base_url)
        if self.raw is not None:
            return rawhttp.exchange(base_url, self.raw)
        body, headers = self.wire_body(), dict(self.headers)
        return client.request(base_url, self.method, self.path, body=body, headers=headers, session=session)

    def wire_body(self) -> bytes | list[bytes] | None:
        """The body as the client sends it: bytes with a content-length, or a list of chunks."""
        if self.pieces is not None:
            return list(self.pieces)
        if self.chunked:
            data = self.body or b""
            return [data[start : start + self.chunk_size] for start in range(0, len(data), self.chunk_size)]
        return self.body

    def sent_body(self) -> bytes | None:
        """All the body bytes sent, however they are framed."""
        return b"".join(self.pieces) if self.pieces is not None else self.body

    def describe(self) -> str:
        """A one-line summary of the request, for failure messages."""
        if self.exact is not None:
            return self.exact.describe()
        if self.raw is not None:
            line = self.raw.split(b"\r\n", 1)[0]
            line = line if len(line) <= 120 else line[:100] + b"..."
            return f"raw request {line!r} ({len(self.raw)} bytes)"
        path = self.path if len(self.path) <= 120 else f"{self.path[:100]}… ({len(self.path)} characters)"
        content_type = _header(self.headers, "content-type")
        kind = f", content-type {content_type!r}" if content_type is not None else ""
        if self.pieces is None and self.body is None:
            return f"{self.method} {path} (no body{kind})"
        size = sum(map(len, self.pieces)) if self.pieces is not None else len(self.body)
        framing = " chunked" if self.pieces is not None or self.chunked else ""
        return f"{self.method} {path} ({size}-byte{framing} body{kind})"


def case_files() -> tuple[Path, ...]:
    """The project's case files (its config's `cases`), then the fuzzer's found cases when that file exists."""
    settings = project.current().config
    found = found_path()
    return (*settings.cases, *((found,) if found.exists() and found not in settings.cases else ()))


def found_path() -> Path:
    """Where the fuzzer appends what it finds: the config's `found_cases`, else parity-found.toml beside it."""
    settings = project.current().config
    return settings.found_cases or settings.root / "parity-found.toml"


def load(*paths: Path) -> list[Case]:
    """The cases of the given files, by default the project's case files and the cases the fuzzer found (when that
    file exists)."""
    paths = paths or case_files()
    cases = []
    for path in paths:
        with path.open("rb") as source:
            cases += [build_case(entry) for entry in tomllib.load(source).get("case", [])]
    ids = [case.id for case in cases]
    duplicates = sorted({case_id for case_id in ids if ids.count(case_id) > 1})
    if duplicates:
        raise CorpusError(f"{', '.join(map(str, paths))}: duplicate case ids: {', '.join(duplicates)}")
    return cases


def build_case(entry: dict) -> Case:
    case_id = entry.get("id") or "<no id>"
    unknown = set(entry) - CASE_KEYS
    if unknown:
        raise CorpusError(f"case {case_id}: unknown keys {sorted(unknown)}")
    rules = tuple(entry.get("rules", ()))
    if not rules or not all(RULE_ID.match(rule) for rule in rules):
        raise CorpusError(f"case {case_id}: rules must be contract ids such as C4 or C4.3, got {rules!r}")
    compare = entry.get("compare", "bytes")
    if compare not in COMPARE_MODES:
        raise CorpusError(f"case {case_id}: compare must be one of {COMPARE_MODES}, got {compare!r}")
    sources = [key for key in BODY_SOURCES if key in entry]
    if len(sources) > 1:
        raise CorpusError(f"case {case_id}: give the body one way only, not {sources}")
    if "raw" in entry:
        return _raw_case(case_id, rules, compare, entry)
    body, default_type = _body(entry, sources[0] if sources else None)
    if isinstance(entry.get("headers"), list):
        return _exact_case(case_id, rules, compare, entry, body)
    headers = {name: expand(value) for name, value in entry.get("headers", {}).items()}
    if default_type and _header(headers, "content-type") is None:
        headers["content-type"] = default_type
    pieces = tuple(piece.encode() for piece in entry["chunks"]) if "chunks" in entry else None
    return Case(
        case_id,
        rules,
        entry.get("method", "GET"),
        expand(entry.get("path", "/")),
        headers,
        body,
        chunked=entry.get("chunked", False),
        chunk_size=entry.get("chunk_size", DEFAULT_CHUNK_SIZE),
        compare=compare,
        note=entry.get("note", ""),
        pieces=pieces,
        expect=_expect(case_id, entry.get("expect")),
    )


EXACT_KEYS = CASE_KEYS - {"boundary", "fill", "form", "multipart", "chunks", "size", "raw"}  # bytes given as such


def _exact_case(case_id: str, rules: tuple[str, ...], compare: str, entry: dict, body: bytes | None) -> Case:
    """Headers as a list of [name, value] pairs: the request is sent exactly as written (http.rawrequest), and
    parsed, so the oracle derives its answer."""
    unknown = set(entry) - EXACT_KEYS
    if unknown:
        raise CorpusError(f"case {case_id}: with headers as pairs, the body is `body` or `hex`; not {sorted(unknown)}")
    try:
        raw = RawRequest(
            entry.get("method", "GET"),
            expand(entry.get("path", "/")),
            tuple((name, expand(value)) for name, value in entry["headers"]),
            body,
            entry.get("chunk_size", DEFAULT_CHUNK_SIZE) if entry.get("chunked") else None,
        )
        raw.head("host")  # byte strings only
    except (ValueError, UnicodeEncodeError) as error:
        raise CorpusError(f"case {case_id}: {error}") from None
    headers = raw.seen_headers()
    return Case(
        case_id,
        rules,
        raw.method,
        raw.target_text(),
        headers,
        body,
        raw.chunk_size is not None,
        compare=compare,
        note=entry.get("note", ""),
        expect=_expect(case_id, entry.get("expect")),
        exact=raw,
    )


def _expect(case_id: str, stated: str | dict | None) -> str | dict[str, str] | None:
    """A named answer, or {name, message}: the fields the body parses to (a missing key: that field is missing)."""
    if stated is None or stated in ANSWER_NAMES:
        return stated
    if isinstance(stated, dict) and set(stated) <= set(FIELD_NAMES):  # {}: no field at all
        return {key: expand(value) for key, value in stated.items()}
    raise CorpusError(f"case {case_id}: expect must be one of {ANSWER_NAMES} or a table of {FIELD_NAMES}")


def _raw_case(case_id: str, rules: tuple[str, ...], compare: str, entry: dict) -> Case:
    extra = sorted(set(entry) & RAW_EXCLUDES)
    if extra:
        raise CorpusError(f"case {case_id}: a raw request is given whole, without {extra}")
    if "expect" not in entry:  # the oracle derives answers from parsed requests; a raw one states its answer
        raise CorpusError(f"case {case_id}: a raw request states the contract's answer with `expect`")
    raw = expand(entry["raw"]).encode()
    method, _, rest = raw.partition(b" ")
    return Case(
        case_id,
        rules,
        method.decode("latin-1"),
        rest.split(b" ", 1)[0].decode("latin-1"),
        {},
        None,
        compare=compare,
        note=entry.get("note", ""),
        raw=raw,
        expect=_expect(case_id, entry["expect"]),
    )


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name), None)


def _body(entry: dict, source: str | None) -> tuple[bytes | None, str | None]:
    """The body bytes and the content type they imply (None: none implied)."""
    boundary = entry.get("boundary", DEFAULT_BOUNDARY)
    match source:
        case None | "chunks":
            return None, None
        case "body":
            return expand(entry["body"]).encode(), None
        case "hex":
            return bytes.fromhex(entry["hex"]), None
        case "form":
            return form_body(entry["form"]), bodies.URLENCODED
        case "multipart":
            parts = [_part(entry["id"], part) for part in entry["multipart"]]
            return bodies.multipart(parts, boundary), bodies.multipart_type(boundary)
        case "size":
            fill = entry.get("fill", "urlencoded")
            if fill not in bodies.ENCODINGS:
                raise CorpusError(f"case {entry['id']}: fill must be urlencoded or multipart, got {fill!r}")
            return bodies.sized_form(fill, SIZED_FIELDS, entry["size"], boundary, ("padding", "a"))


def expand(value: str | dict) -> str:
    """A value as written in the corpus: a string, or {prefix, repeat, times, suffix} for long generated ones."""
    if isinstance(value, str):
        return value
    return value.get("prefix", "") + value["repeat"] * value["times"] + value.get("suffix", "")


def form_body(form: str | list) -> bytes:
    """A string is the percent-encoded body as is; a list of [name, value] pairs is encoded here (UTF-8)."""
    if isinstance(form, str):
        return form.encode()
    return bodies.urlencoded((expand(name), expand(value)) for name, value in form)


def _part(case_id: str, spec: dict) -> bytes:
    unknown = set(spec) - PART_KEYS
    if unknown:
        raise CorpusError(f"case {case_id}: unknown multipart part keys {sorted(unknown)}")
    data = bytes.fromhex(spec["value_hex"]) if "value_hex" in spec else expand(spec.get("value", "")).encode()
    if "headers" in spec:
        return bodies.headed_part(spec["headers"], data)
    return bodies.part(spec["name"], data, filename=spec.get("filename"), content_type=spec.get("content_type"))
