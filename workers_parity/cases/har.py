"""`workers-parity import-har`: a browser's HAR export (HAR 1.2, "Save all as HAR") as cases, one per request in
order: method, path and query, the request headers but Host, the hop-by-hop ones, the framing and (unless asked to
keep them) cookies, and the body from postData. Anything a case could not send as the browser did is an error naming
the entry; requests that are not HTTP (data:, ws:, extensions) are left out and counted."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from workers_parity.cases import write
from workers_parity.project.config import ConfigError

DROPPED = {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "proxy-connection", "te"}
DROPPED |= {"trailer", "upgrade", "expect"}  # hop-by-hop (RFC 9110 7.6.1) or framing: the client sets them
COOKIES = {"cookie"}
TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
SLUG = re.compile(r"[^a-z0-9]+")
HEADER = "# Cases imported from {source} by `workers-parity import-har` ({count} requests, in the order sent).\n"


class HarError(ConfigError):
    """A HAR file that cannot be imported; the message names the file and the entry."""


@dataclass(frozen=True)
class Imported:
    cases: list[str]  # each case's TOML text
    skipped: int  # entries that are not HTTP requests


def import_file(har: Path, out: Path, *, keep_cookies: bool = False, replace: bool = False) -> int:
    """Write the HAR file's requests to `out` as cases; the number of cases written."""
    if out.exists() and not replace:
        raise HarError(f"{out}: exists already; choose another --out, or pass --force to replace it")
    imported = convert(_read(har), har, keep_cookies)
    text = HEADER.format(source=har.name, count=len(imported.cases)) + "\n" + "\n".join(imported.cases)
    out.write_text(text, encoding="utf-8")
    if imported.skipped:
        print(f"left out {imported.skipped} entries that are not http(s) requests (data:, ws:, extensions, ...)")
    return len(imported.cases)


def _read(har: Path) -> list:
    try:
        document = json.loads(har.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise HarError(f"{har}: no such file") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise HarError(f"{har}: not a HAR file (JSON expected: {error})") from None
    entries = document.get("log", {}).get("entries") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise HarError(f'{har}: not a HAR file (no log.entries); export it with the browser\'s "Save all as HAR"')
    return entries


def convert(entries: list, source: Path, keep_cookies: bool = False) -> Imported:
    cases, skipped = [], 0
    width = len(str(len(entries)))
    for number, entry in enumerate(entries, 1):
        request = entry.get("request") if isinstance(entry, dict) else None
        if not isinstance(request, dict):
            raise HarError(f"{source}: entry {number} has no request object")
        url = request.get("url")
        if not isinstance(url, str):
            raise HarError(f"{source}: entry {number} has no request.url")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            skipped += 1
            continue
        cases.append(_case(source, number, width, request, parts, keep_cookies))
    return Imported(cases, skipped)


def _case(source: Path, number: int, width: int, request: dict, parts, keep_cookies: bool) -> str:
    where = f"{source}: entry {number}"
    method = request.get("method")
    if not isinstance(method, str) or not TOKEN.match(method):
        raise HarError(f"{where}: method {method!r} is not an HTTP method")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if any(character in target for character in " \r\n\t") or not target.startswith("/"):
        raise HarError(f"{where}: the URL's path {target[:60]!r} cannot be sent as written; fix or remove the entry")
    headers = _headers(where, request.get("headers", []), keep_cookies)
    body = _body(where, request.get("postData"))
    case_id = f"har-{number:0{width}d}-{method.lower()}-{SLUG.sub('-', parts.path.lower()).strip('-') or 'root'}"[:80]
    note = f"{method} {parts.scheme}://{parts.netloc}{target}"[:200]
    names = [name.lower() for name, _ in headers]
    if len(set(names)) != len(names) or not all(_latin1(value) for _, value in headers):
        return _exact(where, case_id, method, target, headers, body, note)
    return write.parsed_case(case_id, method, target, headers, body, note)


def _headers(where: str, headers: object, keep_cookies: bool) -> list[tuple[str, str]]:
    if not isinstance(headers, list):
        raise HarError(f"{where}: request.headers is not a list")
    kept = []
    for header in headers:
        name, value = (header.get("name"), header.get("value")) if isinstance(header, dict) else (None, None)
        if not isinstance(name, str) or not isinstance(value, str):
            raise HarError(f"{where}: a header without a name and a value: {header!r}")
        if name.startswith(":"):  # HTTP/2 pseudo-headers: the method, path and authority are the request's own
            continue
        lowered = name.lower()
        if lowered in DROPPED or (lowered in COOKIES and not keep_cookies):
            continue
        if not TOKEN.match(name):
            raise HarError(f"{where}: header name {name!r} is not an HTTP token")
        if any(character in value for character in "\r\n\0"):
            raise HarError(f"{where}: header {name} holds a line break or NUL; a request cannot carry it")
        kept.append((name, value))
    return kept


def _body(where: str, post: object) -> bytes | None:
    if post is None:
        return None
    if not isinstance(post, dict):
        raise HarError(f"{where}: request.postData is not an object")
    text = post.get("text")
    if isinstance(text, str):
        if post.get("encoding") == "base64":
            try:
                return base64.b64decode(text, validate=True)
            except ValueError:
                raise HarError(f"{where}: postData.text is not the base64 its encoding says") from None
        return text.encode("utf-8")
    params = post.get("params")
    if isinstance(params, list):  # a form the browser gave as fields only
        return urlencode([(param.get("name", ""), param.get("value", "")) for param in params]).encode()
    return b""


def _latin1(value: str) -> bool:
    return all(ord(character) < 0x100 for character in value)


def _exact(where, case_id, method, target, headers, body, note) -> str:
    """Repeated header names, or values beyond Latin-1: the headers as exact pairs of byte strings (UTF-8)."""
    from workers_parity.http.rawrequest import RawRequest

    as_bytes = [(name, value.encode("utf-8").decode("latin-1")) for name, value in headers]
    try:
        raw = RawRequest(method, target.encode("utf-8").decode("latin-1"), tuple(as_bytes), body)
    except ValueError as error:
        raise HarError(f"{where}: {error}") from None
    return write.exact_case(raw, note, case=case_id)
