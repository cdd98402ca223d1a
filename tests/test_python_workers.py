"""pyodide-workerd runs Python workers written for nothing of ours: our own probes in tests/python_workers/, one per
feature a Python Worker may use, each served as `workers-parity dev` serves it (fresh state, a free port)."""

from __future__ import annotations

import contextlib
import http.server
import json
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from workers_parity import project
from workers_parity.http import client
from workers_parity.servers import cache, choose, toolchain
from workers_parity.servers.devserver import DevServer
from workers_parity.servers.fleet import fresh_server
from workers_parity.servers.liveservers import wait_until
from workers_parity.servers.registry import Runtime

PROBES = Path(__file__).parent / "python_workers"
WORKERD_START_UP_ERROR = (
    "Disallowed operation called within global scope. Asynchronous I/O (ex: fetch() or connect()), setting a "
    "timeout, and generating random values are not allowed within global scope."
)


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., DevServer]]:
    """Start a probe (once per name) with fresh state; every server stops when the module's tests are done."""
    servers: dict[str, DevServer] = {}

    def start(name: str, folder: Path | None = None) -> DevServer:
        if name not in servers:
            workdir = tmp_path_factory.mktemp(name)
            worker = project.worker_from_folder(folder or PROBES / name, port=0, worker_id=name)
            servers[name] = fresh_server(worker, workdir, Runtime.PYODIDE_WORKERD, extra_args=("--test-scheduled",))
            servers[name].start()
        return servers[name]

    yield start
    for server in servers.values():
        server.stop()


def get(server: DevServer, path: str) -> client.Reply:
    return client.get(server.base_url, path)


def get_json(server: DevServer, path: str) -> dict:
    reply = get(server, path)
    assert reply.status == 200, reply.body
    return json.loads(reply.body)


def post_json(server: DevServer, path: str, value: object) -> client.Reply:
    body = json.dumps(value).encode()
    return client.request(server.base_url, "POST", path, body, {"content-type": "application/json"})


def log_of(server: DevServer) -> str:
    return server.log_path.read_text(errors="replace")


# wrangler.toml, .dev.vars, KV, D1 (a binding not named DB), R2, queues, RPC, scheduled


def test_vars_and_secrets_from_dev_vars(serve) -> None:
    assert get_json(serve("bindings"), "/vars") == {"greeting": "hello from vars", "secret": "secret-from-dev-vars"}


@pytest.mark.parametrize(("path", "body"), [("/kv", b"kept in KV"), ("/r2", b"kept in R2")])
def test_storage_bindings(serve, path: str, body: bytes) -> None:
    reply = get(serve("bindings"), path)
    assert (reply.status, reply.body) == (200, body)


def test_every_d1_database_is_migrated_whatever_its_binding(serve) -> None:
    server = serve("bindings")
    first, second = get_json(server, "/d1")["entries"], get_json(server, "/d1")["entries"]
    assert second == first + 1


def test_rpc_to_a_named_entrypoint_over_a_service_binding(serve) -> None:
    assert get_json(serve("bindings"), "/rpc") == {"total": 5, "described": {"keys": ["a", "b"], "size": 2}}


def test_queue_messages_reach_the_queue_handler(serve) -> None:
    server = serve("bindings")
    before = get_json(server, "/counts").get("queue", 0)
    assert get(server, "/enqueue").status == 200
    assert wait_until(lambda: get_json(server, "/counts").get("queue", 0) == before + 1, 30), log_of(server)


@pytest.mark.parametrize(
    ("path", "counted"),
    [
        ("/__scheduled?cron=*/5+*+*+*+*", "scheduled */5 * * * *"),  # wrangler dev --test-scheduled
        ("/cdn-cgi/handler/scheduled?cron=1+2+3+4+5", "scheduled 1 2 3 4 5"),
        ("/cdn-cgi/local/scheduled?cron=5+4+3+2+1", "scheduled 5 4 3 2 1"),  # miniflare's, as under wrangler dev
    ],
)
def test_scheduled_handler_runs_on_request(serve, path: str, counted: str) -> None:
    server = serve("bindings")
    before = get_json(server, "/counts").get(counted, 0)
    assert get(server, path).status == 200
    assert get_json(server, "/counts")[counted] == before + 1


# wrangler.json: Durable Objects (storage, RPC methods, fetch, alarm) and Workflows, all Python classes


def test_durable_object_storage_and_rpc(serve) -> None:
    server = serve("durable")
    assert [get(server, f"/add?name=a&amount={n}").body for n in (2, 3)] == [b"2", b"5"]
    assert get(server, "/total?name=a").body == b"5"
    assert get(server, "/total?name=b").body == b"0"
    assert get(server, "/do-fetch?name=a").body == b"tally 5 via fetch"


def test_durable_object_alarm(serve) -> None:
    server = serve("durable")
    assert get(server, "/alarm?name=alarmed").body == b"alarm set"
    assert wait_until(lambda: get(server, "/rang?name=alarmed").body == b"True", 30), log_of(server)


def test_a_python_workflow_runs_to_completion(serve) -> None:
    server = serve("durable")
    instance = get(server, "/workflow?value=21").body.decode()

    def status() -> dict:
        return get_json(server, f"/workflow-status?id={instance}")

    assert wait_until(lambda: status()["status"] == "complete", 60), status()
    assert status()["output"] == 42


# the legacy style: top-level on_fetch / on_scheduled, an old compatibility date without nodejs_compat


def test_top_level_handlers_at_an_old_compatibility_date(serve) -> None:
    server = serve("legacy")
    assert get(server, "/").body == b"legacy handler for GET"
    assert get(server, "/__scheduled?cron=1+2+3+4+5").body == b"Ran scheduled event"
    assert get(server, "/scheduled-runs").body == b"1 2 3 4 5"


# start-up: the top level runs where workerd runs it, with workerd's rules


def test_the_top_level_runs_under_workerds_start_up_rules(serve) -> None:
    at_start_up = get_json(serve("startup"), "/")["start-up"]
    assert at_start_up["random.random"] == "RuntimeError: Cannot use random.random() outside of request context"
    assert at_start_up["os.urandom"] == "OSError: [Errno 29] Cannot get entropy outside of request context"
    assert at_start_up["secrets.token_hex"].startswith("OSError: [Errno 29]")
    assert at_start_up["seeded Random"] == "allowed"
    assert WORKERD_START_UP_ERROR in at_start_up["crypto.getRandomValues"]
    assert at_start_up["fetch"].startswith("JsException: Error: " + WORKERD_START_UP_ERROR)


def test_requests_may_use_entropy_and_jspi(serve) -> None:
    answer = get_json(serve("startup"), "/")
    assert set(answer["request"].values()) == {"allowed"}
    assert answer["jspi"] == 42


# Python's version follows the compatibility date and flags, as on Cloudflare


def test_a_2025_compatibility_date_runs_python_3_13(serve) -> None:
    server = serve("startup")  # compatibility date 2025-11-02
    assert get_json(server, "/")["python"] == "3.13.2"
    assert "python: Python 3.13 (Pyodide 0.28.2), as Cloudflare runs compatibility date 2025-11-02" in log_of(server)


def test_a_date_for_python_3_12_runs_3_13_and_says_so(serve) -> None:
    server = serve("legacy")  # compatibility date 2024-04-01
    assert "python: Python 3.13 (Pyodide 0.28.2), instead of Python 3.12 (Pyodide 0.26.0a2)" in log_of(server)


def test_random_is_reseeded_after_every_restore(serve) -> None:
    server = serve("startup")
    first = get_json(server, "/")["random"]
    server.restart()
    assert "snapshot: loaded" in log_of(server)
    assert get_json(server, "/")["random"] != first


def test_a_top_level_error_is_a_plain_500_with_the_traceback_in_the_log(serve) -> None:
    server = serve("broken")
    reply = get(server, "/")
    assert (reply.status, reply.body) == (500, b"Internal Server Error")
    assert reply.header("content-type") == "text/plain; charset=utf-8"
    assert "RuntimeError: broken-probe fails at start-up on purpose" in log_of(server)


# native extension modules (PyPI's pyemscripten wheels) and snapshots larger than Pyodide's initial memory


def test_native_wheels_load_at_start_up_and_in_a_request(serve) -> None:
    server = serve("native")
    assert get_json(server, "/")["validated"] == 42
    lazy = get_json(server, "/lazy")  # jiter is imported only now, after start-up
    assert lazy["parsed"] == {"answer": 42}


def test_a_snapshot_with_a_native_library_restores(serve) -> None:
    server = serve("native")
    server.restart()
    assert "snapshot: loaded" in log_of(server)
    described = json.loads(next(cache.snapshot_dir(server.worker.folder).glob("snapshot-*.json")).read_text())
    assert [Path(library["name"]).name for library in described["libraries"]] == [
        "_pydantic_core.cpython-314-wasm32-emscripten.so"
    ]
    assert get_json(server, "/")["validated"] == 42


def test_a_snapshot_larger_than_the_initial_memory_restores(serve) -> None:
    server = serve("native")
    snapshot = next(cache.snapshot_dir(server.worker.folder).glob("snapshot-*.bin"))
    assert snapshot.stat().st_size > initial_memory_bytes(toolchain.node_modules() / "pyodide" / "pyodide.asm.wasm")
    server.restart()
    assert get_json(server, "/")["validated"] == 42


def initial_memory_bytes(wasm: Path) -> int:
    """The minimum size of the memory a wasm module defines (its memory section), in bytes."""
    data, offset = wasm.read_bytes(), 8
    while offset < len(data):
        section, offset = data[offset], offset + 1
        size, offset = leb128(data, offset)
        if section == 5:  # memory: count, then flags and minimum pages of the first
            _, cursor = leb128(data, offset)
            _, cursor = leb128(data, cursor)
            pages, _ = leb128(data, cursor)
            return pages * 65536
        offset += size
    raise AssertionError(f"{wasm} defines no memory")


def leb128(data: bytes, offset: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte, offset = data[offset], offset + 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, offset


# static assets; the snapshot is taken by a workerd without the worker's assets or routes


def test_assets_and_the_worker_share_the_routes(serve) -> None:
    server = serve("assets")
    page = get(server, "/")
    assert page.status == 200 and b"served by the assets router" in page.body
    assert get(server, "/api").body == b"served by the worker"
    assert re.fullmatch(rb"binding read \d+ bytes", get(server, "/via-binding").body)


# exports: a class the launcher's reading of the source misses is exported after a restart of workerd

STAR_IMPORTED = """from workers import WorkerEntrypoint


class Greeter(WorkerEntrypoint):
    async def greet(self, name):
        return f"hello {name} from a star-imported entrypoint"
"""
STAR_ENTRY = """from greeters import *  # noqa: F403 - which names it binds, only running it tells
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(await self.ctx.exports.Greeter.greet("probe"))
"""


STAR_CONFIG = {"name": "star-probe", "main": "src/entry.py", "compatibility_date": "2026-09-08"}


def test_an_entrypoint_class_bound_by_a_star_import_is_exported(serve, tmp_path: Path) -> None:
    folder = tmp_path / "star"
    (folder / "src").mkdir(parents=True)
    (folder / "wrangler.json").write_text(json.dumps({**STAR_CONFIG, "compatibility_flags": ["python_workers"]}))
    for name in ("pyproject.toml", "pylock.toml"):  # the SDK alone, as the assets probe
        shutil.copy(PROBES / "assets" / name, folder / name)
    (folder / "src" / "greeters.py").write_text(STAR_IMPORTED)
    (folder / "src" / "entry.py").write_text(STAR_ENTRY)
    server = serve("star", folder)
    expected = b"hello probe from a star-imported entrypoint"
    assert wait_until(lambda: answered(server, "/") == expected, 60), log_of(server)
    assert "exporting Greeter" in log_of(server)


def answered(server: DevServer, path: str) -> bytes | None:
    """The body, or None while the server restarts."""
    try:
        return get(server, path).body
    except OSError:
        return None


# fetch's request and response: the host takes the SDK's conversions' answers directly, so they must agree


def test_fetch_is_handed_and_gives_back_what_the_sdks_conversions_give(serve) -> None:
    assert get_json(serve("conversions"), "/") == {
        "handed": "Request",
        "sdk hands": "Request",
        "same JavaScript request": True,
        "sdk takes back the JavaScript response": True,
        "request is the SDK's": True,
    }


# frameworks: FastAPI over ASGI (pydantic v2's native core), Django over WSGI


def test_fastapi_validates_with_pydantic(serve) -> None:
    server = serve("fastapi")
    assert get_json(server, "/planets/3") == {"index": 3, "planet": "Mercury"}
    created = post_json(server, "/orders", {"item": "tea", "quantity": 2})
    assert (created.status, json.loads(created.body)) == (200, {"item": "tea", "total": 6})
    invalid = post_json(server, "/orders", {"item": "tea", "quantity": "many"})
    assert invalid.status == 422 and b"quantity" in invalid.body


def test_django_reads_the_request_body(serve) -> None:
    server = serve("django")
    assert get_json(server, "/hello/probe") == {"hello": "probe", "method": "GET"}
    echoed = post_json(server, "/echo", {"a": [1, 2]})
    assert (echoed.status, json.loads(echoed.body)) == (200, {"received": {"a": [1, 2]}, "length": 13})


# blocking HTTP clients (JSPI) reach a server through workerd's fetch


def test_blocking_http_clients_fetch_through_workerd(serve, tmp_path: Path) -> None:
    folder = tmp_path / "sync-http"
    shutil.copytree(PROBES / "sync-http", folder, ignore=shutil.ignore_patterns("python_modules", ".wrangler"))
    with text_server(b"answered by the test's own server") as url:
        (folder / ".dev.vars").write_text(f'TARGET = "{url}"\n')
        answer = get_json(serve("sync-http", folder), "/")
    expected = [200, "answered by the test's own server"]
    assert answer == {"requests": expected, "urllib3": expected, "httpx": expected}


@contextlib.contextmanager
def text_server(body: bytes) -> Iterator[str]:
    """An HTTP server on a free port answering every GET with body; its URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/plain")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_a_copied_folder_serves_its_own_code(serve, tmp_path: Path) -> None:
    """What the launcher keeps in .wrangler/ (its reading of the config, with absolute paths) travels with a copy."""
    original = tmp_path / "original"
    shutil.copytree(PROBES / "legacy", original, ignore=shutil.ignore_patterns("python_modules", ".wrangler"))
    assert get(serve("original", original), "/").body == b"legacy handler for GET"
    copy = tmp_path / "copy"
    shutil.copytree(original, copy, ignore=shutil.ignore_patterns("python_modules"))
    entry = copy / "src" / "entry.py"
    entry.write_text(entry.read_text().replace('f"{env.STYLE} handler for', "f\"the copy's handler for"))
    assert get(serve("copy", copy), "/").body == b"the copy's handler for GET"


def test_an_edit_reloads_the_worker(tmp_path: Path) -> None:
    folder = tmp_path / "edited"
    shutil.copytree(PROBES / "legacy", folder, ignore=shutil.ignore_patterns("python_modules", ".wrangler"))
    worker = project.worker_from_folder(folder, port=0, worker_id="edited")
    server = fresh_server(worker, tmp_path, choice=choose.select(worker), watch=True)  # auto, as dev chooses it
    with server:
        assert get(server, "/").body == b"legacy handler for GET"
        entry = folder / "src" / "entry.py"
        entry.write_text(entry.read_text().replace('f"{env.STYLE} handler for', 'f"edited handler for'))
        assert wait_until(lambda: answered(server, "/") == b"edited handler for GET", 60), log_of(server)
        assert "reloaded: entry.py changed" in log_of(server)


# every compatibility date and flag combination Cloudflare accepts for Python starts

ANY_DATE_ENTRY = """import random
import sys

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(f"{sys.version_info.major}.{sys.version_info.minor} {random.random() < 1}")

    on_fetch = fetch  # before python_no_global_handlers (2025-08-14), workerd calls a class's handlers on_fetch …
"""


@pytest.mark.parametrize(
    ("date", "flags", "python"),
    [
        ("2024-04-01", [], "3.13"),  # the first Python Workers: no setImmediate, no FinalizationRegistry
        ("2025-05-05", [], "3.13"),  # FinalizationRegistry from here, start-up compilation not yet
        ("2025-06-01", ["nodejs_compat"], "3.13"),  # compilation at start-up; setImmediate from nodejs_compat
        ("2025-08-14", [], "3.13"),  # python_no_global_handlers
        ("2025-09-29", ["python_workflows"], "3.13"),
        ("2026-06-10", ["python_workers_20260610"], "3.14"),
        ("2026-09-08", ["nodejs_compat"], "3.14"),
        ("2099-01-01", ["no_python_workers_20250116"], "3.14"),  # newer than workerd knows: its newest
    ],
)
def test_a_python_worker_starts_at_any_compatibility_setting(
    serve, tmp_path: Path, date: str, flags: list[str], python: str
) -> None:
    folder = tmp_path / f"at-{date}"
    (folder / "src").mkdir(parents=True)
    config = {"name": folder.name, "main": "src/entry.py", "compatibility_date": date}
    (folder / "wrangler.json").write_text(json.dumps({**config, "compatibility_flags": ["python_workers", *flags]}))
    for name in ("pyproject.toml", "pylock.toml"):  # the SDK alone
        shutil.copy(PROBES / "assets" / name, folder / name)
    (folder / "src" / "entry.py").write_text(ANY_DATE_ENTRY)
    assert get(serve(folder.name, folder), "/").body == f"{python} True".encode()


FATAL_ENTRY = """from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.url.endswith("/fatal"):
            from _pyodide_core import trigger_fatal_error

            trigger_fatal_error()
        return Response("alive")
"""


def test_after_a_fatal_python_error_the_worker_starts_again(serve, tmp_path: Path) -> None:
    """workerd's own Python aborts the isolate; here the launcher starts workerd again."""
    folder = tmp_path / "fatal"
    (folder / "src").mkdir(parents=True)
    config = {**STAR_CONFIG, "name": "fatal-probe", "compatibility_flags": ["python_workers"]}
    (folder / "wrangler.json").write_text(json.dumps(config))
    for name in ("pyproject.toml", "pylock.toml"):  # the SDK alone, as the assets probe
        shutil.copy(PROBES / "assets" / name, folder / name)
    (folder / "src" / "entry.py").write_text(FATAL_ENTRY)
    server = serve("fatal", folder)
    assert get(server, "/").body == b"alive"
    with contextlib.suppress(OSError):
        client.get(server.base_url, "/fatal", timeout=20)
    assert wait_until(lambda: answered(server, "/") == b"alive", 60), log_of(server)
    assert "reloaded: after Python's fatal error" in log_of(server)


def test_snapshots_of_worker_folders_that_are_gone_are_removed(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    kept, gone = tmp_path / "kept", tmp_path / "gone"
    kept.mkdir()
    gone.mkdir()
    snapshots = {folder: cache.snapshot_dir(folder) for folder in (kept, gone)}
    gone.rmdir()
    assert cache.prune_snapshots() == [snapshots[gone]]
    assert snapshots[kept].is_dir() and not snapshots[gone].exists()
