"""The contract's routing rules, each worker against CONTRACT.md's exact answers: C1, C2, C3, C9-C12.

Form posts are in test_contract_form.py; the counter, errors and storage in test_contract_counter.py.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import ssl
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import expected
import pytest

from workers_parity.http import bodies, client
from workers_parity.servers.registry import Runtime

KNOWN_PATHS = list(expected.ALLOW)
UNKNOWN_PATHS = [
    "/hello/",
    "/Hello",
    "/HELLO",
    "/counter/x",
    "//hello",
    "/%68ello",
    "/form/",
    "/status/",
    "/nope",
    "/index.html",
]
OTHER_METHODS = ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]

URLENCODED = {"content-type": bodies.URLENCODED}

# One request for every kind of answer, for the rules that hold for every response.
EVERY_KIND_OF_ANSWER = {
    "GET /": ("GET", "/", None, {}),
    "GET /hello": ("GET", "/hello", None, {}),
    "GET /form": ("GET", "/form", None, {}),
    "GET /status": ("GET", "/status", None, {}),
    "GET /counter": ("GET", "/counter", None, {}),
    "POST /form 200": ("POST", "/form", b"name=Bob", URLENCODED),
    "POST /form 400": ("POST", "/form", b"name=", URLENCODED),
    "POST /form 400 malformed": ("POST", "/form", b"--x--", {"content-type": "multipart/form-data"}),
    "POST /form 413": ("POST", "/form", b"x" * 65537, URLENCODED),
    "POST /form 415": ("POST", "/form", b"name=Bob", {"content-type": "text/plain"}),
    "GET 404": ("GET", "/nope", None, {}),
    "POST 405": ("POST", "/hello", b"", {}),
    "OPTIONS 405": ("OPTIONS", "/", None, {}),
    "HEAD /hello": ("HEAD", "/hello", None, {}),
    "HEAD /counter": ("HEAD", "/counter", None, {}),
    "HEAD 404": ("HEAD", "/nope", None, {}),
}


def send(worker, method: str, path: str, body=None, headers=None) -> client.Reply:
    return worker.request(method, path, body=body, headers=headers)


def assert_text(reply: client.Reply, status: int, body: bytes) -> None:
    assert (reply.status, reply.header("content-type"), reply.body) == (status, expected.TEXT, body)


@pytest.fixture(params=list(EVERY_KIND_OF_ANSWER.values()), ids=list(EVERY_KIND_OF_ANSWER))
def any_reply(request, worker) -> client.Reply:
    return send(worker, *request.param)


@pytest.mark.contract("C1")
def test_every_response_names_the_worker(worker, any_reply):
    assert any_reply.header("x-worker") == worker.name


@pytest.mark.contract("C14")
def test_no_header_but_the_contracts_and_transport_ones(any_reply):
    contract_headers = {"content-type", "x-worker", "allow", "cache-control"}
    assert set(any_reply.compared_headers()) <= contract_headers
    assert all(len(values) == 1 for values in any_reply.compared_headers().values())  # none repeated


@pytest.mark.contract("C11")
def test_no_response_redirects(any_reply):
    assert not 300 <= any_reply.status < 400
    assert any_reply.header("location") is None


@pytest.mark.contract("C12")
def test_allow_header_only_on_405(any_reply):
    assert (any_reply.header("allow") is not None) == (any_reply.status == 405)


@pytest.mark.contract("C8")
def test_only_the_counter_has_cache_control(request, any_reply):
    is_counter = request.node.callspec.params["any_reply"][1] == "/counter"
    assert any_reply.header("cache-control") == ("no-store" if is_counter else None)


@pytest.mark.contract("C2")
@pytest.mark.parametrize("path", ["/", "/hello"])
def test_hello(worker, path):
    assert_text(worker.get(path), 200, expected.HELLO)


@pytest.mark.contract("C3")
def test_form_page_is_the_contract_page(worker):
    reply = worker.get("/form")
    assert (reply.status, reply.header("content-type")) == (200, expected.HTML)
    assert reply.body == expected.form_page()


class FormPageOutline(HTMLParser):
    """The parts of the form page a browser relies on: doctype, form, fields, submit button."""

    def __init__(self, page: str):
        super().__init__()
        self.doctype = None
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.feed(page)

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def only(self, tag: str, **attrs: str) -> dict[str, str | None]:
        matches = [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]
        assert len(matches) == 1, f"expected one <{tag} {attrs}>, found {len(matches)}"
        return matches[0]


@pytest.mark.contract("C3")
def test_form_page_structure(worker):
    page = worker.get("/form").text
    assert page.startswith("<!DOCTYPE html>\n")
    outline = FormPageOutline(page)
    assert outline.doctype == "DOCTYPE html"
    assert outline.only("form") == {"method": "post", "action": "/form"}
    name = outline.only("input", name="name")
    assert name["type"] == "text" and "required" in name and name["maxlength"] == "100"
    assert outline.only("textarea", name="message")["maxlength"] == "1000"
    assert outline.only("button")["type"] == "submit"


@pytest.mark.contract("C9")
def test_status_reports_the_worker(worker):
    reply = worker.get("/status")
    assert (reply.status, reply.header("content-type")) == (200, expected.JSON)
    report = json.loads(reply.body)
    assert list(report) == ["worker", "language", "runtime", "python_version", "d1"]
    assert report["worker"] == worker.name
    assert report["language"] == worker.language
    assert isinstance(report["runtime"], str) and report["runtime"]
    if worker.language == "python":
        assert re.fullmatch(r"3\.\d+\.\d+", report["python_version"])
    else:
        assert report["python_version"] is None
    assert report["d1"] is True


@pytest.mark.contract("C9")
def test_status_runtime_names_what_runs_the_worker(worker):
    runtime = getattr(worker, "runtime", None)
    if runtime is None:
        pytest.skip("runtime unknown for an external --base-url worker")
    reported = json.loads(worker.get("/status").body)["runtime"]
    if runtime in (Runtime.PYODIDE_WORKERD, Runtime.PYODIDE_WRANGLER):  # our host, under wrangler dev or not
        assert reported.startswith("Cloudflare-Workers (pyodide-workerd; Pyodide ")  # workerd's, naming the host
    else:
        assert reported == "Cloudflare-Workers"


@pytest.mark.contract("C9")
def test_status_json_is_compact(worker):
    body = worker.get("/status").body
    assert body == json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=False).encode()


def bytes_after_head(base_url: str, path: str) -> bytes:
    """Whatever follows the headers of a HEAD response: raw, since requests (urllib3) never reads past a HEAD
    answer's headers, so only the socket can tell that nothing follows."""
    url = urlsplit(base_url)
    port = url.port or (443 if url.scheme == "https" else 80)
    with socket.create_connection((url.hostname, port), timeout=30) as connection:
        if url.scheme == "https":
            connection = ssl.create_default_context().wrap_socket(connection, server_hostname=url.hostname)
        connection.sendall(f"HEAD {path} HTTP/1.1\r\nHost: {url.netloc}\r\nConnection: close\r\n\r\n".encode())
        received = b"".join(iter(lambda: connection.recv(65536), b""))
    return received.partition(b"\r\n\r\n")[2]


@pytest.mark.contract("C10")
@pytest.mark.parametrize("path", [*KNOWN_PATHS, "/nope", "/hello/"])
def test_head_answers_like_get(worker, path):
    head, got = send(worker, "HEAD", path), worker.get(path)
    assert {**head.parity_view(), "body": None} == {**got.parity_view(), "body": None}
    assert head.header("x-worker") == got.header("x-worker")


@pytest.mark.contract("C10")
@pytest.mark.parametrize("path", [*KNOWN_PATHS, "/nope"])
def test_head_content_length_is_absent_or_the_get_bodys_length(worker, path):
    head = send(worker, "HEAD", path)
    got = worker.get(path)  # after the HEAD, which changed nothing (C10.2): the GET it stands for
    assert head.header("content-length") in (None, str(len(got.body)))


@pytest.mark.contract("C10")
@pytest.mark.parametrize("path", [*KNOWN_PATHS, "/nope"])
def test_head_has_an_empty_body(worker, path):
    assert worker.call(lambda base_url: bytes_after_head(base_url, path)) == b""


@pytest.mark.contract("C11")
@pytest.mark.parametrize("path", UNKNOWN_PATHS)
def test_unknown_path_is_404(worker, path):
    assert_text(worker.get(path), 404, expected.NOT_FOUND)


@pytest.mark.contract("C11")
@pytest.mark.parametrize("method", OTHER_METHODS)
def test_unknown_path_is_404_for_any_method(worker, method):
    assert_text(send(worker, method, "/nope", b"name=Bob", URLENCODED), 404, expected.NOT_FOUND)


@pytest.mark.contract("C11")
def test_dot_segments_are_resolved_before_routing(worker):
    assert_text(worker.get("/x/../hello"), 200, expected.HELLO)


@pytest.mark.contract("C11")
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/hello"),
        ("GET", "/"),
        ("GET", "/form"),
        ("GET", "/status"),
        ("GET", "/nope"),
        ("HEAD", "/hello"),
        ("PUT", "/hello"),
        ("DELETE", "/form"),
    ],
)
@pytest.mark.parametrize("query", ["?x=1", "?", "?name=Bob&message=hi", "?next=/form&x=%zz"])
def test_query_string_does_not_change_the_answer(worker, method, path, query):
    plain, queried = send(worker, method, path), send(worker, method, path + query)
    assert queried.parity_view() == plain.parity_view()


@pytest.mark.contract("C11")
def test_form_fields_come_from_the_body_not_the_query(worker):
    reply = send(worker, "POST", "/form?name=Bob&message=hi", b"message=body", URLENCODED)
    assert (reply.status, reply.body) == (400, expected.form_page("", "body", expected.NAME_REQUIRED))


@pytest.mark.contract("C12")
@pytest.mark.parametrize(
    ("method", "path"), [(m, p) for p in KNOWN_PATHS for m in OTHER_METHODS if (m, p) != ("POST", "/form")]
)
def test_other_methods_are_405_with_allow(worker, method, path):
    reply = send(worker, method, path, b"name=Bob", URLENCODED)
    assert_text(reply, 405, expected.METHOD_NOT_ALLOWED)
    assert reply.header("allow") == expected.ALLOW[path]


@pytest.mark.contract("C12")
def test_405_ignores_a_large_body(worker):
    reply = send(worker, "POST", "/hello", b"x" * 100_000, URLENCODED)
    assert_text(reply, 405, expected.METHOD_NOT_ALLOWED)


CONTRACT_MD = Path(__file__).parent / "CONTRACT.md"


def contract_block(heading: str) -> str:
    """The first fenced block after `heading` in CONTRACT.md, with the newline that ends each line."""
    text = CONTRACT_MD.read_text()
    section = text[text.index(heading) :]
    return section.split("```\n", 2)[1]


def test_expected_pages_follow_contract_md():
    """expected.py renders exactly the templates of CONTRACT.md (a check of this suite, not of a worker)."""
    layout = contract_block("### Layout")
    render = {
        "### P1": (
            expected.form_page("N", "M", "E"),
            "Contact form",
            {"{ERROR_LINE}": '<p class="error">E</p>\n', "{NAME}": "N", "{MESSAGE}": "M"},
        ),
        "### P2": (expected.thanks_page("N", "M"), "Thanks", {"{NAME}": "N", "{MESSAGE}": "M"}),
        "### P3": (expected.counter_page(7), "Counter", {"{COUNT}": "7"}),
    }
    for heading, (built, title, values) in render.items():
        content = contract_block(heading)
        for placeholder, value in values.items():
            content = content.replace(placeholder, value)
        page = layout.replace("{TITLE}", title).replace("{CONTENT}", content)
        assert built == page.encode(), heading


def test_expected_pages_match_contract_check_values():
    """expected.py's pages have the sizes and sha256 digests of CONTRACT.md's check values table, in its order."""
    table = CONTRACT_MD.read_text().split("### Check values", 1)[1].split("\n## ", 1)[0]
    rows = [(int(size), digest) for size, digest in re.findall(r"\| (\d+) +\| `([0-9a-f]{64})` \|", table)]
    pages = [expected.form_page(), expected.thanks_page("Bob", ""), expected.counter_page(1)]
    assert [(len(page), hashlib.sha256(page).hexdigest()) for page in pages] == rows
