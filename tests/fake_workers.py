"""Made-up workers for the tool's own tests: tiny HTTP servers in this process that answer a small JSON API (a list
and a POST that adds to it), each one changeable to answer differently, and a project folder around them whose
workers-parity.toml reaches them by base_url, so `workers-parity run` judges them with no Node and no workerd."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# (method, path, headers) -> an answer instead of the usual one, or headers to add to it, or None
Tweak = Callable[[str, str, dict], tuple[int, dict, bytes] | dict | None]

CASES = """\
[[case]]
id = "empty"
path = "/items"
expect = { status = 200, json = { items = [] } }

[[case]]
id = "create"
method = "POST"
path = "/items"
body = '{"name": "a"}'
expect = { status = 201 }

[[case]]
id = "list"
path = "/items"
expect = { json = { items = ["a"] } }
"""


@dataclass
class FakeWorker:
    """One server: GET /items lists, POST /items adds; a tweak may answer a request otherwise."""

    tweak: Tweak | None = None
    items: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, method: str, path: str, headers: dict, body: bytes) -> tuple[int, dict, bytes]:
        self.seen.append(f"{method} {path}")
        tweaked = self.tweak(method, path, headers) if self.tweak else None
        if isinstance(tweaked, tuple):
            return tweaked
        status, more, payload = self.usual(method, path, body)
        return status, {**more, **(tweaked or {})}, payload

    def usual(self, method: str, path: str, body: bytes) -> tuple[int, dict, bytes]:
        if path.split("?")[0] != "/items":
            return 404, {}, b'{"error":"not found"}'
        if method == "POST":
            try:
                self.items.append(json.loads(body)["name"])
            except (ValueError, KeyError, TypeError):
                return 400, {}, b'{"error":"bad"}'
            return 201, {}, b'{"ok":true}'
        return 200, {}, json.dumps({"items": self.items}, separators=(",", ":")).encode()


def _handler(worker: FakeWorker):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            status, headers, payload = worker.answer(self.command, self.path, dict(self.headers), body)
            self.send_response(status)
            self.send_header("content-type", "application/json")
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

        def version_string(self) -> str:
            return "fake"

        def date_time_string(self, timestamp=None) -> str:
            return "Thu, 01 Jan 2026 00:00:00 GMT"  # the same on every server: it is compared (not a transport one)

        def log_message(self, *args) -> None:
            pass

    return Handler


@contextmanager
def serving(*workers: FakeWorker) -> Iterator[tuple[FakeWorker, ...]]:
    threads = []
    for worker in workers:
        worker.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(worker))
        threads.append(threading.Thread(target=worker.server.serve_forever, daemon=True))
        threads[-1].start()
    try:
        yield workers
    finally:
        for worker in workers:
            worker.server.shutdown()
            worker.server.server_close()


def worker_folder(root: Path, name: str, main: str = "src/index.js", config: str = "wrangler.toml") -> Path:
    folder = root / name
    (folder / Path(main).parent).mkdir(parents=True, exist_ok=True)
    (folder / main).write_text("// a made-up worker\n")
    text = (
        f'name = "{name}"\nmain = "{main}"\n' if config.endswith(".toml") else json.dumps({"name": name, "main": main})
    )
    (folder / config).write_text(text)
    return folder


def project(root: Path, urls: dict[str, str], extra: str = "", cases: str = CASES) -> Path:
    """A project folder: one worker folder per name, reached at its URL, the cases, and `extra` config lines."""
    lines = ['cases = ["cases.toml"]', extra, ""]
    for name, url in urls.items():
        worker_folder(root, name)
        lines += ["[[worker]]", f'folder = "{name}"', f'base_url = "{url}"', ""]
    (root / "workers-parity.toml").write_text("\n".join(lines))
    (root / "cases.toml").write_text(cases)
    return root
