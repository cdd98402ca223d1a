"""Hypothesis strategies for whole raw requests to the workers (test_fuzz.py): methods, request targets, headers,
content types and bodies, aimed at the edges CONTRACT.md decides.

Every string is a byte string (http.rawrequest): non-ASCII text is written as its UTF-8 bytes, one code point each.
The requests stay inside what the contract and its oracle (expected.py) decide:
- methods the runtime accepts (lowercase and unknown methods get workerd's own 501 before any worker runs, C12.1);
- no header that frames the message or describes the connection (RawRequest frames the body itself; hop-by-hop
  headers and `expect` are the transport's), no `accept-encoding` (workerd then compresses the answer, which the
  oracle does not model, C14.2), and no `mf-*` header (miniflare's own, honoured only by the local dev stack:
  `MF-Original-URL` replaces the request URL);
- heads (request line and headers) within C16.2's 256 KiB, beyond which workerd may answer 431 itself;
- header values without NUL, CR or LF, names that are tokens, targets that start with `/` and hold neither space,
  control character nor DEL, their bytes beyond ASCII valid UTF-8 (workerd answers anything else itself with a 400,
  `invalid URI` or `invalid HTTP header parsed`, before any worker runs).
"""

from __future__ import annotations

from itertools import cycle, islice

from hypothesis import strategies as st

from workers_parity.http import bodies
from workers_parity.http.bodies import MULTIPART, URLENCODED


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


GET_LIKE = ("GET", "HEAD")
ACCEPTED_METHODS = GET_LIKE + words("POST PUT DELETE PATCH OPTIONS TRACE PURGE PROPFIND MKCOL COPY MOVE LOCK UNLOCK")
ACCEPTED_METHODS += words("REPORT SEARCH ACL MERGE NOTIFY SUBSCRIBE QUERY")
MAX_BODY_BYTES = 65536
HEAD_PROMISE = 262_144  # C16.2: a header section up to 256 KiB reaches the worker
WIDEST_AUTHORITY = "255.255.255.255:65535"  # the Host header the head is measured with
TCHAR = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
EXCLUDED_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "te", "trailer"}
EXCLUDED_HEADERS |= {"upgrade", "proxy-connection", "expect", "accept-encoding"}


def utf8(text: str) -> str:
    """Text as the byte string of its UTF-8 encoding."""
    return text.encode("utf-8").decode("latin-1")


def repeated_to(seed: str, length: int) -> str:
    return "".join(islice(cycle(seed), length)) if seed else ""


def strings(pieces: list[str] | tuple[str, ...], min_size: int = 0, max_size: int = 8) -> st.SearchStrategy[str]:
    """Strings joined from `pieces` (which may be longer than one character, unlike st.text's alphabet)."""
    return st.lists(st.sampled_from(pieces), min_size=min_size, max_size=max_size).map("".join)


def long_text(seed: st.SearchStrategy[str], lengths: tuple[int, ...]) -> st.SearchStrategy[str]:
    """A seed repeated to one of `lengths` (or a few more or fewer) characters: long values without long draws."""
    length = st.builds(lambda base, delta: max(0, base + delta), st.sampled_from(lengths), st.integers(-2, 2))
    return st.builds(repeated_to, seed.filter(bool), length)


def one_in(draw, n: int) -> bool:
    """True one time in n. The rare branch is the largest integer, since hypothesis shrinks integers toward 0 (and
    lists toward empty, sampled_from toward its first element, booleans toward False): simple choices come first."""
    return draw(st.integers(0, n - 1)) == n - 1


def choice(draw, odd: bool, usual, others: tuple | list | range):
    """`usual` in a clean request; in an odd one, a third of the time one of `others`."""
    return draw(st.sampled_from(others)) if odd and one_in(draw, 3) else usual


# --- request targets -----------------------------------------------------------------------------------------

ROUTE_NAMES = ("", "hello", "form", "counter", "status")
SEGMENTS = ROUTE_NAMES + words(". .. %2e %2E .%2e %2e%2E %2e. x %68ello HELLO Form form%20 %66orm hello% %zz %FF")
SEGMENTS += words("%C3%A9 ;x hello; a\\b \\ ~ !$&'()*+,=:@ %00 ..%2f %2F") + (utf8("café"), utf8("😀"))
QUERY_PIECES = ("", *words("x=1 name=Bob message=hi & = ? / .. %zz % + %FF a=b=c # #x"))
target_text = strings([*"aZ09-._~!$&'()*+,;=:@/?%", "\\", utf8("é"), utf8("\U0001d504")])
# (seed, sizes in bytes): whole repetitions, so that UTF-8 stays valid. Up to 60 KB, so that the URL workerd builds
# (non-ASCII bytes percent-encoded, three characters each) stays under the 65,535 bytes of C16.1, past which
# wrangler dev's second hop answers a 500 of its own.
LONG_QUERIES = (
    ("a", (1_000, 16_384, 60_000)),
    ("%41", (1_000, 60_000)),
    ("x=1&", (8_192,)),
    (utf8("é"), (1_000, 8_192)),
)
query_text = st.one_of(
    st.lists(st.one_of(st.sampled_from(QUERY_PIECES), target_text), max_size=5).map("".join),
    st.sampled_from(LONG_QUERIES).flatmap(
        lambda long: st.sampled_from(long[1]).map(lambda size: long[0] * (size // len(long[0])))
    ),
)


@st.composite
def targets(draw) -> str:
    """A path near a route (dot segments, percent-escapes, empty segments, case, non-ASCII), maybe a query and a
    fragment; sometimes exactly a route."""
    if draw(st.integers(0, 3)) == 0:
        path = "/" + draw(st.sampled_from(ROUTE_NAMES))
    else:
        segments = draw(st.lists(st.one_of(st.sampled_from(SEGMENTS), target_text), min_size=1, max_size=5))
        path = "/" + "/".join(segment.replace("?", "%3F").replace("#", "%23") for segment in segments)
    if draw(st.booleans()):
        path += "?" + draw(query_text)
    if one_in(draw, 8):
        path += "#" + draw(target_text)
    return path


# --- headers -------------------------------------------------------------------------------------------------


HEADER_NAMES = words(
    "X-Fuzz x-a Accept Accept-Language User-Agent Cookie Authorization Referer Origin Cache-Control Pragma "
    "If-None-Match If-Modified-Since Range X-Forwarded-For Forwarded Content-Language Content-Disposition "
    "Content-Encoding Content-Location X-Worker Allow Location Set-Cookie CF-Connecting-IP X-HTTP-Method-Override"
)
token = strings(TCHAR, min_size=1, max_size=16)
header_names = st.one_of(st.sampled_from(HEADER_NAMES), token).filter(
    lambda name: name.lower() not in EXCLUDED_HEADERS and not name.lower().startswith("mf-")
)
# Printable ASCII, tab, other controls (not NUL, CR, LF), DEL, and bytes of non-ASCII text, valid or not.
VALUE_CHARACTERS = [chr(code) for code in range(0x20, 0x7F)] + ["\t", "\x01", "\x0b", "\x0c", "\x1f", "\x7f"]
VALUE_CHARACTERS += ["\x80", "\xc3", "\xa9", "\xff", utf8("é"), utf8("€"), utf8("😀"), utf8("\ufeff")]


@st.composite
def header_values(draw) -> str:
    """Short mostly; sometimes empty, with spaces or tabs around, or 1-64 KiB long."""
    kind = draw(st.integers(0, 19))
    if kind == 19:
        return draw(long_text(strings(VALUE_CHARACTERS, min_size=1, max_size=4), (1_000, 8_192, 65_536)))
    if kind == 18:
        return ""
    value = draw(strings(VALUE_CHARACTERS, max_size=24))
    return value if kind < 16 else draw(st.sampled_from([" ", "\t", "  \t"])) + value + draw(st.sampled_from(["", " "]))


@st.composite
def extra_headers(draw, odd: bool) -> list[tuple[str, str]]:
    """Headers the contract ignores: a few, some repeated (in any case), rarely a hundred, or one of 100 or 190 KB
    (header sections up to 256 KiB reach the worker, C16.2; `requests` keeps every head within that)."""
    if not odd:
        return draw(st.lists(st.tuples(st.sampled_from(HEADER_NAMES[:5]), strings(TCHAR, max_size=8)), max_size=2))
    headers = draw(st.lists(st.tuples(header_names, header_values()), max_size=4))
    if headers and draw(st.booleans()):
        name, _ = draw(st.sampled_from(headers))
        repeated = (draw(st.sampled_from([name, name.upper()])), draw(header_values()))
        headers.insert(draw(st.integers(0, len(headers))), repeated)
    size = draw(st.integers(0, 29))
    if size == 28:
        headers += [(f"X-Many-{index % 7}", str(index)) for index in range(100)]
    elif size == 29:
        headers.append(("X-Long", "a" * draw(st.sampled_from([100_000, 190_000]))))
    return headers


# --- content types -------------------------------------------------------------------------------------------

FORM_TYPES = (URLENCODED, MULTIPART, "Multipart/Form-Data", "APPLICATION/X-WWW-FORM-URLENCODED")
OTHER_TYPES = ("text/plain", "application/json", "", "multipart/mixed", "multipart/form-data-x")
OTHER_TYPES += ("application/x-www-form-urlencoded2", "multipart", "form-data")
MEDIA_TYPES = FORM_TYPES + OTHER_TYPES
SPACING = (" ", "\t", "  ", "\x0c", "\x0b", "\t \x0c")
BOUNDARY_CHARACTERS = [*"azAZ09'()+_,-./:=? ", ";", '"', "\\", "\t", utf8("é"), utf8("ÿ"), "\xff", "\x7f", "\x01"]
boundaries = st.one_of(
    st.sampled_from(["bnd", "----WebKitFormBoundary7MA4YWxkTrZu0gW", "a", "x y", "-", "--", "=", "?:"]),
    strings(BOUNDARY_CHARACTERS, max_size=12),
    long_text(st.sampled_from(["a", "-", "0"]), (70, 71, 200)),
)
OTHER_PARAMETERS = ("charset=utf-8", 'charset="UTF-8"', "charset=latin1", "x", "=x", "x=", 'x="a;b"', "a=b=c", "")


def boundary_parameter(boundary: str, style: str) -> str:
    """How a content type writes the boundary: plain, quoted, with backslashes, with spaces around `=`, ..."""
    return {
        "plain": f"boundary={boundary}",
        "quoted": f'boundary="{boundary}"',
        "escaped": 'boundary="' + boundary.replace("\\", "\\\\").replace('"', '\\"') + '"',
        "unterminated": f'boundary="{boundary}',
        "upper": f"BOUNDARY={boundary}",
        "space-before": f"boundary ={boundary}",
        "space-after": f"boundary= {boundary}",
        "empty": "boundary=",
        "empty-quoted": 'boundary=""',
    }[style]


BOUNDARY_STYLES = ("quoted", "escaped", "unterminated", "upper", "space-before", "space-after", "empty")
BOUNDARY_STYLES += ("empty-quoted",)


@st.composite
def content_types(draw, media: str, boundary: str | None, odd: bool) -> str:
    """A content type for `media`, with odd spacing and parameters, and the boundary (when given) among them."""
    parameters = draw(st.lists(st.sampled_from(OTHER_PARAMETERS), max_size=2)) if odd else []
    if boundary is not None:
        written = boundary_parameter(boundary, choice(draw, odd, "plain", BOUNDARY_STYLES))
        parameters.insert(draw(st.integers(0, len(parameters))), written)
        if odd and one_in(draw, 6):  # a second boundary parameter, before or after
            parameters.insert(draw(st.integers(0, len(parameters))), f"boundary={draw(boundaries)}")
    separator = choice(draw, odd, "; ", [";", " ;", ";\t", ";;"])
    text = choice(draw, odd, "", SPACING) + media + choice(draw, odd, "", SPACING)
    return separator.join([text, *parameters]) if parameters else text + choice(draw, odd, "", [";"])


# --- bodies --------------------------------------------------------------------------------------------------

FIELD_NAMES = ("name", "message")
ODD_FIELD_NAMES = ("Name", "padding", "", utf8("名"), "name ", " name", "nam\x00e", "name\r\n", 'na"me')
TRICKY_TEXT = ["\x00", "\r\n", "\n", "\r", "\t", " ", "\x0b", "\x0c", "\xa0", "\u3000", "\ufeff", "\ufffd", "\u0301"]
TRICKY_TEXT += ["<", ">", "&", "'", '"', "+", "%", "=", ";", "😀", "𝔄", "\u202e", "é", "a"]
value_text = st.one_of(
    strings(TRICKY_TEXT),
    strings(["a", "b", " ", "é"]),
    long_text(strings(TRICKY_TEXT + ["a", "b"], min_size=1, max_size=3), (99, 100, 101, 999, 1000)),
)
INVALID_UTF8 = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf0\x9f\x98", b"\x80"]
value_bytes = st.one_of(
    value_text.map(str.encode),
    value_text.map(str.encode),
    st.lists(st.one_of(value_text.map(str.encode), st.sampled_from(INVALID_UTF8)), max_size=4).map(b"".join),
)


def field_names(draw, odd: bool) -> str:
    return draw(st.sampled_from(FIELD_NAMES + (ODD_FIELD_NAMES if odd else ())))


def percent_encoded(data: bytes, style: int) -> bytes:
    """Style 0: raw; 1: every byte %XX (upper case); 2: spaces as +, reserved bytes %xx (lower case)."""
    if style == 0:
        return data
    if style == 1:
        return b"".join(b"%%%02X" % byte for byte in data)
    return b"".join(
        b"+" if byte == 0x20 else bytes([byte]) if chr(byte).isalnum() and byte < 0x80 else b"%%%02x" % byte
        for byte in data
    )


@st.composite
def urlencoded_bodies(draw, odd: bool = True) -> bytes:
    """Pieces joined by `&` (or `&&`, `;`): names and values raw or percent-encoded, stray `%`, `+`, no `=`."""
    pieces = []
    for _ in range(draw(st.integers(0, 4))):
        name = percent_encoded(field_names(draw, odd).encode("latin-1"), choice(draw, odd, 2, [0, 1]))
        value = percent_encoded(draw(value_bytes), draw(st.integers(0, 2)))
        form = choice(draw, odd, 2, [0, 1])
        pieces.append(name if form == 0 else name + b"=" + value + (b"=x" if form == 1 else b""))
    separator = choice(draw, odd, b"&", [b"&&", b";", b"&amp;"])
    return choice(draw, odd, b"", [b"&"]) + separator.join(pieces)


DISPOSITION_TYPES = ("FORM-DATA", "Form-Data", "attachment", "form-data ", " form-data", "")
FILENAMES = ('filename="a.txt"', 'filename=""', "filename=a.txt", "filename*=UTF-8''a.txt", 'FILENAME="a"')


def name_parameter(name: str, style: int) -> str:
    return [
        f'name="{name}"',
        f"name={name}",
        'name=""',
        f'NAME="{name}"',
        f"name='{name}'",
        f'name = "{name}"',
        f'name="{name.replace(chr(34), chr(92) + chr(34))}"',
        f"name*=UTF-8''{name}",
    ][style]


@st.composite
def dispositions(draw, odd: bool) -> str:
    """A Content-Disposition value: type, name in one of its spellings, maybe a filename before or after."""
    parameters = [name_parameter(field_names(draw, odd), choice(draw, odd, 0, range(1, 8)))]
    if one_in(draw, 5):
        parameters.insert(draw(st.integers(0, 1)), draw(st.sampled_from(FILENAMES)))
    if odd and one_in(draw, 5):
        parameters.insert(draw(st.integers(0, len(parameters))), draw(st.sampled_from(["x=1", 'x="1"', "", "name"])))
    separator = choice(draw, odd, "; ", [";", " ; ", ";\t"])
    return separator.join([choice(draw, odd, "form-data", DISPOSITION_TYPES), *parameters])


PART_HEADERS = ("Content-Type: text/plain", "Content-Type: application/octet-stream; charset=latin1")
PART_HEADERS += ("Content-Transfer-Encoding: base64", "X-Note:", "no colon", " continued", "X-Bad : v", "x-\x00: v")


@st.composite
def part_heads(draw, newline: st.SearchStrategy[str], odd: bool) -> str:
    """A part's header block, ended by its blank line: Content-Disposition (in any case, or missing) and others."""
    name = choice(draw, odd, "Content-Disposition", ["content-disposition", "CONTENT-DISPOSITION", None])
    lines = [name + choice(draw, odd, ": ", [":", ":  "]) + draw(dispositions(odd))] if name else []
    for _ in range(choice(draw, odd, 0, [1, 2])):
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(PART_HEADERS)))
    return "".join(line + draw(newline) for line in lines) + draw(newline)


@st.composite
def multipart_bodies(draw, boundary: str, odd: bool) -> bytes:
    """Parts between delimiters: CRLF or LF line ends (or both), a preamble and an epilogue, header variants,
    values with tricky bytes (the delimiter itself included), the closing delimiter present, bare or missing."""
    line_end = choice(draw, odd, "\r\n", ["\n", "mixed"])
    newline = st.sampled_from(["\r\n", "\n"]) if line_end == "mixed" else st.just(line_end)
    upper = boundary.encode("latin-1").upper().decode("latin-1")  # ASCII letters only, as a byte string
    delimiter = "--" + choice(draw, odd, boundary, ["other", upper, boundary + " "])
    body = choice(draw, odd, "", ["preamble\r\n", "\r\n", "--", "preamble"])
    for _ in range(draw(st.integers(0, 3))):
        body += delimiter + choice(draw, odd, "", [" ", "\t"]) + draw(newline) + draw(part_heads(newline, odd))
        value = draw(value_bytes).decode("latin-1")
        body += choice(draw, odd, value, [f"x\r\n{delimiter}y"]) + draw(newline)
    body += delimiter + choice(draw, odd, "--", ["--\r\n", "", "-"])
    body += choice(draw, odd, "", ["epilogue", "\r\n" + delimiter + "\r\n"])
    data = body.encode("latin-1")
    if odd and one_in(draw, 6):  # truncated anywhere
        data = data[: draw(st.integers(0, len(data)))]
    return data


def padded(body: bytes, size: int, padding: bytes) -> bytes:
    """The body with `padding` repeated to reach exactly `size` bytes (unchanged when already longer)."""
    missing = size - len(body)
    return body + bytes(islice(cycle(padding), missing)) if missing > 0 else body


# Around C7's 64 KiB: exactly at, one under, one over, and a little further.
LARGE_SIZES = (MAX_BODY_BYTES - 1, MAX_BODY_BYTES, MAX_BODY_BYTES + 1, MAX_BODY_BYTES + 7, 64_000, 70_000)


@st.composite
def form_bodies(draw, media: str, boundary: str, odd: bool) -> bytes:
    """A body in the content type's encoding (sometimes in the other one), one in twelve padded to around 64 KiB."""
    kind = media.lower()
    large = one_in(draw, 12)
    if kind == MULTIPART or (kind != URLENCODED and draw(st.booleans())):
        body = draw(multipart_bodies(boundary, odd))
        closing = f"--{boundary}--".encode("latin-1")
        head, separator, tail = body.rpartition(closing)
        if large and separator:  # a padding part before the closing delimiter keeps the form readable
            # the delimiter by hand: the boundary is a byte string, which bodies.delimiter would encode as UTF-8
            filler = f"--{boundary}\r\n".encode("latin-1") + bodies.part("padding", b"")
            size = draw(st.sampled_from(LARGE_SIZES)) - len(separator + tail) - 2
            body = padded(head + filler, size, b"a") + b"\r\n" + separator + tail
    else:
        body = draw(urlencoded_bodies(odd))
        if large:
            body = padded(body + b"&padding=", draw(st.sampled_from(LARGE_SIZES)), b"a")
    return body


# --- whole requests ------------------------------------------------------------------------------------------

Parts = tuple[str, str, list[tuple[str, str]], bytes | None, int | None]  # RawRequest's fields


def chunk_sizes(body: bytes | None, odd: bool) -> st.SearchStrategy[int | None]:
    """Content-length framing mostly; chunked in pieces of a few sizes (at most about 500 pieces)."""
    smallest = len(body or b"") // 500 + 1
    sizes = st.sampled_from([1, 7, 100, 4096, 16_384]).map(lambda size: max(size, smallest))
    return st.one_of(st.just(None), st.just(None), st.just(None), sizes) if odd else st.just(None)


@st.composite
def form_posts(draw) -> Parts:
    """POST /form (or a path that resolves to it) with a content type, odd or not, and a body to match; half of
    them clean requests with odd values only, half odd in every way."""
    odd = draw(st.booleans())
    target = choice(draw, odd, "/form", ["/form?name=Query", "/x/../form", "/%2e/form", "/form#f"])
    media = choice(draw, odd, draw(st.sampled_from(FORM_TYPES)), OTHER_TYPES)
    boundary = draw(boundaries) if odd else "bnd"
    headers = draw(extra_headers(odd))
    content_type = draw(content_types(media, boundary if "multipart" in media.lower() else None, odd))
    placement = choice(draw, odd, "one", ["none", "twice", "split"])
    if placement == "one":
        headers.insert(draw(st.integers(0, len(headers))), ("Content-Type", content_type))
    elif placement == "twice":  # a second content-type header joins the first (C16.3)
        headers += [("Content-Type", content_type), ("content-type", draw(st.sampled_from(MEDIA_TYPES)))]
    elif placement == "split":  # the parameters in a second header: joined with ", " they follow the first
        media_part, _, rest = content_type.partition(";")
        headers += [("Content-Type", media_part), ("Content-Type", rest)]
    body = draw(form_bodies(media, boundary, odd))
    return "POST", target, headers, body, draw(chunk_sizes(body, odd))


@st.composite
def any_requests(draw) -> Parts:
    """Any accepted method to any target, with headers the contract ignores and maybe a body."""
    method = draw(st.sampled_from(GET_LIKE * 6 + ACCEPTED_METHODS))
    odd = draw(st.booleans())
    headers = draw(extra_headers(odd))
    if one_in(draw, 4):
        headers.append(("Content-Type", draw(content_types(draw(st.sampled_from(MEDIA_TYPES)), "bnd", odd))))
    body = draw(st.one_of(st.none(), st.none(), urlencoded_bodies(), st.binary(max_size=64)))
    return method, draw(targets()), headers, body, draw(chunk_sizes(body, odd))


def requests(build) -> st.SearchStrategy:
    """Raw requests, built by `build(method, target, headers, body, chunk_size)`: two in three are form posts."""
    return st.one_of(form_posts(), form_posts(), any_requests()).map(lambda parts: build(*parts)).filter(head_promised)


def head_promised(raw) -> bool:
    """Is the whole head (request line included: workerd counts it) within C16.2's promise? Between 256 KiB and
    workerd's limit near 492,000 bytes the platform answers 200 or 431 from one try to the next."""
    return len(raw.head(WIDEST_AUTHORITY)) <= HEAD_PROMISE
