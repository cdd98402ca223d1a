"""One HTTP/1.1 request sent as exact bytes over a socket: any method, a request target http.client would refuse
(non-ASCII bytes), headers repeated and in order, the body framed by content-length or chunked. The fuzzer builds
them (`workers-parity fuzz`, and this repository's deeper fuzzer) and cases replay them (a case whose `headers` is a
list of pairs).

Text fields are byte strings: one code point U+0000-U+00FF per byte (Latin-1, as http.client writes header values),
so a TOML file can hold any request head exactly.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from urllib.parse import urlsplit

from workers_parity.http import client, rawhttp

# Added by RawRequest.wire itself: the request's own headers must not set them.
FRAMING_HEADERS = frozenset({"host", "content-length", "transfer-encoding"})
OPTIONAL_WHITESPACE = " \t"  # around a field value (RFC 9110 5.5), dropped by the HTTP parser
LONG_RUN = 32  # a byte repeated this often is written as a repetition in a reproduction


@dataclass(frozen=True)
class RawRequest:
    method: str
    target: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    chunk_size: int | None = None  # None: content-length framing (when there is a body); else chunked pieces

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", tuple((name, value) for name, value in self.headers))
        framing = [name for name, _ in self.headers if name.lower() in FRAMING_HEADERS]
        if framing:
            raise ValueError(f"a RawRequest frames itself; drop the headers {framing}")

    def __repr__(self) -> str:  # short: hypothesis prints it for a failing example, and a body may be 64 KiB
        return f"RawRequest({self.describe()})"

    def head(self, authority: str) -> bytes:
        """The request line and headers; Host first, the framing header last."""
        lines = [f"{self.method} {self.target} HTTP/1.1", f"Host: {authority}"]
        lines += [f"{name}: {value}" if value else f"{name}:" for name, value in self.headers]
        if self.chunk_size is not None:
            lines.append("Transfer-Encoding: chunked")
        elif self.body is not None:
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def framed_body(self) -> bytes:
        body = self.body or b""
        if self.chunk_size is None:
            return body
        pieces = [body[start : start + self.chunk_size] for start in range(0, len(body), self.chunk_size)]
        return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"

    def wire(self, authority: str) -> bytes:
        return self.head(authority) + self.framed_body()

    def send(self, base_url: str, timeout: float = 30.0) -> client.Reply:
        """Sent and answered as rawhttp sends any raw request (the head already names the server)."""
        return rawhttp.exchange(base_url, self.wire(urlsplit(base_url).netloc), timeout, fill_host=False)

    def target_text(self) -> str:
        """The target as text (its bytes read as UTF-8), as a corpus case or the oracle writes one."""
        return self.target.encode("latin-1").decode("utf-8", "replace")

    def seen_headers(self) -> dict[str, str]:
        """The headers as a worker reads them (workerd's Headers): names lowercased, values decoded from UTF-8
        (invalid bytes become U+FFFD, as workerd does) and trimmed of spaces and tabs, a repeated header's values
        joined with `, ` in the order sent, except that a value replaces a join that is still empty (workerd drops
        empty fields before the first non-empty one, and keeps later ones: `a`, `` reads `a, `)."""
        seen: dict[str, str] = {}
        for name, value in self.headers:
            text = value.encode("latin-1").decode("utf-8", "replace").strip(OPTIONAL_WHITESPACE)
            joined = seen.get(name.lower())
            seen[name.lower()] = f"{joined}, {text}" if joined else text
        return seen

    def describe(self) -> str:
        target = self.target if len(self.target) <= 120 else f"{self.target[:100]}… ({len(self.target)} bytes)"
        names = ", ".join(name for name, _ in self.headers) or "none"
        framing = f"chunked by {self.chunk_size}" if self.chunk_size is not None else "content-length"
        body = "no body" if self.body is None else f"{len(self.body)}-byte body, {framing}"
        return f"{self.method} {target!r} (headers: {names}; {body})"

    def reproduction(self, base_url: str) -> str:
        """A shell command that sends this request: curl when curl sends exactly these bytes, else the bytes written by
        printf into a few lines of python3 that play `nc`."""
        if curl_can_send(self):
            return self._curl(base_url)
        url = urlsplit(base_url)
        return f"{_shell_bytes(self.wire(url.netloc))} | {_socket_command(url.hostname, url.port or 80, self.method)}"

    def _curl(self, base_url: str) -> str:
        # Without curl's own User-Agent, Accept and (for a body) Content-Type and Expect; -g: no globbing of [] and
        # {}; --path-as-is keeps dot segments; --raw shows the answer as framed.
        method = ["-I"] if self.method == "HEAD" else ["-X", self.method]
        words = ["curl", "--raw", "-sS", "-i", "-g", "--path-as-is", *method, "-H", "User-Agent:", "-H", "Accept:"]
        if self.body is not None:
            words += ["-H", "Expect:"]
            if "content-type" not in {name.lower() for name, _ in self.headers}:
                words += ["-H", "Content-Type:"]
        for name, value in self.headers:
            words += ["-H", f"{name}: {value}" if value else f"{name};"]
        if self.body is not None:
            words += ["--data-binary", "@-"]
        command = " ".join(_shell_word(word) for word in [*words, base_url.rstrip("/") + self.target])
        return f"{_shell_bytes(self.body)} | {command}" if self.body is not None else command


def curl_can_send(request: RawRequest) -> bool:
    """Does curl send exactly these bytes? Not chunks of our size, a target with a fragment, a backslash or a byte
    outside printable ASCII, a header name given twice (curl may merge them), a value with spaces around it, or a
    body with HEAD."""
    names = [name.lower() for name, _ in request.headers]
    return (
        request.chunk_size is None
        and not (request.method == "HEAD" and request.body is not None)
        and all(0x21 <= ord(character) <= 0x7E and character not in "#\\" for character in request.target)
        and len(set(names)) == len(names)
        and all(value == value.strip(OPTIONAL_WHITESPACE) for _, value in request.headers)
    )


def _socket_command(host: str, port: int, method: str) -> str:
    """python3 as `nc`: sends stdin as it is and prints the one answer (nc is not everywhere, and would wait for
    the server to close a kept-alive connection)."""
    script = (
        "import http.client,socket,sys;"
        f's=socket.create_connection(("{host}",{port}));s.sendall(sys.stdin.buffer.read());'
        f'r=http.client.HTTPResponse(s,method="{method}");r.begin();'
        'print(r.status,r.reason);print(r.msg,end="",flush=True);sys.stdout.buffer.write(r.read())'
    )
    return f"python3 -c {shlex.quote(script)}"


def _shell_word(text: str) -> str:
    """A byte string as one shell word: plain quoting when printable ASCII, else bash's $'...' with \\xHH."""
    if all(0x20 <= ord(character) <= 0x7E for character in text):
        return shlex.quote(text)
    return "$'" + "".join(_escaped(ord(character)) for character in text) + "'"


def _escaped(byte: int) -> str:
    if byte in (0x27, 0x5C):  # ' and \
        return "\\" + chr(byte)
    return chr(byte) if 0x20 <= byte <= 0x7E else f"\\x{byte:02x}"


def _shell_bytes(data: bytes) -> str:
    """A command that writes exactly `data` (NUL included) to stdout; long runs of one byte as repetitions."""
    pieces, index = [], 0
    while index < len(data):
        if _run_starts(data, index):
            end = index
            while end < len(data) and data[end] == data[index]:
                end += 1
            pieces.append(f"head -c {end - index} /dev/zero | tr '\\0' '\\{data[index]:03o}'")
            index = end
        else:
            start = index
            while index < len(data) and not _run_starts(data, index):
                index += 1
            pieces.append(f"printf '{_printf_format(data[start:index])}'")
    if not pieces:
        return "printf ''"
    return pieces[0] if len(pieces) == 1 else "{ " + "; ".join(pieces) + "; }"


def _printf_format(data: bytes) -> str:
    """printf's format for these bytes: printable ASCII as is (% doubled), everything else as an octal escape, and
    a leading `-` too (printf would read it as an option)."""
    return "\\055" * data.startswith(b"-") + "".join(
        "%%" if byte == 0x25 else chr(byte) if 0x20 <= byte <= 0x7E and byte not in (0x27, 0x5C) else f"\\{byte:03o}"
        for byte in data[data.startswith(b"-") :]
    )


def _run_starts(data: bytes, index: int) -> bool:
    return data[index : index + LONG_RUN] == bytes([data[index]]) * LONG_RUN
