"""Case files read into cases. The format is documented for users in docs/reference.md ("Cases"); anything else in
a case file — an unknown key, a bad regex, a body given two ways — is an error naming the file, the line and the fix.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from workers_parity.cases.model import DEFAULT_CHUNK_SIZE, Case, Source, header
from workers_parity.http import bodies
from workers_parity.http.rawrequest import RawRequest
from workers_parity.judge.expect import ExpectError, expect_from
from workers_parity.judge.masks import Mask, MaskError, mask_from
from workers_parity.project.config import ConfigError

DEFAULT_BOUNDARY = "parity-boundary-7d3f"
PAD_FIELD = ("padding", "a")  # pad_to fills a form with this field: an ASCII letter takes one byte either way
BODY_SOURCES = ("body", "hex", "form", "multipart", "chunks")
CASE_KEYS = {"id", "method", "path", "headers", "note", "boundary", "chunked", "chunk_size", "pad_to", "expect", "mask"}
CASE_KEYS |= {"raw", *BODY_SOURCES}
RAW_KEYS = {"id", "note", "raw", "expect", "mask"}  # a raw request is given whole
EXACT_KEYS = CASE_KEYS - {"boundary", "form", "multipart", "chunks", "pad_to", "raw"}  # bytes given as such
PART_KEYS = {"name", "value", "value_hex", "filename", "content_type", "headers"}
LONG_KEYS = {"prefix", "repeat", "times", "suffix"}
METHOD = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")  # an HTTP token
REFERENCE = "docs/reference.md"
CaseCheck = Callable[[Case], None]  # a plug-in's check of its own keys; raises ValueError


class CaseError(ConfigError):
    """A case file that cannot be used; the message names the file, the line and what to do."""


@dataclass(frozen=True)
class _Where:
    """One case's place in its file: its [[case]] line, and the lines up to the next one."""

    path: Path
    lines: list[str]
    start: int  # 1-based line of the [[case]] header
    end: int  # first line after the case
    case_id: str = "?"

    def line_of(self, key: str) -> int:
        pattern = re.compile(rf'^\s*(\[\[?\s*case\.)?["\']?{re.escape(key)}["\']?\s*[.=\]]')
        for number in range(self.start, self.end):
            if pattern.search(self.lines[number - 1]):
                return number
        return self.start

    def error(self, problem: str, key: str | None = None) -> CaseError:
        line = self.line_of(key) if key else self.start
        return CaseError(f"{self.path}:{line}: case {self.case_id!r}: {problem}")


def load(paths: Iterable[Path], extra_keys: frozenset[str] = frozenset(), check: CaseCheck | None = None) -> list[Case]:
    """Every case of the files, in file order; ids are unique across them. `extra_keys` are keys a plug-in adds to the
    format, `check` its check of a case that has them."""
    cases: list[Case] = []
    for path in paths:
        cases += load_file(path, extra_keys, check)
    _check_unique(cases)
    return cases


def load_file(path: Path, extra_keys: frozenset[str] = frozenset(), check: CaseCheck | None = None) -> list[Case]:
    text = _read(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CaseError(f"{path}: not valid TOML ({error}); fix the line it names") from None
    lines = text.splitlines()
    unknown = sorted(set(data) - {"case"})
    if unknown:
        line = _top_level_line(lines, unknown[0])
        raise CaseError(f"{path}:{line}: unknown key {unknown[0]!r}: a case file holds [[case]] tables only")
    entries = data.get("case", [])
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise CaseError(f"{path}: `case` must be an array of tables, written [[case]]")
    starts = _case_lines(lines)
    if len(starts) != len(entries):  # written as `case = [...]`: no lines to name, but still usable
        starts = [1] * len(entries)
    ends = [*starts[1:], len(lines) + 1]
    return [
        build(entry, _Where(path, lines, start, end), extra_keys, check)
        for entry, start, end in zip(entries, starts, ends, strict=True)
    ]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CaseError(f"{path}: no such case file; create it, or fix the path in the config's `cases`") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CaseError(f"{path}: cannot be read ({error})") from None


def _case_lines(lines: list[str]) -> list[int]:
    header_line = re.compile(r"^\s*\[\[\s*case\s*\]\]")
    return [number for number, line in enumerate(lines, 1) if header_line.match(line)]


def _top_level_line(lines: list[str], key: str) -> int:
    pattern = re.compile(rf"^\s*\[*\s*{re.escape(key)}\b")
    return next((number for number, line in enumerate(lines, 1) if pattern.match(line)), 1)


def _check_unique(cases: list[Case]) -> None:
    seen: dict[str, Case] = {}
    for case in cases:
        if case.id in seen:
            raise CaseError(
                f"{case.source}: case id {case.id!r} is used twice (first at {seen[case.id].source}); "
                "give each case its own id"
            )
        seen[case.id] = case


def build(entry: dict, where: _Where, extra_keys: frozenset[str] = frozenset(), check: CaseCheck | None = None) -> Case:
    case_id = entry.get("id")
    if not isinstance(case_id, str) or not case_id:
        raise where.error('every case needs an id = "…", unique across the case files', "id")
    where = _Where(where.path, where.lines, where.start, where.end, case_id)
    unknown = sorted(set(entry) - CASE_KEYS - extra_keys)
    if unknown:
        known = ", ".join(sorted(CASE_KEYS | extra_keys))
        raise where.error(f"unknown key {unknown[0]!r} (known: {known}; see {REFERENCE})", unknown[0])
    sources = [key for key in BODY_SOURCES if key in entry]
    if len(sources) > 1:
        raise where.error(f"give the body one way only, not {' and '.join(sources)}", sources[1])
    fields = {
        "expect": _expect(entry, where),
        "masks": _masks(entry, where),
        "note": _typed(entry, "note", str, where, ""),
        "extra": {key: entry[key] for key in extra_keys if key in entry},
        "source": Source(where.path, where.start),
    }
    if "raw" in entry:
        case = _raw_case(entry, where, fields)
    elif isinstance(entry.get("headers"), list):
        case = _exact_case(entry, where, fields)
    else:
        case = _parsed_case(entry, where, fields, sources[0] if sources else None)
    if check is not None:
        try:
            check(case)
        except ValueError as error:
            raise where.error(str(error), next(iter(fields["extra"]), None)) from None
    return case


def _parsed_case(entry: dict, where: _Where, fields: dict, source: str | None) -> Case:
    body, default_type = _body(entry, where, source)
    headers_table = _typed(entry, "headers", dict, where, {})
    headers = {str(name): _text(value, where, "headers") for name, value in headers_table.items()}
    if default_type and header(headers, "content-type") is None:
        headers["content-type"] = default_type
    pieces = tuple(_text(piece, where, "chunks").encode() for piece in entry["chunks"]) if source == "chunks" else None
    return Case(
        entry["id"],
        _method(entry, where),
        _path(entry, where),
        headers,
        body,
        chunked=_typed(entry, "chunked", bool, where, False),
        chunk_size=_chunk_size(entry, where),
        pieces=pieces,
        **fields,
    )


def _exact_case(entry: dict, where: _Where, fields: dict) -> Case:
    """Headers as a list of [name, value] pairs: the request is sent exactly as written (http.rawrequest)."""
    extra = sorted(set(entry) - EXACT_KEYS - set(fields["extra"]))
    if extra:
        raise where.error(f"with headers as [name, value] pairs, the body is `body` or `hex`, not {extra[0]}", extra[0])
    body, _ = _body(entry, where, next((key for key in ("body", "hex") if key in entry), None))
    pairs = entry["headers"]
    if not all(isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str) for pair in pairs):
        raise where.error('headers as pairs are written [["name", "value"], …]', "headers")
    try:
        raw = RawRequest(
            _method(entry, where),
            _path(entry, where),
            tuple((name, _text(value, where, "headers")) for name, value in pairs),
            body,
            _chunk_size(entry, where) if _typed(entry, "chunked", bool, where, False) else None,
        )
        raw.head("host")  # byte strings only
    except UnicodeEncodeError as error:
        raise where.error(
            f"{error}: with headers as pairs, path and values are byte strings (U+0000-U+00FF)", "path"
        ) from None
    except ValueError as error:
        raise where.error(str(error), "headers") from None
    return Case(
        entry["id"], raw.method, raw.target_text(), raw.seen_headers(), body, raw.chunk_size is not None,
        chunk_size=raw.chunk_size or DEFAULT_CHUNK_SIZE, exact=raw, **fields,
    )  # fmt: skip


def _raw_case(entry: dict, where: _Where, fields: dict) -> Case:
    extra = sorted(set(entry) - RAW_KEYS - set(fields["extra"]))
    if extra:
        raise where.error(f"a raw request is given whole, without {extra[0]}", extra[0])
    raw = _text(entry["raw"], where, "raw").encode()
    method, _, rest = raw.partition(b" ")
    path = rest.split(b" ", 1)[0].decode("latin-1")
    return Case(entry["id"], method.decode("latin-1"), path, {}, None, raw=raw, **fields)


def _expect(entry: dict, where: _Where):
    if "expect" not in entry:
        return None
    try:
        return expect_from(entry["expect"])
    except ExpectError as error:
        raise where.error(str(error), "expect") from None


def _masks(entry: dict, where: _Where) -> tuple[Mask, ...]:
    written = entry.get("mask", [])
    written = [written] if isinstance(written, dict) else written
    if not isinstance(written, list):
        raise where.error('mask is a list of tables: mask = [{ header = "date" }]', "mask")
    label = f"{where.path.name}:{where.start} (case {where.case_id})"
    try:
        return tuple(mask_from(item, label) for item in written)
    except MaskError as error:
        raise where.error(str(error), "mask") from None


def _typed(entry: dict, key: str, kind: type, where: _Where, default):
    value = entry.get(key, default)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = {str: "a string", bool: "true or false", int: "a whole number", dict: "a table", list: "a list"}
        raise where.error(f"{key} must be {names[kind]}, not {value!r}", key)
    return value


def _method(entry: dict, where: _Where) -> str:
    method = _typed(entry, "method", str, where, "GET")
    if not METHOD.match(method):
        raise where.error(f"method {method!r} is not an HTTP method (a token, such as GET or PURGE)", "method")
    return method


def _path(entry: dict, where: _Where) -> str:
    path = _text(entry.get("path", "/"), where, "path")
    if not path.startswith("/") and not path.startswith("*") and "://" not in path:
        raise where.error(f"path {path[:40]!r} must start with / (the request target as sent)", "path")
    return path


def _chunk_size(entry: dict, where: _Where) -> int:
    size = _typed(entry, "chunk_size", int, where, DEFAULT_CHUNK_SIZE)
    if size < 1:
        raise where.error(f"chunk_size must be at least 1, not {size}", "chunk_size")
    return size


def _text(value: object, where: _Where, key: str) -> str:
    """A value as written: a string, or { prefix, repeat, times, suffix } for a long generated one."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) <= LONG_KEYS and {"repeat", "times"} <= set(value):
        parts = [value.get("prefix", ""), value["repeat"], value.get("suffix", "")]
        times = value["times"]
        if all(isinstance(part, str) for part in parts) and isinstance(times, int) and 0 <= times <= 10_000_000:
            return parts[0] + parts[1] * times + parts[2]
    raise where.error(
        f"{key}: {value!r} is neither a string nor {{ prefix, repeat, times, suffix }} (a long generated value)", key
    )


def _body(entry: dict, where: _Where, source: str | None) -> tuple[bytes | None, str | None]:
    """The body bytes and the content type they imply (None: none implied)."""
    boundary = _typed(entry, "boundary", str, where, DEFAULT_BOUNDARY)
    if "pad_to" in entry and source not in ("form", "multipart"):
        raise where.error("pad_to pads a form: give the fields with form = [[…]] or multipart = [{…}]", "pad_to")
    match source:
        case None | "chunks":
            return None, None
        case "body":
            return _text(entry["body"], where, "body").encode(), None
        case "hex":
            try:
                return bytes.fromhex(_typed(entry, "hex", str, where, "")), None
            except ValueError:
                raise where.error('hex must be pairs of hex digits, such as "6e616d65"', "hex") from None
        case "form":
            return _form(entry, where, boundary)
        case "multipart":
            return _multipart(entry, where, boundary)


def _form(entry: dict, where: _Where, boundary: str) -> tuple[bytes, str]:
    form = entry["form"]
    if isinstance(form, str):
        if "pad_to" in entry:
            raise where.error("pad_to needs the form's fields as [[name, value], …], not an encoded string", "pad_to")
        return form.encode(), bodies.URLENCODED
    if not isinstance(form, list) or not all(isinstance(pair, list) and len(pair) == 2 for pair in form):
        raise where.error('form is "a=1&b=2" as sent, or fields [["name", "value"], …]', "form")
    fields = [(_text(name, where, "form"), _text(value, where, "form")) for name, value in form]
    if "pad_to" in entry:
        return _padded(entry, where, "urlencoded", fields, boundary)
    return bodies.urlencoded(fields), bodies.URLENCODED


def _multipart(entry: dict, where: _Where, boundary: str) -> tuple[bytes, str]:
    parts = entry["multipart"]
    if not isinstance(parts, list) or not all(isinstance(part, dict) for part in parts):
        raise where.error('multipart is a list of parts: [{ name = "a", value = "1" }, …]', "multipart")
    if "pad_to" in entry:
        plain = [(_text(part.get("name"), where, "multipart"), _text(part.get("value", ""), where, "multipart"))
                 for part in parts if set(part) <= {"name", "value"}]  # fmt: skip
        if len(plain) != len(parts):
            raise where.error("pad_to pads parts of name and value only", "pad_to")
        return _padded(entry, where, "multipart", plain, boundary)
    return bodies.multipart([_part(where, part) for part in parts], boundary), bodies.multipart_type(boundary)


def _padded(entry: dict, where: _Where, encoding: str, fields: list, boundary: str) -> tuple[bytes, str]:
    size = _typed(entry, "pad_to", int, where, 0)
    body, content_type = bodies.sized_form(encoding, fields, size, boundary, PAD_FIELD)
    if len(body) != size:
        raise where.error(f"the fields alone take {len(body)} bytes, more than pad_to = {size}", "pad_to")
    return body, content_type


def _part(where: _Where, spec: dict) -> bytes:
    unknown = sorted(set(spec) - PART_KEYS)
    if unknown:
        raise where.error(
            f"unknown multipart part key {unknown[0]!r} (known: {', '.join(sorted(PART_KEYS))})", "multipart"
        )
    if "value_hex" in spec:
        data = bytes.fromhex(spec["value_hex"])
    else:
        data = _text(spec.get("value", ""), where, "multipart").encode()
    if "headers" in spec:
        return bodies.headed_part(spec["headers"], data)
    if not isinstance(spec.get("name"), str):
        raise where.error('a multipart part needs a name (or its own headers = ["…"])', "multipart")
    return bodies.part(spec["name"], data, filename=spec.get("filename"), content_type=spec.get("content_type"))
