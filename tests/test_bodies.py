"""http.bodies writes form bodies byte for byte as a browser (or curl) would; the corpus and the suite rely on
these exact bytes."""

from __future__ import annotations

import pytest

from workers_parity.http import bodies


def test_a_part_is_its_disposition_a_blank_line_and_the_value():
    assert bodies.part("name", "Ada") == b'Content-Disposition: form-data; name="name"\r\n\r\nAda'


def test_a_file_part_has_a_filename_and_a_type_after_the_disposition():
    built = bodies.part("doc", b"\x89PNG", filename="a.png", content_type="image/png")
    expected = b'Content-Disposition: form-data; name="doc"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG'
    assert built == expected


def test_an_empty_filename_is_still_written():
    assert bodies.part("name", "") == b'Content-Disposition: form-data; name="name"\r\n\r\n'
    assert bodies.part("name", "", filename="") == b'Content-Disposition: form-data; name="name"; filename=""\r\n\r\n'


def test_text_values_are_utf8_and_bytes_are_kept():
    assert bodies.part("n", "Zoë").endswith(b"\r\n\r\nZo\xc3\xab")
    assert bodies.part("n", b"\xff\x00").endswith(b"\r\n\r\n\xff\x00")


def test_a_headed_part_has_exactly_the_lines_given():
    built = bodies.headed_part(["Content-Type: text/plain", "X: 1"], "Ada")
    assert built == b"Content-Type: text/plain\r\nX: 1\r\n\r\nAda"
    assert bodies.headed_part([], b"") == b"\r\n"


def test_multipart_puts_a_delimiter_before_each_part_and_the_closing_delimiter_last():
    body = bodies.multipart([b"one", b"two"], "bnd")
    assert body == b"--bnd\r\none\r\n--bnd\r\ntwo\r\n--bnd--\r\n"
    assert bodies.multipart([], "bnd") == bodies.closing("bnd") == b"--bnd--\r\n"
    assert bodies.delimiter("bnd") == b"--bnd\r\n"


def test_multipart_fields_and_its_content_type():
    body, content_type = bodies.form("multipart", [("name", "Ada"), ("name", "Bob")], "b-1")
    ada, bob = (f'--b-1\r\nContent-Disposition: form-data; name="name"\r\n\r\n{who}\r\n' for who in ("Ada", "Bob"))
    assert body == (ada + bob + "--b-1--\r\n").encode()
    assert content_type == bodies.multipart_type("b-1") == "multipart/form-data; boundary=b-1"


def test_urlencoded_is_utf8_percent_encoded_with_plus_for_space_and_keeps_repeated_fields_in_order():
    assert bodies.urlencoded([("name", "Zoë Ada"), ("message", "a&b=c"), ("name", "日")]) == (
        b"name=Zo%C3%AB+Ada&message=a%26b%3Dc&name=%E6%97%A5"
    )
    assert bodies.urlencoded([("name", b"\xff")]) == b"name=%FF"  # bytes as they are, not as UTF-8 text
    assert bodies.urlencoded([]) == b""


def test_form_urlencoded_has_the_urlencoded_media_type():
    assert bodies.form("urlencoded", [("name", "Ada")], "unused") == (b"name=Ada", "application/x-www-form-urlencoded")


def test_form_refuses_an_unknown_encoding():
    with pytest.raises(ValueError, match="json"):
        bodies.form("json", [("name", "Ada")], "b")


def test_data_urlencode_escapes_values_as_curl_does_and_leaves_names():
    fields = [("name", "<b> & ~x"), ("a b", "5 > 3")]
    assert bodies.data_urlencode(fields) == b"name=%3Cb%3E%20%26%20~x&a b=5%20%3E%203"


@pytest.mark.parametrize("encoding", bodies.ENCODINGS)
@pytest.mark.parametrize("size", [200, 65536, 65537])
def test_sized_form_is_exactly_the_size_asked_with_the_padding_field_last(encoding, size):
    body, _ = bodies.sized_form(encoding, [("name", "Ada")], size, "bnd", ("pad", "x"))
    assert len(body) == size
    unpadded, _ = bodies.form(encoding, [("name", "Ada"), ("pad", "")], "bnd")
    after_value = b"\r\n--bnd--\r\n" if encoding == "multipart" else b""
    head = unpadded.removesuffix(after_value)
    assert body == head + b"x" * (size - len(unpadded)) + after_value
