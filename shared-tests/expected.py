"""The contract's exact responses (CONTRACT.md, "Pages" and the text bodies), rendered from its templates.

Values passed in are the raw *trimmed* field values; escaping happens here, as the contract says it does in the worker.
"""

from __future__ import annotations

import json
import re

import contract_forms

from workers_parity import project
from workers_parity.http.bodies import MULTIPART, URLENCODED
from workers_parity.judge.oracle import ABSENT, Expectation

CONTRACT = "the contract"  # whose answer an Expectation is, as failure messages say
TEXT = "text/plain; charset=utf-8"
HTML = "text/html; charset=utf-8"
JSON = "application/json"

HELLO = b"Hello World from Cloudflare Workers!"
NOT_FOUND = b"Not Found"
METHOD_NOT_ALLOWED = b"Method Not Allowed"
UNSUPPORTED_MEDIA_TYPE = b"Unsupported Media Type"
PAYLOAD_TOO_LARGE = b"Payload Too Large"
INTERNAL_SERVER_ERROR = b"Internal Server Error"

NAME_REQUIRED = "Name is required."
NAME_TOO_LONG = "Name must be at most 100 characters."
MESSAGE_TOO_LONG = "Message must be at most 1000 characters."
MALFORMED = "Malformed form data."

MAX_BODY_BYTES = 65536
MAX_NAME = 100
MAX_MESSAGE = 1000

# path -> the exact `allow` header of its 405 (the routes table)
ALLOW = {
    "/": "GET, HEAD",
    "/hello": "GET, HEAD",
    "/form": "GET, HEAD, POST",
    "/counter": "GET, HEAD",
    "/status": "GET, HEAD",
}

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}


def escape(value: str) -> str:
    """The contract's escape: exactly five characters replaced, everything else written as it is."""
    return "".join(_ESCAPES.get(character, character) for character in value)


def layout(title: str, content: str) -> bytes:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n"
        "</head>\n"
        "<body>\n"
        f"{content}</body>\n"
        "</html>\n"
    ).encode()


def form_page(name: str = "", message: str = "", error: str | None = None) -> bytes:
    """P1: the form, refilled with `name` and `message`, with the error line when `error` is given."""
    error_line = f'<p class="error">{error}</p>\n' if error else ""
    content = (
        "<h1>Contact form</h1>\n"
        f'{error_line}<form method="post" action="/form">\n'
        '<p><label for="name">Name</label>\n'
        f'<input type="text" id="name" name="name" required maxlength="100" value="{escape(name)}"></p>\n'
        '<p><label for="message">Message</label>\n'
        f'<textarea id="message" name="message" maxlength="1000">{escape(message)}</textarea></p>\n'
        '<p><button type="submit">Send</button></p>\n'
        "</form>\n"
    )
    return layout("Contact form", content)


def thanks_page(name: str, message: str = "") -> bytes:
    """P2: the answer to a valid submission."""
    content = (
        f"<h1>Thanks, {escape(name)}!</h1>\n"
        f'<p class="message">{escape(message)}</p>\n'
        '<p><a href="/form">Send another message</a></p>\n'
    )
    return layout("Thanks", content)


def counter_page(count: int) -> bytes:
    """P3: the counter showing `count`."""
    content = f'<h1>Counter</h1>\n<p>Page views: <span id="count">{count}</span></p>\n'
    return layout("Counter", content)


# --- the contract's answer to a request: the oracle of every differential case ---------------------------------

# The answers a corpus case can state by name (corpus.toml `answer`); form submissions state their fields instead.
NAMED_ANSWERS = {
    "hello": (200, TEXT, HELLO),
    "not-found": (404, TEXT, NOT_FOUND),
    "method-not-allowed": (405, TEXT, METHOD_NOT_ALLOWED),
    "unsupported-media-type": (415, TEXT, UNSUPPORTED_MEDIA_TYPE),
    "payload-too-large": (413, TEXT, PAYLOAD_TOO_LARGE),
    "form-page": (200, HTML, form_page()),
    "malformed": (400, HTML, form_page(error=MALFORMED)),
    "counter": (200, HTML, None),  # the count is whatever the state holds
    "status": (200, JSON, None),  # the values are the worker's own
}
URI_TOO_LONG_AT = 65_535  # C16.1: a request target this long never reaches the worker (up to 65,000 bytes does)
# workerd's own answers, sent before any worker runs (C16): no x-worker; content-type exactly this, or none at all.
PLATFORM_ANSWERS = {
    "uri-too-long": (414, "text/plain", b"URI too long"),
    "head-too-large": (431, "text/plain", b"message head is too large"),
    "no-host": (400, None, b"Bad Request"),
    "host-unusable": (500, None, b"Internal Server Error"),
    "bad-version": (400, "text/plain", b"invalid HTTP version parsed"),
    "not-http": (400, "text/plain", b"invalid HTTP method parsed"),
    "bad-content-length": (400, "text/plain", b"invalid content-length parsed"),
}
GET_ANSWERS = {"/": "hello", "/hello": "hello", "/form": "form-page", "/counter": "counter", "/status": "status"}
DOT_SEGMENTS, DOUBLE_DOT_SEGMENTS = {".", "%2e"}, {"..", ".%2e", "%2e.", "%2e%2e"}


def route(target: str) -> str:
    """The path a WHATWG URL parser makes of a request target (CONTRACT.md conventions): no query and no fragment
    (the path ends at the first `?` or `#`), `\\` as `/`, dot segments (also percent-encoded) resolved;
    percent-escapes otherwise kept."""
    segments, resolved = re.split("[?#]", target, maxsplit=1)[0].replace("\\", "/").split("/")[1:], []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment.lower() in DOUBLE_DOT_SEGMENTS:
            resolved = resolved[:-1] + ([""] if last else [])
        elif segment.lower() in DOT_SEGMENTS:
            resolved += [""] if last else []
        else:
            resolved.append(segment)
    return "/" + "/".join(resolved)


def outcome(method: str, target: str, headers: dict[str, str], body: bytes | None) -> str | dict[str, str]:
    """What the contract answers, as corpus.toml's `answer` writes it: a named answer, or the parsed fields of a form
    post ({"name": ..., "message": ...}, a missing field left out); HEAD is answered as GET (C10.1)."""
    if len(target.encode()) >= URI_TOO_LONG_AT:
        return "uri-too-long"
    path = route(target)
    if path not in ALLOW:
        return "not-found"
    if method not in ALLOW[path].split(", "):
        return "method-not-allowed"
    if method == "POST":
        return submission_outcome({key.lower(): value for key, value in headers.items()}, body or b"")
    return GET_ANSWERS[path]


def submission_outcome(headers: dict[str, str], body: bytes) -> str | dict[str, str]:
    """POST /form, in the order of C4's steps (the body size is its length, declared or chunked alike)."""
    if len(body) > MAX_BODY_BYTES:
        return "payload-too-large"
    content_type = headers.get("content-type", "")
    kind = contract_forms.media_type(content_type)
    if kind == URLENCODED:
        fields = contract_forms.urlencoded_fields(body)
    elif kind == MULTIPART:
        try:
            fields = contract_forms.multipart_fields(body, content_type)
        except contract_forms.Malformed:
            return "malformed"
    else:
        return "unsupported-media-type"
    first: dict[str, str] = {}
    for name, value in fields:
        if name in ("name", "message"):
            first.setdefault(name, value)  # C4.5: the first value wins
    return first


def submission_answer(fields: dict[str, str]) -> tuple[int, bytes]:
    """C4.5-C5.3: the first values, trimmed and validated."""
    name, message = (contract_forms.trim(fields.get(field, "")) for field in ("name", "message"))
    if not name:
        return 400, form_page(name, message, NAME_REQUIRED)
    if len(name) > MAX_NAME:
        return 400, form_page(name, message, NAME_TOO_LONG)
    if len(message) > MAX_MESSAGE:
        return 400, form_page(name, message, MESSAGE_TOO_LONG)
    return 200, thanks_page(name, message)


def expectation(answer: str | dict[str, str], method: str, target: str, worker: str) -> Expectation:
    """The exact answer `worker` must give (C1 x-worker, C8.3 cache-control, C12 allow, C10 HEAD)."""
    if isinstance(answer, str) and answer in PLATFORM_ANSWERS:
        return platform_expectation(answer)
    if isinstance(answer, dict):
        status, body = submission_answer(answer)
        content_type, summary = HTML, f"{status} for the fields {answer!r}"
    else:
        status, content_type, body = NAMED_ANSWERS[answer]
        summary = f"{status} {answer}"
    headers = {"content-type": (content_type,), "x-worker": (worker,)}
    check = None
    if answer == "method-not-allowed":
        headers["allow"] = (ALLOW[route(target)],)
    elif answer == "counter":
        headers["cache-control"] = ("no-store",)
        check = counter_check
    elif answer == "status":
        check = lambda data: status_check(data, worker)  # noqa: E731 (the check needs the worker's name)
    if method == "HEAD":  # C10.3: the GET body's length, when the oracle knows it exactly
        lengths = (ABSENT, str(len(body))) if body is not None else None
        return Expectation(status, headers, b"", None, lengths, f"{summary}, empty body (HEAD)", CONTRACT)
    return Expectation(status, headers, body, check, None, summary, CONTRACT)


def platform_expectation(answer: str) -> Expectation:
    status, content_type, body = PLATFORM_ANSWERS[answer]
    headers = {"content-type": (content_type,)} if content_type else {}
    return Expectation(status, headers, body, None, None, f"{status} {answer} (workerd's own answer, C16)", CONTRACT)


COUNT = re.compile(rb'<span id="count">([1-9][0-9]*)</span>')


def counter_check(body: bytes) -> str | None:
    """P3 with any count of at least 1 (the count depends on the state, C14.2)."""
    count = COUNT.search(body)
    if count is None or body != counter_page(int(count.group(1))):
        return f"not the counter page: {body[:80]!r}"
    return None


def status_check(body: bytes, worker: str) -> str | None:
    """C9: the keys in order, compact, the worker's own name and language, a runtime, d1 true."""
    try:
        report = json.loads(body)
    except ValueError:
        return f"not JSON: {body[:80]!r}"
    python = project.get(worker).is_python
    expected_version = str if python else type(None)
    problems = [
        list(report) != ["worker", "language", "runtime", "python_version", "d1"] and "keys",
        report.get("worker") != worker and "worker",
        report.get("language") != ("python" if python else "javascript") and "language",
        not (isinstance(report.get("runtime"), str) and report["runtime"]) and "runtime",
        not isinstance(report.get("python_version"), expected_version) and "python_version",
        report.get("d1") is not True and "d1",
        json.dumps(report, separators=(",", ":"), ensure_ascii=False).encode() != body and "compact form",
    ]
    wrong = [problem for problem in problems if problem]
    return f"/status {', '.join(wrong)} not as C9 says: {body!r}" if wrong else None
