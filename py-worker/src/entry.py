"""py-worker's entry point: Cloudflare's Workers runtime calls Default.fetch, which hands the request to Starlette."""

import js
from workers import Request, WorkerEntrypoint, asgi

from app import app


class Default(WorkerEntrypoint):
    async def fetch(self, request: Request) -> "js.Response":
        response = await asgi.fetch(app, request.js_object, self.env)
        if request.js_object.method == "HEAD":
            # Starlette sends the GET body for HEAD and leaves dropping it to the server (C10.1). Its content-length
            # goes too: HEAD /counter renders no page, so it would announce 0 bytes (C10.3).
            head = js.Response.new(None, response)
            head.headers.delete("content-length")
            return head
        return response
