"""Requests to a worker as the suite means them: `requests` sends them exactly as given (no added headers, no
redirects followed, body bytes as received); the few paths it would rewrite go through workers_parity.http.rawhttp."""

from __future__ import annotations

import re

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.util import SKIP_HEADER

from workers_parity.http import rawhttp
from workers_parity.http.reply import TRANSPORT_HEADERS, Reply

__all__ = ["TRANSPORT_HEADERS", "Reply", "new_session", "request", "get"]

Body = bytes | list[bytes] | None  # a list is sent chunked, one chunk per non-empty piece

# urllib3 re-encodes a request target before sending it: it upper-cases percent-escapes (%2e -> %2E), turns every `%`
# into `%25` once one escape is malformed (%zz), and escapes characters outside RFC 3986's sets; requests drops a
# fragment and an empty query. Paths made only of what both leave alone go through requests; the rest go raw.
_PCHAR = r"(?:[A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-F]{2})"
_SENT_AS_GIVEN = re.compile(rf"/{_PCHAR}*(?:\?(?:{_PCHAR}|\?)+)?")


def sent_as_given(path: str) -> bool:
    """Does requests (through urllib3) put this path on the wire byte for byte?"""
    return _SENT_AS_GIVEN.fullmatch(path) is not None


class _OneUsePool(urllib3.HTTPConnectionPool):
    """Closes each connection once its answer is read instead of keeping it for the next request.

    Why not keep-alive: a dev server may close an idle pooled connection just as a request goes out on it (Node's
    server, in front of wrangler dev, does after 5 s idle; a restarted server drops them all), and the request fails;
    retrying would be worse, sending a request that writes twice and writing twice. A connection per request is what
    http.client did here before, costs a local connect, and leaves requests with nothing to retry (it retries nothing
    by default, and we keep it so)."""

    def _put_conn(self, conn) -> None:
        if conn is not None:
            conn.close()


class _OneUseHTTPSPool(_OneUsePool, urllib3.HTTPSConnectionPool):
    pass


class _OneUseAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _OneUsePool, "https": _OneUseHTTPSPool}


def new_session() -> requests.Session:
    """A session that sends what the caller says and nothing more (one for each worker under test)."""
    session = requests.Session()
    # requests' defaults would add Accept-Encoding: gzip (workerd then compresses answers), Accept, Connection and
    # User-Agent. `request` hands its own PreparedRequest to the session's adapter, so neither these defaults nor
    # cookies, redirects or proxies from the environment reach it; cleared anyway for anyone using the session directly.
    session.headers.clear()
    session.trust_env = False
    for prefix in ("http://", "https://"):
        session.mount(prefix, _OneUseAdapter())
    return session


def request(
    base_url: str,
    method: str,
    path: str,
    body: Body = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
    session: requests.Session | None = None,
) -> Reply:
    """Send one request (in `session`, else in a session of its own); a list body is sent chunked."""
    headers = dict(headers or {})
    if not sent_as_given(path):  # requests would rewrite the path (see _SENT_AS_GIVEN): raw bytes keep it
        raw = rawhttp.request_bytes(base_url, method, path, headers, body)
        return rawhttp.exchange(base_url, raw, timeout, fill_host=False)
    if session is None:
        with new_session() as own:
            return _send(own, base_url, method, path, body, headers, timeout)
    return _send(session, base_url, method, path, body, headers, timeout)


def _send(session, base_url, method, path, body: Body, headers: dict[str, str], timeout: float) -> Reply:
    prepared = requests.PreparedRequest()
    prepared.method = method
    prepared.url = base_url + path  # set as is: PreparedRequest.prepare_url would re-quote the path
    prepared.headers = _request_headers(headers, body)
    prepared.body = iter(body) if isinstance(body, list) else body
    # The adapter, not session.send: even with allow_redirects=False, session.send reads (and gunzips) a 3xx answer's
    # body to prepare the redirect it does not follow (a 3xx is judged as it came); the adapter only transports.
    adapter = session.get_adapter(prepared.url)
    with adapter.send(prepared, stream=True, timeout=timeout) as response:
        payload = _raw_body(response)
        received = tuple((name.lower(), value) for name, value in response.raw.headers.iteritems())
    return Reply(response.status_code, received, payload)


def _request_headers(headers: dict[str, str], body: Body) -> CaseInsensitiveDict:
    """The caller's headers, the framing for a bytes body, and no User-Agent (urllib3 would add its own).

    urllib3 adds Host and http.client `Accept-Encoding: identity` unless given, frames a list body chunked, and gives
    a body-less POST, PUT or PATCH `Content-Length: 0` (as http.client did); rawhttp.request_bytes frames alike."""
    sent = CaseInsensitiveDict({"User-Agent": SKIP_HEADER})
    sent.update(headers)
    if isinstance(body, bytes):
        if "transfer-encoding" in sent and "content-length" not in sent:
            raise ValueError(
                "a hand-framed chunked body goes raw (workers_parity.http.rawhttp): requests would chunk it again"
            )
        sent.setdefault("Content-Length", str(len(body)))  # without it requests sends a bytes body chunked
    return sent


def _raw_body(response: requests.Response) -> bytes:
    """The body bytes as they arrived: no content-encoding undone (requests' .content would gunzip)."""
    try:
        return response.raw.read(decode_content=False)
    except urllib3.exceptions.HTTPError as error:  # requests translates these only when it reads the body itself
        raise requests.exceptions.ConnectionError(error, response=response) from error


def refused(error: BaseException) -> bool:
    """Whether nothing listened (connection refused), however requests and urllib3 wrapped it."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def get(base_url: str, path: str, **kwargs) -> Reply:
    return request(base_url, "GET", path, **kwargs)
