"""POST /form, each worker against CONTRACT.md's exact pages: C4 (success), C5 (errors), C6 (415), C7 (413)."""

from __future__ import annotations

import expected
import pytest

from workers_parity.http import bodies, client
from workers_parity.http.bodies import URLENCODED, headed_part, part

BOUNDARY = "parityboundary"
MULTIPART = bodies.multipart_type(BOUNDARY)

XSS = """<script>alert("x" & 'y')</script>"""
XSS_ESCAPED = "&lt;script&gt;alert(&quot;x&quot; &amp; &#x27;y&#x27;)&lt;/script&gt;"

Fields = list[tuple[str, "str | bytes"]]


def post(worker, body: bytes | list[bytes], content_type: str | None) -> client.Reply:
    headers = {"content-type": content_type} if content_type is not None else {}
    return worker.request("POST", "/form", body=body, headers=headers)


def multipart(*parts: bytes) -> bytes:
    return bodies.multipart(parts, BOUNDARY)


@pytest.fixture(params=bodies.ENCODINGS)
def submit(request, worker):
    """Post fields in each of the two accepted encodings."""

    def send(fields: Fields) -> client.Reply:
        return post(worker, *bodies.form(request.param, fields, BOUNDARY))

    return send


def assert_html(reply: client.Reply, status: int, body: bytes) -> None:
    assert (reply.status, reply.header("content-type")) == (status, expected.HTML)
    assert reply.body.decode(errors="replace") == body.decode()  # readable diff on failure
    assert reply.body == body


def assert_thanks(reply: client.Reply, name: str, message: str = "") -> None:
    assert_html(reply, 200, expected.thanks_page(name, message))


def assert_form_error(reply: client.Reply, error: str, name: str = "", message: str = "") -> None:
    assert_html(reply, 400, expected.form_page(name, message, error))


def assert_text(reply: client.Reply, status: int, body: bytes) -> None:
    assert (reply.status, reply.header("content-type"), reply.body) == (status, expected.TEXT, body)


# C4 success ---------------------------------------------------------------------------------------------------------


@pytest.mark.contract("C4")
def test_valid_submission_shows_thanks(submit):
    assert_thanks(submit([("name", "Ada"), ("message", "Hello there")]), "Ada", "Hello there")


@pytest.mark.contract("C4")
@pytest.mark.parametrize("fields", [[("name", "Ada")], [("name", "Ada"), ("message", "")]], ids=["missing", "empty"])
def test_message_is_optional(submit, fields):
    assert_thanks(submit(fields), "Ada", "")


@pytest.mark.contract("C4")
@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded; charset=UTF-8",
        "Application/X-WWW-Form-URLEncoded",
        " application/x-www-form-urlencoded ; charset=iso-8859-1",  # charset ignored: bodies are always UTF-8
    ],
)
def test_urlencoded_media_type_is_case_insensitive_and_ignores_parameters(worker, content_type):
    assert_thanks(post(worker, b"name=Zo%C3%AB", content_type), "Zoë")


@pytest.mark.contract("C4")
@pytest.mark.parametrize(
    "content_type",
    [
        f"Multipart/Form-Data; boundary={BOUNDARY}",
        f"multipart/form-data; charset=iso-8859-1; boundary={BOUNDARY}",
    ],
)
def test_multipart_media_type_is_case_insensitive_and_ignores_parameters(worker, content_type):
    assert_thanks(post(worker, multipart(part("name", "Zoë")), content_type), "Zoë")


URLENCODED_PARSING = {
    "plus is space": (b"name=Ada+Lovelace&message=1%2B1", "Ada Lovelace", "1+1"),
    "stray percent kept": (b"name=100%25%zz&message=%", "100%%zz", "%"),
    "encoded field name": (b"%6Eame=Ada&m%65ssage=hi", "Ada", "hi"),
    "empty pieces skipped": (b"&&name=Ada&&message&", "Ada", ""),
    "semicolon is not a separator": (b"name=Ada;message=hi", "Ada;message=hi", ""),
    "split at the first equals": (b"name=a=b&message==", "a=b", "="),
    "raw UTF-8": ("name=Zoë&message=日本語".encode(), "Zoë", "日本語"),
    "raw invalid UTF-8": (b"name=A\xffB", "A\ufffdB", ""),
}


@pytest.mark.contract("C4")
@pytest.mark.parametrize(("body", "name", "message"), URLENCODED_PARSING.values(), ids=URLENCODED_PARSING.keys())
def test_urlencoded_parsing_follows_the_url_standard(worker, body, name, message):
    assert_thanks(post(worker, body, URLENCODED), name, message)


@pytest.mark.contract("C4")
def test_urlencoded_leading_bom_is_kept_so_the_field_is_unknown(worker):
    assert_form_error(post(worker, b"\xef\xbb\xbfname=Ada", URLENCODED), expected.NAME_REQUIRED)


@pytest.mark.contract("C4")
def test_multipart_values_are_utf8_whatever_the_part_type(worker):
    body = multipart(
        part("name", "Zoë", content_type="text/plain; charset=iso-8859-1"),
        part("message", "naïve", content_type="application/octet-stream"),
    )
    assert_thanks(post(worker, body, MULTIPART), "Zoë", "naïve")


@pytest.mark.contract("C4")
def test_multipart_empty_filename_is_a_text_field(worker):
    assert_thanks(post(worker, multipart(part("name", "Ada", filename="")), MULTIPART), "Ada")


@pytest.mark.contract("C4")
def test_file_parts_are_ignored(worker):
    body = multipart(
        part("name", "evil.txt", filename="evil.txt", content_type="text/plain"),
        part("message", b"\x89PNG\r\n", filename="a.png", content_type="image/png"),
        part("name", "Ada"),
        part("message", "hi"),
    )
    assert_thanks(post(worker, body, MULTIPART), "Ada", "hi")


@pytest.mark.contract("C4")
def test_file_part_alone_leaves_the_field_missing(worker):
    body = multipart(part("name", "Ada", filename="name.txt"))
    assert_form_error(post(worker, body, MULTIPART), expected.NAME_REQUIRED)


@pytest.mark.contract("C4")
def test_unknown_fields_are_ignored(submit):
    fields = [("Name", "X"), ("pad", "y" * 5000), ("name", "Ada"), ("NAME", "Z"), ("message", "hi"), ("msg", "no")]
    fields += [(f"extra{i}", str(i)) for i in range(200)]
    assert_thanks(submit(fields), "Ada", "hi")


@pytest.mark.contract("C4")
def test_field_names_are_case_sensitive(submit):
    assert_form_error(submit([("Name", "Ada"), ("Message", "hi")]), expected.NAME_REQUIRED)


@pytest.mark.contract("C4")
def test_repeated_field_first_value_wins(submit):
    reply = submit([("message", "first"), ("name", "Ada"), ("name", "Bob"), ("message", "second")])
    assert_thanks(reply, "Ada", "first")


@pytest.mark.contract("C4")
def test_repeated_field_first_value_wins_even_when_empty(submit):
    assert_form_error(submit([("name", ""), ("name", "Bob")]), expected.NAME_REQUIRED)


UNICODE_NAMES = {
    "emoji": "😀",
    "zwj sequence": "👩‍👩‍👧",
    "hebrew": "שלום",
    "arabic with rtl mark": "\u200fمرحبا",
    "combining marks": "e\u0301\u0302\u0303",
    "nul": "a\x00b",
    "control characters": "\x01\x07\x1b[0m",
    "cjk": "日本語",
    "astral ideograph": "𠀋",
}


@pytest.mark.contract("C4")
@pytest.mark.parametrize("name", UNICODE_NAMES.values(), ids=UNICODE_NAMES.keys())
def test_any_unicode_is_a_valid_name(submit, name):
    assert_thanks(submit([("name", name), ("message", name)]), name, name)


@pytest.mark.contract("C4")
def test_message_keeps_newlines(submit):
    message = "line one\nline two\r\nline three\r\n\r\nend"
    assert_thanks(submit([("name", "Ada"), ("message", message)]), "Ada", message)


INVALID_UTF8 = {
    "lone ff": (b"\xff", "\ufffd"),
    "lone continuation": (b"\x80", "\ufffd"),
    "truncated emoji": (b"\xf0\x9f\x98", "\ufffd"),
    "encoded surrogate": (b"\xed\xa0\x80", "\ufffd" * 3),
    "overlong slash": (b"\xc0\xaf", "\ufffd" * 2),
    "cut two-byte": (b"\xc3(", "\ufffd("),
}


@pytest.mark.contract("C4")
@pytest.mark.parametrize(("raw", "decoded"), INVALID_UTF8.values(), ids=INVALID_UTF8.keys())
def test_invalid_utf8_becomes_replacement_characters(submit, raw, decoded):
    """urlencoded sends these percent-encoded (%FF), multipart as raw bytes."""
    reply = submit([("name", b"A" + raw + b"Z"), ("message", raw)])
    assert_thanks(reply, f"A{decoded}Z", decoded)


TRIMMED = {
    "ascii whitespace around": ("\t\n\f\r Ada \t\n\f\r ", "Ada"),
    "inner whitespace kept": ("  Ada  Lovelace\t", "Ada  Lovelace"),
    "no-break space kept": ("\u00a0Ada\u00a0", "\u00a0Ada\u00a0"),
    "ideographic space kept": ("\u3000Ada\u3000", "\u3000Ada\u3000"),
    "bom kept": ("\ufeffAda\ufeff", "\ufeffAda\ufeff"),
    "vertical tab kept": ("\x0bAda\x0b", "\x0bAda\x0b"),
    "no-break space only is a name": (" \u00a0 ", "\u00a0"),
}


@pytest.mark.contract("C4")
@pytest.mark.parametrize(("raw", "trimmed"), TRIMMED.values(), ids=TRIMMED.keys())
def test_values_are_trimmed_of_ascii_whitespace_only(submit, raw, trimmed):
    assert_thanks(submit([("name", raw), ("message", raw)]), trimmed, trimmed)


LIMIT_CHARACTERS = {"ascii": "a", "combining mark": "\u0301", "emoji": "😀"}


@pytest.mark.contract("C4")
@pytest.mark.parametrize("character", LIMIT_CHARACTERS.values(), ids=LIMIT_CHARACTERS.keys())
def test_limits_are_inclusive_in_code_points(submit, character):
    name, message = character * expected.MAX_NAME, character * expected.MAX_MESSAGE
    assert_thanks(submit([("name", f" {name}\n"), ("message", f"\t{message} ")]), name, message)


@pytest.mark.contract("C4")
@pytest.mark.parametrize("value", [XSS, 'Tom & Jerry\'s "<b>show</b>"', "&amp; &lt;"], ids=["script", "mix", "entity"])
def test_values_are_escaped_on_the_thanks_page(submit, value):
    reply = submit([("name", value), ("message", value)])
    assert_thanks(reply, value, value)
    assert b"<b>" not in reply.body and b"<script>" not in reply.body


@pytest.mark.contract("C4")
def test_script_is_escaped_exactly_as_the_contract_shows(submit):
    body = submit([("name", XSS), ("message", XSS)]).text
    assert f"<h1>Thanks, {XSS_ESCAPED}!</h1>" in body
    assert f'<p class="message">{XSS_ESCAPED}</p>' in body


# C5 validation errors ----------------------------------------------------------------------------------------------


@pytest.mark.contract("C5")
@pytest.mark.parametrize(
    "fields",
    [
        [("message", " hi ")],
        [("name", ""), ("message", " hi ")],
        [("name", " \t\r\n\f "), ("message", " hi ")],
    ],
    ids=["missing", "empty", "whitespace"],
)
def test_name_is_required(submit, fields):
    assert_form_error(submit(fields), expected.NAME_REQUIRED, "", "hi")


@pytest.mark.contract("C5")
def test_empty_body_means_name_is_required(worker):
    assert_form_error(post(worker, b"", URLENCODED), expected.NAME_REQUIRED)


@pytest.mark.contract("C5")
@pytest.mark.parametrize("character", LIMIT_CHARACTERS.values(), ids=LIMIT_CHARACTERS.keys())
def test_name_over_100_code_points(submit, character):
    name = character * (expected.MAX_NAME + 1)
    assert_form_error(submit([("name", f" {name} "), ("message", "hi")]), expected.NAME_TOO_LONG, name, "hi")


@pytest.mark.contract("C5")
@pytest.mark.parametrize("character", LIMIT_CHARACTERS.values(), ids=LIMIT_CHARACTERS.keys())
def test_message_over_1000_code_points(submit, character):
    message = character * (expected.MAX_MESSAGE + 1)
    reply = submit([("name", "Ada"), ("message", f"{message}\r\n")])
    assert_form_error(reply, expected.MESSAGE_TOO_LONG, "Ada", message)


@pytest.mark.contract("C5")
@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", expected.NAME_REQUIRED),
        ("x" * 101, expected.NAME_TOO_LONG),
    ],
    ids=["empty name", "long name"],
)
def test_only_the_first_failing_check_is_reported(submit, name, error):
    message = "m" * 1001
    assert_form_error(submit([("name", name), ("message", message)]), error, name, message)


@pytest.mark.contract("C5")
@pytest.mark.parametrize(
    ("name", "message", "error"),
    [
        ("", XSS, expected.NAME_REQUIRED),
        (XSS + "x" * 100, XSS, expected.NAME_TOO_LONG),
        (XSS, XSS * 31, expected.MESSAGE_TOO_LONG),
    ],
    ids=["name required", "name too long", "message too long"],
)
def test_values_are_escaped_on_the_error_page(submit, name, message, error):
    reply = submit([("name", name), ("message", message)])
    assert_form_error(reply, error, name, message)
    assert b"<script>" not in reply.body


MALFORMED_MULTIPART = {
    "no boundary parameter": ("multipart/form-data", multipart(part("name", "Ada"))),
    "empty boundary": ("multipart/form-data; boundary=", multipart(part("name", "Ada"))),
    "empty body": (MULTIPART, b""),
    "wrong boundary": ("multipart/form-data; boundary=other", multipart(part("name", "Ada"))),
    "garbage": (MULTIPART, b"name=Ada&message=hi"),
    "no closing delimiter": (MULTIPART, multipart(part("name", "Ada")).removesuffix(bodies.closing(BOUNDARY))),
    "cut in the closing delimiter": (MULTIPART, multipart(part("name", "Ada"))[:-4]),
    "headers not ended": (
        MULTIPART,
        bodies.delimiter(BOUNDARY) + b'Content-Disposition: form-data; name="name"\r\n' + bodies.closing(BOUNDARY),
    ),
    "no content-disposition": (MULTIPART, multipart(headed_part(["Content-Type: text/plain"], "Ada"))),
    "not form-data": (
        MULTIPART,
        multipart(headed_part(['Content-Disposition: attachment; name="name"'], "Ada")),
    ),
    "no name parameter": (MULTIPART, multipart(headed_part(["Content-Disposition: form-data"], "Ada"))),
}


@pytest.mark.contract("C5")
@pytest.mark.parametrize(("content_type", "body"), MALFORMED_MULTIPART.values(), ids=MALFORMED_MULTIPART.keys())
def test_malformed_multipart(worker, content_type, body):
    assert_form_error(post(worker, body, content_type), expected.MALFORMED)


@pytest.mark.contract("C5")
@pytest.mark.parametrize("body", [multipart().removesuffix(b"\r\n"), multipart()], ids=["bare", "crlf"])
def test_multipart_with_no_parts_is_well_formed(worker, body):
    assert_form_error(post(worker, body, MULTIPART), expected.NAME_REQUIRED)


# C6 unsupported media type -----------------------------------------------------------------------------------------


@pytest.mark.contract("C6")
@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "text/plain",
        "text/plain; charset=utf-8",
        "application/json",
        "multipart/mixed; boundary=x",
        "application/x-www-form-urlencoded-x",
        "form-data",
        "application/octet-stream",
        "text/html",
    ],
    ids=lambda value: "missing" if value is None else value or "empty",
)
def test_other_content_types_are_415(worker, content_type):
    assert_text(post(worker, b"name=Ada", content_type), 415, expected.UNSUPPORTED_MEDIA_TYPE)


@pytest.mark.contract("C6")
def test_415_is_checked_before_parsing(worker):
    assert_text(post(worker, b"--nonsense", "text/plain"), 415, expected.UNSUPPORTED_MEDIA_TYPE)


# C7 payload too large ----------------------------------------------------------------------------------------------


def body_of_size(encoding: str, size: int) -> tuple[bytes, str]:
    """A valid submission (name Ada) padded with an unknown field to exactly `size` bytes."""
    return bodies.sized_form(encoding, [("name", "Ada")], size, BOUNDARY, ("pad", "x"))


def chunks(data: bytes, size: int = 4096) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.mark.contract("C7")
@pytest.mark.parametrize("encoding", bodies.ENCODINGS)
@pytest.mark.parametrize("transfer", ["content-length", "chunked"])
def test_body_of_65536_bytes_is_accepted(worker, encoding, transfer):
    body, content_type = body_of_size(encoding, expected.MAX_BODY_BYTES)
    assert len(body) == expected.MAX_BODY_BYTES
    assert_thanks(post(worker, chunks(body) if transfer == "chunked" else body, content_type), "Ada")


@pytest.mark.contract("C7")
@pytest.mark.parametrize("encoding", bodies.ENCODINGS)
@pytest.mark.parametrize("transfer", ["content-length", "chunked"])
def test_body_of_65537_bytes_is_413(worker, encoding, transfer):
    body, content_type = body_of_size(encoding, expected.MAX_BODY_BYTES + 1)
    assert len(body) == expected.MAX_BODY_BYTES + 1
    reply = post(worker, chunks(body) if transfer == "chunked" else body, content_type)
    assert_text(reply, 413, expected.PAYLOAD_TOO_LARGE)


@pytest.mark.contract("C7")
def test_chunked_body_counts_bytes_not_chunks(worker):
    body, content_type = body_of_size("urlencoded", expected.MAX_BODY_BYTES + 1)
    reply = post(worker, [body[:1], body[1:-1], body[-1:]], content_type)
    assert_text(reply, 413, expected.PAYLOAD_TOO_LARGE)


@pytest.mark.contract("C7")
@pytest.mark.parametrize("content_type", [None, "text/plain", MULTIPART], ids=["missing", "text/plain", "multipart"])
def test_413_is_checked_before_the_content_type_and_parsing(worker, content_type):
    assert_text(post(worker, b"\xff" * 70_000, content_type), 413, expected.PAYLOAD_TOO_LARGE)
