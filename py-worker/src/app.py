"""py-worker: the web app of shared-tests/CONTRACT.md as a Starlette application.

Rule ids (C1…C16) in the comments refer to that document. Starlette defaults that would break it are replaced here:
slash redirects, routing on the percent-decoded path, its own 404/405/500 bodies and unordered `allow` header, and
answering HEAD with the GET endpoint (which would count a visit).
"""

import platform
from typing import Any

import js
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

import forms
import pages
import submission

WORKER_NAME = "py-worker"
NO_STORE = {"cache-control": "no-store"}
COUNTER_SQL = (
    "INSERT INTO page_views (page, count) VALUES ('counter', 1) "
    "ON CONFLICT (page) DO UPDATE SET count = count + 1 RETURNING count"
)


# Every response is built by one of these, so every response names the worker (C1).
def text(body: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return PlainTextResponse(body, status, headers={**(headers or {}), "x-worker": WORKER_NAME})


def html(body: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return HTMLResponse(body, status, headers={**(headers or {}), "x-worker": WORKER_NAME})


def database(request: Request) -> Any:
    return request.scope["env"].DB  # the worker's bindings, put in the scope by the SDK's asgi.fetch


async def hello(request: Request) -> Response:
    return text("Hello World from Cloudflare Workers!")  # C2


async def show_form(request: Request) -> Response:
    return html(pages.form_page())  # C3


async def submit_form(request: Request) -> Response:
    """C4-C7, in the order of CONTRACT.md's POST /form steps."""
    body = await read_body_within(request, submission.MAX_BODY_BYTES)
    if body is None:
        return text("Payload Too Large", 413)

    content_type = runtime_header(request, "content-type") or ""
    kind = submission.media_type(content_type)
    if kind == submission.URLENCODED:
        fields = submission.urlencoded_fields(body)
    elif kind == submission.MULTIPART:
        fields = await forms.multipart_fields(body, content_type)  # the platform's parser, not request.form()
        if fields is None:
            return html(pages.form_page(error="Malformed form data."), 400)
    else:
        return text("Unsupported Media Type", 415)

    name = submission.trim(submission.first_value(fields, "name"))
    message = submission.trim(submission.first_value(fields, "message"))
    error = submission.validation_error(name, message)
    if error:
        return html(pages.form_page(name, message, error), 400)
    return html(pages.thanks_page(name, message))


def runtime_header(request: Request, name: str) -> str | None:
    """The header's value as the runtime has it (js-worker's `request.headers.get`). The SDK hands header values to
    Starlette UTF-8-encoded and Starlette decodes them as Latin-1, so `boundary=é` would read as `boundary=Ã©`;
    encoding back to those bytes and decoding them as UTF-8 gives the runtime's value again, exactly."""
    value = request.headers.get(name)
    return value.encode("latin-1").decode("utf-8") if value is not None else None


async def read_body_within(request: Request, limit: int) -> bytes | None:
    """The body's bytes, or None when it exceeds the limit, declared in content-length or counted as it arrives.

    Not Starlette's max_body_size: it answers with its own 413 text and also limits GET /form (C7.3).
    """
    declared = submission.declared_length(request.headers.get("content-length"))
    if declared is not None and declared > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def count_visit(request: Request) -> Response:
    row = await database(request).prepare(COUNTER_SQL).first()  # C8: one atomic upsert
    return html(pages.counter_page(row["count"]), headers=NO_STORE)


async def counter_headers(request: Request) -> Response:
    return html("", headers=NO_STORE)  # C10.2: HEAD /counter answers like GET without touching the database


async def status(request: Request) -> Response:
    report = {
        "worker": WORKER_NAME,
        "language": "python",
        "runtime": js.navigator.userAgent,
        "python_version": platform.python_version(),
        "d1": await database_answers(request),
    }
    return JSONResponse(report, headers={"x-worker": WORKER_NAME})  # C9: compact, keys in this order


async def database_answers(request: Request) -> bool:
    try:
        await database(request).prepare("SELECT 1").first()
    except Exception:  # any failure, a missing binding included, is reported as d1: false (C9.2)
        return False
    return True


routes = [
    Route("/", hello, methods=["GET"]),
    Route("/hello", hello, methods=["GET"]),
    Route("/form", show_form, methods=["GET"]),
    Route("/form", submit_form, methods=["POST"]),
    # Before the GET route, which Starlette would also pick for HEAD.
    Route("/counter", counter_headers, methods=["HEAD"]),
    Route("/counter", count_visit, methods=["GET"]),
    Route("/status", status, methods=["GET"]),
]


async def not_found(request: Request, exc: HTTPException) -> Response:
    return text("Not Found", 404)  # C11


async def method_not_allowed(request: Request, exc: HTTPException) -> Response:
    return text("Method Not Allowed", 405, {"allow": allowed_methods(request.scope)})  # C12


def allowed_methods(scope: Scope) -> str:
    """Starlette's own allow header names one route's methods in set order; the contract wants all, in order."""
    methods = {method for route in routes if route.matches(scope)[0] is not Match.NONE for method in route.methods}
    return ", ".join(dict.fromkeys(["GET", "HEAD", *sorted(methods)]))


async def internal_error(request: Request, exc: Exception) -> Response:
    # Starlette re-raises the exception after sending this, so the SDK logs its traceback (C13).
    return text("Internal Server Error", 500)


class RouteOnRawPath:
    """Route on the path as sent, like js-worker's `new URL(request.url).pathname` (C11.1).

    ASGI's `path` is percent-decoded, which would make `/%68ello` an alias of `/hello`.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = {**scope, "path": scope["raw_path"].decode("latin-1")}
        await self.app(scope, receive, send)


app = Starlette(
    routes=routes,
    middleware=[Middleware(RouteOnRawPath)],
    exception_handlers={404: not_found, 405: method_not_allowed, Exception: internal_error},
)
app.router.redirect_slashes = False  # C11.2: /hello/ is a 404, never a redirect to /hello
