"""py-worker-minimal: the web app of shared-tests/CONTRACT.md with only the Workers SDK and the standard library.

Rule ids (C1…C16) in the comments refer to that document.
"""

import json
import logging
import platform
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import js
from workers import Request, Response, WorkerEntrypoint

import forms
import pages
import submission

WORKER_NAME = "py-worker-minimal"

TEXT = "text/plain; charset=utf-8"
HTML = "text/html; charset=utf-8"
JSON = "application/json"
NO_STORE = {"cache-control": "no-store"}

COUNTER_SQL = (
    "INSERT INTO page_views (page, count) VALUES ('counter', 1) "
    "ON CONFLICT (page) DO UPDATE SET count = count + 1 RETURNING count"
)

logger = logging.getLogger(WORKER_NAME)


@dataclass(frozen=True)
class Reply:
    """What a handler answers; turned into a Response in one place, so every response names the worker (C1)."""

    status: int
    body: str
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


def text(status: int, body: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, body, TEXT, headers or {})


def html(status: int, body: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, body, HTML, headers or {})


Handler = Callable[[Request, Any], Awaitable[Reply]]  # (request, env)


class Default(WorkerEntrypoint):
    async def fetch(self, request: Request) -> Response:
        # The raw method string: the SDK's request.method is an HTTPMethod enum, which has no member for
        # methods such as PURGE that the runtime may pass through.
        method = request.js_object.method
        try:
            reply = await dispatch(request, method, self.env)
        except Exception:
            logger.exception("Unhandled error")
            reply = text(500, "Internal Server Error")  # C13
        return to_response(reply, head=method == "HEAD")


def to_response(reply: Reply, *, head: bool) -> Response:
    headers = {"content-type": reply.content_type, **reply.headers, "x-worker": WORKER_NAME}
    return Response(None if head else reply.body, status=reply.status, headers=headers)  # C10: HEAD has no body


async def dispatch(request: Request, method: str, env: Any) -> Reply:
    """C11, C12: the path alone picks the route (never the query string), then the method."""
    methods = ROUTES.get(urlsplit(request.url).path)
    if methods is None:
        return text(404, "Not Found")
    handler = methods.get(method) or (methods.get("GET") if method == "HEAD" else None)
    if handler is None:
        return text(405, "Method Not Allowed", {"allow": allowed_methods(methods)})
    return await handler(request, env)


def allowed_methods(methods: dict[str, Handler]) -> str:
    return ", ".join(dict.fromkeys(["GET", "HEAD", *methods]))


async def hello(request: Request, env: Any) -> Reply:
    return text(200, "Hello World from Cloudflare Workers!")  # C2


async def show_form(request: Request, env: Any) -> Reply:
    return html(200, pages.form_page())  # C3


async def submit_form(request: Request, env: Any) -> Reply:
    """C4-C7, in the order of CONTRACT.md's POST /form steps."""
    body = await read_body_within(request, submission.MAX_BODY_BYTES)
    if body is None:
        return text(413, "Payload Too Large")

    content_type = raw_header(request, "content-type") or ""
    kind = submission.media_type(content_type)
    if kind == submission.URLENCODED:
        fields = submission.urlencoded_fields(body)
    elif kind == submission.MULTIPART:
        fields = await forms.multipart_fields(body, content_type)
        if fields is None:
            return html(400, pages.form_page(error="Malformed form data."))
    else:
        return text(415, "Unsupported Media Type")

    name = submission.trim(submission.first_value(fields, "name"))
    message = submission.trim(submission.first_value(fields, "message"))
    error = submission.validation_error(name, message)
    if error:
        return html(400, pages.form_page(name, message, error))
    return html(200, pages.thanks_page(name, message))


def raw_header(request: Request, name: str) -> str | None:
    """The header as the runtime has it. The SDK's request.headers applies str.strip(), which also removes U+000B,
    U+001C and more that is not ASCII whitespace (C4.2 trims ASCII whitespace only)."""
    value = request.js_object.headers.get(name)
    return value if isinstance(value, str) else None  # JS null when absent


async def read_body_within(request: Request, limit: int) -> bytes | None:
    """The body's bytes, or None when it exceeds the limit, declared in content-length or counted as it arrives."""
    declared = submission.declared_length(raw_header(request, "content-length"))
    if declared is not None and declared > limit:
        return None
    if not request.body:
        return b""
    chunks, size = [], 0
    async for chunk in request.body:
        size += chunk.byteLength
        if size > limit:
            return None
        chunks.append(chunk.to_bytes())
    return b"".join(chunks)


async def count_visit(request: Request, env: Any) -> Reply:
    row = await env.DB.prepare(COUNTER_SQL).first()  # C8: one atomic upsert
    return html(200, pages.counter_page(row["count"]), NO_STORE)


async def counter_headers(request: Request, env: Any) -> Reply:
    return html(200, "", NO_STORE)  # C10.2: HEAD /counter answers like GET without touching the database


async def status(request: Request, env: Any) -> Reply:
    report = {
        "worker": WORKER_NAME,
        "language": "python",
        "runtime": js.navigator.userAgent,
        "python_version": platform.python_version(),
        "d1": await database_answers(env),
    }
    return Reply(200, json.dumps(report, separators=(",", ":"), ensure_ascii=False), JSON)  # C9


async def database_answers(env: Any) -> bool:
    try:
        await env.DB.prepare("SELECT 1").first()
    except Exception:  # any failure, a missing binding included, is reported as d1: false (C9.2)
        return False
    return True


ROUTES: dict[str, dict[str, Handler]] = {
    "/": {"GET": hello},
    "/hello": {"GET": hello},
    "/form": {"GET": show_form, "POST": submit_form},
    "/counter": {"GET": count_visit, "HEAD": counter_headers},
    "/status": {"GET": status},
}
