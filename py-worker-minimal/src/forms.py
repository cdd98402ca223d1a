"""The text fields of a multipart form post, parsed by the platform's FormData (CONTRACT.md C4.4, C5.4).

The contract's multipart framing rules are those of workerd's FormData, the parser js-worker gets from
`formData()`. Handing the body to that same parser, through the Workers SDK, is how a Python worker answers every
framing case exactly as js-worker does; a Python parser (Starlette's `request.form()` uses python-multipart) differs
on bare LF line ends, parameter quoting, duplicate boundary parameters and more.

This file is byte-identical in py-worker and py-worker-minimal, which each deploy on their own.
"""

from workers import Response


async def multipart_fields(body: bytes, content_type: str) -> list[tuple[str, str]] | None:
    """The text fields of a multipart body in order, or None when it cannot be parsed (C5.4).

    File parts (a `filename` parameter) are left out (C4.5). Values are decoded as UTF-8 whatever a part's own
    content type says (C4.4).
    """
    try:
        form = await Response(body, headers={"content-type": content_type}).form_data()
    except TypeError:  # what workerd's parser throws for a malformed body, as the SDK raises it
        return None
    return [(name, value) for name, value in form.items() if isinstance(value, str)]
