"""A request the fuzzer found, written as a case of shared-tests/corpus-found.toml (the format of corpus.toml, with
`headers` as a list of pairs: workers_parity.http.rawrequest), so the differential test replays it from then on."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from workers_parity.http.rawrequest import RawRequest

HEADER = """\
# Requests the fuzzer found (shared-tests/test_fuzz.py, `nox -s fuzz`): each one made the workers disagree with each
# other or with the contract when it was found. corpus.py loads them with corpus.toml, so the differential test
# replays every one, against the oracle of expected.py and across workers. Review and commit new ones with the fix.
#
# The format is corpus.toml's, with `headers` a list of [name, value] pairs: such a request is sent exactly as
# written, over a socket (parity/rawrequest.py): the request line, `Host`, the headers in this order (a name may
# repeat), then `Content-Length` (or `Transfer-Encoding: chunked` when `chunked = true`, in pieces of `chunk_size`
# bytes) and the body. `path` and header values are byte strings: each code point U+0000-U+00FF is one byte, so
# UTF-8 text appears as its bytes ("caf\\u00c3\\u00a9"). `body` is UTF-8 text, `hex` any bytes; a long run is
# written as { prefix, repeat, times, suffix }. `note` says what diverged when the case was found.
"""
LONG_RUN = 64  # a repeated character this long is written as { repeat, times }
SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def case_id(request: RawRequest) -> str:
    """Stable for the same request: a hash of its bytes (with a fixed Host)."""
    return "found-" + hashlib.sha256(request.wire("host")).hexdigest()[:12]


def toml_case(request: RawRequest, rules: list[str], note: str, compare: str = "bytes") -> str:
    lines = [
        "[[case]]",
        f"id = {_string(case_id(request))}",
        f"rules = [{', '.join(_string(rule) for rule in rules)}]",
        f"method = {_string(request.method)}",
        f"path = {_value(request.target, byte_string=True)}",
        f"headers = [{', '.join(_header(name, value) for name, value in request.headers)}]",
    ]
    if request.body is not None:
        lines.append(_body(request.body))
    if request.chunk_size is not None:
        lines += ["chunked = true", f"chunk_size = {request.chunk_size}"]
    if compare != "bytes":
        lines.append(f"compare = {_string(compare)}")
    lines.append(f"note = {_string(note)}")
    return "\n".join(lines) + "\n"


def append(path: Path, request: RawRequest, rules: list[str], note: str, compare: str = "bytes") -> bool:
    """Add the case unless the file has it already; True when it was added."""
    existing = path.read_text(encoding="utf-8") if path.exists() else HEADER
    if f"id = {_string(case_id(request))}" in existing:
        return False
    path.write_text(existing + "\n" + toml_case(request, rules, note, compare), encoding="utf-8")
    return True


def _header(name: str, value: str) -> str:
    return f"[{_string(name, byte_string=True)}, {_value(value, byte_string=True)}]"


def _body(body: bytes) -> str:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return f'hex = "{body.hex()}"'
    return f"body = {_value(text)}"


def _value(text: str, byte_string: bool = False) -> str:
    """A TOML string, or { prefix, repeat, times, suffix } around its longest run of one character."""
    run = max(re.finditer(r"(.)\1*", text, re.DOTALL), key=lambda match: len(match.group()), default=None)
    if run is None or len(run.group()) < LONG_RUN:
        return _string(text, byte_string)
    prefix, repeat, suffix = (
        _string(part, byte_string) for part in (text[: run.start()], run.group(1), text[run.end() :])
    )
    return f"{{ prefix = {prefix}, repeat = {repeat}, times = {len(run.group())}, suffix = {suffix} }}"


def _string(text: str, byte_string: bool = False) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped (in a byte string every byte
    beyond ASCII too, so that it reads as the byte it is)."""
    return '"' + "".join(_character(character, byte_string) for character in text) + '"'


def _character(character: str, byte_string: bool) -> str:
    code = ord(character)
    if character in SHORT_ESCAPES:
        return SHORT_ESCAPES[character]
    if code < 0x20 or code == 0x7F or 0x80 <= code <= 0x9F or (byte_string and code > 0x7F):
        return f"\\u{code:04x}"
    return character
