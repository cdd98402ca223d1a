"""The tools that write cases and configs, without workers: import-har on ordinary and hostile HAR files (what it
keeps, drops and refuses; what it writes loads back as the same requests), init on a folder of workers, and the
fuzzer's mutations (they stay sendable and shrink toward the case they came from)."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fake_workers import FakeWorker, project, serving, worker_folder
from hypothesis import HealthCheck, find, given, settings

from workers_parity.cases import har, load, mutate
from workers_parity.http.rawrequest import RawRequest
from workers_parity.project import starter
from workers_parity.project.config import ConfigError


def cli(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "WORKERS_PARITY_CONFIG"}
    return subprocess.run(
        [sys.executable, "-m", "workers_parity", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def entry(method: str = "GET", url: str = "https://app.example/api/items?x=1", headers=(), post=None) -> dict:
    request = {"method": method, "url": url, "headers": [{"name": n, "value": v} for n, v in headers]}
    return {"request": request | ({"postData": post} if post is not None else {})}


def har_file(tmp_path: Path, *entries: dict) -> Path:
    path = tmp_path / "session.har"
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": list(entries)}}))
    return path


def imported(tmp_path: Path, *entries: dict, keep_cookies: bool = False) -> list:
    out = tmp_path / "cases.toml"
    har.import_file(har_file(tmp_path, *entries), out, keep_cookies=keep_cookies, replace=True)
    return load.load([out])


def test_each_request_becomes_a_case_in_order_with_what_a_worker_would_see(tmp_path: Path) -> None:
    browser = [("Host", "app.example"), (":authority", "app.example"), ("Accept", "application/json")]
    browser += [("Cookie", "sid=1"), ("Connection", "keep-alive"), ("Content-Length", "9"), ("X-Trace", "é")]
    cases = imported(
        tmp_path,
        entry(headers=browser),
        entry("POST", "http://app.example/api/items", [("Content-Type", "application/json")], {"text": '{"a":"é"}'}),
        entry(
            "PUT",
            "http://app.example/blob",
            post={"encoding": "base64", "text": base64.b64encode(b"\xff\x00").decode()},
        ),
        entry("POST", "http://app.example/form", post={"mimeType": "x", "params": [{"name": "a b", "value": "c&d"}]}),
    )
    assert [(c.method, c.path) for c in cases] == [
        ("GET", "/api/items?x=1"), ("POST", "/api/items"), ("PUT", "/blob"), ("POST", "/form"),
    ]  # fmt: skip
    assert cases[0].headers == {"Accept": "application/json", "X-Trace": "é"}  # no Host, cookie, hop-by-hop, length
    assert cases[1].sent_body() == '{"a":"é"}'.encode() and cases[2].sent_body() == b"\xff\x00"
    assert cases[3].sent_body() == b"a+b=c%26d"
    assert cases[0].id == "har-1-get-api-items" and cases[0].note == "GET https://app.example/api/items?x=1"
    kept = imported(tmp_path, entry(headers=[("Cookie", "sid=1")]), keep_cookies=True)
    assert kept[0].headers == {"Cookie": "sid=1"}


def test_repeated_headers_are_kept_as_exact_pairs(tmp_path: Path) -> None:
    (case,) = imported(tmp_path, entry(headers=[("X-A", "1"), ("x-a", "2")]))
    assert case.exact is not None and case.exact.headers == (("X-A", "1"), ("x-a", "2"))


def test_requests_that_are_not_http_are_left_out_and_counted(tmp_path: Path, capsys) -> None:
    cases = imported(tmp_path, entry(url="data:image/png;base64,AA"), entry(url="wss://a/b"), entry())
    assert len(cases) == 1 and "left out 2 entries" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("not json", "not a HAR file (JSON expected"),
        ('{"log": {}}', "no log.entries"),
        ("[1, 2]", "no log.entries"),
        ('{"log": {"entries": [{"response": {}}]}}', "entry 1 has no request object"),
        ('{"log": {"entries": [{"request": {"method": "GET"}}]}}', "entry 1 has no request.url"),
    ],
)
def test_a_file_that_is_not_a_har_is_named(tmp_path: Path, document: str, message: str) -> None:
    path = tmp_path / "x.har"
    path.write_text(document)
    with pytest.raises(har.HarError, match=re.escape(message)):
        har.import_file(path, tmp_path / "out.toml")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (entry(method="GET /x"), "entry 1: method 'GET /x' is not an HTTP method"),
        (entry(headers=[("X-Evil", "a\r\nX-Injected: 1")]), "entry 1: header X-Evil holds a line break"),
        (entry(headers=[("Bad Name", "1")]), "entry 1: header name 'Bad Name' is not an HTTP token"),
        (
            {"request": {"method": "GET", "url": "http://a/", "headers": "nope"}},
            "entry 1: request.headers is not a list",
        ),
        (entry(url="https://a/x y"), "entry 1: the URL's path"),
        (entry(post={"encoding": "base64", "text": "***"}), "entry 1: postData.text is not the base64"),
    ],
)
def test_an_entry_a_case_cannot_send_as_the_browser_did_is_named(tmp_path: Path, bad: dict, message: str) -> None:
    with pytest.raises(har.HarError, match=re.escape(message)):
        har.import_file(har_file(tmp_path, bad), tmp_path / "out.toml")
    assert not (tmp_path / "out.toml").exists()  # nothing half written


def test_import_har_on_the_command_line_refuses_to_overwrite(tmp_path: Path) -> None:
    har_file(tmp_path, entry())
    (tmp_path / "cases.toml").write_text("# mine\n")
    refused = cli(tmp_path, "import-har", "session.har", "--out", "cases.toml")
    assert refused.returncode == 2 and "exists already; choose another --out, or pass --force" in refused.stderr
    assert (tmp_path / "cases.toml").read_text() == "# mine\n"
    done = cli(tmp_path, "import-har", "session.har", "--out", "cases.toml", "--force")
    assert done.returncode == 0 and done.stdout.strip() == "wrote 1 case to cases.toml"


def test_init_writes_a_config_for_the_worker_folders_it_finds(tmp_path: Path) -> None:
    worker_folder(tmp_path, "api-js")
    worker_folder(tmp_path / "python", "api-py", "src/entry.py", "wrangler.jsonc")
    worker_folder(tmp_path / "node_modules", "some-package")  # not a worker of the project
    said = starter.init(tmp_path)
    config = (tmp_path / "workers-parity.toml").read_text()
    assert 'folder = "api-js"' in config and 'folder = "python/api-py"' in config and "node_modules" not in config
    assert said[0] == f"{tmp_path}/workers-parity.toml with 2 workers: api-js, python/api-py".join(["wrote ", ""])
    assert (tmp_path / "parity-cases.toml").exists()
    from workers_parity import project as projects

    loaded = projects.load(tmp_path / "workers-parity.toml")
    assert [w.language for w in loaded.workers] == ["javascript", "python"]
    with pytest.raises(ConfigError, match="exists already"):
        starter.init(tmp_path)


def test_init_without_worker_folders_says_where_to_run_it(tmp_path: Path) -> None:
    result = cli(tmp_path, "init")
    assert result.returncode == 2 and "no worker folder found" in result.stderr


SEEDS = [
    RawRequest("POST", "/items", (("Content-Type", "application/json"),), b'{"name":"a","tags":["x"]}'),
    RawRequest("GET", "/items?limit=2"),
]


@settings(max_examples=300, database=None, suppress_health_check=list(HealthCheck))
@given(mutate.requests(SEEDS).filter(mutate.within_limits))
def test_every_mutation_is_a_request_a_worker_would_see(request: RawRequest) -> None:
    assert request.target.startswith("/")
    names = {name.lower() for name, _ in request.headers}
    assert not names & mutate.EXCLUDED_HEADERS
    assert len(request.head("255.255.255.255:65535")) <= mutate.HEAD_LIMIT


def test_a_mutation_shrinks_back_to_its_seed_but_for_what_matters() -> None:
    """What hypothesis keeps of a failing request: the one change that matters, the rest as the seed had it."""
    shrunk = find(
        mutate.requests(SEEDS[:1]),
        lambda request: request.target.split("?")[0] != "/items" and request.chunk_size is None,
        settings=settings(max_examples=2000, database=None, suppress_health_check=list(HealthCheck)),
    )
    seed = SEEDS[0]
    assert (shrunk.method, shrunk.headers, shrunk.body) == (seed.method, seed.headers, seed.body)
    assert shrunk.target.lower().rstrip("/") == "/items"  # one small change to the path: case, or a slash


def test_fuzz_finds_a_divergence_shrinks_it_and_writes_a_case_that_replays_it(tmp_path: Path) -> None:
    def breaks_on_upper_case(method, path, headers):  # py answers a path in capitals with a stray header
        return {"x-case": "upper"} if path.split("?")[0] != path.split("?")[0].lower() else None

    mask = '[[mask]]\nheader = "date"\n'
    with serving(FakeWorker(), FakeWorker(breaks_on_upper_case)) as (js, py):
        project(tmp_path, {"js": js.url, "py": py.url}, mask)
        found = cli(tmp_path, "fuzz", "--examples", "300", "--seed", "1")
        again = cli(tmp_path, "run")
    assert found.returncode == 1, found.stdout + found.stderr
    assert "header x-case differs" in found.stderr and "curl " in found.stderr
    (case,) = load.load([tmp_path / "parity-found.toml"])
    assert case.exact.target.split("?")[0] != case.exact.target.split("?")[0].lower()
    assert case.note.startswith("found by workers-parity fuzz on ")
    assert again.returncode == 1 and "x-case" in (tmp_path / "reports" / "parity.md").read_text()  # replayed


def test_fuzz_on_workers_that_agree_finds_nothing(tmp_path: Path) -> None:
    with serving(FakeWorker(), FakeWorker()) as (js, py):
        project(tmp_path, {"js": js.url, "py": py.url})
        result = cli(tmp_path, "fuzz", "--examples", "150", "--seed", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "requests x 2 workers" in result.stdout and "no divergence" in result.stdout
    assert not (tmp_path / "parity-found.toml").exists()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ('pad_to = 10\nbody = "x"', "cases.toml:3: case 'a': pad_to pads a form"),
        ('form = [["name", "Ada"]]\npad_to = 5', "cases.toml:4: case 'a': the fields alone take 17 bytes"),
        ('form = "a=1"\npad_to = 50', "pad_to needs the form's fields"),
        ('multipart = [{ value = "x" }]', "a multipart part needs a name"),
        ('multipart = [{ name = "a", size = 1 }]', "unknown multipart part key 'size'"),
        ('hex = "zz"', "hex must be pairs of hex digits"),
        ("path = { repeat = 'a' }", "path: {'repeat': 'a'} is neither a string nor"),
        ("chunk_size = 0\nchunked = true\nbody = 'x'", "chunk_size must be at least 1"),
        ("headers = [['A']]", 'headers as pairs are written [["name", "value"], …]'),
        ("mask = 'date'", "mask is a list of tables"),
        ('raw = "GET / HTTP/1.0\\r\\n\\r\\n"\npath = "/"', "a raw request is given whole, without path"),
    ],
)
def test_a_case_that_cannot_be_sent_is_named_with_its_line(tmp_path: Path, case: str, message: str) -> None:
    path = tmp_path / "cases.toml"
    path.write_text(f'[[case]]\nid = "a"\n{case}\n')
    with pytest.raises(load.CaseError, match=re.escape(message)):
        load.load([path])


def test_pad_to_pads_a_form_to_exactly_that_size(tmp_path: Path) -> None:
    path = tmp_path / "cases.toml"
    fields = '[["name", "Ada"]]'
    path.write_text(f'[[case]]\nid = "u"\nform = {fields}\npad_to = 100\n\n[[case]]\nid = "m"\nmultipart = '
                    '[{ name = "name", value = "Ada" }]\npad_to = 300\n')  # fmt: skip
    urlencoded, multipart = load.load([path])
    assert len(urlencoded.body) == 100 and urlencoded.body.startswith(b"name=Ada&padding=aaa")
    assert len(multipart.body) == 300 and multipart.headers["content-type"].startswith("multipart/form-data; boundary=")
