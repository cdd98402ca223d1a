"""The HTML pages of shared-tests/CONTRACT.md ("Pages"), byte for byte."""

from html import escape


def form_page(name: str = "", message: str = "", error: str | None = None) -> str:
    """P1: the contact form, refilled with the (unescaped) submitted values and an optional error line."""
    error_line = f'<p class="error">{error}</p>\n' if error else ""
    return _layout(
        "Contact form",
        f"""<h1>Contact form</h1>
{error_line}<form method="post" action="/form">
<p><label for="name">Name</label>
<input type="text" id="name" name="name" required maxlength="100" value="{escape(name)}"></p>
<p><label for="message">Message</label>
<textarea id="message" name="message" maxlength="1000">{escape(message)}</textarea></p>
<p><button type="submit">Send</button></p>
</form>
""",
    )


def thanks_page(name: str, message: str) -> str:
    """P2: the answer to a valid submission."""
    return _layout(
        "Thanks",
        f"""<h1>Thanks, {escape(name)}!</h1>
<p class="message">{escape(message)}</p>
<p><a href="/form">Send another message</a></p>
""",
    )


def counter_page(count: int) -> str:
    """P3: the visit counter."""
    return _layout(
        "Counter",
        f"""<h1>Counter</h1>
<p>Page views: <span id="count">{count}</span></p>
""",
    )


def _layout(title: str, content: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
</head>
<body>
{content}</body>
</html>
"""
