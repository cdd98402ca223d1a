"""The contract's exact responses (CONTRACT.md, "Pages" and the text bodies), rendered from its templates.

Values passed in are the raw *trimmed* field values; escaping happens here, as the contract says it does in the worker.
"""

from __future__ import annotations

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
