"""The rules of a form post that do not depend on a framework (CONTRACT.md C4, C5, C7)."""

from urllib.parse import parse_qsl

MAX_BODY_BYTES = 65536
MAX_NAME_LENGTH = 100
MAX_MESSAGE_LENGTH = 1000

URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"

ASCII_WHITESPACE = "\t\n\f\r "  # not str.strip()'s default, which also strips U+00A0, U+3000, ...


def media_type(content_type: str) -> str:
    """'Multipart/Form-Data; boundary=x' -> 'multipart/form-data' (C4.2)."""
    return content_type.split(";", 1)[0].strip(ASCII_WHITESPACE).lower()


def declared_length(content_length: str | None) -> int | None:
    """The body size a content-length header declares, if it declares one."""
    try:
        return int(content_length) if content_length is not None else None
    except ValueError:
        return None


def urlencoded_fields(body: bytes) -> list[tuple[str, str]]:
    """C4.3: decode the whole body as UTF-8, then parse it as the URL Standard does (= JS URLSearchParams)."""
    return parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True, errors="replace")


def first_value(fields: list[tuple[str, str]], name: str) -> str:
    """C4.5: the first value of a repeated field wins; a missing field is empty."""
    return next((value for field, value in fields if field == name), "")


def trim(value: str) -> str:
    return value.strip(ASCII_WHITESPACE)


def validation_error(name: str, message: str) -> str | None:
    """C5.1-C5.3 on trimmed values, in this order; lengths are code points, which is what len() counts."""
    if not name:
        return "Name is required."
    if len(name) > MAX_NAME_LENGTH:
        return "Name must be at most 100 characters."
    if len(message) > MAX_MESSAGE_LENGTH:
        return "Message must be at most 1000 characters."
    return None
