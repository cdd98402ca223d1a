"""Raw requests reach an https worker (a deployed one, say) through TLS, its certificate checked as requests does."""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import pytest

from workers_parity.ci import missing_tool
from workers_parity.http import rawhttp

if shutil.which("openssl") is None:
    missing_tool("openssl is needed to make a test certificate", module_level=True)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
        + ["-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_server(certificate):
    """An https server on localhost that records the first request's bytes and answers 200 "seen"."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    listener = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []

    def serve() -> None:
        with (
            listener,
            contextlib.suppress(ssl.SSLError),
            context.wrap_socket(listener.accept()[0], server_side=True) as conn,
        ):
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(4096)
            received.append(data)
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\nconnection: close\r\n\r\nseen")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"https://localhost:{listener.getsockname()[1]}", received
    thread.join(timeout=10)


def test_a_raw_request_goes_byte_for_byte_through_tls(tls_server, certificate, monkeypatch) -> None:
    base_url, received = tls_server
    monkeypatch.setattr(rawhttp, "tls_context", lambda: ssl.create_default_context(cafile=str(certificate[0])))
    reply = rawhttp.exchange(base_url, b"GET /a%zz/../b HTTP/1.1\r\nHost: {host}\r\n\r\n")
    assert (reply.status, reply.body) == (200, b"seen")
    port = base_url.rsplit(":", 1)[1]
    assert received == [f"GET /a%zz/../b HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n".encode()]


def test_an_untrusted_certificate_is_refused(tls_server) -> None:
    base_url, _ = tls_server
    with pytest.raises(ssl.SSLCertVerificationError):
        rawhttp.exchange(base_url, b"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n", timeout=10)


def test_other_schemes_are_refused_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match="speak http and https, not ftp://example.com"):
        rawhttp.address("ftp://example.com")
    assert rawhttp.address("https://example.com") == ("example.com", 443)
    assert rawhttp.address("http://127.0.0.1:8787") == ("127.0.0.1", 8787)
