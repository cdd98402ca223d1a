"""py-worker's entry point: Cloudflare's Workers runtime calls Default.fetch, which hands the request to Starlette."""

import js
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from workers import Request, WorkerEntrypoint, asgi

from app import app


class BodyAsItArrives:
    """Starlette reads the request body from the runtime's stream, chunk by chunk, as it arrives (C7.2).

    The SDK's `asgi.fetch` reads the whole body before the app runs: a body that never ends would never be answered
    and a huge one would be held in memory. So the SDK gets the request without its body, and this wrapper answers
    the app's `receive` from the body's stream. Reading stops where the app stops: at byte 65537 with a 413, or
    before the first byte on a route that ignores the body.
    """

    def __init__(self, app: ASGIApp, body: "js.ReadableStream | None") -> None:
        self.app = app
        self.reader = body.getReader() if body else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.reader is not None:
            receive = self._reading_body_then(receive)
        await self.app(scope, receive, send)

    def _reading_body_then(self, receive: Receive) -> Receive:
        async def receive_chunk() -> Message:
            if self.reader is None:  # the body has ended; the SDK's receive reports the disconnect
                return await receive()
            chunk = await self.reader.read()
            if chunk.done:
                self.reader = None
                return {"type": "http.request", "body": b"", "more_body": False}
            return {"type": "http.request", "body": chunk.value.to_bytes(), "more_body": True}

        return receive_chunk


def without_body(request: "js.Request") -> "js.Request":
    return js.Request.new(request.url, method=request.method, headers=request.headers)


class Default(WorkerEntrypoint):
    async def fetch(self, request: Request) -> "js.Response":
        streamed = BodyAsItArrives(app, request.js_object.body)
        response = await asgi.fetch(streamed, without_body(request.js_object), self.env)
        if request.js_object.method == "HEAD":
            # Starlette sends the GET body for HEAD and leaves dropping it to the server (C10.1). Its content-length
            # goes too: HEAD /counter renders no page, so it would announce 0 bytes (C10.3).
            head = js.Response.new(None, response)
            head.headers.delete("content-length")
            return head
        return response
